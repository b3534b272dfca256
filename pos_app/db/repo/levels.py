"""Member levels and tasks: the basis a level is reached by (recharged, actually paid) over a window, the
level-change log, the members whose level is due for a look, and each member's task progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, extract, func, or_, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_levels as ml
from pos_app.db.repo.base import append, load, run


# ----------------------------------------------------------------------------- level basis
def recharged_since(session: Session, member_id: str, since: datetime | None) -> int:
    """The principal the member recharged (refunded recharges left out) since ``since`` (None: ever)."""
    stmt = select(func.coalesce(func.sum(m.Recharge.amount_fen), 0)).where(
        m.Recharge.member_id == member_id, m.Recharge.state != "refunded")
    if since is not None:
        stmt = stmt.where(m.Recharge.created_at >= since)
    return int(run(session, stmt).scalar() or 0)


def paid_since(session: Session, member_id: str, since: datetime | None) -> int:
    """What the member actually paid at the till since ``since`` (None: ever), less what returns gave back."""
    sales = select(func.coalesce(func.sum(mk.Sale.paid_fen), 0)).where(mk.Sale.member_id == member_id)
    back = (select(func.coalesce(func.sum(mk.ReturnPayment.amount_fen - mk.ReturnPayment.bonus_fen), 0))
            .join(mk.SaleReturn, mk.SaleReturn.id == mk.ReturnPayment.return_id)
            .join(mk.Sale, mk.Sale.id == mk.SaleReturn.sale_id).where(mk.Sale.member_id == member_id))
    if since is not None:
        sales = sales.where(mk.Sale.created_at >= since)
        back = back.where(mk.Sale.created_at >= since)
    return int(run(session, sales).scalar() or 0) - int(run(session, back).scalar() or 0)


def member_sales_count(session: Session, member_id: str) -> int:
    return int(run(session, select(func.count()).select_from(mk.Sale).where(mk.Sale.member_id == member_id)).scalar()
               or 0)


# ----------------------------------------------------------------------------- the level log
def add_change(session: Session, values: Mapping[str, Any]) -> None:
    append(session, ml.LevelChange, [values])


def changes(session: Session, member_id: str, limit: int = 100) -> list[ml.LevelChange]:
    """The member's level changes, newest first."""
    return list(load(session, select(ml.LevelChange).where(ml.LevelChange.member_id == member_id)
                     .order_by(ml.LevelChange.created_at.desc(), ml.LevelChange.id.desc()).limit(limit)).scalars())


def last_change(session: Session, member_id: str) -> ml.LevelChange | None:
    found = changes(session, member_id, 1)
    return found[0] if found else None


def due_members(session: Session, today: date) -> list[m.Member]:
    """Members whose level is due for a look today (a voucher's lift ends, a window's level is re-evaluated)."""
    return list(load(session, select(m.Member).where(m.Member.level_until.is_not(None), m.Member.level_until <= today)
                     .order_by(m.Member.id)).scalars())


def birthday_members(session: Session, month: int, day: int, year: int) -> list[m.Member]:
    """Members whose birthday is on ``month``/``day`` and who had no birthday gift in ``year``."""
    given = select(ml.BirthdayGift.member_id).where(ml.BirthdayGift.year == year)
    return list(load(session, select(m.Member).where(
        m.Member.birthday.is_not(None), extract("month", m.Member.birthday) == month,
        extract("day", m.Member.birthday) == day, m.Member.id.not_in(given)).order_by(m.Member.id)).scalars())


def add_birthday_gift(session: Session, values: Mapping[str, Any]) -> None:
    append(session, ml.BirthdayGift, [values])


def levels_not_logged(session: Session) -> list[str]:
    """Phones whose level is not the one their level log's last row moved them to (a log exists)."""
    last = (select(ml.LevelChange.to_level).where(ml.LevelChange.member_id == m.Member.id)
            .order_by(ml.LevelChange.created_at.desc(), ml.LevelChange.id.desc()).limit(1).scalar_subquery())
    return list(run(session, select(m.Member.phone).where(last.is_not(None), or_(m.Member.level.is_(None),
                                                                                  m.Member.level != last))).scalars())


def tasks_not_rewarded(session: Session) -> list[str]:
    """Completed task progress rows whose points reward has no points lot."""
    lot = (select(m.PointsLot.id).where(m.PointsLot.source == "task", m.PointsLot.ref == ml.TaskProgress.id)
           .exists())
    return list(run(session, select(ml.TaskProgress.id).where(
        ml.TaskProgress.state == "completed", ml.TaskProgress.points > 0, ~lot)).scalars())


# ----------------------------------------------------------------------------- task progress
def progress_rows(session: Session, member_id: str, campaign_code: str) -> list[ml.TaskProgress]:
    """The member's progress rows of the campaign, as ORM objects (changed by the event that moves them)."""
    return list(load(session, select(ml.TaskProgress).where(
        ml.TaskProgress.member_id == member_id, ml.TaskProgress.campaign_code == campaign_code)).scalars())


