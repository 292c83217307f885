"""The demo: the bridge stand-in, its devices through the CLI, and live changes.

Starts ``nuki sim`` (the default devices), lists them with ``nuki bridge list``,
runs ``nuki watch`` so every state change the bridge reports is printed, and acts
on the physical world every few seconds: a ring at the opener, a knob turned by
hand, a lock command. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys

from nukilocal import BridgeClient, LockAction
from nukilocal.sim.config import DEFAULT_TOKEN
from nukilocal.sim.control import SimControlClient

NUKI = [sys.executable, "-m", "nukilocal.cli"]
FRONT_DOOR, BACK_DOOR, OPENER = 1015571181, 437991291, 930999314


def free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])


async def main() -> int:
    port = free_port(8080)
    env = {
        **os.environ,
        "NUKI_HOST": "127.0.0.1",
        "NUKI_PORT": str(port),
        "NUKI_TOKEN": DEFAULT_TOKEN,
    }
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    processes: list[asyncio.subprocess.Process] = []
    try:
        sim = await asyncio.create_subprocess_exec(
            *NUKI,
            "sim",
            "--port",
            str(port),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            # Own sessions: Ctrl-C reaches only the demo, which stops the watcher
            # first (it removes its callback) and the stand-in last.
            start_new_session=True,
        )
        processes.append(sim)
        assert sim.stdout is not None
        while b"Ctrl-C" not in (line := await sim.stdout.readline()):
            if not line:
                return 1
            sys.stdout.write(line.decode())
        print("\n$ nuki bridge list")
        lister = await asyncio.create_subprocess_exec(*NUKI, "bridge", "list", env=env)
        await lister.wait()
        print("\n$ nuki watch   (state changes as the bridge reports them; Ctrl-C stops)")
        watch = await asyncio.create_subprocess_exec(
            *NUKI, "watch", env=env, start_new_session=True
        )
        processes.append(watch)
        url = f"http://127.0.0.1:{port}"
        async with (
            SimControlClient(url, DEFAULT_TOKEN) as world,
            BridgeClient("127.0.0.1", port, DEFAULT_TOKEN) as bridge,
        ):
            while len(await world.callbacks()) == 0 and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.2)
            script = [
                ("ring at the opener", world.ring(OPENER)),
                ("turn the back door's knob", world.turn_knob(BACK_DOOR, lock=True)),
                ("unlock the front door", bridge.lock_action(FRONT_DOOR, 4, LockAction.UNLOCK)),
                ("open the front door", world.set_door(FRONT_DOOR, is_open=True)),
                ("close it again", world.set_door(FRONT_DOOR, is_open=False)),
                ("lock the front door", bridge.lock_action(FRONT_DOOR, 4, LockAction.LOCK)),
            ]
            for what, step in script:
                if stop.is_set():
                    step.close()
                    continue
                print(f"\n>>> {what}")
                await step
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 4)
        if stop.is_set():
            return 0
        print("\nThe stand-in keeps running; try in another terminal:")
        print(f"  NUKI_PORT={port} NUKI_TOKEN={DEFAULT_TOKEN} .venv/bin/nuki bridge open 3C8862ED")
        print(f"  .venv/bin/nuki ctl --url {url} ring {OPENER}")
        print("Ctrl-C to stop.")
        await stop.wait()
    finally:
        for process in reversed(processes):
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
