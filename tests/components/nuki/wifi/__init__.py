"""Wi-Fi locks over MQTT: Home Assistant's real MQTT integration, Mosquitto, the stand-in."""
