"""What Home Assistant installs is only what the integration runs.

Home Assistant installs the manifest's ``nukilocal==<version>`` without extras:
aiohttp and PyNaCl. These tests prove that the integration and the library's
base modules import without the extras' packages (blocked in a child process),
that using an extra without it says which one to install, and, for real, that a
clean virtual environment given the wheel built from this tree gets neither rich
nor aiomqtt and a BridgeClient that talks to the bridge stand-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import nukilocal.cli
import nukilocal.mqtt
from nukilocal.extras import EXTRA_MODULES, MissingExtraError

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / "nuki"

#: The top-level modules of all extras: rich, aiomqtt (and paho under it), amqtt.
EXTRAS = frozenset().union(*EXTRA_MODULES.values())
#: What the integration may not import. paho is not listed: Home Assistant's own
#: MQTT integration, which this one talks MQTT through, brings and imports it.
INTEGRATION_BLOCKED = frozenset({"rich", "aiomqtt", "amqtt"})

LIBRARY_BASE_MODULES = (
    "nukilocal",
    "nukilocal.auth",
    "nukilocal.client",
    "nukilocal.const",
    "nukilocal.discovery",
    "nukilocal.exceptions",
    "nukilocal.models",
    "nukilocal.mqtt",
    "nukilocal.mqtt.protocol",
    # The bridge stand-in needs only aiohttp, the command line's entry point nothing.
    "nukilocal.sim",
    "nukilocal.cli",
)

# Put in front of a child's script: any import of a blocked top-level module (and
# its submodules) fails as if the package were not installed.
BLOCKER = """\
import importlib.abc, sys

BLOCKED = frozenset({blocked!r})
assert not BLOCKED & {{name.partition(".")[0] for name in sys.modules}}, "imported at start-up"


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None


sys.meta_path.insert(0, _Blocker())
"""


def run_blocked(blocked: frozenset[str], script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter of this environment with ``blocked`` not importable."""
    code = BLOCKER.format(blocked=sorted(blocked)) + textwrap.dedent(script)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def integration_modules() -> list[str]:
    modules = ["custom_components.nuki"]
    modules += [
        f"custom_components.nuki.{path.stem}"
        for path in sorted(INTEGRATION.glob("*.py"))
        if path.stem != "__init__"
    ]
    return modules


def test_missing_extra_error() -> None:
    missing = ModuleNotFoundError("No module named 'aiomqtt'", name="aiomqtt")
    wrapped = MissingExtraError.wrap(missing, "mqtt", "the MQTT client")
    assert isinstance(wrapped, MissingExtraError)
    assert isinstance(wrapped, ImportError)
    assert wrapped.name == "aiomqtt"
    assert str(wrapped) == "the MQTT client needs aiomqtt: pip install 'nukilocal[mqtt]'"
    # A module that no extra brings is a broken install: the error stays as it was.
    other = ModuleNotFoundError("No module named 'yarl'", name="yarl")
    assert MissingExtraError.wrap(other, "mqtt", "the MQTT client") is other


def test_lazy_names_are_there() -> None:
    """The public names that moved behind a module __getattr__ still resolve."""
    from nukilocal.cli import build_parser
    from nukilocal.mqtt import MqttLockClient, parse_broker_url
    from nukilocal.mqtt.client import MqttLockClient as FromClient

    assert MqttLockClient is FromClient
    assert parse_broker_url("mqtt://broker:1884")[:2] == ("broker", 1884)
    assert build_parser().prog == "nuki"
    assert set(nukilocal.mqtt.__all__) >= {"MqttLockClient", "parse_broker_url"}
    with pytest.raises(AttributeError):
        _ = nukilocal.mqtt.NoSuchName
    with pytest.raises(AttributeError):
        _ = nukilocal.cli.NoSuchName


def test_blocker_blocks() -> None:
    """The blocker itself works: without it these would import."""
    result = run_blocked(EXTRAS, "import rich")
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'rich' (blocked)" in result.stderr


