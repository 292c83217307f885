"""Finding bridges: DHCP hostnames and Nuki's discovery service."""

from __future__ import annotations

import asyncio
import re
from typing import Final

import aiohttp

from .exceptions import NukiConnectionError, NukiInvalidResponseError, NukiTimeoutError
from .models import DiscoveredBridge

DISCOVERY_URL: Final = "https://api.nuki.io/discover/bridges"

_HOSTNAME = re.compile(r"^nuki_bridge_([0-9a-f]+)(?:\..*)?$", re.IGNORECASE)


def parse_bridge_hostname(hostname: str) -> str | None:
    """``nuki_bridge_3c62f413`` -> ``3C62F413`` (the bridge id as users see it)."""
    match = _HOSTNAME.match(hostname.strip())
    return match.group(1).upper() if match else None


async def discover_bridges(
    session: aiohttp.ClientSession,
    *,
    url: str = DISCOVERY_URL,
    timeout: float = 10.0,
) -> list[DiscoveredBridge]:
    """Ask Nuki's discovery service which bridges are registered for this network.

    ``url`` is injectable so the call can be tested against a local stand-in.
    Bridges with their discovery switched off (0.0.0.0, port 0) are included;
    check :attr:`DiscoveredBridge.discovery_enabled`.
    """
    try:
        async with asyncio.timeout(timeout), session.get(url) as response:
            if response.status != 200:
                raise NukiInvalidResponseError(
                    f"the discovery service answered HTTP {response.status}"
                )
            data = await response.json(content_type=None)
    except TimeoutError as err:
        raise NukiTimeoutError("the discovery service did not answer in time") from err
    except aiohttp.ClientError as err:
        raise NukiConnectionError(f"cannot reach the discovery service: {err}") from err
    except ValueError as err:
        raise NukiInvalidResponseError("the discovery service did not answer JSON") from err
    if not isinstance(data, dict) or not isinstance(data.get("bridges"), list):
        raise NukiInvalidResponseError("the discovery service's answer has no bridges list")
    if data.get("errorCode", 0) != 0:
        raise NukiInvalidResponseError(
            f"the discovery service reported error {data.get('errorCode')}"
        )
    return [DiscoveredBridge.from_dict(item) for item in data["bridges"] if isinstance(item, dict)]
