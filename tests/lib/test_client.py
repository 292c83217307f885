"""BridgeClient against the bridge stand-in over real loopback HTTP."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import aiohttp
import pytest

from nukilocal import (
    BridgeClient,
    DeviceType,
    LockAction,
    LockState,
    NukiAuthError,
    NukiBadRequestError,
    NukiBridgeBusyError,
    NukiCallbackSlotsFullError,
    NukiCommandRefusedError,
    NukiConnectionError,
    NukiInvalidResponseError,
    NukiOutcomeUnknownError,
    NukiTimeoutError,
    NukiUnknownDeviceError,
    OpenerAction,
    OpenerState,
    TokenMode,
)
from nukilocal.const import BridgeType
from nukilocal.sim import BridgeSimulator, SimOpener, SimSmartLock
from tests.support.ids import BACK_DOOR, FRONT_DOOR, OPENER, TOKEN
from tests.support.timing import TIME_FACTOR


def make_client(sim: BridgeSimulator, **kwargs: object) -> BridgeClient:
    options: dict[str, object] = {
        "request_interval": 0.0,
        "busy_backoff": 0.001,
        "request_timeout": 5.0,
        "action_timeout": 5.0,
    }
    options.update(kwargs)
    token = options.pop("token", TOKEN)
    return BridgeClient(sim.host, sim.port, token, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(bridge_sim: BridgeSimulator) -> AsyncIterator[BridgeClient]:
    async with make_client(bridge_sim) as bridge:
        yield bridge


async def test_info_and_list(client: BridgeClient, bridge_sim: BridgeSimulator) -> None:
    info = await client.info()
    assert info.bridge_type is BridgeType.HARDWARE
    assert info.hardware_id == bridge_sim.hardware_id
    assert info.bridge_id == f"{bridge_sim.hardware_id:X}"
    assert {s.nuki_id for s in info.scan_results} == {FRONT_DOOR, BACK_DOOR, OPENER}
    devices = {d.nuki_id: d for d in await client.list_devices()}
    assert set(devices) == {FRONT_DOOR, BACK_DOOR, OPENER}
    assert devices[FRONT_DOOR].device_type is DeviceType.SMARTLOCK_3
    assert devices[FRONT_DOOR].state.state is LockState.LOCKED
    assert devices[FRONT_DOOR].state.door_sensor_state is not None
    assert devices[OPENER].state.state is OpenerState.ONLINE


async def test_software_bridge(unused_tcp_port: int) -> None:
    async with (
        BridgeSimulator(TOKEN, bridge_type=BridgeType.SOFTWARE, time_factor=TIME_FACTOR) as sim,
        make_client(sim) as client,
    ):
        info = await client.info()
        assert info.bridge_type is BridgeType.SOFTWARE
        assert info.bridge_id == f"{sim.server_id:X}"
        # No deviceType in /list: every device still appears, as a smart lock.
        devices = await client.list_devices()
        assert len(devices) == len(sim.devices)
        with pytest.raises(NukiUnknownDeviceError):
            await client.request_token()


@pytest.mark.parametrize("mode", list(TokenMode))
async def test_every_token_mode(bridge_sim: BridgeSimulator, mode: TokenMode) -> None:
    async with make_client(bridge_sim, token_mode=mode) as client:
        # Several requests: hashed and encrypted tokens are single use, so each is new.
        for _ in range(3):
            assert len(await client.list_devices()) == 3


@pytest.mark.parametrize("mode", list(TokenMode))
async def test_wrong_token_is_an_auth_error(bridge_sim: BridgeSimulator, mode: TokenMode) -> None:
    async with make_client(bridge_sim, token="wrong-token", token_mode=mode) as client:
        with pytest.raises(NukiAuthError) as caught:
            await client.info()
    assert caught.value.clock_may_differ is mode.depends_on_clock
    assert ("clocks" in str(caught.value)) is mode.depends_on_clock


async def test_skewed_bridge_clock_refuses_time_based_tokens(bridge_sim: BridgeSimulator) -> None:
    bridge_sim.clock_offset = timedelta(minutes=5)
    async with make_client(bridge_sim, token_mode=TokenMode.ENCRYPTED) as client:
        with pytest.raises(NukiAuthError) as caught:
            await client.info()
        assert caught.value.clock_may_differ
    async with make_client(bridge_sim, token_mode=TokenMode.PLAIN) as client:
        assert (await client.info()).bridge_type is BridgeType.HARDWARE


async def test_lock_action_waits_for_the_final_state(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    seen: list[int] = []
    lock.add_listener(lambda device: seen.append(device.state_id))
    result = await client.lock_action(FRONT_DOOR, DeviceType.SMARTLOCK_3, LockAction.UNLOCK)
    assert result.success
    assert result.battery_critical is False
    assert lock.state_id == LockState.UNLOCKED
    assert seen[:2] == [LockState.UNLOCKING, LockState.UNLOCKED]


async def test_lock_action_without_waiting(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    await client.lock_action(FRONT_DOOR, DeviceType.SMARTLOCK_3, LockAction.UNLOCK, wait=False)
    assert lock.state_id == LockState.UNLOCKING
    await lock.wait_for_state(LockState.UNLOCKED, timeout=5)


async def test_simple_lock_unlock_and_opener(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    await client.unlock(BACK_DOOR, DeviceType.SMARTLOCK)
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.UNLOCKED
    await client.lock(BACK_DOOR, DeviceType.SMARTLOCK)
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.LOCKED
    opener = bridge_sim.opener(OPENER)
    await client.lock_action(OPENER, DeviceType.OPENER, OpenerAction.ACTIVATE_RTO)
    assert opener.state_id == OpenerState.RTO_ACTIVE
    await client.lock_action(OPENER, DeviceType.OPENER, OpenerAction.ACTIVATE_CONTINUOUS_MODE)
    assert opener.continuous_mode


async def test_lock_state_asks_the_device(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    bridge_sim.lock(FRONT_DOOR).set_battery(41)
    state = await client.lock_state(FRONT_DOOR, DeviceType.SMARTLOCK_3)
    assert state.battery_charge_state == 41
    assert state.state is LockState.LOCKED


async def test_refused_action_carries_the_reason(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    lock = bridge_sim.lock(FRONT_DOOR)
    assert isinstance(lock, SimSmartLock)
    lock.set_state(LockState.UNCALIBRATED)
    with pytest.raises(NukiCommandRefusedError):
        await client.lock_action(FRONT_DOOR, DeviceType.SMARTLOCK_3, LockAction.UNLOCK)


async def test_status_codes_map_to_exceptions(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    with pytest.raises(NukiUnknownDeviceError):
        await client.lock_action(12345, DeviceType.SMARTLOCK, LockAction.LOCK)
    with pytest.raises(NukiBadRequestError):
        await client.lock_action(FRONT_DOOR, DeviceType.SMARTLOCK_3, 9)
    with pytest.raises(NukiBadRequestError):
        await client.callback_add("https://example.invalid/x")
    with pytest.raises(NukiBadRequestError):
        await client.callback_add("http://h/" + "x" * 260)
    await client.config_auth(False)
    with pytest.raises(NukiAuthError) as caught:
        await client.request_token()
    assert "disabled" in str(caught.value)
    await client.config_auth(True)


async def test_busy_bridge_is_retried_then_given_up(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    bridge_sim.faults.force_503 = 2
    assert len(await client.list_devices()) == 3
    assert bridge_sim.stats.unavailable_sent == 2
    # A 503 means "not executed", so even an action may be retried.
    bridge_sim.faults.force_503 = 2
    await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.LOCKED
    bridge_sim.faults.force_503 = 100
    with pytest.raises(NukiBridgeBusyError):
        await client.info()
    assert bridge_sim.stats.requests["/info"] == client.busy_retries + 1


async def test_an_action_without_busy_retries_gives_up_at_the_first_503(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    """For a caller that waits for the bridge's radio itself: one try, not executed."""
    bridge_sim.faults.force_503 = 1
    with pytest.raises(NukiBridgeBusyError):
        await client.lock_action(
            BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK, wait=False, retry_busy=False
        )
    assert bridge_sim.stats.requests["/lockAction"] == 1
    assert bridge_sim.lock(BACK_DOOR).state_id != LockState.LOCKED


