"""`pos-app member ...`: register, show and find members."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import InvalidInput
from pos_app.domain.levels import parse_birthday
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Day


def _member_text(mdto: Any, level_names: dict[str, str] | None = None) -> str:
    names = level_names or {}
    level = names.get(mdto.level or "") or mdto.level or (next(iter(names.values())) if names else None)
    return "\n".join(
        [
            f"{mdto.phone}  {mdto.name or ''}  [{mdto.member_code}]",
            f"  {messages.translate('label.balance')}: {format_fen(mdto.balance_fen)}"
            f"  ({messages.translate('label.principal')} {format_fen(mdto.principal_fen)}"
            f" / {messages.translate('label.bonus')} {format_fen(mdto.bonus_fen)})",
            f"  {messages.translate('label.points')}: {mdto.points}   {messages.translate('label.invite_code')}: {mdto.invite_code}",
            *([f"  {messages.translate('label.points_pending')}: {mdto.points_pending}"] if mdto.points_pending else []),
            f"  {messages.translate('panel.level')}: {level or messages.translate('panel.no_level')}",
            *([f"  {messages.translate('panel.birthday')}: {mdto.birthday.isoformat()}"] if mdto.birthday else []),
        ]
    )


def cmd_member_add(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members  # noqa: PLC0415

    dto = members.register_member(
        cli.ctx, cli.actor(), phone=a.phone, name=a.name, invite_code=a.invite_code,
        birthday=parse_birthday(a.birthday), request_id=a.request_id,
    )
    return cli.emit(dto, lambda: _member_text(dto))


def cmd_member_edit(cli: Cli, a: argparse.Namespace) -> int:
    """A member's details after registration: today the birthday (the phone, invite code and inviter are
    fixed at registration)."""
    from pos_app.services import levels  # noqa: PLC0415

    day = parse_birthday(a.birthday)
    if day is None:
        raise InvalidInput("member.birthday_invalid", value=a.birthday)
    r = levels.set_birthday(cli.ctx, cli.actor(), phone=a.phone, birthday=day)
    return cli.emit(r, lambda: messages.translate("level.birthday_set", {"phone": r.phone, "day": Day(r.birthday)}))


def cmd_member_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import levels, members  # noqa: PLC0415

    dto = members.get_member(cli.ctx, cli.actor(), phone=a.phone, code=a.code)
    return cli.emit(dto, lambda: _member_text(dto, levels.level_names(cli.ctx, cli.actor())))


def cmd_member_find(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members  # noqa: PLC0415

    rows = members.find_members(cli.ctx, cli.actor(), a.prefix, limit=a.limit)
    return cli.emit(
        rows,
        lambda: "\n".join(f"{r.phone}  {format_fen(r.balance_fen):>12}  {r.name or ''}" for r in rows)
        or messages.translate("member.none_found"),
    )


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    mp = sub.add_parser("member", help="members").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("add", cmd_member_add, "register a member", mp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--name")
    sp.add_argument("--invite-code")
    sp.add_argument("--birthday", help="YYYY-MM-DD (a level's birthday gift)")
    sp.add_argument("--request-id")
    sp = add("edit", cmd_member_edit, "change a member's details (the birthday)", mp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--birthday", required=True, help="YYYY-MM-DD")
    sp = add("show", cmd_member_show, "show a member", mp)
    grp = sp.add_mutually_exclusive_group(required=True)
    grp.add_argument("--phone")
    grp.add_argument("--code")
    sp = add("find", cmd_member_find, "search by phone prefix, member code or name", mp)
    sp.add_argument("prefix")
    sp.add_argument("--limit", type=int, default=50)
