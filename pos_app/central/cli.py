"""`pos-central`: the head office's console. Works on the central database directly through the central service
functions (the same ones the HTTP admin endpoints call); ``serve`` runs the HTTP server.

Every command takes ``--db URL`` (default: an embedded SQLite file in the user data dir; PostgreSQL:
``postgresql+psycopg://user@host/db``) and ``--json``. Exit codes: 0 done; 2 bad input or a refusal (one line on
stderr, nothing written)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from pos_app.central import services
from pos_app.central.db import to_url
from pos_app.central.services_common import CentralError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _common() -> Parser:
    common = Parser(add_help=False)
    common.add_argument("--db", default=None, help="database URL or SQLite file (default: the embedded one)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    return common


def build_parser() -> Parser:
    common = _common()
    parser = Parser(prog="pos-central", description="pos_app central server (head office)")
    sub = parser.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    sub.add_parser("init", parents=[common], help="create or upgrade the database; a new epoch (stores re-pull)")
    serve = sub.add_parser("serve", parents=[common], help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--workers", type=int, default=1)

    store = sub.add_parser("store", help="stores").add_subparsers(dest="sub", required=True, parser_class=Parser)
    add = store.add_parser("add", parents=[common], help="register a store (prints store_id)")
    add.add_argument("name")
    add.add_argument("--code", default=None, help="the store's code (else the first paired device's store_code)")
    store.add_parser("list", parents=[common], help="list stores")

    device = sub.add_parser("device", help="devices").add_subparsers(dest="sub", required=True, parser_class=Parser)
    code = device.add_parser("code", parents=[common], help="a one-time pairing code for a store's device")
    code.add_argument("--store", required=True, help="store id or code")
    code.add_argument("--hours", type=float, default=services.PAIRING_CODE_HOURS, help="validity (default 24)")
    device.add_parser("list", parents=[common], help="list devices")
    revoke = device.add_parser("revoke", parents=[common], help="revoke a device")
    revoke.add_argument("device_id")

    campaign = sub.add_parser("campaign", help="campaigns").add_subparsers(dest="sub", required=True, parser_class=Parser)
    pub = campaign.add_parser("publish", parents=[common], help="publish a campaign TOML file to stores")
    pub.add_argument("file")
    pub.add_argument("--stores", default=None, help="comma-separated store ids or codes (default: the file's stores)")
    campaign.add_parser("list", parents=[common], help="list published campaigns")

    gift = sub.add_parser("gift", help="gift catalogue").add_subparsers(dest="sub", required=True, parser_class=Parser)
    gpub = gift.add_parser("publish", parents=[common], help="publish a gift catalogue TOML file ([[gifts]]) to stores")
    gpub.add_argument("file")
    gpub.add_argument("--stores", default=None, help="comma-separated store ids or codes (default: all)")
    gift.add_parser("list", parents=[common], help="list head office's gift catalogue")

    conflicts = sub.add_parser("conflicts", parents=[common], help="list conflicts")
    conflicts.add_argument("--store", default=None, help="store id or code")
    conflict = sub.add_parser("conflict", help="one conflict").add_subparsers(dest="sub", required=True, parser_class=Parser)
    resolve = conflict.add_parser("resolve", parents=[common], help="resolve a conflict with a note")
    resolve.add_argument("conflict_id")
    resolve.add_argument("--note", required=True)

    member = sub.add_parser("member", help="members").add_subparsers(dest="sub", required=True, parser_class=Parser)
    show = member.add_parser("show", parents=[common], help="a member's merged view across stores")
    show.add_argument("--phone", required=True)

    report = sub.add_parser("report", help="head office's reports across stores").add_subparsers(
        dest="sub", required=True, parser_class=Parser)
    for name, what in (("campaign", "campaign figures as daily rows, per store and across stores"),
                       ("liability", "the prepaid liability: opening + movements == closing, per store and total")):
        rep = report.add_parser(name, parents=[common], help=what)
        rep.add_argument("--from", dest="from_day", metavar="DATE", required=name == "liability", default=None,
                         help="first store-local day, YYYY-MM-DD" + (" (default: the campaign's start)"
                                                                     if name == "campaign" else ""))
        rep.add_argument("--to", dest="to_day", metavar="DATE", required=name == "liability", default=None,
                         help="last day, included" + (" (default: the campaign's end)" if name == "campaign" else ""))
        rep.add_argument("--store", metavar="ID", default=None, help="one store (id or code); default: every store")
        if name == "campaign":
            rep.add_argument("--campaign", metavar="CODE", default=None, help="only this campaign's recharges and sales (its code)")
        rep.add_argument("--tz", default=None, help="the zone of stores that never told theirs (default Asia/Shanghai)")
        rep.add_argument("--out", metavar="FILE", default=None, help="write the report to FILE.xlsx, .csv or .pdf")
    sub.add_parser("admin-token", parents=[common], help="make a new admin token for the HTTP admin endpoints")
    sub.add_parser("totals", parents=[common], help="central's wallet totals, per store")
    return parser


def _fen(v: int) -> str:
    sign = "-" if v < 0 else ""
    return f"{sign}{abs(v) // 100}.{abs(v) % 100:02d}"


def _text(cmd: str, result: Any) -> str:
    if cmd.startswith("report "):
        return _report_text(cmd, result)
    if cmd == "init":
        lines = [f"database: {result['database']}", f"epoch: {result['epoch']}"]
        if result.get("admin_token"):
            lines.append(f"admin token (shown once): {result['admin_token']}")
        return "\n".join(lines)
    if cmd == "store add":
        return str(result["store_id"])
    if cmd == "store list":
        return "\n".join(f"{s['store_id']}  {s['code'] or '-':10}  {s['name']}  devices={s['devices']}" for s in result) \
            or "no stores"
    if cmd == "device code":
        return f"{result['code']}  (store {result['store_code'] or result['store_id']}, expires {result['expires_at']})"
    if cmd == "device list":
        return "\n".join(f"{d['device_id']}  {d['store_code'] or d['store_id']}  {d['name']}  acked={d['acked_seq']}"
                         + (f"  REVOKED {d['revoked_at']}" if d["revoked_at"] else "") for d in result) or "no devices"
    if cmd == "device revoke":
        return f"revoked {result['device_id']} at {result['revoked_at']}"
    if cmd == "campaign publish":
        return f"published {result['code']} v{result['version']} to {', '.join(result['stores'])}"
    if cmd == "campaign list":
        return "\n".join(f"{c['code']}  v{c['version']}  {', '.join(c['stores'])}  {c['name']}" for c in result) \
            or "no campaigns"
    if cmd == "gift publish":
        return f"published {len(result['gifts'])} gifts to {', '.join(result['stores'])}"
    if cmd == "gift list":
        return "\n".join(f"{g['sku']}  v{g['version']}  {_fen(g['unit_value_fen'])}  {', '.join(g['stores'])}  {g['name']}"
                         for g in result) or "no gifts"
    if cmd in ("conflicts",):
        return "\n".join(f"{c['id']}  {c['kind']:13}  {c['store_code'] or '-'}  {'resolved' if c['resolved'] else 'open'}"
                         f"  {c['detail']}" for c in result) or "no conflicts"
    if cmd == "conflict resolve":
        return f"resolved {result['id']}"
    if cmd == "member show":
        out = []
        for m in result["members"]:
            out.append(f"{m['phone']}  {m['name'] or ''}  member {m['member_id']} (registered at {m['store_code']})")
            out.append(f"  balance {_fen(m['balance_fen'])} (principal {_fen(m['principal_fen'])}, "
                       f"bonus {_fen(m['bonus_fen'])}); stores: {', '.join(m['stores'])}")
            for e in m["history"]:
                out.append(f"  {e['occurred_at'][:19]}  {e['store_code']:8}  {e['kind']:8}  {_fen(e['amount_fen']):>10}"
                           f"  central after {_fen(e['central_principal_after_fen'] + e['central_bonus_after_fen'])}")
            for c in m["coupons"]:
                out.append(f"  coupon {c['code']}  {c['state']}  at {c['state_store']}")
            lv = m["level"]
            out.append(f"  level {lv['level']} since {lv['since'][:19]} ({lv['reason']} at {lv['store_code']})" if lv
                       else "  level: none logged")
            for c in m["level_changes"]:
                out.append(f"  {c['occurred_at'][:19]}  {c['store_code'] or '-':8}  level {c['from_level'] or '-'} -> "
                           f"{c['to_level']}  ({c['reason']})")
            for t in m["tasks"]:
                shown = "?" if t["progress"] is None else (min(t["progress"], t["target"]) if t["target"] else t["progress"])
                out.append(f"  task {t['campaign_code'] or '-'}/{t['task_id']}  {shown}/{t['target'] if t['target'] is not None else '?'}"
                           f"  {t['state']}" + (f"  {t['points']} points" if t["state"] == "completed" else "")
                           + f"  at {t['store_code']}")
        return "\n".join(out)
    if cmd == "admin-token":
        return f"admin token (shown once): {result['admin_token']}"
    return json.dumps(result, ensure_ascii=False, indent=2)


def _report(db: Any, args: argparse.Namespace) -> dict[str, Any]:
    from pos_app.central import report_files, services_reports  # noqa: PLC0415

    if args.out:
        report_files.check_path(args.out)  # before any work
    if args.sub == "campaign":
        result = services_reports.campaign_report(db, from_day=args.from_day, to_day=args.to_day, store=args.store,
                                                  campaign=args.campaign, tz=args.tz)
    else:
        result = services_reports.liability_report(db, from_day=args.from_day, to_day=args.to_day, store=args.store,
                                                   tz=args.tz)
    if args.out:
        result["written"] = str(services_reports.export(result, args.sub, args.out))
    return result


def _report_text(cmd: str, r: dict[str, Any]) -> str:
    scope = r["store"] or "all stores"
    lines = [f"{cmd[7:]} {r['from']} .. {r['to']}  ({scope}" + (f", campaign {r['campaign']})" if r.get("campaign")
                                                               else ")")]
    if cmd == "report campaign":
        lines.append(f"{'store':10} {'date':10} {'recharged':>11} {'bonus':>10} {'new':>4} {'sales':>5} "
                     f"{'paid':>11} {'returns':>10} {'refunded':>10} {'coupons':>8} {'used':>8}")

        def row(store: str, day: str, f: dict[str, Any]) -> str:
            return (f"{store:10} {day:10} {_fen(f['principal_fen']):>11} {_fen(f['bonus_fen']):>10} "
                    f"{f['new_recharging_members']:>4} {f['sales_count']:>5} {_fen(f['sales_fen']):>11} "
                    f"{_fen(f['returns_fen']):>10} {_fen(f['refund_principal_fen']):>10} {f['coupons_issued']:>8} "
                    f"{f['coupons_redeemed']:>8}")

        for st in r["stores"]:
            lines += [row(st["store_code"], d["date"], d) for d in st["days"]]
            lines.append(row(st["store_code"], "total", st["totals"]))
        if not r["store"]:
            lines.append(row("ALL", "total", r["totals"]))
    else:
        parts = [(st["store_code"], st) for st in r["stores"]] + ([] if r["store"] else [("ALL", r["total"])])
        for name, part in parts:
            lines.append(f"{name}: opening {_fen(part['opening']['principal_fen'])} + "
                         f"{_fen(part['opening']['bonus_fen'])} bonus")
            lines += [f"  {m['kind']:13} x{m['count']:<5} {_fen(m['principal_fen']):>12} {_fen(m['bonus_fen']):>12}"
                      for m in part["movements"] if m["count"]]
            lines.append(f"  closing {_fen(part['closing']['principal_fen'])} + {_fen(part['closing']['bonus_fen'])} "
                         f"bonus  {'balanced' if part['balanced'] else 'NOT BALANCED'}"
                         + (f"  over the cap: {len(part['over_cap'])}" if part["cap_fen"] else ""))
    if r.get("written"):
        lines.append(f"written: {r['written']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> Any:
    url = to_url(args.db)
    cmd = " ".join(x for x in (args.cmd, getattr(args, "sub", None)) if x)
    if cmd == "serve":
        from pos_app.central import server  # noqa: PLC0415

        server.serve(url, host=args.host, port=args.port, workers=args.workers)
        return None
    db = services.open_database(url)
    try:
        if cmd == "init":
            return cmd, services.init(db)
        if cmd == "store add":
            return cmd, services.add_store(db, args.name, args.code)
        if cmd == "store list":
            return cmd, services.list_stores(db)
        if cmd == "device code":
            return cmd, services.device_code(db, args.store, args.hours)
        if cmd == "device list":
            return cmd, services.list_devices(db)
        if cmd == "device revoke":
            return cmd, services.revoke_device(db, args.device_id)
        if cmd == "campaign publish":
            stores = [x.strip() for x in args.stores.split(",") if x.strip()] if args.stores else None
            return cmd, services.publish_campaign(db, services.read_campaign_file(args.file), stores)
        if cmd == "campaign list":
            return cmd, services.list_campaigns(db)
        if cmd == "gift publish":
            stores = [x.strip() for x in args.stores.split(",") if x.strip()] if args.stores else None
            return cmd, services.publish_gifts(db, services.read_gift_file(args.file), stores)
        if cmd == "gift list":
            return cmd, services.list_gifts(db)
        if cmd == "conflicts":
            return cmd, services.list_conflicts(db, args.store)
        if cmd == "conflict resolve":
            return cmd, services.note_conflict(db, args.conflict_id, args.note, author="head office", resolve=True)
        if cmd == "member show":
            return cmd, services.member_show(db, args.phone)
        if cmd in ("report campaign", "report liability"):
            return cmd, _report(db, args)
        if cmd == "admin-token":
            return cmd, services.new_admin_token(db)
        if cmd == "totals":
            return cmd, services.totals(db)
        raise CentralError(400, "bad_input", f"unknown command {cmd}")
    finally:
        db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        done = run(args)
    except CentralError as err:
        if getattr(args, "json", False):
            print(json.dumps({"error": err.code, "message": err.message}, ensure_ascii=False), file=sys.stderr)
        else:
            print(f"pos-central: {err.message}", file=sys.stderr)
        return 2
    except Exception as exc:  # a database that cannot be opened or reached: one line, not a traceback
        from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

        if isinstance(exc, SQLAlchemyError | OSError):
            print(f"pos-central: database error: {str(exc).splitlines()[0][:300]}", file=sys.stderr)
            return 2
        raise
    if done is None:
        return 0
    cmd, result = done
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=None if os.environ.get("POS_JSON_COMPACT") else 2))
    else:
        print(_text(cmd, result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
