"""An independent client, written by others from the specification, against the stand-in.

pynuki is the library Home Assistant's built-in integration uses. It speaks the
encrypted (``secure=True``) and the plain token modes; both must work, and a
wrong token must fail the way it does against hardware.
"""

from __future__ import annotations

import asyncio

import pytest
from pynuki import NukiBridge
from pynuki.bridge import InvalidCredentialsException

from nukilocal import LockState, OpenerState
from nukilocal.sim import BridgeSimulator
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER, TOKEN

# pynuki builds its timestamp with datetime.utcnow(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pynuki")


def _session(sim: BridgeSimulator, secure: bool) -> dict[str, object]:
    bridge = NukiBridge(sim.host, TOKEN, port=sim.port, secure=secure, min_request_gap=0)
    info = bridge.info()
    locks = {lock.nuki_id: lock for lock in bridge.locks}
    openers = {opener.nuki_id: opener for opener in bridge.openers}
    # A blocking unlock through pynuki's NukiLock, then a lock by id.
    locks[FRONT_DOOR].unlock(block=True)
    front_after_unlock = sim.lock(FRONT_DOOR).state_id
    bridge.lock(BACK_DOOR, block=True)
    openers[OPENER].activate_rto()
    callback_url = f"http://127.0.0.1:9/pynuki-{int(secure)}"
    bridge.callback_add(callback_url)
    callbacks = bridge.callback_list()["callbacks"]
    return {
        "hardware_id": info["ids"]["hardwareId"],
        "locks": sorted(locks),
        "openers": sorted(openers),
        "front_after_unlock": front_after_unlock,
        "callbacks": [c["url"] for c in callbacks],
        "callback_url": callback_url,
    }


@pytest.mark.parametrize("secure", [True, False], ids=["encrypted", "plain"])
async def test_pynuki_against_the_stand_in(bridge_sim: BridgeSimulator, secure: bool) -> None:
    seen = await asyncio.to_thread(_session, bridge_sim, secure)
    assert seen["hardware_id"] == bridge_sim.hardware_id
    assert seen["locks"] == sorted([FRONT_DOOR, BACK_DOOR])
    assert seen["openers"] == [OPENER]
    assert seen["front_after_unlock"] == LockState.UNLOCKED
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.LOCKED
    await bridge_sim.opener(OPENER).wait_for_state(OpenerState.RTO_ACTIVE, timeout=5)
    assert seen["callbacks"] == [seen["callback_url"]]
    assert bridge_sim.stats.unavailable_sent == 0


@pytest.mark.parametrize("secure", [True, False], ids=["encrypted", "plain"])
async def test_pynuki_with_a_wrong_token(bridge_sim: BridgeSimulator, secure: bool) -> None:
    def connect() -> None:
        NukiBridge(bridge_sim.host, "wrong-token", port=bridge_sim.port, secure=secure)

    with pytest.raises(InvalidCredentialsException):
        await asyncio.to_thread(connect)