def add_progress(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, ml.TaskProgress, list(rows))


def add_steps(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, ml.TaskStep, list(rows))


def sale_steps(session: Session, sale_id: str) -> dict[str, int]:
    """progress id -> what the sale still adds to it (its steps and its earlier returns' summed)."""
    rows = run(session, select(ml.TaskStep.progress_id, func.sum(ml.TaskStep.delta))
               .where(ml.TaskStep.sale_id == sale_id).group_by(ml.TaskStep.progress_id))
    return {pid: int(n) for pid, n in rows if n}


def sales_since(session: Session, member_id: str, campaign_code: str, after: datetime, exclude: str,
                progress_id: str) -> list[tuple[str, int, str]]:
    """(sale id, actually paid, state) of the member's sales of the campaign after ``after`` (but
    ``exclude``) that have no step on ``progress_id``, oldest first: the purchases a completed task did not
    count."""
    stepped = select(ml.TaskStep.id).where(ml.TaskStep.progress_id == progress_id, ml.TaskStep.sale_id == mk.Sale.id)
    return [(sid, int(paid), state) for sid, paid, state in run(session, select(mk.Sale.id, mk.Sale.paid_fen, mk.Sale.state)
            .where(mk.Sale.member_id == member_id, mk.Sale.campaign_code == campaign_code, mk.Sale.created_at > after,
                   mk.Sale.id != exclude, ~stepped.exists()).order_by(mk.Sale.created_at, mk.Sale.id))]


def kept_of_sales(session: Session, sale_ids: Sequence[str]) -> tuple[dict[str, int], dict[str, frozenset[str]]]:
    """Per sale: what its returns gave back of what was actually paid (before any deduction for spent
    points), and the categories of its lines not all returned."""
    if not sale_ids:
        return {}, {}
    ids = list(sale_ids)
    back: dict[str, int] = {sid: 0 for sid in ids}
    for sid, amount in run(session, select(mk.SaleReturn.sale_id, func.sum(mk.ReturnPayment.amount_fen - mk.ReturnPayment.bonus_fen))
                           .join(mk.ReturnPayment, mk.ReturnPayment.return_id == mk.SaleReturn.id)
                           .where(mk.SaleReturn.sale_id.in_(ids)).group_by(mk.SaleReturn.sale_id)):
        back[sid] += int(amount or 0)
    for sid, deducted in run(session, select(mk.SaleReturn.sale_id, func.sum(mk.SaleReturn.deducted_fen))
                             .where(mk.SaleReturn.sale_id.in_(ids)).group_by(mk.SaleReturn.sale_id)):
        back[sid] += int(deducted or 0)
    returned = (select(mk.SaleReturn.sale_id.label("sale_id"), mk.ReturnLine.line_no.label("line_no"),
                       func.sum(mk.ReturnLine.qty).label("qty"))
                .join(mk.ReturnLine, mk.ReturnLine.return_id == mk.SaleReturn.id)
                .where(mk.SaleReturn.sale_id.in_(ids)).group_by(mk.SaleReturn.sale_id, mk.ReturnLine.line_no)).subquery()
    left: dict[str, set[str]] = {sid: set() for sid in ids}
    for sid, category in run(session, select(mk.SaleLine.sale_id, mk.SaleLine.category).outerjoin(
            returned, (returned.c.sale_id == mk.SaleLine.sale_id) & (returned.c.line_no == mk.SaleLine.no))
            .where(mk.SaleLine.sale_id.in_(ids), mk.SaleLine.qty - func.coalesce(returned.c.qty, 0) > 0)):
        left[sid].add(category)
    return back, {sid: frozenset(c) for sid, c in left.items()}


def progress_by_ids(session: Session, ids: Sequence[str]) -> list[ml.TaskProgress]:
    if not ids:
        return []
    return list(load(session, select(ml.TaskProgress).where(ml.TaskProgress.id.in_(list(ids)))
                     .order_by(ml.TaskProgress.id)).scalars())


def reward_lot(session: Session, member_id: str, progress_id: str) -> m.PointsLot | None:
    """The points lot a task's completion granted (the last, when it was completed again after a return)."""
    found: m.PointsLot | None = load(session, select(m.PointsLot).where(
        m.PointsLot.member_id == member_id, m.PointsLot.source == "task", m.PointsLot.ref == progress_id)
        .order_by(m.PointsLot.earned_at.desc(), m.PointsLot.id.desc()).limit(1)).scalars().first()
    return found


def completion_counts(session: Session, campaign_code: str) -> dict[str, tuple[int, int]]:
    """task code -> (members with progress, members who completed it)."""
    rows = run(session, select(ml.TaskProgress.task_code, func.count(),
                               func.sum(case((ml.TaskProgress.state == "completed", 1), else_=0)))
               .where(ml.TaskProgress.campaign_code == campaign_code).group_by(ml.TaskProgress.task_code))
    return {code: (int(n), int(done or 0)) for code, n, done in rows}
