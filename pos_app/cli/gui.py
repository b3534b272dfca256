"""`pos-app gui` (the default command): the desktop app, or with --smoke a check that it opens."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app.cli.base import Add, Cli


def cmd_gui(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.domain.errors import DomainError  # noqa: PLC0415
    from pos_app.ui.main import run_gui  # noqa: PLC0415

    try:
        db = cli.db_path
    except DomainError:  # the settings file cannot be read: the window says so (a smoke run, on stderr)
        if a.smoke:
            raise
        db = ""
    return run_gui(db, lang=getattr(a, "lang", None), smoke=a.smoke)


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    sp = add("gui", cmd_gui, "start the desktop app (default)")
    sp.add_argument("--smoke", action="store_true", help="open the main window, check the database, exit")
