"""The ``nuki`` command as a user runs it: a real process against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from nukilocal import BridgeClient, LockState, OpenerState
from nukilocal.sim import BridgeSimulator
from tests.support.ids import BACK_DOOR, OPENER, TOKEN

NUKI = [sys.executable, "-m", "nukilocal.cli"]


def _env(sim: BridgeSimulator | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200", "NUKI_TOKEN": TOKEN, **extra}
    if sim is not None:
        env |= {"NUKI_HOST": sim.host, "NUKI_PORT": str(sim.port)}
    return env


async def run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *NUKI,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def read_until(stream: asyncio.StreamReader, needle: str) -> str:
    seen = ""
    while needle not in seen:
        line = await asyncio.wait_for(stream.readline(), 30)
        if not line:
            raise AssertionError(f"stream ended before {needle!r}; got {seen!r}")
        seen += line.decode()
    return seen


async def test_list_and_info(bridge_sim: BridgeSimulator) -> None:
    code, out, _ = await run("bridge", "list", env=_env(bridge_sim))
    assert code == 0
    for name in ("Front door", "Back door", "Building entrance"):
        assert name in out
    code, out, _ = await run("bridge", "info", env=_env(bridge_sim))
    assert code == 0
    assert f"{bridge_sim.hardware_id:X}" in out


async def test_actions_by_name_and_id(bridge_sim: BridgeSimulator) -> None:
    code, out, _ = await run("bridge", "lock", "back door", env=_env(bridge_sim))
    assert (code, "Back door: lock done") == (0, out.strip())
    assert bridge_sim.lock(BACK_DOOR).state_id == LockState.LOCKED
    code, _, _ = await run("bridge", "unlock", f"{OPENER:X}", env=_env(bridge_sim))
    assert code == 0
    assert bridge_sim.opener(OPENER).state_id == OpenerState.RTO_ACTIVE
    code, _, _ = await run(
        "bridge",
        "continuous-mode",
        str(OPENER),
        "on",
        "--token-mode",
        "hashed",
        env=_env(bridge_sim),
    )
    assert code == 0
    assert bridge_sim.opener(OPENER).continuous_mode


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bridge", "lock", "garage"], "no device 'garage' on this bridge"),
        (["bridge", "continuous-mode", "Back door", "on"], "not an opener"),
        (["bridge", "info", "--token", "wrong-token"], "refused the API token"),
    ],
)
async def test_errors_are_one_line(
    bridge_sim: BridgeSimulator, args: list[str], message: str
) -> None:
    code, _, err = await run(*args, env=_env(bridge_sim))
    assert code == 1
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # rich may wrap one long line


async def test_unreachable_bridge(unused_tcp_port: int) -> None:
    env = _env(NUKI_HOST="127.0.0.1", NUKI_PORT=str(unused_tcp_port))
    code, _, err = await run("bridge", "list", env=env)
    assert code == 1
    assert "cannot connect" in err
    assert "Traceback" not in err


async def test_watch_prints_changes_and_removes_its_callback(
    bridge_sim: BridgeSimulator,
) -> None:
    process = await asyncio.create_subprocess_exec(
        *NUKI,
        "watch",
        "--listen-host",
        "127.0.0.1",
        env=_env(bridge_sim),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        await read_until(process.stdout, "Watching 3 device(s)")
        assert len(bridge_sim.callback_urls) == 1
        bridge_sim.opener(OPENER).ring()
        assert "Building entrance" in await read_until(process.stdout, "ring")
        async with BridgeClient(bridge_sim.host, bridge_sim.port, TOKEN) as client:
            await client.lock(BACK_DOOR, bridge_sim.lock(BACK_DOOR).device_type)
        assert "Back door: locked" in await read_until(process.stdout, "Back door: locked")
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
    assert bridge_sim.callback_urls == []


async def test_other_clients_callbacks_survive_watch(bridge_sim: BridgeSimulator) -> None:
    bridge_sim.add_callback("http://127.0.0.1:9/someone-else")
    process = await asyncio.create_subprocess_exec(
        *NUKI, "watch", env=_env(bridge_sim), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await read_until(process.stdout, "Watching")
    process.send_signal(signal.SIGINT)
    await asyncio.wait_for(process.wait(), 30)
    assert bridge_sim.callback_urls == ["http://127.0.0.1:9/someone-else"]


@pytest.fixture
async def sim_process(
    unused_tcp_port: int,
) -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    process = await asyncio.create_subprocess_exec(
        *NUKI,
        "sim",
        "--port",
        str(unused_tcp_port),
        "--token",
        TOKEN,
        # Real time: the ring stays visible for 30 s, long enough to read it back.
        "--time-factor",
        "1",
        env=_env(),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        banner = await read_until(process.stdout, "Ctrl-C to stop")
        assert f"listening on http://127.0.0.1:{unused_tcp_port}" in banner
        assert "Front door" in banner
        yield process, unused_tcp_port
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 30)


async def test_sim_command_and_ctl(
    sim_process: tuple[asyncio.subprocess.Process, int],
) -> None:
    process, port = sim_process
    url = f"http://127.0.0.1:{port}"
    async with BridgeClient("127.0.0.1", port, TOKEN) as client:
        assert len(await client.list_devices()) == 3
        code, out, _ = await run("ctl", "--url", url, "ring", str(OPENER), env=_env())
        assert code == 0
        assert '"rang"' in out
        code, _, _ = await run("ctl", "--url", url, "knob", str(BACK_DOOR), "lock", env=_env())
        assert code == 0
        devices = {d.nuki_id: d for d in await client.list_devices()}
        assert devices[BACK_DOOR].state.state is LockState.LOCKED
        assert devices[OPENER].state.ring_action_state is True
        code, out, _ = await run("ctl", "--url", url, "stats", env=_env())
        assert code == 0
        assert '"maxInFlight": 1' in out
    process.send_signal(signal.SIGINT)
    await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0


async def test_sim_refuses_a_bad_token() -> None:
    code, _, err = await run("sim", "--token", "abc", "--port", "0", env=_env())
    assert code == 1
    assert "6 to 20 characters" in err