async def test_offline_device_gives_up_without_executing(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    bridge_sim.lock(BACK_DOOR).set_online(False)
    with pytest.raises(NukiBridgeBusyError):
        await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.UNLOCKED


async def test_fifty_concurrent_callers_never_overlap(bridge_sim: BridgeSimulator) -> None:
    async with make_client(bridge_sim) as client:
        results = await asyncio.gather(
            *(
                client.list_devices()
                if n % 5
                else client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
                for n in range(50)
            )
        )
    assert len(results) == 50
    assert bridge_sim.stats.total_requests == 50
    assert bridge_sim.stats.max_in_flight == 1
    assert bridge_sim.stats.unavailable_sent == 0


async def test_two_clients_of_one_bridge_share_the_queue(bridge_sim: BridgeSimulator) -> None:
    async with make_client(bridge_sim) as first, make_client(bridge_sim) as second:
        await asyncio.gather(*(c.info() for c in (first, second) * 10))
    assert bridge_sim.stats.max_in_flight == 1
    assert bridge_sim.stats.unavailable_sent == 0


async def test_requests_are_spaced_out(bridge_sim: BridgeSimulator) -> None:
    starts: list[float] = []
    trace = aiohttp.TraceConfig()

    async def on_start(*_: object) -> None:
        starts.append(asyncio.get_running_loop().time())

    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = make_client(bridge_sim, session=session, request_interval=0.05)
        await asyncio.gather(*(client.info() for _ in range(4)))
        await client.close()
        assert not session.closed  # an injected session belongs to its owner
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 3
    assert min(gaps) >= 0.05


async def test_spacing_keeps_a_fragile_bridge_from_hanging(bridge_sim: BridgeSimulator) -> None:
    """A bridge that hangs when a request follows an answer too soon never does here."""
    bridge_sim.faults.burst_window = 0.05
    bridge_sim.faults.burst_hang = 1.0
    async with make_client(bridge_sim, request_interval=0.06) as client:
        lock = LockAction.LOCK
        await asyncio.gather(
            *(client.info() for _ in range(5)),
            *(client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, lock) for _ in range(3)),
        )
    assert bridge_sim.stats.total_requests == 8
    assert bridge_sim.stats.bursts == 0