def test_library_base_modules_import_without_extras() -> None:
    result = run_blocked(
        EXTRAS,
        f"""
        import importlib
        for name in {LIBRARY_BASE_MODULES!r}:
            importlib.import_module(name)
        from nukilocal import BridgeClient, __version__
        from nukilocal.mqtt import parse_message, MqttLock
        print("imported", len({LIBRARY_BASE_MODULES!r}))
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(LIBRARY_BASE_MODULES)}"


def test_integration_imports_without_extras() -> None:
    modules = integration_modules()
    assert len(modules) > 10, modules
    result = run_blocked(
        INTEGRATION_BLOCKED,
        f"""
        import importlib, json, sys
        for name in {modules!r}:
            importlib.import_module(name)
        print(json.dumps(sorted(n for n in sys.modules if n.startswith("nukilocal"))))
        """,
    )
    assert result.returncode == 0, result.stderr
    imported = set(json.loads(result.stdout))
    assert "nukilocal.mqtt.protocol" in imported
    assert "nukilocal.mqtt.client" not in imported
    assert not {name.split(".")[1] for name in imported if "." in name} & {"cli", "sim"}


@pytest.mark.parametrize(
    ("statement", "extra", "missing"),
    [
        ("from nukilocal.mqtt import MqttLockClient", "mqtt", "aiomqtt"),
        ("import nukilocal.mqtt.client", "mqtt", "aiomqtt"),
        ("import nukilocal.sim.wifilock", "sim", "aiomqtt"),
    ],
)
def test_an_extra_missing_says_what_to_install(statement: str, extra: str, missing: str) -> None:
    result = run_blocked(
        EXTRAS,
        f"""
        try:
            {statement}
        except ModuleNotFoundError as err:
            print(type(err).__name__, err.name, err, sep="|")
        """,
    )
    assert result.returncode == 0, result.stderr
    kind, name, message = result.stdout.strip().split("|")
    assert (kind, name) == ("MissingExtraError", missing)
    assert message.endswith(f"needs {missing}: pip install 'nukilocal[{extra}]'"), message


def test_embedded_broker_without_amqtt_says_what_to_install() -> None:
    result = run_blocked(
        EXTRAS,
        """
        import asyncio
        from nukilocal.sim.broker import EmbeddedBroker
        try:
            asyncio.run(EmbeddedBroker().start())
        except ModuleNotFoundError as err:
            print(err)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "the embedded broker needs amqtt: pip install 'nukilocal[broker]'"
    )


@pytest.mark.parametrize("blocked", ["rich", "aiomqtt"])
def test_nuki_command_without_cli_extra_is_one_line(blocked: str) -> None:
    result = run_blocked(
        frozenset({blocked}),
        """
        import sys
        from nukilocal.cli import main
        sys.exit(main(["bridge", "info"]))
        """,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: the nuki command line needs: pip install 'nukilocal[cli]' ({blocked} is missing)\n"
    )


def test_nuki_command_other_import_errors_are_not_hidden() -> None:
    """A module missing that no extra brings is a broken install: a traceback."""
    result = run_blocked(
        frozenset({"aiohttp"}),
        """
        from nukilocal.cli import main
        main(["bridge", "info"])
        """,
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "No module named 'aiohttp' (blocked)" in result.stderr


# -- the wheel, installed for real -------------------------------------------------

CLEAN_VENV_CHECK = """\
import asyncio
from nukilocal import BridgeClient
from nukilocal.sim import BridgeSimulator

async def main() -> None:
    async with BridgeSimulator("abc123def456") as sim:
        async with BridgeClient(sim.host, sim.port, "abc123def456") as bridge:
            devices = await bridge.list_devices()
    print(len(devices), "devices")

asyncio.run(main())
"""


@pytest.mark.slow
def test_clean_venv_gets_only_the_base_install(tmp_path: Path) -> None:
    """pip install of the wheel built from this tree, in a venv of its own (from PyPI)."""
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    dist = tmp_path / "dist"
    # As make dist does: the sdist, then the wheel from the unpacked sdist (so the
    # sdist must hold all the wheel needs), then PyPI's rendering check.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("nukilocal-*.whl")
    (sdist,) = dist.glob("nukilocal-*.tar.gz")
    twine = [
        str(Path(sys.executable).parent / "twine"),
        "check",
        "--strict",
        str(wheel),
        str(sdist),
    ]
    checked = subprocess.run(twine, capture_output=True, text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    assert all(n.startswith(("nukilocal/", "nukilocal-")) for n in names), names
    assert "nukilocal/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    base = sorted(r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r)
    assert base == ["aiohttp>=3.9", "pynacl>=1.5"]
    assert set(metadata.get_all("Provides-Extra") or []) >= {"mqtt", "cli", "sim", "broker", "all"}

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        env=env,
        timeout=600,
    )
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    installed = {entry["name"].lower() for entry in json.loads(listed.stdout)}
    assert {"nukilocal", "aiohttp", "pynacl"} <= installed
    assert not installed & {"rich", "aiomqtt", "amqtt", "paho-mqtt"}, installed

    bridge = subprocess.run(
        [python, "-c", CLEAN_VENV_CHECK],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert bridge.returncode == 0, bridge.stderr
    assert bridge.stdout == "3 devices\n"

    nuki = subprocess.run(
        [venv / "bin" / "nuki", "bridge", "info"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert nuki.returncode == 1
    assert nuki.stderr == (
        "error: the nuki command line needs: pip install 'nukilocal[cli]' (rich is missing)\n"
    )
