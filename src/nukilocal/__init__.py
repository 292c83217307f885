"""Asyncio library for Nuki's local APIs: the Bridge HTTP API and the MQTT API."""
