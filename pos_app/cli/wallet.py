"""`pos-app recharge`, `spend`, `refund`, `statement` and `wallet adjust`: a member's stored value."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import format_fen, parse_signed_yuan, parse_yuan
from pos_app.domain.textparams import Money


def cmd_recharge(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    amount = parse_yuan(a.amount) if a.amount is not None else None
    res = wallet.recharge(
        cli.ctx, cli.actor(), phone=a.phone, amount_fen=amount, tier_code=a.tier, pay_method=a.pay, request_id=a.request_id
    )

    def human() -> str:
        lines = [
            messages.translate(
                "recharge.done",
                {"amount": Money(res.principal_fen), "value": Money(res.bonus_fen), "balance": Money(res.balance_fen),
                 "points": res.points},
            ),
            f"  {messages.translate('recharge.receipt_no')}: {res.receipt_no}",
            f"  recharge_id: {res.recharge_id}",
        ]
        lines += [
            f"  - {i.name} ({i.kind}, {i.state}{', ' + str(i.due_on) if i.due_on else ''}{', ' + i.code if i.code else ''})"
            for i in res.items
        ]
        return "\n".join(lines)

    return cli.emit(res, human)


def cmd_spend(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    res = wallet.spend(cli.ctx, cli.actor(), phone=a.phone, amount_fen=parse_yuan(a.amount), request_id=a.request_id, note=a.note)
    return cli.emit(
        res,
        lambda: messages.translate(
            "spend.done",
            {"amount": Money(res.amount_fen), "principal": format_fen(res.principal_fen), "bonus": format_fen(res.bonus_fen),
             "balance": Money(res.balance_fen)},
        ),
    )


def _check_slip_path(path: str) -> None:
    """Before anything is written: a slip path that cannot be a new file is refused in one line (exit 2)."""
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.isdir(target) or not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise InvalidInput("file.write_failed", path=path, detail=messages.translate("file.not_writable"))


def _write_slip(path: str, render: Callable[[Any], None]) -> None:
    """Render a PDF in memory, then write it; a path that cannot be written is one clear line (exit 2)."""
    import io  # noqa: PLC0415

    buf = io.BytesIO()
    render(buf)
    try:
        with open(path, "wb") as f:
            f.write(buf.getvalue())
    except OSError as exc:
        raise InvalidInput("file.write_failed", path=path, detail=exc.strerror or str(exc)) from None


def cmd_refund(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    ctx, actor = cli.ctx, cli.actor()
    if a.slip:
        _check_slip_path(a.slip)
    res = wallet.refund(ctx, actor, recharge_id=a.recharge, request_id=a.request_id, reason=a.reason, method=a.method)
    if a.slip:
        from pos_app.printing import pdf  # noqa: PLC0415
        from pos_app.services.counter import store_brief  # noqa: PLC0415

        brief = store_brief(ctx)
        _write_slip(a.slip, lambda out: pdf.refund_slip(res, brief.name, out, tz=brief.timezone))

    def human() -> str:
        lines = [messages.translate(
            "refund.done",
            {"amount": Money(res.principal_refund_fen), "value": Money(res.bonus_revoke_fen), "points": res.points_revoked,
             "balance": Money(res.balance_fen)},
        )]
        lines.append("  " + messages.translate("refund.refundable", {"amount": Money(res.principal_refundable_fen)}))
        for d in res.deductions:
            lines.append("  " + messages.translate("refund.deduction", {"kind": d.kind, "name": d.name, "value": Money(d.value_fen)}))
        if res.deductions:
            lines.append("  " + messages.translate("refund.deductions_total", {"value": Money(res.deductions_fen)}))
        lines.append("  " + messages.translate(f"refund.paid_back.{res.method}", {"pay": res.pay_method}))
        if a.slip:
            lines.append("  " + messages.translate("refund.slip_written", {"path": a.slip}))
        return "\n".join(lines)

    return cli.emit(res, human)


def cmd_statement(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members, wallet  # noqa: PLC0415

    mdto = members.get_member(cli.ctx, cli.actor(), phone=a.phone)
    rows = wallet.statement(cli.ctx, cli.actor(), member_id=mdto.member_id)
    return cli.emit(
        rows,
        lambda: "\n".join(
            f"{cli.local(r.created_at)} {r.kind:<9} {format_fen(r.principal_delta_fen):>12} {format_fen(r.bonus_delta_fen):>10}"
            f"  -> {format_fen(r.principal_after_fen)} / {format_fen(r.bonus_after_fen)}"
            for r in rows
        ),
    )


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_fen(fen)


def cmd_adjust(cli: Cli, a: argparse.Namespace) -> int:
    """A manager's correction of a member's stored value (a cashier: --approver, a manager approving it)."""
    from pos_app.services import wallet  # noqa: PLC0415

    principal = parse_signed_yuan(a.principal, field="principal") if a.principal is not None else 0
    bonus = parse_signed_yuan(a.bonus, field="bonus") if a.bonus is not None else 0
    res = wallet.adjust(cli.ctx, cli.actor(), phone=a.phone, principal_fen=principal, bonus_fen=bonus,
                        reason=a.reason, request_id=a.request_id)
    return cli.emit(res, lambda: messages.translate("wallet.adjusted", {
        "phone": res.phone, "principal": _signed(res.principal_delta_fen), "bonus": _signed(res.bonus_delta_fen),
        "balance": Money(res.balance_fen),
        "principal_after": Money(res.principal_balance_fen), "bonus_after": Money(res.bonus_balance_fen)}))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    sp = add("recharge", cmd_recharge, "recharge a member's stored value")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--amount", help="yuan, e.g. 500 or 99.90 (default: the tier's price)")
    sp.add_argument("--tier")
    sp.add_argument("--pay", default="cash", choices=["cash", "wechat", "alipay", "card", "other"])
    sp.add_argument("--request-id")
    sp = add("spend", cmd_spend, "pay from a member's balance")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--amount", required=True)
    sp.add_argument("--note")
    sp.add_argument("--request-id")
    sp = add("refund", cmd_refund, "refund a recharge (manager): unspent principal less the perks used or kept")
    sp.add_argument("--recharge", required=True)
    sp.add_argument("--method", choices=["original", "cash"], default="original",
                    help="pay back to the recharge's payment method (default) or in cash")
    sp.add_argument("--slip", metavar="PATH", help="also save the refund slip as a PDF (80 mm)")
    sp.add_argument("--reason")
    sp.add_argument("--request-id")
    sp = add("statement", cmd_statement, "a member's wallet statement")
    sp.add_argument("--phone", required=True)
    wp = sub.add_parser("wallet", help="a member's stored value: corrections").add_subparsers(
        dest="sub", metavar="ACTION", required=True)
    sp = add("adjust", cmd_adjust, "correct a member's principal and/or bonus, up or down, with a reason (manager)", wp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--principal", metavar="±YUAN", help="add (+) or take away (-) principal, e.g. -20 or +15.50")
    sp.add_argument("--bonus", metavar="±YUAN", help="add (+) or take away (-) bonus")
    sp.add_argument("--reason", required=True)
    sp.add_argument("--request-id", dest="request_id")
