"""What the base install leaves out, and the one-line hint that names the extra to add.

``pip install nukilocal`` brings what the bridge client needs (aiohttp, PyNaCl)
and nothing else: that is what Home Assistant installs for the integration. The
rest are extras (see ``[project.optional-dependencies]`` in pyproject.toml):

- ``mqtt``: :class:`~nukilocal.mqtt.client.MqttLockClient` (aiomqtt, paho-mqtt);
- ``cli``: the ``nuki`` command line (rich, and aiomqtt for ``nuki mqtt``/``nuki sim``);
- ``sim``: the Wi-Fi lock stand-in (aiomqtt); the bridge stand-in needs only the base;
- ``broker``: the embedded MQTT broker of the stand-ins (amqtt);
- ``all``: all of them.
"""

from __future__ import annotations

from typing import Final

#: Top-level modules of the extras, by extra.
EXTRA_MODULES: Final[dict[str, frozenset[str]]] = {
    "mqtt": frozenset({"aiomqtt", "paho"}),
    "cli": frozenset({"rich", "aiomqtt", "paho"}),
    "sim": frozenset({"aiomqtt", "paho"}),
    "broker": frozenset({"amqtt"}),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, quoted for a POSIX shell."""
    return f"pip install 'nukilocal[{extra}]'"


class MissingExtraError(ModuleNotFoundError):
    """A module of an extra is not installed; the message says which extra brings it.

    A :exc:`ModuleNotFoundError` (and so an :exc:`ImportError`) like the one it
    replaces, with ``name`` set to the missing module.
    """

    @classmethod
    def wrap(cls, err: ModuleNotFoundError, extra: str, feature: str) -> ModuleNotFoundError:
        """``err`` as a :class:`MissingExtraError` if the module is one of ``extra``'s.

        Any other missing module is a broken install, not a missing extra: then
        ``err`` itself is returned, to be re-raised unchanged.
        """
        top = (err.name or "").partition(".")[0]
        if top not in EXTRA_MODULES[extra]:
            return err
        return cls(f"{feature} needs {top}: {install_hint(extra)}", name=err.name)
