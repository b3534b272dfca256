"""`pos-app task ...` and `pos-app level ...`: the campaign's tasks and a member's progress on them, a
member's level (what it is reached by, the next one, its log) and the daily level review."""

from __future__ import annotations

import argparse
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import InvalidInput
from pos_app.domain.levels import parse_birthday
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Count, Day


def figure(unit: str, value: int) -> str:
    return format_fen(value) if unit == "fen" else str(value)


def task_reward(t: Any) -> str:
    parts = []
    if t.points:
        parts.append(messages.translate("task.reward_points", {"points": Count(t.points)}))
    if t.coupon:
        parts.append(messages.translate("task.reward_coupon", {"coupon": t.coupon}))
    return " + ".join(parts)


def cmd_task_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import tasks  # noqa: PLC0415

    rows = tasks.list_tasks(cli.ctx, cli.actor())

    def human() -> str:
        return "\n".join(
            f"{messages.translate(f'task.level.{t.level}')}  {t.task_id}  {t.name}  "
            f"{figure(t.unit, t.target)}  {task_reward(t)}  "
            + messages.translate("task.completion", {"completed": Count(t.completed), "started": Count(t.started)})
            for t in rows) or messages.translate("task.none")

    return cli.emit(rows, human)


def progress_lines(r: Any) -> list[str]:
    return [f"{messages.translate(f'task.level.{t.level}')}  {t.name}  {figure(t.unit, t.progress)}/"
            f"{figure(t.unit, t.target)}  {messages.translate(f'task.state.{t.state}')}  {task_reward(t)}"
            for t in r.tasks]


def cmd_task_progress(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import tasks  # noqa: PLC0415

    r = tasks.progress(cli.ctx, cli.actor(), phone=a.phone)
    return cli.emit(r, lambda: "\n".join([r.phone, *progress_lines(r)]) if r.tasks else messages.translate("task.none"))


def level_line(s: Any) -> str:
    text = messages.translate("level.line", {"level": s.level_name or messages.translate("panel.no_level"),
                                             "multiplier": s.points_multiplier})
    if s.until:
        text += "  " + (messages.translate("level.voucher_until", {"day": Day(s.until)}) if s.by_voucher
                        else messages.translate("level.until", {"day": Day(s.until)}))
    if s.next_name:
        text += "  " + messages.translate("level.to_next", {"level": s.next_name, "amount": format_fen(s.to_next_fen)})
    return text


def cmd_level_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import levels  # noqa: PLC0415

    s = levels.status(cli.ctx, cli.actor(), phone=a.phone)

    def human() -> str:
        out = [f"{s.phone}  {level_line(s)}"]
        for c in s.history:
            out.append(f"  {cli.local(c.at)}  {c.from_level or '-'} -> {c.to_level}  "
                       f"{messages.translate(f'level.reason.{c.reason}')}" + (f"  ({c.ref})" if c.ref else ""))
        return "\n".join(out)

    return cli.emit(s, human)


def cmd_level_birthday(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import levels  # noqa: PLC0415

    day = parse_birthday(a.date)
    if day is None:
        raise InvalidInput("member.birthday_invalid", value=a.date)
    r = levels.set_birthday(cli.ctx, cli.actor(), phone=a.phone, birthday=day)
    return cli.emit(r, lambda: messages.translate("level.birthday_set", {"phone": r.phone, "day": Day(r.birthday)}))


def cmd_level_review(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import levels  # noqa: PLC0415

    r = levels.review(cli.ctx, cli.actor())
    return cli.emit(r, lambda: messages.translate("level.reviewed", {"reviewed": Count(r.reviewed),
                                                                    "changed": Count(r.changed)}))


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    tp = sub.add_parser("task", help="tasks (任务)").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add("list", cmd_task_list, "the running campaign's tasks, by level, with their completion", tp)
    sp = add("progress", cmd_task_progress, "a member's progress on each task", tp)
    sp.add_argument("--phone", required=True)
    lp = sub.add_parser("level", help="member levels (会员等级)").add_subparsers(dest="sub", metavar="ACTION",
                                                                              required=True)
    sp = add("show", cmd_level_show, "a member's level, the next one, perks and every change", lp)
    sp.add_argument("--phone", required=True)
    sp = add("birthday", cmd_level_birthday, "record a member's birthday (a level's birthday gift)", lp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--date", required=True, help="YYYY-MM-DD")
    add("review", cmd_level_review, "the daily level review now (voucher lifts that end, downgrades)", lp)
