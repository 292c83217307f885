"""The commands of a device hub: one at a time, over the transport that reaches the device."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nukilocal.const import LockAction, OpenerAction
from nukilocal.exceptions import NukiConnectionError
from nukilocal.models import DeviceState

from .commands import (
    TRANSPORT_BRIDGE,
    TRANSPORT_MQTT,
    BridgeAction,
    DeviceCommands,
    PendingCommand,
    Transport,
)

if TYPE_CHECKING:
    from .bridge import BridgeLink
    from .mqtt_lock import MqttLockTransport


class HubCommands:
    """Part of :class:`~.hub.DeviceHub`: sending its device's commands."""

    commands: DeviceCommands
    bridge: BridgeLink | None
    mqtt: MqttLockTransport | None
    state: DeviceState

    @property
    def hex_id(self) -> str:
        raise NotImplementedError

    @property
    def command_transport(self) -> Transport | None:
        raise NotImplementedError

    async def async_command(
        self, action: LockAction | OpenerAction, transition: str | None
    ) -> None:
        """Send one action over the preferred transport; errors are the library's.

        One command per device at a time: the next one waits for this one's
        result, showing its own transition meanwhile.
        """
        pending = self.commands.begin(transition, self.command_transport)
        try:
            async with self.commands.hold:
                via = self.command_transport
                if pending is not None and via is not None:
                    # Decided now: the transports may have changed while it waited.
                    pending.via = via
                if via == TRANSPORT_MQTT:
                    await self._async_mqtt(LockAction(action), pending)
                elif via == TRANSPORT_BRIDGE:
                    await self._async_bridge(action, pending)
                else:
                    raise NukiConnectionError(f"no transport reaches {self.hex_id}")
        except BaseException:
            self.commands.drop(pending)
            raise

    async def async_mqtt_only_command(self, action: LockAction, transition: str | None) -> None:
        """An action only the MQTT API knows (full lock)."""
        pending = self.commands.begin(transition, TRANSPORT_MQTT)
        try:
            async with self.commands.hold:
                await self._async_mqtt(action, pending)
        except BaseException:
            self.commands.drop(pending)
            raise

    async def _async_mqtt(self, action: LockAction, pending: PendingCommand | None) -> None:
        transport = self.mqtt
        if transport is None:
            raise NukiConnectionError(f"{self.hex_id} is not connected by MQTT")
        await self.commands.async_run_mqtt(lambda: transport.async_send(action), pending)

    async def _async_bridge(
        self, action: LockAction | OpenerAction, pending: PendingCommand | None
    ) -> None:
        link = self.bridge
        assert link is not None
        transport, key = link.transport, link.key
        device = link.device
        before = device.state if device is not None else self.state

        async def check() -> DeviceState | None:
            await transport.async_refresh()
            device = transport.data.get(key) if transport.data else None
            return device.state if device is not None else None

        command = BridgeAction(
            action=action,
            before=before,
            send=lambda: transport.actions.async_send(transport.data[key], action),
            check=check,
            verify_later=lambda still: transport.actions.async_verify_later(wanted=still),
            finished=lambda: transport.actions.finished(key),
        )
        await self.commands.async_run_bridge(command, pending)
