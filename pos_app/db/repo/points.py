"""The points platform's rows: lots and what leaves them (with their source and reason), adjustments,
check-ins and wheel tickets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_points as mp
from pos_app.db.repo.base import append


def add_lot(session: Session, lot: Mapping[str, Any]) -> None:
    append(session, m.PointsLot, [lot])


def add_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, m.PointsEntry, list(rows))


def usable_lots(session: Session, member_id: str, today: date) -> list[m.PointsLot]:
    """The member's lots with points left that have not expired and are not pending, loaded to be
    changed (closest to expiry first)."""
    with session.no_autoflush:
        return list(session.scalars(
            select(m.PointsLot).where(m.PointsLot.member_id == member_id, m.PointsLot.remaining > 0,
                                      m.PointsLot.expires_on > today,
                                      or_(m.PointsLot.available_on.is_(None), m.PointsLot.available_on <= today))
            .order_by(m.PointsLot.expires_on, m.PointsLot.earned_at, m.PointsLot.id)
        ))


def lots(session: Session, member_id: str) -> list[m.PointsLot]:
    return list(session.scalars(select(m.PointsLot).where(m.PointsLot.member_id == member_id)))


def entries(session: Session, member_id: str) -> list[m.PointsEntry]:
    return list(session.scalars(select(m.PointsEntry).where(m.PointsEntry.member_id == member_id)))


def add_adjustment(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mp.PointsAdjustment, [values])


def adjustments(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """adjustment id -> reason."""
    if not ids:
        return {}
    return {a: r for a, r in session.execute(
        select(mp.PointsAdjustment.id, mp.PointsAdjustment.reason).where(mp.PointsAdjustment.id.in_(list(ids))))}


def last_checkin(session: Session, member_id: str) -> tuple[date, int] | None:
    row = session.execute(
        select(mp.Checkin.day, mp.Checkin.streak).where(mp.Checkin.member_id == member_id)
        .order_by(mp.Checkin.day.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], int(row[1]))


def add_checkin(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mp.Checkin, [values])


def get_checkin(session: Session, checkin_id: str) -> mp.Checkin | None:
    return session.get(mp.Checkin, checkin_id)


def add_tickets(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, mp.WheelTicket, list(rows))


def open_ticket(session: Session, member_id: str) -> mp.WheelTicket | None:
    return session.scalars(
        select(mp.WheelTicket).where(mp.WheelTicket.member_id == member_id, mp.WheelTicket.used_draw_id.is_(None))
        .order_by(mp.WheelTicket.created_at, mp.WheelTicket.id).limit(1)
    ).first()


def open_tickets(session: Session, member_id: str) -> int:
    return int(session.scalar(
        select(func.count()).select_from(mp.WheelTicket)
        .where(mp.WheelTicket.member_id == member_id, mp.WheelTicket.used_draw_id.is_(None))) or 0)


def checkins_between(session: Session, start: date, end: date) -> int:
    return int(session.scalar(
        select(func.count()).select_from(mp.Checkin).where(mp.Checkin.day >= start, mp.Checkin.day <= end)) or 0)
