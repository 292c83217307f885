"""Retained messages reach a client only for the filters it subscribed to, on either broker."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import aiomqtt

from nukilocal.sim import SimSmartLock
from tests.lib.mqtt.conftest import WifiLockFactory


async def _retained_for(url: str, topic_filter: str, expect_at_least: int) -> list[str]:
    parts = urlsplit(url)
    topics: list[str] = []
    async with aiomqtt.Client(parts.hostname or "127.0.0.1", parts.port or 1883) as client:
        await client.subscribe("sentinel/done")
        await client.subscribe(topic_filter)
        sent = False
        async with asyncio.timeout(10):
            async for message in client.messages:
                topic = str(message.topic)
                if topic == "sentinel/done":
                    break
                topics.append(topic)
                if len(topics) >= expect_at_least and not sent:
                    # Whatever the broker still had queued for us arrives before this.
                    await client.publish("sentinel/done", "1")
                    sent = True
    return topics


async def test_retained_only_for_own_filters(
    broker_url: str, sim_lock: SimSmartLock, make_wifilock: WifiLockFactory
) -> None:
    await make_wifilock(broker_url)
    discovery = await _retained_for(broker_url, "homeassistant/#", expect_at_least=10)
    assert discovery
    assert all(t.startswith("homeassistant/") for t in discovery), discovery
    state = await _retained_for(broker_url, "nuki/+/state", expect_at_least=1)
    assert state == [f"nuki/{sim_lock.hex_id}/state"]