async def test_unspaced_requests_make_a_fragile_bridge_hang(bridge_sim: BridgeSimulator) -> None:
    bridge_sim.faults.burst_window = 5.0
    bridge_sim.faults.burst_hang = 0.3
    async with make_client(bridge_sim, request_timeout=0.1) as client:
        await client.info()
        with pytest.raises(NukiTimeoutError):
            await client.info()
    assert bridge_sim.stats.bursts == 1


async def test_lost_answer_to_an_action_is_never_resent(bridge_sim: BridgeSimulator) -> None:
    lock = bridge_sim.lock(BACK_DOOR)
    async with make_client(bridge_sim, action_timeout=0.2) as client:
        bridge_sim.faults.hang = 1.0
        with pytest.raises(NukiOutcomeUnknownError):
            await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
        # The bridge carries the action out after all; the client sent it once.
        await lock.wait_for_state(LockState.LOCKED, timeout=5)
        assert bridge_sim.stats.requests["/lockAction"] == 1


async def test_dropped_connection_during_an_action_is_not_retried(
    bridge_sim: BridgeSimulator,
) -> None:
    # aiohttp itself re-sends a GET once after a reset; an action must not be.
    async with make_client(bridge_sim) as client:
        await client.info()  # a pooled connection, as in real use
        bridge_sim.faults.reset = 1
        with pytest.raises(NukiOutcomeUnknownError):
            await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
        assert bridge_sim.stats.requests["/lockAction"] == 1
        # Reads may be retried: the same fault on /list is invisible.
        bridge_sim.faults.reset = 1
        assert len(await client.list_devices()) == 3


async def test_read_timeouts_and_bad_json(bridge_sim: BridgeSimulator) -> None:
    async with make_client(bridge_sim, request_timeout=0.2, busy_backoff=0.1) as client:
        bridge_sim.faults.hang = 1.0
        with pytest.raises(NukiTimeoutError):
            await client.info()
        # The bridge is still stuck on the abandoned request and answers 503;
        # the back-off (0.1 + 0.2 + ... s) rides that out.
        assert len(await client.list_devices()) == 3
        assert bridge_sim.stats.unavailable_sent >= 1
        bridge_sim.faults.malformed = 1
        with pytest.raises(NukiInvalidResponseError):
            await client.list_devices()
        bridge_sim.faults.truncated = 1
        with pytest.raises(NukiInvalidResponseError):
            await client.info()
        assert len(await client.list_devices()) == 3


