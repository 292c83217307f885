"""The bridge stand-in's radio models over real loopback HTTP: exclusive and parallel.

Nobody has measured whether a real bridge runs actions of several devices at
once. ``radio="exclusive"`` answers an action request 503 while an action the
bridge started still runs on any device; ``radio="parallel"`` runs one action
per device at the same time. Both keep one HTTP request at a time.

Motor runs are made to outlast the test by a huge time factor (a 1.5 s run
lasts 25 minutes) and ended by hand (``turn_knob`` cancels the run): no test
waits for time to pass.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from nukilocal.cli.app import build_parser
from nukilocal.cli.sim import _bridge_config
from nukilocal.const import CommandResponse, LockAction, LockState, OpenerState
from nukilocal.exceptions import NukiBadRequestError
from nukilocal.sim import BridgeSimulator, SimControlClient, SimDevice
from nukilocal.sim.config import config_from_dict
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER, TOKEN
from tests.support.timing import WAIT

FAST = 0.01
# A motor run lasts 1.5 s x 1000: it runs until the test ends it by hand.
ENDLESS = 1000.0


async def act(
    http: aiohttp.ClientSession,
    sim: BridgeSimulator,
    nuki_id: int,
    action: int,
    *,
    nowait: int,
    device_type: int | None = None,
) -> tuple[int, Any]:
    """GET /lockAction; the JSON answer decoded, a plain-text error as text."""
    params = {"token": TOKEN, "nukiId": str(nuki_id), "action": str(action)}
    params["nowait"] = str(nowait)
    if device_type is not None:
        params["deviceType"] = str(device_type)
    async with http.get(
        f"{sim.base_url}/lockAction", params=params, timeout=aiohttp.ClientTimeout(total=WAIT)
    ) as response:
        text = await response.text()
        if response.content_type == "application/json":
            return response.status, json.loads(text)
        return response.status, text


REFUSED = (503, "HTTP 503 Unavailable")


def hold_when(sim: BridgeSimulator, device: SimDevice, state: int) -> None:
    """From ``state`` on, time runs 1000 times slower: what follows outlasts the test.

    The listener runs synchronously on the state change, before the device
    computes its next wait, so the latch is held (or the door kept open) until
    the test ends it.
    """

    def slow_down(changed: SimDevice) -> None:
        if changed.state_id == state:
            sim.clock.time_factor = ENDLESS

    device.add_listener(slow_down)


@pytest.fixture
async def exclusive() -> AsyncIterator[BridgeSimulator]:
    async with BridgeSimulator(TOKEN, time_factor=ENDLESS, radio="exclusive") as sim:
        yield sim


@pytest.fixture
async def parallel() -> AsyncIterator[BridgeSimulator]:
    async with BridgeSimulator(TOKEN, time_factor=ENDLESS, radio="parallel") as sim:
        yield sim


# -- nowait=1: the action runs on after the answer -------------------------------


async def test_exclusive_nowait_refuses_every_action_while_one_runs(
    exclusive: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    front, back = exclusive.lock(FRONT_DOOR), exclusive.lock(BACK_DOOR)
    assert await act(http, exclusive, FRONT_DOOR, 1, nowait=1) == (
        200,
        {"success": True, "batteryCritical": False},
    )
    assert front.busy
    assert front.state is LockState.UNLOCKING
    # Another device, then the busy one itself: the radio is taken.
    assert await act(http, exclusive, BACK_DOOR, 2, nowait=1) == REFUSED
    assert await act(http, exclusive, FRONT_DOOR, 2, nowait=1) == REFUSED
    assert await act(http, exclusive, OPENER, 1, nowait=1) == REFUSED
    assert (back.state, back.busy) == (LockState.UNLOCKED, False)
    assert exclusive.stats.radio_refused == 3
    assert exclusive.stats.unavailable_sent == 3
    assert exclusive.stats.max_in_flight == 1

    front.turn_knob(lock=False)  # the run ends (by hand): the radio is free
    assert not front.busy
    assert await act(http, exclusive, BACK_DOOR, 2, nowait=1) == (
        200,
        {"success": True, "batteryCritical": False},
    )
    assert (back.state, back.busy) == (LockState.LOCKING, True)
    assert exclusive.stats.radio_refused == 3


async def test_parallel_nowait_runs_one_action_per_device_at_once(
    parallel: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    front, back = parallel.lock(FRONT_DOOR), parallel.lock(BACK_DOOR)
    opener = parallel.opener(OPENER)
    assert (await act(http, parallel, FRONT_DOOR, 1, nowait=1))[1]["success"] is True
    assert (await act(http, parallel, BACK_DOOR, 2, nowait=1))[1]["success"] is True
    assert (await act(http, parallel, OPENER, 1, nowait=1))[1]["success"] is True
    # Three motors at once.
    assert (front.state, back.state) == (LockState.UNLOCKING, LockState.LOCKING)
    assert [front.busy, back.busy, opener.busy] == [True, True, True]
    # A second action for a busy device: the device refuses, the bridge answers 200.
    assert await act(http, parallel, FRONT_DOOR, 2, nowait=1) == (
        200,
        {"success": False, "batteryCritical": False},
    )
    assert front.state is LockState.UNLOCKING
    assert parallel.stats.radio_refused == 0
    assert parallel.stats.unavailable_sent == 0


# -- nowait=0: the answer comes with the result; the action can run on ------------


@pytest.mark.parametrize("mode", ["exclusive", "parallel"])
async def test_a_waiting_action_holds_the_only_request_slot(
    http: aiohttp.ClientSession, mode: str
) -> None:
    """Both models: while a nowait=0 action is waited for, every request gets 503."""
    async with BridgeSimulator(TOKEN, time_factor=ENDLESS, radio=mode) as sim:
        front = sim.lock(FRONT_DOOR)
        waiting = asyncio.ensure_future(act(http, sim, FRONT_DOOR, 1, nowait=0))
        await front.wait_for(lambda d: d.busy, WAIT)
        assert await act(http, sim, BACK_DOOR, 2, nowait=0) == REFUSED
        assert await act(http, sim, BACK_DOOR, 2, nowait=1) == REFUSED
        assert sim.stats.radio_refused == 0  # the one-request rule, not the radio
        front.turn_knob(lock=False)
        assert await waiting == (200, {"success": False, "batteryCritical": False})
        assert sim.lock(BACK_DOOR).state is LockState.UNLOCKED


async def test_exclusive_answered_unlatch_still_holds_the_radio(
    http: aiohttp.ClientSession,
) -> None:
    """nowait=0 answers once the latch is pulled; the latch is held on: other actions 503."""
    async with BridgeSimulator(TOKEN, time_factor=FAST, radio="exclusive") as sim:
        front, back = sim.lock(FRONT_DOOR), sim.lock(BACK_DOOR)
        hold_when(sim, front, LockState.UNLATCHED)
        assert await act(http, sim, FRONT_DOOR, 3, nowait=0) == (
            200,
            {"success": True, "batteryCritical": False},
        )
        assert (front.state, front.busy) == (LockState.UNLATCHED, True)
        sim.clock.time_factor = FAST  # what starts now is quick again
        assert await act(http, sim, BACK_DOOR, 2, nowait=0) == REFUSED
        assert back.state is LockState.UNLOCKED
        assert sim.stats.radio_refused == 1

        front.turn_knob(lock=False)
        assert await act(http, sim, BACK_DOOR, 2, nowait=0) == (
            200,
            {"success": True, "batteryCritical": False},
        )
        assert back.state is LockState.LOCKED


async def test_parallel_answered_unlatch_lets_another_device_run(
    http: aiohttp.ClientSession,
) -> None:
    async with BridgeSimulator(TOKEN, time_factor=FAST, radio="parallel") as sim:
        front, back = sim.lock(FRONT_DOOR), sim.lock(BACK_DOOR)
        hold_when(sim, front, LockState.UNLATCHED)
        assert (await act(http, sim, FRONT_DOOR, 3, nowait=0))[1]["success"] is True
        sim.clock.time_factor = FAST
        assert await act(http, sim, BACK_DOOR, 2, nowait=0) == (
            200,
            {"success": True, "batteryCritical": False},
        )
        assert back.state is LockState.LOCKED
        assert (front.state, front.busy) == (LockState.UNLATCHED, True)
        assert sim.stats.radio_refused == 0


async def test_exclusive_open_door_of_an_opener_holds_the_radio(
    http: aiohttp.ClientSession,
) -> None:
    """The electric strike: answered when the door opens, busy while it stays open."""
    async with BridgeSimulator(TOKEN, time_factor=FAST, radio="exclusive") as sim:
        opener = sim.opener(OPENER)
        hold_when(sim, opener, OpenerState.OPEN)
        assert (await act(http, sim, OPENER, 3, nowait=0, device_type=2))[1]["success"] is True
        assert (opener.state, opener.busy) == (OpenerState.OPEN, True)
        sim.clock.time_factor = FAST
        assert await act(http, sim, FRONT_DOOR, 1, nowait=0) == REFUSED


async def test_exclusive_lock_n_go_wait_is_the_locks_own(
    http: aiohttp.ClientSession,
) -> None:
    """Lock 'n' go: once unlocked the lock waits and relocks by itself; the radio is free."""
    async with BridgeSimulator(TOKEN, time_factor=FAST, radio="exclusive") as sim:
        front = sim.lock(FRONT_DOOR)
        front.lock_n_go_seconds = 1e6  # the relock never comes during the test
        assert (await act(http, sim, FRONT_DOOR, 4, nowait=1))[1]["success"] is True
        await front.wait_for_state(LockState.UNLOCKED_LOCK_N_GO, timeout=WAIT)
        assert not front.busy
        assert (await act(http, sim, BACK_DOOR, 2, nowait=0))[1]["success"] is True


async def test_exclusive_radio_is_taken_by_the_bridges_own_actions_only(
    exclusive: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    """A motor run started elsewhere (MQTT, the lock's button) does not take the bridge's radio.

    Nor does an action the device refuses before moving.
    """
    front, back = exclusive.lock(FRONT_DOOR), exclusive.lock(BACK_DOOR)
    assert await front.perform(LockAction.UNLOCK, wait=False) is CommandResponse.SUCCESS
    assert front.busy
    assert await act(http, exclusive, FRONT_DOOR, 2, nowait=1) == (
        200,
        {"success": False, "batteryCritical": False},
    )
    assert (await act(http, exclusive, BACK_DOOR, 2, nowait=1))[1]["success"] is True
    assert back.busy
    assert exclusive.stats.radio_refused == 0


# -- switching: constructor, attribute, control interface, command line ------------


async def test_radio_switch_over_the_control_interface(
    exclusive: BridgeSimulator, http: aiohttp.ClientSession
) -> None:
    async with SimControlClient(exclusive.base_url, TOKEN) as control:
        assert await control.radio() == {"radio": "exclusive", "running": []}
        assert (await act(http, exclusive, FRONT_DOOR, 1, nowait=1))[1]["success"] is True
        assert await control.radio() == {"radio": "exclusive", "running": [FRONT_DOOR]}
        assert await act(http, exclusive, BACK_DOOR, 2, nowait=1) == REFUSED
        assert await control.set_radio("parallel") == "parallel"
        assert exclusive.radio == "parallel"
        assert (await act(http, exclusive, BACK_DOOR, 2, nowait=1))[1]["success"] is True
        with pytest.raises(NukiBadRequestError):
            await control.set_radio("sometimes")
        assert (await control.stats())["radioRefused"] == 1


def test_radio_default_and_bad_values() -> None:
    assert BridgeSimulator(TOKEN).radio == "exclusive"
    sim = BridgeSimulator(TOKEN, radio="parallel")
    assert sim.radio == "parallel"
    sim.radio = "exclusive"
    assert sim.radio == "exclusive"
    with pytest.raises(ValueError, match="radio"):
        sim.radio = "both"
    with pytest.raises(ValueError, match="radio"):
        BridgeSimulator(TOKEN, radio="serial")


def test_radio_on_the_command_line_and_in_a_config_file() -> None:
    parser = build_parser()
    assert _bridge_config(parser.parse_args(["sim"])).radio == "exclusive"
    args = parser.parse_args(["sim", "--radio", "parallel"])
    assert _bridge_config(args).radio == "parallel"
    with pytest.raises(SystemExit):
        parser.parse_args(["sim", "--radio", "serial"])
    assert config_from_dict({"radio": "parallel"}).radio == "parallel"
    with pytest.raises(ValueError, match="radio"):
        config_from_dict({"radio": "serial"})
    ctl = parser.parse_args(["ctl", "radio", "parallel"])
    assert (ctl.ctl_command, ctl.mode) == ("radio", "parallel")
