"""The ``nuki`` command line itself (needs the ``cli`` extra; see :mod:`nukilocal.cli`).

Every library error ends the command with one readable line on stderr and
exit status 1; tracebacks are reserved for bugs.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, cast

from rich.console import Console

from ..exceptions import NukiError
from ..extras import MissingExtraError
from . import bridge, mqtt, sim

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]

err_console = Console(stderr=True, highlight=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nuki",
        description="Control Nuki devices through a bridge or MQTT, and run device stand-ins.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    bridge.register(subparsers)
    sim.register(subparsers)
    mqtt.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = cast(Handler, args.func)
    try:
        return asyncio.run(handler(args))
    except KeyboardInterrupt:
        return 130
    except (NukiError, MissingExtraError) as err:
        err_console.print(f"error: {err}", markup=False)
        return 1
    except OSError as err:
        # Binding a port that is taken, a config file that is missing, ...
        err_console.print(f"error: {err.strerror or err}", markup=False)
        return 1
