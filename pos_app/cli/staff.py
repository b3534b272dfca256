"""`pos-app staff ...`: staff accounts (manager; one's own PIN: any role)."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli


def cmd_staff_add(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    dto = staff.add_staff(cli.ctx, cli.actor(), code=a.code, role=a.role, pin=a.new_pin, name=a.name)
    return cli.emit(dto, f"{dto.code} {dto.role}")


def cmd_staff_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    rows = staff.staff_rows(cli.ctx, cli.actor())

    def line(s: Any) -> str:
        last = cli.local(s.last_login_at) if s.last_login_at else "-"
        locked = f"  {messages.translate('staff.locked_until', {'until': cli.local(s.locked_until)})}" if s.locked_until else ""
        off = f"  {messages.translate('staff.off')}" if not s.active else ""
        return f"{s.code:<10} {s.role:<8} {s.name}  {messages.translate('staff.last_login')} {last}{locked}{off}"

    return cli.emit(rows, lambda: "\n".join(line(s) for s in rows))


def _staff_done(cli: Cli, dto: Any) -> int:
    return cli.emit(dto, f"{dto.code} {dto.role} {'' if dto.active else messages.translate('staff.off')}".rstrip())


def cmd_staff_disable(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.set_staff_active(cli.ctx, cli.actor(), a.code, False))


def cmd_staff_enable(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.set_staff_active(cli.ctx, cli.actor(), a.code, True))


def cmd_staff_reset_pin(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.reset_pin(cli.ctx, cli.actor(), a.code, a.new_pin))


def cmd_staff_role(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.change_role(cli.ctx, cli.actor(), a.code, a.role))


def cmd_staff_unlock(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.unlock(cli.ctx, cli.actor(), a.code))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    stp = sub.add_parser("staff", help="staff accounts (manager)").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("add", cmd_staff_add, "add a staff account", stp)
    sp.add_argument("--code", required=True)
    sp.add_argument("--role", required=True, choices=["cashier", "staff", "manager"])
    sp.add_argument("--new-pin", "--password", dest="new_pin", required=True, help="the new account's PIN")
    sp.add_argument("--name")
    add("list", cmd_staff_list, "list staff accounts with last login and lock", stp)
    for name, handler, help_ in (("disable", cmd_staff_disable, "disable an account"),
                                 ("enable", cmd_staff_enable, "re-enable an account"),
                                 ("unlock", cmd_staff_unlock, "lift a PIN lock")):
        add(name, handler, help_, stp).add_argument("code")
    sp = add("reset-pin", cmd_staff_reset_pin, "set an account's PIN (one's own: any role)", stp)
    sp.add_argument("code")
    sp.add_argument("--new-pin", dest="new_pin", required=True, help="the new PIN")
    sp = add("role", cmd_staff_role, "change an account's role", stp)
    sp.add_argument("code")
    sp.add_argument("role", choices=["cashier", "staff", "manager"])
