"""`pos-app sale ...` (ring up a sale), `sale show ID`, `sale return ID`, `sales --phone P`."""

from __future__ import annotations

import argparse
import re
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.textparams import Money

_QTY = re.compile(r"^(?P<code>.+?)[xX×*](?P<qty>\d{1,4})$")


def parse_line(text: str) -> Any:
    """``BARCODE[xQTY]`` or ``CATEGORY:AMOUNT`` (yuan)."""
    from pos_app.services.checkout import LineInput  # noqa: PLC0415

    raw = str(text or "").strip()
    if ":" in raw or "：" in raw:
        cat, _, amount = raw.replace("：", ":").partition(":")
        if not cat.strip():
            raise InvalidInput("cli.line_invalid", line=raw)
        return LineInput(category=cat.strip(), amount_fen=parse_yuan(amount, field="line"))
    m = _QTY.match(raw)
    if m:
        return LineInput(barcode=m.group("code"), qty=int(m.group("qty")))
    if not raw:
        raise InvalidInput("cli.line_invalid", line=raw)
    return LineInput(barcode=raw)


def parse_pay(text: str) -> tuple[str, int | None, int | None]:
    """``METHOD[:AMOUNT[:TENDERED]]`` (yuan): (method, amount or None for the rest, tendered)."""
    parts = str(text or "").strip().split(":")
    method = parts[0].strip().lower()
    if not method or len(parts) > 3 or (len(parts) == 3 and method != "cash"):
        raise InvalidInput("cli.pay_invalid", pay=str(text))
    amount = parse_yuan(parts[1], field="pay") if len(parts) > 1 and parts[1].strip() else None
    tendered = parse_yuan(parts[2], field="tendered") if len(parts) > 2 else None
    return method, amount, tendered


def _sale_json(res: Any) -> dict[str, Any]:
    from pos_app.services.dto import to_jsonable  # noqa: PLC0415

    out: dict[str, Any] = to_jsonable(res)
    out["payments"] = {p["method"]: p for p in out["payments"]}
    out["points"] = res.points_earned
    return out


def _sale_human(cli: Cli, res: Any) -> str:
    lines = [messages.translate("sale.done", {"receipt": res.receipt_no, "total": Money(res.total_fen),
                                              "paid": Money(res.paid_fen), "points": res.points_earned})]
    lines.append(f"  sale_id: {res.sale_id}  {cli.local(res.occurred_at)}")
    for ln in res.lines:
        back = f"  (-{ln.returned_qty})" if ln.returned_qty else ""
        lines.append(f"  {ln.no:>2}. {ln.name} x{ln.qty} {format_fen(ln.unit_fen)} = {format_fen(ln.amount_fen)}{back}")
    if res.saving_fen:
        lines.append("  " + messages.translate("sale.saving", {"amount": Money(res.saving_fen)}))
    if res.discount_fen:
        lines.append("  " + messages.translate("sale.discount", {"amount": Money(res.discount_fen),
                                                                  "code": res.coupon_code or "-"}))
    for p in res.payments:
        extra = f" ({format_fen(p.principal_fen)} / {format_fen(p.bonus_fen)})" if p.method == "balance" else ""
        lines.append(f"  {messages.translate('checkout.method.' + p.method)}: {format_fen(p.amount_fen)}{extra}")
    if res.change_fen:
        lines.append("  " + messages.translate("sale.change", {"amount": Money(res.change_fen)}))
    if res.principal_after_fen is not None and res.bonus_after_fen is not None:
        lines.append("  " + messages.translate("sale.balance_after", {
            "balance": Money(res.principal_after_fen + res.bonus_after_fen)}))
    for r in res.returns:
        lines.append("  " + messages.translate("sale.returned_line", {
            "at": cli.local(r.occurred_at), "amount": Money(sum(x.amount_fen for x in r.refunds))}))
    return "\n".join(lines)


