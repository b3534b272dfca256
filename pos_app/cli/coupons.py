"""`pos-app coupon ...` and `pos-app invite ...`: coupons, invite cards, the leaderboard, owed rewards."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.cli.base import check_output_path, write_output
from pos_app.domain import coupons as rules
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen, parse_percent_bp, parse_yuan


def _coupon_line(c: Any) -> str:
    state = messages.translate(f"coupon.state.{c.state}")
    owner = c.member_phone or messages.translate("coupon.bearer")
    return f"{c.code}  {c.name}  {state}  {c.valid_from}~{c.valid_until}  {owner}"


def _coupon_text(c: Any) -> str:
    lines = [
        _coupon_line(c),
        f"  {messages.translate('coupon.kind.' + c.kind)}: "
        + (f"{c.percent_bp / 100:g}%" if c.kind == rules.PERCENT_OFF else format_fen(c.value_fen))
        + f"  {messages.translate('coupon.min_spend_label')}: {format_fen(c.min_spend_fen)}",
    ]
    if c.discount_fen is not None:
        lines.append(f"  {messages.translate('coupon.discount_label')}: {format_fen(c.discount_fen)}")
    if c.void_reason:
        lines.append(f"  {messages.translate('coupon.void_reason_label')}: {c.void_reason}")
    return "\n".join(lines)


def _date(text: str | None) -> Any:
    from datetime import date  # noqa: PLC0415

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("campaign.bad_field", field="date", value=text) from None


def cmd_template_add(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    t = rules.Template(
        code=a.code, name=a.name, kind=a.kind,
        value_fen=parse_yuan(a.value, allow_zero=True) if a.value else 0,
        percent_bp=parse_percent_bp(a.percent) if a.percent else 0,
        max_discount_fen=parse_yuan(a.max_discount, allow_zero=True) if a.max_discount else 0,
        min_spend_fen=parse_yuan(a.min_spend, allow_zero=True) if a.min_spend else 0,
        valid_days=a.valid_days or 0,
        valid_from=_date(a.valid_from),
        valid_until=_date(a.valid_until),
        category=a.category or "", bearer=a.bearer,
    )
    dto = coupons.add_template(cli.ctx, cli.actor(), t)
    return int(cli.emit(dto, f"{dto.code}  {dto.name}"))


def cmd_template_list(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    rows = coupons.list_templates(cli.ctx, cli.actor())
    return int(cli.emit(rows, lambda: "\n".join(
        f"{t.code:<10} {t.kind:<16} "
        + (f"{t.percent_bp / 100:g}%" if t.kind == rules.PERCENT_OFF else format_fen(t.value_fen))
        + f"  min {format_fen(t.min_spend_fen)}  "
        + (f"{t.valid_days}d" if t.valid_days else f"{t.valid_from or ''}~{t.valid_until}")
        + f"  {t.name}" for t in rows) or "-"))


def _member_id(cli: Any, phone: str | None) -> str | None:
    if not phone:
        return None
    from pos_app.services import members  # noqa: PLC0415

    return str(members.get_member(cli.ctx, cli.actor(), phone=phone).member_id)


def cmd_issue(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    rows = coupons.issue_coupons(cli.ctx, cli.actor(), template_code=a.template, phone=a.phone, count=a.count,
                                 reason=a.reason, request_id=a.request_id)
    return int(cli.emit(rows, lambda: "\n".join(_coupon_line(c) for c in rows)))


def cmd_show(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    dto = coupons.get_coupon(cli.ctx, cli.actor(), a.code)
    return int(cli.emit(dto, lambda: _coupon_text(dto)))


def cmd_history(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    rows = coupons.coupon_history(cli.ctx, cli.actor(), a.code)
    return int(cli.emit(rows, lambda: "\n".join(
        f"{cli.local(e.at)} {e.kind:<7} {e.staff_code or '-':<8} "
        f"{format_fen(e.discount_fen) if e.discount_fen is not None else ''} {e.reason or ''}" for e in rows)))


def cmd_list(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    rows = coupons.list_coupons(cli.ctx, cli.actor(), member_id=_member_id(cli, a.phone), state=a.state, limit=a.limit)
    return int(cli.emit(rows, lambda: "\n".join(_coupon_line(c) for c in rows) or "-"))


def cmd_redeem(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    amount = parse_yuan(a.amount, allow_zero=True)
    member_id = _member_id(cli, a.phone)
    if a.from_balance:
        if member_id is None:
            raise InvalidInput("member.query_missing")
        res = coupons.pay_with_coupon(cli.ctx, cli.actor(), member_id=member_id, amount_fen=amount, code=a.code,
                                      request_id=a.request_id)
    else:
        res = coupons.redeem_coupon(cli.ctx, cli.actor(), code=a.code, amount_fen=amount, member_id=member_id,
                                    request_id=a.request_id)
    return int(cli.emit(res, lambda: messages.translate(
        "coupon.redeemed", {"code": res.coupon_code, "discount": format_fen(res.discount_fen),
                            "payable": format_fen(res.payable_fen)})))


def cmd_void(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import coupons  # noqa: PLC0415

    dto = coupons.void_coupon(cli.ctx, cli.actor(), code=a.code, reason=a.reason, request_id=a.request_id)
    return int(cli.emit(dto, lambda: _coupon_text(dto)))


def cmd_print(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.printing import pdf  # noqa: PLC0415
    from pos_app.services import coupons  # noqa: PLC0415

    if not a.out and not a.escpos:
        raise InvalidInput("coupon.print_target_missing")
    if a.layout is None:  # the config file's coupon_layout (env POS_COUPON_LAYOUT; a bad value: exit 2, its key named)
        from pos_app import config  # noqa: PLC0415

        a.layout = str(config.values()["coupon_layout"])
    rows = coupons.coupons_by_codes(cli.ctx, cli.actor(), a.codes)
    info = coupons.print_info(cli.ctx)
    result: dict[str, Any] = {"codes": [c.code for c in rows], "layout": a.layout}
    printer = None
    if a.escpos:  # a malformed device is refused before the PDF is written
        from pos_app.printing import escpos  # noqa: PLC0415

        printer = escpos.open_printer(a.escpos)
    if a.out:
        check_output_path(a.out, force=a.force)
        pages = write_output(a.out, lambda p: pdf.coupons_pdf(rows, info.store_name, p, layout=a.layout), force=a.force)
        result.update(out=str(a.out), pages=pages)
    if printer is not None:
        with escpos.printer_errors(a.escpos):
            escpos.print_coupons(printer, rows, info.store_name, width_mm=80 if a.layout == "80mm" else 58)
        result["escpos"] = a.escpos
    return int(cli.emit(result, messages.translate("coupon.printed", {"count": len(rows), "out": a.out or a.escpos})))


def cmd_invite_card(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.printing import card as png  # noqa: PLC0415
    from pos_app.printing import pdf  # noqa: PLC0415
    from pos_app.services import referrals  # noqa: PLC0415

    out = Path(a.out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise InvalidInput("invite.card_format", out=str(out))
    check_output_path(out, force=a.force)
    info = referrals.invite_card(cli.ctx, cli.actor(), phone=a.phone)
    if out.suffix.lower() == ".png":
        write_output(out, lambda p: png.invite_card_png(info, p), force=a.force)
    else:
        write_output(out, lambda p: pdf.invite_card_pdf(info, p), force=a.force)
    return int(cli.emit({"out": str(out), "invite_code": info.invite_code, "qr_text": info.qr_text, "phone": info.phone},
                        messages.translate("invite.card_done", {"out": str(out), "code": info.invite_code})))


def cmd_leaderboard(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import referrals  # noqa: PLC0415

    rows = referrals.leaderboard(cli.ctx, cli.actor(), campaign_code=a.campaign, limit=a.limit)
    return int(cli.emit(rows, lambda: "\n".join(
        f"{r.rank:>3}. {referrals.mask_phone(r.phone)}  {r.name or '':<8} {r.successful:>4} / {r.invited}"
        for r in rows) or "-"))


def cmd_issue_due(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import referrals  # noqa: PLC0415

    res = referrals.issue_due(cli.ctx, cli.actor(), include_not_due=a.all, request_id=a.request_id)
    return int(cli.emit(res, lambda: messages.translate("invite.issued_due", {"count": res.issued})))


def cmd_pending(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import referrals  # noqa: PLC0415

    rows = referrals.pending_rewards(cli.ctx, cli.actor(), member_id=_member_id(cli, a.phone), only_owed=a.owed)
    return int(cli.emit(rows, lambda: "\n".join(
        f"{r.phone}  {r.source:<10} {r.name}  {messages.translate('state.' + r.state)}"
        f"{'  ' + str(r.due_on) if r.due_on else ''}{'  ' + r.coupon_code if r.coupon_code else ''}"
        for r in rows) or "-"))


def register(sub: Any, common: argparse.ArgumentParser, add: Any) -> None:
    cp = sub.add_parser("coupon", help="coupons and vouchers").add_subparsers(dest="sub", metavar="ACTION", required=True)
    tp = cp.add_parser("template", help="coupon templates").add_subparsers(dest="tsub", metavar="ACTION", required=True)
    sp = add("add", cmd_template_add, "add a coupon template (manager)", tp)
    sp.add_argument("--code", required=True)
    sp.add_argument("--name", required=True)
    sp.add_argument("--kind", required=True, choices=list(rules.KINDS))
    sp.add_argument("--value", help="yuan (amount off / voucher value)")
    sp.add_argument("--percent", help="percent off, e.g. 15")
    sp.add_argument("--max-discount", help="cap for percent off, yuan")
    sp.add_argument("--min-spend", help="minimum spend, yuan")
    sp.add_argument("--valid-days", type=int, help="valid N days from issue")
    sp.add_argument("--valid-from")
    sp.add_argument("--valid-until")
    sp.add_argument("--category")
    sp.add_argument("--bearer", action="store_true", help="anyone holding it may use it")
    add("list", cmd_template_list, "list coupon templates", tp)

    sp = add("issue", cmd_issue, "issue coupons by hand (manager, with a reason)", cp)
    sp.add_argument("--template", required=True)
    sp.add_argument("--phone", help="the member (omit for bearer coupons)")
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--request-id")
    sp = add("show", cmd_show, "show a coupon", cp)
    sp.add_argument("code")
    sp = add("history", cmd_history, "a coupon's history (issue, redemption, void)", cp)
    sp.add_argument("code")
    sp = add("list", cmd_list, "list coupons", cp)
    sp.add_argument("--phone")
    sp.add_argument("--state", choices=["issued", "redeemed", "voided", "expired"])
    sp.add_argument("--limit", type=int, default=200)
    sp = add("redeem", cmd_redeem, "redeem a coupon on a bill", cp)
    sp.add_argument("code")
    sp.add_argument("--amount", required=True, help="the bill in yuan")
    sp.add_argument("--phone", help="the member paying")
    sp.add_argument("--from-balance", action="store_true", help="pay the rest from the member's stored balance")
    sp.add_argument("--request-id")
    sp = add("void", cmd_void, "void a coupon (manager, with a reason)", cp)
    sp.add_argument("code")
    sp.add_argument("--reason", required=True)
    sp.add_argument("--request-id")
    sp = add("print", cmd_print, "print coupons to a PDF (A4 sheet or 58/80 mm slips) or an ESC/POS printer", cp)
    sp.add_argument("codes", nargs="+", metavar="CODE")
    sp.add_argument("--out", help="PDF file")
    sp.add_argument("--layout", choices=["a4", "58mm", "80mm"], default=None,
                    help="an A4 sheet or one per receipt-printer slip (default: the config file's coupon_layout, a4)")
    sp.add_argument("--escpos", help="ESC/POS device: file:/dev/usb/lp0, network:HOST[:PORT], usb:VID:PID")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link at --out")

    ip = sub.add_parser("invite", help="invite codes and referral rewards").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    sp = add("card", cmd_invite_card, "a member's invite card (PNG or PDF)", ip)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--out", required=True, help="FILE.png or FILE.pdf")
    sp.add_argument("--force", action="store_true", help="write through a symbolic link at --out")
    sp = add("leaderboard", cmd_leaderboard, "inviters ranked by successful invites", ip)
    sp.add_argument("--campaign", help="campaign code (default: the running one)")
    sp.add_argument("--limit", type=int, default=20)
    sp = add("issue-due", cmd_issue_due, "issue the owed rewards whose day has come (daily job)", ip)
    sp.add_argument("--all", action="store_true", help="also those not yet due (issue now)")
    sp.add_argument("--request-id")
    sp = add("pending", cmd_pending, "referral rewards: pending and issued", ip)
    sp.add_argument("--phone")
    sp.add_argument("--owed", action="store_true", help="only what is still owed")
