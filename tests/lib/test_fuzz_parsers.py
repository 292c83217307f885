"""Property tests of the bridge parsers beyond test_models: any JSON, any nesting.

The parsers read what arrives from the network; the only exception they may
raise is NukiInvalidResponseError. What the stand-in's devices send must read
back as exactly what they are.
"""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nukilocal.const import DeviceType, DoorSensorState, LockState, OpenerState
from nukilocal.exceptions import NukiInvalidResponseError
from nukilocal.models import BridgeInfo, CallbackEntry, CallbackUpdate, Device, DeviceState
from nukilocal.sim.devices import SimOpener, SimSmartLock

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats()
    | st.text(max_size=30)
)
json_any = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
info_keys = st.sampled_from(
    [
        "bridgeType",
        "ids",
        "versions",
        "uptime",
        "currentTime",
        "wlanConnected",
        "serverConnected",
        "scanResults",
    ]
)
inner_keys = st.sampled_from(
    ["hardwareId", "serverId", "firmwareVersion", "appVersion", "nukiId", "deviceType", "type"]
)
# Objects shaped like /info: the right keys, anything inside, one level down too.
info_like = st.dictionaries(
    info_keys,
    json_any
    | st.dictionaries(inner_keys, json_any, max_size=4)
    | st.lists(st.dictionaries(inner_keys, json_any, max_size=4), max_size=3),
    max_size=8,
)


def parses_or_refuses(parse, data) -> object | None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(NukiInvalidResponseError):
        return parse(data)
    return None


@FAST
@given(data=st.one_of(info_like, json_any))
def test_bridge_info_parser(data: object) -> None:
    info = parses_or_refuses(BridgeInfo.from_dict, data)
    if info is not None:
        assert isinstance(info, BridgeInfo)
        # The id users see is always there once parsing succeeded.
        assert info.bridge_id
        assert all(isinstance(s.device_type, DeviceType) for s in info.scan_results)


@FAST
@given(data=json_any)
def test_every_parser_on_any_json(data: object) -> None:
    for parse in (BridgeInfo.from_dict, CallbackUpdate.from_dict, CallbackEntry.from_dict):
        parses_or_refuses(parse, data)
    if isinstance(data, dict):
        parses_or_refuses(Device.from_dict, data)
        DeviceState.from_dict(data)


@FAST
@given(raw=st.binary(max_size=300))
def test_callback_bytes_never_escape_the_handlers_except_clause(raw: bytes) -> None:
    """What the webhook does with a body: only ValueError, RecursionError or ours."""
    with contextlib.suppress(ValueError, RecursionError, NukiInvalidResponseError):
        CallbackUpdate.from_dict(json.loads(raw))


@FAST
@given(
    state=st.sampled_from(list(LockState)),
    battery=st.integers(min_value=0, max_value=100),
    charging=st.booleans(),
    door=st.sampled_from([None, *DoorSensorState]),
    device_type=st.sampled_from([DeviceType.SMARTLOCK, DeviceType.SMARTLOCK_3, 4, 5, 99]),
)
def test_lock_callback_round_trip(
    state: LockState,
    battery: int,
    charging: bool,
    door: DoorSensorState | None,
    device_type: int,
) -> None:
    lock = SimSmartLock(
        123,
        "L",
        device_type=DeviceType(device_type),
        state=state,
        battery_level=battery,
        battery_charging=charging,
        door_sensor=door,
    )
    update = CallbackUpdate.from_dict(json.loads(json.dumps(lock.callback_body())))
    assert update.key == (lock.nuki_id, False)
    assert update.state.state == state
    assert update.state.battery_charge_state == battery
    assert update.state.battery_charging is charging
    assert update.state.battery_critical is lock.battery_critical
    assert update.state.door_sensor_state == door


@FAST
@given(state=st.sampled_from(list(OpenerState)), rings=st.integers(min_value=0, max_value=2))
def test_opener_callback_round_trip(state: OpenerState, rings: int) -> None:
    opener = SimOpener(456, "O", state=state, rto_timeout_seconds=None)
    opener.ring_action_state = rings > 0
    update = CallbackUpdate.from_dict(json.loads(json.dumps(opener.callback_body())))
    assert update.key == (456, True)
    assert update.state.state == state
    assert isinstance(update.state.state, OpenerState)
    assert update.state.ring_action_state is (rings > 0)
