"""The whole demo stack: device stand-ins, an MQTT broker and a real Home Assistant.

``demo.stack.DemoStack`` starts and stops it (used by ``make demo``, the
end-to-end tests and benchmarks); ``demo.hass`` talks to Home Assistant over
its HTTP and WebSocket APIs; ``demo.standins`` is the stand-in process.
"""
