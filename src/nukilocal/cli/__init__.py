"""The ``nuki`` command line: talk to bridges and Wi-Fi locks, run the stand-ins.

It needs the ``cli`` extra (``pip install 'nukilocal[cli]'``: rich, and aiomqtt
for ``nuki mqtt`` and ``nuki sim``). This module imports none of it, so that
without the extra the command ends with one line saying what to install instead
of a traceback; the command line itself is :mod:`.app`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..extras import EXTRA_MODULES, install_hint

if TYPE_CHECKING:
    from .app import build_parser

MISSING_CLI_EXTRA = f"the nuki command line needs: {install_hint('cli')}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nuki`` with ``argv`` (default: the process's arguments); the exit status."""
    try:
        from . import app
    except ModuleNotFoundError as err:
        if (err.name or "").partition(".")[0] not in EXTRA_MODULES["cli"]:
            raise
        print(f"error: {MISSING_CLI_EXTRA} ({err.name} is missing)", file=sys.stderr)
        return 1
    return app.main(argv)


def __getattr__(name: str) -> Any:
    """``build_parser``, imported from :mod:`.app` when asked for."""
    if name == "build_parser":
        from . import app

        return app.build_parser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["MISSING_CLI_EXTRA", "build_parser", "main"]
