"""The library reaches Home Assistant the way it reaches a HACS user's: its own installer.

The demo stack removes ``nukilocal`` from Home Assistant's venv and offers the
wheel of this checkout next to the package index (demo.hass.prepare_requirements);
Home Assistant reads the manifest's requirement and installs it with uv.
"""

from __future__ import annotations

import json
import subprocess

from demo.hass import INTEGRATION_DIR, hass_venv

from .conftest import RunningStack
from .support import log_records

PROBE = """
import importlib.metadata as md, importlib.util as iu, json
dist = md.distribution("nukilocal")
print(json.dumps({
    "version": dist.version,
    "installer": (dist.read_text("INSTALLER") or "").strip(),
    "direct_url": dist.read_text("direct_url.json"),
    "absent": [m for m in ("rich", "aiomqtt", "amqtt") if iu.find_spec(m) is None],
}))
"""


def test_home_assistant_installed_the_library_itself(running_stack: RunningStack) -> None:
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    (requirement,) = manifest["requirements"]
    installs = [
        r
        for r in log_records(running_stack.log_path)
        if r.logger == "homeassistant.util.package" and f"install of {requirement}" in r.text
    ]
    assert installs, "Home Assistant did not install the requirement itself"
    probe = subprocess.run(
        [str(hass_venv() / "bin" / "python"), "-c", PROBE],
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(probe.stdout)
    # The manifest's pinned version, installed by Home Assistant's uv, not editable.
    assert f"nukilocal=={found['version']}" == requirement
    assert found["installer"] == "uv"
    assert found["direct_url"] is None or '"editable": true' not in found["direct_url"]
    # Only what the integration runs: no command line, MQTT client or broker.
    assert found["absent"] == ["rich", "aiomqtt", "amqtt"]
