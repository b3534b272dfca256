"""`pos-app audit ...`: the audit trail for managers (the chain itself is checked by `pos-app doctor`).

    audit list [--staff-code CODE] [--action A|GROUP.] [--since DAY] [--until DAY] [--phone P] [--limit N]
    audit export --out FILE.csv|.xlsx [the same filters]

Days are store-local (YYYY-MM-DD); a cashier or staff member is refused (exit 3)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from pos_app import messages
from pos_app.cli.base import date_arg


def _date(text: str | None) -> date | None:
    return date_arg(text, "audit.date_invalid")


def _filters(a: argparse.Namespace) -> dict[str, Any]:
    return {"staff": a.staff_code, "action": a.action, "since": _date(a.since), "until": _date(a.until), "phone": a.phone}


def _line(r: Any, cli: Any) -> str:
    from pos_app.services.audit import moves_text  # noqa: PLC0415

    at = cli.local(r.at, "%Y-%m-%d %H:%M:%S")
    who = (r.staff_code or "-") + (f" ({r.approved_by_code})" if r.approved_by_code else "")
    moved = moves_text(r.details)
    return f"{r.seq:>7}  {at}  {who:<14} {r.action:<22} {r.entity}:{r.entity_id}" + (f"  [{moved}]" if moved else "")


def cmd_list(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import audit  # noqa: PLC0415

    rows = audit.audit_rows(cli.ctx, cli.actor(), limit=a.limit, **_filters(a))
    return int(cli.emit(rows, lambda: "\n".join(_line(r, cli) for r in rows) or messages.translate("audit.none")))


def cmd_export(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import audit  # noqa: PLC0415

    limit = audit.MAX_ROWS if a.limit is None else a.limit
    path = audit.export_audit(cli.ctx, cli.actor(), a.out, limit=limit, **_filters(a))
    return int(cli.emit({"path": str(path)}, messages.translate("audit.exported_cli", {"path": str(path)})))


def register(sub: Any, common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    ap = sub.add_parser("audit", help="the audit trail (manager)").add_subparsers(dest="sub", metavar="ACTION",
                                                                                 required=True)
    for name, handler, help_ in (("list", cmd_list, "audit rows, newest first"),
                                 ("export", cmd_export, "write audit rows to a .csv or .xlsx file")):
        sp = add(name, handler, help_, ap)
        sp.add_argument("--staff-code", dest="staff_code", help="staff code (who did it or approved it)")
        sp.add_argument("--action", help="an action (wallet.refund) or a group ending in '.' (wallet.)")
        sp.add_argument("--since", help="first store-local day, YYYY-MM-DD")
        sp.add_argument("--until", help="last store-local day, YYYY-MM-DD")
        sp.add_argument("--phone", help="rows about this member")
        sp.add_argument("--limit", type=int, default=200 if name == "list" else None)
        if name == "export":
            sp.add_argument("--out", required=True, help="FILE.csv or FILE.xlsx")
