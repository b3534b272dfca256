"""`pos-app campaign ...`: load, list and show campaigns."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.money import format_fen


def _campaign_text(c: Any) -> str:
    lines = [f"{c.code}  {c.name}  {c.starts_on} ~ {c.ends_on}  v{c.version}{'  *' if c.active else ''}"]
    for t in c.tiers:
        extras = ", ".join(f"{i['name']}×{i['quantity']}" for i in t.items)
        lines.append(f"  [{t.code}] {t.name}: {format_fen(t.pay_fen)} -> +{format_fen(t.bonus_fen)} {extras}")
    return "\n".join(lines)


def cmd_campaign_load(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import campaigns  # noqa: PLC0415

    dto = campaigns.load_campaign_file(cli.ctx, cli.actor(), a.file, replace=a.replace)
    return cli.emit(dto, lambda: _campaign_text(dto))


def cmd_campaign_list(cli: Cli, a: argparse.Namespace) -> int:
    """Every campaign; `*` marks the one that applies today. One that runs today but is overlapped by a
    later-starting one says which applies (the rule: the campaign that starts last wins)."""
    from datetime import datetime  # noqa: PLC0415

    from pos_app.services import campaigns  # noqa: PLC0415

    rows = campaigns.list_campaigns(cli.ctx, cli.actor())
    applying = next((c.code for c in rows if c.active), None)
    today = cli.local(datetime.now().astimezone(), "%Y-%m-%d")

    def line(c: Any) -> str:
        text = _campaign_text(c).splitlines()[0]
        if applying and not c.active and str(c.starts_on) <= today <= str(c.ends_on):
            text += "  " + messages.translate("campaign.superseded", {"other": applying})
        return text

    return cli.emit(rows, lambda: "\n".join(line(c) for c in rows) or "-")


def cmd_campaign_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import campaigns  # noqa: PLC0415

    dto = campaigns.get_campaign(cli.ctx, cli.actor(), a.id)
    return cli.emit(dto, lambda: _campaign_text(dto))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    cp = sub.add_parser("campaign", help="campaigns").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("load", cmd_campaign_load, "load a campaign TOML file", cp)
    sp.add_argument("file")
    sp.add_argument("--replace", action="store_true",
                    help="accept a campaign that overlaps another (while they overlap, the later-starting applies)")
    add("list", cmd_campaign_list, "list campaigns", cp)
    sp = add("show", cmd_campaign_show, "show a campaign", cp)
    sp.add_argument("id")
