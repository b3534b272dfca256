"""`pos-app mall ...` (the points mall) and `pos-app redemption ...` (premium redemption: requests, the
manager's review, fulfilment, the shipping list)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli, check_output_path, write_output
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Count


def item_line(v: Any) -> str:
    _t = messages.translate
    price = [_t("mall.price_points", {"points": Count(v.points)})] if v.points else []
    if v.cash_fen:
        price.append(format_fen(v.cash_fen))
    if v.spend_fen:
        price.append(_t("redemption.price_spend", {"amount": format_fen(v.spend_fen),
                                                  "categories": "、".join(v.categories) or _t("redemption.all_categories")}))
    flags = []
    if v.paused:
        flags.append(_t("redemption.flag.paused"))
    elif v.available <= 0:
        flags.append(_t("redemption.flag.sold_out"))
    elif v.low:
        flags.append(_t("redemption.flag.low"))
    line = f"{v.code}  {v.name}  {' + '.join(price)}  {_t('redemption.stock_line', {'available': Count(v.available), 'quantity': Count(v.quantity), 'reserved': Count(v.reserved)})}"
    if flags:
        line += "  [" + ", ".join(flags) + "]"
    if v.eligible is not None:
        if v.eligible:
            line += "  " + _t("redemption.eligible")
        elif v.spend_short_fen:
            line += "  " + _t("redemption.short_spend", {"amount": format_fen(v.spend_short_fen)})
        else:
            line += "  " + _t("redemption.short_points", {"points": Count(v.points_short)})
    return line


def redemption_line(cli: Cli, r: Any) -> str:
    _t = messages.translate
    line = (f"{r.redemption_id}  {r.code}  {cli.local(r.created_at)}  {r.phone}  {r.item_name}  "
            f"{_t(f'redemption.state.{r.state}')}")
    if r.issued_code:
        line += f"  {r.issued_code}"
    if r.carrier:
        line += f"  {r.carrier} {r.tracking}"
    if r.reason:
        line += f"  ({r.reason})"
    if r.review_overdue:
        line += "  [" + _t("redemption.flag.review_overdue") + "]"
    return line


def _slip(a: argparse.Namespace, r: Any) -> None:
    if a.slip:
        from pos_app.printing.redemption_slip import write_redemption_slip  # noqa: PLC0415

        write_output(a.slip, lambda p: write_redemption_slip(r, p), force=True)


# ----------------------------------------------------------------------------- mall
def cmd_mall_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    rows = mall.items(cli.ctx, cli.actor(), phone=a.phone)
    return cli.emit(rows, lambda: "\n".join(item_line(v) for v in rows) or messages.translate("mall.empty"))


def cmd_mall_redeem(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    if a.slip:
        check_output_path(a.slip, force=a.force)
    r = mall.redeem(cli.ctx, cli.actor(), item=a.item, phone=a.phone, pay_method=a.pay, request_id=a.request_id)
    _slip(a, r)
    return cli.emit(r, lambda: messages.translate(f"mall.redeemed.{r.state}", {
        "item": r.item_name, "code": r.code, "issued": r.issued_code or "", "balance": Count(r.points_balance or 0)}))


def cmd_mall_pickup(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    r = mall.pickup(cli.ctx, cli.actor(), code=a.code, request_id=a.request_id)
    return cli.emit(r, lambda: messages.translate("mall.picked_up", {"item": r.item_name, "phone": r.phone}))


def cmd_mall_import(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    try:
        text = Path(a.file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("file.read_failed", path=a.file, detail=str(exc)) from None
    v = mall.import_codes(cli.ctx, cli.actor(), item=a.item, codes_in=text.splitlines())
    return cli.emit(v, lambda: item_line(v))


def cmd_pause(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    v = mall.set_paused(cli.ctx, cli.actor(), item=a.item, paused=not a.resume, program=a.program)
    return cli.emit(v, lambda: item_line(v))


# ----------------------------------------------------------------------------- premium redemption
def cmd_items(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    rows = redemption.items(cli.ctx, cli.actor(), phone=a.phone)

    def human() -> str:
        out = [item_line(v) for v in rows]
        nxt = redemption.next_item(rows)
        if nxt is not None:
            out.append(messages.translate("redemption.next", {"item": nxt.name}))
        return "\n".join(out) or messages.translate("mall.empty")

    return cli.emit(rows, human)


def cmd_request(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    if a.slip:
        check_output_path(a.slip, force=a.force)
    r = redemption.request(cli.ctx, cli.actor(), item=a.item, phone=a.phone, contact=a.contact, ship_to=a.ship_to,
                           request_id=a.request_id)
    _slip(a, r)
    return cli.emit(r, lambda: redemption_line(cli, r))


def cmd_approve(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    rows = redemption.approve(cli.ctx, cli.actor(), redemption_ids=a.ids)
    return cli.emit(rows if len(rows) > 1 else rows[0], lambda: "\n".join(redemption_line(cli, r) for r in rows))


def cmd_reject(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    r = redemption.reject(cli.ctx, cli.actor(), redemption_id=a.id, reason=a.reason)
    return cli.emit(r, lambda: redemption_line(cli, r))


def cmd_fulfil(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    r = redemption.fulfil(cli.ctx, cli.actor(), redemption_id=a.id, carrier=a.carrier, tracking=a.tracking)
    return cli.emit(r, lambda: redemption_line(cli, r))


def cmd_receive(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    r = redemption.receive(cli.ctx, cli.actor(), redemption_id=a.id)
    return cli.emit(r, lambda: redemption_line(cli, r))


def cmd_cancel(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    r = redemption.cancel(cli.ctx, cli.actor(), redemption_id=a.id, reason=a.reason)
    return cli.emit(r, lambda: redemption_line(cli, r))


def cmd_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import mall  # noqa: PLC0415

    r = mall.get(cli.ctx, cli.actor(), a.id)

    def human() -> str:
        out = [redemption_line(cli, r)]
        for x in r.log:
            out.append(f"  {cli.local(x.at)}  {x.from_state or '-'} -> {x.to_state}  {x.staff_code or '-'}"
                       + (f"  {x.note}" if x.note else ""))
        return "\n".join(out)

    return cli.emit(r, human)


def cmd_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    rows = redemption.queue(cli.ctx, cli.actor(), state=a.state, month=a.month, program=a.program, limit=a.limit)
    return cli.emit(rows, lambda: "\n".join(redemption_line(cli, r) for r in rows)
                    or messages.translate("redemption.none"))


def cmd_receive_due(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    n = redemption.auto_receive(cli.ctx, cli.actor())
    return cli.emit({"received": int(n)}, lambda: messages.translate("redemption.auto_received", {"count": Count(n)}))


def cmd_export(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import redemption  # noqa: PLC0415

    check_output_path(a.out, force=a.force)
    path = write_output(a.out, lambda p: redemption.export_shipping(cli.ctx, cli.actor(), p, state=a.state,
                                                                    month=a.month), force=True)
    return cli.emit({"path": str(path)}, str(path))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    mp = sub.add_parser("mall", help="the points mall").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("list", cmd_mall_list, "the mall's items, stock and (with --phone) what the member may redeem", mp)
    sp.add_argument("--phone")
    sp = add("redeem", cmd_mall_redeem, "redeem an item for a member's points (and cash)", mp)
    sp.add_argument("item")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--pay", help="how the cash part is paid (cash, wechat, alipay, card, other)")
    sp.add_argument("--slip", help="write the redemption slip (PDF) here")
    sp.add_argument("--force", action="store_true", help="overwrite the slip file")
    sp.add_argument("--request-id", dest="request_id")
    sp = add("pickup", cmd_mall_pickup, "hand out the gift of a redemption slip (its 核销 code)", mp)
    sp.add_argument("code")
    sp.add_argument("--request-id", dest="request_id")
    sp = add("import-codes", cmd_mall_import, "import external redemption codes, one a line (manager)", mp)
    sp.add_argument("item")
    sp.add_argument("file")
    sp = add("pause", cmd_pause, "pause an item, or --resume it (manager)", mp)
    sp.add_argument("item")
    sp.add_argument("--resume", action="store_true")
    sp.set_defaults(program="mall")

    rp = sub.add_parser("redemption", help="premium redemption").add_subparsers(dest="sub", metavar="ACTION",
                                                                                 required=True)
    sp = add("items", cmd_items, "the premium items; with --phone what the member is eligible for", rp)
    sp.add_argument("--phone")
    sp = add("request", cmd_request, "a member's request for a premium item (reserves it, holds the points)", rp)
    sp.add_argument("item")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--ship-to", dest="ship_to", help="the delivery address (shipping)")
    sp.add_argument("--contact", help="the contact phone (default: the member's)")
    sp.add_argument("--slip", help="write the request slip (PDF) here")
    sp.add_argument("--force", action="store_true", help="overwrite the slip file")
    sp.add_argument("--request-id", dest="request_id")
    sp = add("approve", cmd_approve, "approve one or more requests (manager)", rp)
    sp.add_argument("ids", nargs="+", metavar="ID")
    sp = add("reject", cmd_reject, "reject a request with a reason: stock and points go back (manager)", rp)
    sp.add_argument("id")
    sp.add_argument("--reason", required=True)
    sp = add("fulfil", cmd_fulfil, "hand over in store (ID or the scanned code), or ship with --carrier --tracking", rp)
    sp.add_argument("id")
    sp.add_argument("--carrier")
    sp.add_argument("--tracking")
    sp = add("receive", cmd_receive, "the member confirms receipt", rp)
    sp.add_argument("id")
    sp = add("cancel", cmd_cancel, "cancel a request before fulfilment: stock and points go back", rp)
    sp.add_argument("id")
    sp.add_argument("--reason")
    sp = add("show", cmd_show, "one request (ID or code) with every change, who and when", rp)
    sp.add_argument("id")
    sp = add("list", cmd_list, "requests, newest first (the review queue)", rp)
    sp.add_argument("--state")
    sp.add_argument("--month", help="YYYY-MM (store-local)")
    sp.add_argument("--limit", type=int, default=500)
    sp.set_defaults(program="premium")
    add("receive-due", cmd_receive_due, "receive fulfilled requests whose working days have passed (daily job)", rp)
    sp = add("export", cmd_export, "the shipping list (XLSX or CSV by --out's suffix; manager)", rp)
    sp.add_argument("--out", required=True)
    sp.add_argument("--state", default="approved")
    sp.add_argument("--month")
    sp.add_argument("--force", action="store_true")
    sp = add("pause", cmd_pause, "pause a premium item, or --resume it (manager)", rp)
    sp.add_argument("item")
    sp.add_argument("--resume", action="store_true")
    sp.set_defaults(program="premium")