async def test_unreachable_bridge_is_a_connection_error(unused_tcp_port: int) -> None:
    async with BridgeClient("127.0.0.1", unused_tcp_port, TOKEN) as client:
        with pytest.raises(NukiConnectionError) as caught:
            await client.info()
        assert not isinstance(caught.value, NukiTimeoutError)
        # Nothing reached a bridge: an action is a plain connection error, not "unknown".
        with pytest.raises(NukiConnectionError):
            await client.lock_action(1, DeviceType.SMARTLOCK, LockAction.LOCK)


async def test_callbacks(client: BridgeClient, bridge_sim: BridgeSimulator) -> None:
    for n in range(3):
        await client.callback_add(f"http://127.0.0.1:9/cb{n}")
    with pytest.raises(NukiCallbackSlotsFullError) as caught:
        await client.callback_add("http://127.0.0.1:9/cb3")
    # Still a refusal for callers that catch the parent, with the bridge's own text.
    assert isinstance(caught.value, NukiCommandRefusedError)
    assert caught.value.message == "too many callbacks registered"
    entries = await client.callback_list()
    assert [e.url for e in entries] == [f"http://127.0.0.1:9/cb{n}" for n in range(3)]
    await client.callback_remove(entries[1].callback_id)
    assert [e.url for e in await client.callback_list()] == [
        "http://127.0.0.1:9/cb0",
        "http://127.0.0.1:9/cb2",
    ]
    # Another refusal ("callback already added") is not "slots full".
    with pytest.raises(NukiCommandRefusedError) as refused:
        await client.callback_add("http://127.0.0.1:9/cb0")
    assert not isinstance(refused.value, NukiCallbackSlotsFullError)


async def test_button_press_gives_the_token(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    async def press() -> None:
        await bridge_sim.wait_for_auth_request(timeout=5)
        assert bridge_sim.press_button()

    presser = asyncio.create_task(press())
    assert await client.request_token() == TOKEN
    await presser


async def test_button_not_pressed(client: BridgeClient) -> None:
    # The stand-in's 30 s wait is scaled by its time factor.
    with pytest.raises(NukiCommandRefusedError):
        await client.request_token()


async def test_maintenance_endpoints(client: BridgeClient, bridge_sim: BridgeSimulator) -> None:
    await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
    assert await client.log(count=10)
    await client.clear_log()
    assert await client.log() == []
    await client.fw_update()
    await client.reboot()
    await client.unpair(BACK_DOOR, DeviceType.SMARTLOCK)
    assert BACK_DOOR not in {d.nuki_id for d in await client.list_devices()}
    await client.factory_reset()


async def test_the_token_never_shows(
    bridge_sim: BridgeSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = TOKEN
    errors: list[Exception] = []
    for mode in TokenMode:
        async with make_client(
            bridge_sim, token_mode=mode, action_timeout=0.1, busy_backoff=0.1, busy_retries=3
        ) as client:
            assert secret not in repr(client)
            await client.list_devices()
            for fault in ("hang", "malformed", "force_503"):
                setattr(bridge_sim.faults, fault, 0.3 if fault == "hang" else 100)
                try:
                    await client.lock_action(BACK_DOOR, DeviceType.SMARTLOCK, LockAction.LOCK)
                except Exception as err:
                    errors.append(err)
                bridge_sim.faults.clear()
        async with make_client(
            bridge_sim, token="wrong-token", token_mode=mode, busy_backoff=0.1
        ) as client:
            with pytest.raises(NukiAuthError) as caught:
                await client.info()
            errors.append(caught.value)
    assert len(errors) >= 6
    for err in errors:
        chain = SimpleNamespace(text=f"{err!r} {err} {err.__cause__!r} {err.__cause__}")
        assert secret not in chain.text
    assert secret not in caplog.text


async def test_opener_state_is_read_with_the_opener_table(
    client: BridgeClient, bridge_sim: BridgeSimulator
) -> None:
    opener = bridge_sim.opener(OPENER)
    assert isinstance(opener, SimOpener)
    await client.lock_action(OPENER, DeviceType.OPENER, OpenerAction.ACTIVATE_RTO)
    state = await client.lock_state(OPENER, DeviceType.OPENER)
    assert state.ring_to_open_active
    assert not state.is_locked
