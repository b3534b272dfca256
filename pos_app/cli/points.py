"""`pos-app points ...`, `pos-app checkin` and `pos-app wheel ...`: members' points, the daily check-in and
the provably fair lucky wheel."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli, check_output_path, write_output
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Count, Day


def cmd_points_expire(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    n = wallet.expire_points(cli.ctx, cli.actor())
    return cli.emit({"expired_points": n}, str(n))


def cmd_points_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import points  # noqa: PLC0415

    r = points.show(cli.ctx, cli.actor(), phone=a.phone)
    return cli.emit(r, lambda: messages.translate("points.show_line", {
        "phone": r.phone, "points": Count(r.points_balance), "expiring": Count(r.expiring_30_days),
        "tickets": Count(r.tickets), "streak": Count(r.streak)})
        + ("\n" + messages.translate("points.pending_line", {"points": Count(r.points_pending)})
           if r.points_pending else ""))


def cmd_points_history(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import points  # noqa: PLC0415

    lines = points.history(cli.ctx, cli.actor(), phone=a.phone)

    def human() -> str:
        out = []
        for x in lines:
            src = messages.translate(f"points.source.{x.source}") if x.source else ""
            out.append(f"{cli.local(x.at)}  {x.points:+d}  {messages.translate(f'points.kind.{x.kind}')}  {src}"
                       + (f"  {x.reason}" if x.reason else "") + (f"  ({x.ref})" if x.ref else "")
                       + ("  " + messages.translate("points.available_from", {"day": Day(x.available_on)})
                          if getattr(x, "available_on", None) else ""))
        return "\n".join(out) or messages.translate("points.history_empty")

    return cli.emit(lines, human)


def cmd_points_adjust(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import points  # noqa: PLC0415

    r = points.adjust(cli.ctx, cli.actor(), phone=a.phone, points=a.points, reason=a.reason, request_id=a.request_id)
    return cli.emit(r, lambda: messages.translate("points.adjusted", {
        "phone": r.phone, "points": r.points, "balance": Count(r.points_balance)}))


def cmd_checkin(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import points  # noqa: PLC0415

    r = points.checkin(cli.ctx, cli.actor(), phone=a.phone, code=a.code, request_id=a.request_id)
    return cli.emit(r, lambda: checkin_text(r))


def checkin_text(r: Any) -> str:
    text = messages.translate("checkin.done", {"day": Day(r.day), "streak": Count(r.streak),
                                               "points": Count(r.points + r.bonus_points),
                                               "balance": Count(r.points_balance)})
    if r.bonus_points:
        text += "\n" + messages.translate("checkin.bonus", {"streak": Count(r.streak), "points": Count(r.bonus_points)})
    if r.tickets:
        text += "\n" + messages.translate("checkin.tickets", {"count": Count(r.tickets)})
    return text


def wheel_text(v: Any) -> str:
    lines = [messages.translate("wheel.summary", {"name": v.name, "state": messages.translate(f"wheel.state.{v.state}"),
                                                  "cost": Count(v.cost_points), "draws": Count(v.draws)}),
             f"  SHA-256(seed) = {v.commitment}"]
    if v.seed:
        lines.append(f"  seed = {v.seed}")
    for p in v.prizes:
        lines.append(f"  {p.tier}  {p.name}  {format_fen(p.value_fen)}  {p.left}/{p.quantity}  "
                     f"{p.chance_bp / 100:.2f}%")
    return "\n".join(lines)


def cmd_wheel_prizes(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wheel  # noqa: PLC0415

    v = wheel.prizes(cli.ctx, cli.actor())
    return cli.emit(v, lambda: wheel_text(v))


def cmd_wheel_publish(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wheel  # noqa: PLC0415

    v = wheel.publish(cli.ctx, cli.actor())
    return cli.emit(v, lambda: wheel_text(v))


def cmd_wheel_close(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wheel  # noqa: PLC0415

    v = wheel.close(cli.ctx, cli.actor())
    return cli.emit(v, lambda: wheel_text(v))


def cmd_wheel_draw(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wheel  # noqa: PLC0415

    if a.slip:
        check_output_path(a.slip, force=a.force)
    r = wheel.draw(cli.ctx, cli.actor(), phone=a.phone, use_ticket=True if a.ticket else None,
                   request_id=a.request_id)
    if a.slip:
        from pos_app.printing.prize_slip import write_prize_slip  # noqa: PLC0415

        write_output(a.slip, lambda p: write_prize_slip(r, p), force=True)
    return cli.emit(r, lambda: messages.translate("wheel.drawn", {
        "tier": r.tier, "prize": r.prize_name, "code": r.claim_code, "balance": Count(r.points_balance)}))


def cmd_wheel_verify(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wheel  # noqa: PLC0415

    r = wheel.verify(cli.ctx, cli.actor(), seed_hex=a.seed)

    def human() -> str:
        if r.ok:
            return messages.translate("wheel.verified", {"count": Count(r.draws)})
        return "\n".join(messages.translate("wheel.mismatch", {"seq": Count(x["seq"]), "draw_id": x["draw_id"],
                                                               "reason": x["reason"]}) for x in r.mismatches)

    cli.emit(r, human)
    return 0 if r.ok else 1


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    pp = sub.add_parser("points", help="points").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add("expire", cmd_points_expire, "apply points expiry now", pp)
    sp = add("show", cmd_points_show, "a member's points: balance, expiring in 30 days, tickets, streak", pp)
    sp.add_argument("--phone", required=True)
    sp = add("history", cmd_points_history, "every change of a member's points, with source and reason", pp)
    sp.add_argument("--phone", required=True)
    sp = add("adjust", cmd_points_adjust, "add (or, negative, take away) points with a reason (manager)", pp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--points", type=int, required=True)
    sp.add_argument("--reason", required=True)
    sp.add_argument("--request-id", dest="request_id")
    sp = add("checkin", cmd_checkin, "a member's daily check-in (签到)")
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--phone")
    who.add_argument("--code", help="the member code (as scanned)")
    sp.add_argument("--request-id", dest="request_id")
    wp = sub.add_parser("wheel", help="the lucky wheel").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add("prizes", cmd_wheel_prizes, "the published wheel: prizes, quantities left, chances, commitment", wp)
    add("publish", cmd_wheel_publish, "publish (lock) the campaign's wheel; again: only more quantity (manager)", wp)
    sp = add("draw", cmd_wheel_draw, "one draw for a member (points or a ticket)", wp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--ticket", action="store_true", help="use a ticket (refused without one)")
    sp.add_argument("--slip", help="write the prize slip (PDF) here")
    sp.add_argument("--force", action="store_true", help="overwrite the slip file")
    sp.add_argument("--request-id", dest="request_id")
    sp = add("verify", cmd_wheel_verify, "recompute every draw from the log with the revealed seed", wp)
    sp.add_argument("--seed", help="the seed (hex) to check with (default: the one revealed at close)")
    add("close", cmd_wheel_close, "close the wheel and reveal the seed (manager)", wp)


