"""The lucky wheel: its locked prize table and its append-only draw log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos_app.db import models_points as mp
from pos_app.db.repo.base import append


def find(session: Session, campaign_code: str, code: str, *, for_update: bool = False) -> mp.Wheel | None:
    stmt = select(mp.Wheel).where(mp.Wheel.campaign_code == campaign_code, mp.Wheel.code == code)
    if for_update:
        stmt = stmt.with_for_update()  # PostgreSQL: one draw at a time per wheel (SQLite: BEGIN IMMEDIATE)
    return session.scalars(stmt).first()


def latest(session: Session) -> mp.Wheel | None:
    return session.scalars(select(mp.Wheel).order_by(mp.Wheel.published_at.desc()).limit(1)).first()


def add_wheel(session: Session, wheel: Mapping[str, Any], prizes: Sequence[Mapping[str, Any]]) -> None:
    append(session, mp.Wheel, [wheel])
    append(session, mp.WheelPrize, list(prizes))


def prizes(session: Session, wheel_id: str) -> list[mp.WheelPrize]:
    return list(session.scalars(
        select(mp.WheelPrize).where(mp.WheelPrize.wheel_id == wheel_id).order_by(mp.WheelPrize.position)))


def add_draw(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mp.WheelDraw, [values])


def get_draw(session: Session, draw_id: str) -> mp.WheelDraw | None:
    return session.get(mp.WheelDraw, draw_id)


def draws(session: Session, wheel_id: str) -> list[mp.WheelDraw]:
    return list(session.scalars(select(mp.WheelDraw).where(mp.WheelDraw.wheel_id == wheel_id).order_by(mp.WheelDraw.seq)))
