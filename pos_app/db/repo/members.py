"""Members: look-up by id, phone or member code, and the small reads of the member view."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, func, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db.repo.base import run, table

_M = table(m.Member)
_L = table(m.PointsLot)
_E = table(m.Entitlement)

# built once: a look-up at the counter only binds its values (no statement built, no cache key computed)
_BY_ID = select(m.Member).where(m.Member.id == bindparam("v"))
_BY_PHONE = select(m.Member).where(m.Member.phone == bindparam("v"))
_BY_CODE = select(m.Member).where(m.Member.member_code == bindparam("v"))
#: the member view's columns (Core: a read-only look-up builds no ORM object)
_VIEW = select(_M.c.id, _M.c.member_code, _M.c.invite_code, _M.c.phone, _M.c.name, _M.c.level, _M.c.principal_fen,
               _M.c.bonus_fen, _M.c.member_price_until, _M.c.inviter_id, _M.c.created_at, _M.c.birthday)
_VIEW_BY = {key: _VIEW.where(col == bindparam("v"))
            for key, col in (("member_id", _M.c.id), ("phone", _M.c.phone), ("member_code", _M.c.member_code))}
_LIVE_LOTS = select(_L.c.id, _L.c.earned_at, _L.c.expires_on, _L.c.remaining, _L.c.available_on).where(
    _L.c.member_id == bindparam("mid"), _L.c.remaining != 0)  # a lot below zero is a debt (a returned sale)


def _owed(kind: str) -> Any:
    return (select(func.count()).select_from(_E)
            .where(and_(_E.c.member_id == bindparam("mid"), _E.c.state == "owed", _E.c.kind == kind))
            .scalar_subquery())


_VIEW_COUNTS = select(
    select(_M.c.phone).where(_M.c.id == bindparam("inviter")).scalar_subquery(),
    select(func.count()).select_from(_M).where(_M.c.inviter_id == bindparam("mid")).scalar_subquery(),
    _owed("gift"),
    _owed("coupon"),
)


def get(session: Session, *, member_id: str | None = None, phone: str | None = None,
        member_code: str | None = None) -> m.Member | None:
    """The member as an ORM object of the session (its balances change later in the transaction). The
    read does not flush pending changes; an object already in the session is returned as it stands."""
    with session.no_autoflush:
        if member_id is not None:
            if session.identity_key(m.Member, member_id) in session.identity_map:
                return session.get(m.Member, member_id)  # the object in hand, as it stands
            return session.scalars(_BY_ID, {"v": member_id}).first()
        if phone is not None:
            return session.scalars(_BY_PHONE, {"v": phone}).first()
        if member_code is not None:
            return session.scalars(_BY_CODE, {"v": member_code}).first()
    return None


def view_row(conn: Connection, *, member_id: str | None = None, phone: str | None = None,
             member_code: str | None = None) -> Row[*tuple[Any, ...]] | None:
    """The member's view columns (id, member_code, invite_code, phone, name, level, principal_fen, bonus_fen,
    member_price_until, inviter_id, created_at, birthday) as a row of the connection's transaction: one statement,
    compiled once, no ORM object (for reading; :func:`get` loads the member to change it)."""
    for key, value in (("member_id", member_id), ("phone", phone), ("member_code", member_code)):
        if value is not None:
            return conn.execute(_VIEW_BY[key], {"v": value}).first()
    return None


def live_lots(session: Session | Connection, member_id: str) -> list[tuple[str, datetime, date, int, date | None]]:
    """(id, earned_at, expires_on, remaining, available_on) of the member's points lots with points left
    (or below zero)."""
    rows = run(session, _LIVE_LOTS, {"mid": member_id})
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def view_counts(session: Session | Connection, member_id: str, inviter_id: str | None) -> tuple[str | None, int, int, int]:
    """(the inviter's phone, invites made, owed gifts, owed coupons) in one statement."""
    row = run(session, _VIEW_COUNTS, {"mid": member_id, "inviter": inviter_id}).one()
    return row[0], int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)
