"""`pos-app points ...`: members' points."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app.cli.base import Add, Cli


def cmd_points_expire(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    n = wallet.expire_points(cli.ctx, cli.actor())
    return cli.emit({"expired_points": n}, str(n))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    pp = sub.add_parser("points", help="points").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add("expire", cmd_points_expire, "apply points expiry now", pp)
