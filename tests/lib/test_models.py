"""The one parser, fed every real payload variant from the protocol facts."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nukilocal.const import (
    BridgeType,
    DeviceType,
    DoorSensorState,
    LockState,
    Mode,
    OpenerState,
)
from nukilocal.exceptions import NukiInvalidResponseError
from nukilocal.models import (
    BridgeInfo,
    CallbackEntry,
    CallbackUpdate,
    Device,
    DeviceKey,
    DeviceState,
    DiscoveredBridge,
    hex_id,
    id_from_hex,
    parse_timestamp,
)

LIST_ITEM = {
    "deviceType": 4,
    "nukiId": 1015571181,
    "name": "Front door",
    "firmwareVersion": "4.2.6",
    "lastKnownState": {
        "mode": 2,
        "state": 3,
        "stateName": "unlocked",
        "batteryCritical": False,
        "batteryCharging": False,
        "batteryChargeState": 96,
        "keypadBatteryCritical": False,
        "doorsensorState": 2,
        "doorsensorStateName": "door closed",
        "timestamp": "2024-04-06T06:00:51+00:00",
    },
}

INFO = {
    "bridgeType": 1,
    "ids": {"hardwareId": 1013065235, "serverId": 1754925342},
    "versions": {"firmwareVersion": "2.17.0", "wifiFirmwareVersion": "2.4.0"},
    "uptime": 47490,
    "currentTime": "2024-04-06T06:06:02+00:00",
    "wlanConnected": True,
    "serverConnected": True,
    "scanResults": [
        {
            "deviceType": 2,
            "nukiId": 930999314,
            "name": "Nuki_Opener_377DEC12",
            "rssi": -59,
            "paired": True,
        }
    ],
}

CALLBACK = {
    "nukiId": 11,
    "deviceType": 0,
    "mode": 2,
    "state": 1,
    "stateName": "locked",
    "batteryCritical": False,
    "batteryCharging": False,
    "batteryChargeState": 85,
    "keypadBatteryCritical": False,
    "doorsensorState": 2,
    "doorsensorStateName": "door closed",
}


def test_list_item_as_a_real_bridge_sends_it() -> None:
    device = Device.from_dict(LIST_ITEM)
    assert device.nuki_id == 1015571181
    assert device.hex_id == "3C8862ED"
    assert device.device_type is DeviceType.SMARTLOCK_3
    assert device.firmware_version == "4.2.6"
    state = device.state
    assert state.mode is Mode.DOOR
    assert state.state is LockState.UNLOCKED
    assert state.battery_charge_state == 96
    assert state.door_sensor_state is DoorSensorState.DOOR_CLOSED
    assert state.door_open is False
    assert state.timestamp == datetime(2024, 4, 6, 6, 0, 51, tzinfo=UTC)
    assert not state.is_locked


def test_state_is_the_truth_when_state_name_disagrees() -> None:
    state = DeviceState.from_dict({"state": 1, "stateName": "unlocked"})
    assert state.state is LockState.LOCKED
    assert state.is_locked
    assert state.state_name == "unlocked"


@pytest.mark.parametrize(
    "text",
    ["2024-04-06T06:00:51+00:00", "2024-04-06T06:00:51Z", "2024-04-06T06:00:51"],
)
def test_timestamps_with_z_offset_or_none(text: str) -> None:
    assert parse_timestamp(text) == datetime(2024, 4, 6, 6, 0, 51, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday", 17, "2024-13-45T99:00:00Z"])
def test_unreadable_timestamps_are_none(value: object) -> None:
    assert parse_timestamp(value) is None


def test_door_sensor_tampered_and_unknown_values_are_kept() -> None:
    tampered = DeviceState.from_dict({"doorsensorState": 240, "doorsensorStateName": "tampered"})
    assert tampered.door_sensor_state is DoorSensorState.TAMPERED
    assert tampered.door_open is None
    odd = DeviceState.from_dict({"doorsensorState": 77, "state": 99, "mode": 9})
    assert odd.door_sensor_state == 77
    assert odd.door_sensor_state is not None
    assert not odd.door_sensor_state.is_known
    assert odd.state == 99
    assert odd.mode == 9


def test_missing_device_type_is_a_smart_lock() -> None:
    # The software bridge leaves deviceType out of /list.
    item = {k: v for k, v in LIST_ITEM.items() if k != "deviceType"}
    device = Device.from_dict(item)
    assert device.device_type is DeviceType.SMARTLOCK
    assert device.state.state is LockState.UNLOCKED


def test_unknown_device_type_is_kept_and_behaves_as_a_lock() -> None:
    device = Device.from_dict({**LIST_ITEM, "deviceType": 42})
    assert device.device_type == 42
    assert device.device_type.is_lock
    assert device.device_type.model == "Smart Lock"


def test_opener_states_are_read_with_the_opener_table() -> None:
    item = {
        "deviceType": 2,
        "nukiId": 930999314,
        "name": "Building entrance",
        "lastKnownState": {
            "mode": 2,
            "state": 3,
            "stateName": "rto active",
            "ringactionState": True,
            "ringactionTimestamp": "2024-04-06T06:01:00Z",
        },
    }
    device = Device.from_dict(item)
    state = device.state
    assert state.state is OpenerState.RTO_ACTIVE
    assert state.ring_to_open_active
    assert not state.is_locked
    assert state.ring_action_state is True
    assert state.ring_action_timestamp == datetime(2024, 4, 6, 6, 1, tzinfo=UTC)


def test_opener_in_continuous_mode_counts_as_ring_to_open_whatever_the_state() -> None:
    state = DeviceState.from_dict({"mode": 3, "state": 1}, DeviceType.OPENER)
    assert state.continuous_mode
    assert state.ring_to_open_active
    assert not state.is_locked


def test_same_id_lock_and_opener_are_different_devices() -> None:
    lock = Device.from_dict({"deviceType": 0, "nukiId": 5, "name": "a"})
    opener = Device.from_dict({"deviceType": 2, "nukiId": 5, "name": "b"})
    assert lock.key != opener.key


def test_transitional_and_jammed_states() -> None:
    assert DeviceState.from_dict({"state": 4}).is_locking
    assert DeviceState.from_dict({"state": 2}).is_unlocking
    assert DeviceState.from_dict({"state": 7}).is_opening
    assert DeviceState.from_dict({"state": 5}).is_open
    jammed = DeviceState.from_dict({"state": 254})
    assert jammed.is_jammed
    assert not DeviceState.from_dict({"state": 254}, DeviceType.OPENER).is_jammed


def test_strings_for_numbers_and_booleans_are_accepted() -> None:
    state = DeviceState.from_dict(
        {"state": "1", "batteryCritical": "true", "batteryChargeState": "18", "mode": "2"}
    )
    assert state.state is LockState.LOCKED
    assert state.battery_critical is True
    assert state.battery_charge_state == 18
    assert state.mode is Mode.DOOR


def test_callback_body() -> None:
    update = CallbackUpdate.from_dict(CALLBACK)
    assert update.nuki_id == 11
    assert update.key == DeviceKey(11, opener=False)
    assert update.state.state is LockState.LOCKED
    assert update.state.battery_charge_state == 85


def test_callback_without_device_type_says_so() -> None:
    """The software bridge sends no deviceType: the device it matches reads the state."""
    body = {key: value for key, value in CALLBACK.items() if key != "deviceType"}
    body["state"] = 3
    update = CallbackUpdate.from_dict(body)
    assert update.device_type is None
    assert update.key is None
    assert update.state_of(DeviceType.OPENER).state is OpenerState.RTO_ACTIVE
    assert update.state_of(DeviceType.SMARTLOCK).state is LockState.UNLOCKED


@pytest.mark.parametrize(
    "body", [None, [], "text", {"state": 1}, {"nukiId": "eleven"}, {"nukiId": True}]
)
def test_callback_body_of_the_wrong_shape_is_rejected(body: object) -> None:
    with pytest.raises(NukiInvalidResponseError):
        CallbackUpdate.from_dict(body)


def test_merging_keeps_fields_the_newer_state_does_not_report() -> None:
    full = Device.from_dict(LIST_ITEM).state
    merged = full.merged_with(DeviceState(state=LockState.LOCKING))
    assert merged.state is LockState.LOCKING
    assert merged.battery_charge_state == 96
    assert merged.device_type is DeviceType.SMARTLOCK_3


def test_bridge_info_as_a_real_bridge_sends_it() -> None:
    info = BridgeInfo.from_dict(INFO)
    assert info.bridge_type is BridgeType.HARDWARE
    assert info.bridge_id == "3C622613"
    assert info.version == "2.17.0"
    assert info.current_time == datetime(2024, 4, 6, 6, 6, 2, tzinfo=UTC)
    (scan,) = info.scan_results
    assert scan.device_type is DeviceType.OPENER
    assert scan.rssi == -59


def test_software_bridge_and_old_scan_result_spelling() -> None:
    info = BridgeInfo.from_dict(
        {
            "bridgeType": 2,
            "ids": {"serverId": 10},
            "versions": {"appVersion": "1.2.3"},
            "scanResults": [{"type": 2, "nukiId": 3, "name": "x"}, {"name": "no id"}],
        }
    )
    assert info.bridge_type is BridgeType.SOFTWARE
    assert info.version == "1.2.3"
    assert info.hardware_id is None
    assert info.bridge_id == "A"
    assert [s.device_type for s in info.scan_results] == [DeviceType.OPENER]


@pytest.mark.parametrize("data", [None, [], {"ids": {}}, {"ids": "x"}, {"ids": {"serverId": "x"}}])
def test_bridge_info_without_hardware_id_is_invalid(data: object) -> None:
    with pytest.raises(NukiInvalidResponseError):
        BridgeInfo.from_dict(data)


def test_callback_entry_and_discovered_bridge() -> None:
    assert CallbackEntry.from_dict({"id": 0, "url": "http://h/x"}).url == "http://h/x"
    with pytest.raises(NukiInvalidResponseError):
        CallbackEntry.from_dict({"id": 0})
    found = DiscoveredBridge.from_dict(
        {
            "bridgeId": 2117604523,
            "ip": "192.168.1.50",
            "port": 8080,
            "dateUpdated": "2017-06-14T06:53:44Z",
        }
    )
    assert found.discovery_enabled
    assert not DiscoveredBridge.from_dict(
        {"bridgeId": 1, "ip": "0.0.0.0", "port": 0}
    ).discovery_enabled


def test_hex_ids() -> None:
    assert hex_id(1015571181) == "3C8862ED"
    assert id_from_hex("3C8862ED") == 1015571181
    assert hex_id(11) == "B"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
state_keys = st.sampled_from(
    [
        "nukiId",
        "deviceType",
        "mode",
        "state",
        "stateName",
        "batteryCritical",
        "batteryChargeState",
        "doorsensorState",
        "ringactionState",
        "ringactionTimestamp",
        "timestamp",
        "lastKnownState",
        "name",
    ]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(state_keys, json_values, max_size=8))
def test_parsers_never_raise_anything_but_invalid_response(data: dict[str, object]) -> None:
    for parse in (DeviceState.from_dict, Device.from_dict, CallbackUpdate.from_dict):
        with contextlib.suppress(NukiInvalidResponseError):
            parse(data)  # type: ignore[operator]


@pytest.mark.parametrize("mode", [Mode.DOOR, Mode.CONTINUOUS])
@pytest.mark.parametrize("opener_state", list(OpenerState))
def test_opener_locked_means_the_next_ring_does_not_open(
    opener_state: OpenerState, mode: Mode
) -> None:
    """One meaning for every opener state and mode, the one the lock entity shows.

    Continuous mode or ring to open: unlocked. Online, or the strike buzzing
    (open, opening) with both off: locked. Untrained, booting, undefined in
    door mode: the state cannot tell (the entity shows unknown).
    """
    state = DeviceState.from_dict(
        {"mode": int(mode), "state": int(opener_state)}, DeviceType.OPENER
    )
    ring_opens = mode is Mode.CONTINUOUS or opener_state is OpenerState.RTO_ACTIVE
    known = mode is Mode.CONTINUOUS or opener_state in {
        OpenerState.ONLINE,
        OpenerState.RTO_ACTIVE,
        OpenerState.OPEN,
        OpenerState.OPENING,
    }
    assert state.ring_to_open_active is ring_opens
    assert state.opener_state_known is known
    assert state.is_locked is (known and not ring_opens)


def test_changes_since_names_only_what_a_state_reports_differently() -> None:
    old = DeviceState(state=LockState.LOCKED, battery_critical=False, battery_charge_state=80)
    new = DeviceState(state=LockState.UNLOCKED, battery_critical=False)
    assert new.changes_since(old) == {"state": LockState.UNLOCKED}
    assert new.changes_since(None) == {"state": LockState.UNLOCKED, "battery_critical": False}