def cmd_sale(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout, members  # noqa: PLC0415

    if bool(a.phone) == bool(a.walk_in):
        raise InvalidInput("cli.sale_who")
    if not a.line:
        raise InvalidInput("checkout.no_lines")
    lines = [parse_line(x) for x in a.line]
    pays = [parse_pay(x) for x in a.pay or []]
    ctx, actor = cli.ctx, cli.actor()
    member_id = members.get_member(ctx, actor, phone=a.phone).member_id if a.phone else None
    rest = [p for p in pays if p[1] is None]
    if len(rest) > 1:
        raise InvalidInput("cli.pay_rest_twice")
    if rest:  # the one payment without an amount takes what the others leave
        q = checkout.quote(ctx, actor, member_id=member_id, lines=lines, coupon_code=a.coupon)
        left = q.total_fen - sum(p[1] or 0 for p in pays)
        if left <= 0:
            raise InvalidInput("checkout.pay_mismatch", total=Money(q.total_fen),
                               paid=Money(sum(p[1] or 0 for p in pays)))
        pays = [(mth, left if amt is None else amt, ten) for mth, amt, ten in pays]
    payments = [checkout.PaymentInput(mth, amt or 0, ten) for mth, amt, ten in pays]
    res = checkout.ring_up(ctx, actor, request_id=a.request_id, member_id=member_id, lines=lines,
                           coupon_code=a.coupon, payments=payments)
    if cli.json:
        return cli.emit(_sale_json(res), "")
    return cli.emit(res, lambda: _sale_human(cli, res))


def cmd_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    res = checkout.get_sale(cli.ctx, cli.actor(), a.sale_id)
    if cli.json:
        return cli.emit(_sale_json(res), "")
    return cli.emit(res, lambda: _sale_human(cli, res))


def cmd_return(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout  # noqa: PLC0415

    ctx, actor = cli.ctx, cli.actor()  # a cashier's return: --approver, the manager approving it
    wanted = None
    if a.line:
        sale = checkout.get_sale(ctx, actor, a.sale_id)
        left = {ln.no: ln.qty - ln.returned_qty for ln in sale.lines}
        wanted = []
        for text in a.line:
            m = _QTY.match(text.strip())
            no_text, qty_text = (m.group("code"), m.group("qty")) if m else (text.strip(), None)
            if not no_text.isdigit():
                raise InvalidInput("cli.return_line_invalid", line=text)
            no = int(no_text)
            wanted.append((no, int(qty_text) if qty_text else max(1, left.get(no, 1))))
    res = checkout.return_sale(ctx, actor, request_id=a.request_id, sale_id=a.sale_id, lines=wanted)

    def human() -> str:
        out = [messages.translate("return.done", {"amount": Money(sum(r.amount_fen for r in res.refunds)),
                                                  "points": res.points_taken_back})]
        out += [f"  {messages.translate('checkout.method.' + r.method)}: {format_fen(r.amount_fen)}" for r in res.refunds]
        if res.points_policy_note:
            out.append("  " + res.points_policy_note)
        if res.coupon_reinstated:
            out.append("  " + messages.translate("return.coupon_reinstated"))
        return "\n".join(out)

    return cli.emit(res, human)


def cmd_sales(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import checkout, members  # noqa: PLC0415

    mdto = members.get_member(cli.ctx, cli.actor(), phone=a.phone)
    rows = checkout.member_sales(cli.ctx, cli.actor(), mdto.member_id)
    if cli.json:
        return cli.emit([_sale_json(r) for r in rows], "")
    return cli.emit(rows, lambda: "\n".join(
        f"{cli.local(r.occurred_at)} {r.receipt_no} {format_fen(r.total_fen):>10} {format_fen(r.paid_fen):>10}"
        f" {r.points_earned:>5}{'  ' + messages.translate('sale.has_returns') if r.returns else ''}"
        for r in rows) or messages.translate("sale.none"))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    sp = add("sale", cmd_sale, "ring up a sale (--phone P | --walk-in), or: sale show ID, sale return ID")
    who = sp.add_mutually_exclusive_group()
    who.add_argument("--phone")
    who.add_argument("--walk-in", action="store_true")
    sp.add_argument("--line", action="append", help="BARCODE[xQTY] or CATEGORY:AMOUNT (yuan); repeat for each line")
    sp.add_argument("--coupon", help="a coupon code")
    sp.add_argument("--pay", action="append",
                    help="balance[:AMOUNT], cash:AMOUNT[:TENDERED], wechat:AMOUNT, alipay, card, other; "
                         "one of them without AMOUNT takes the rest")
    sp.add_argument("--request-id")
    ss = sp.add_subparsers(dest="sale_sub", metavar="ACTION", parser_class=type(sp))
    show = add("show", cmd_show, "one sale with its returns (by id or receipt number)", ss)
    show.add_argument("sale_id")
    ret = add("return", cmd_return, "return a whole sale or some lines (manager, or --approver a manager)", ss)
    ret.add_argument("sale_id")
    ret.add_argument("--line", action="append", help="N[xQTY]: line number (and quantity; default all of it)")
    ret.add_argument("--request-id")
    sp = add("sales", cmd_sales, "a member's purchases")
    sp.add_argument("--phone", required=True)
