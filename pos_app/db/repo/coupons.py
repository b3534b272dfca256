"""Coupons: adding many at once, look-up by code, the codes already taken, templates by code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db.repo.base import append, copy_of, run, table

_C = table(mc.Coupon)
_T = table(mc.CouponTemplate)
_CHUNK = 500
_TAKEN = select(_C.c.code).where(_C.c.code.in_(bindparam("codes", expanding=True)))
_BY_CODE = select(mc.Coupon).where(mc.Coupon.code == bindparam("code"))
_ITEMS = (select(mc.Coupon, m.Recharge.state).join(m.Recharge, m.Recharge.id == mc.Coupon.batch_id)
          .where(mc.Coupon.item_json.is_not(None)))
_ITEMS_OF_RECHARGES = _ITEMS.where(mc.Coupon.batch_id.in_(bindparam("ids", expanding=True)))
_ITEMS_OF_MEMBER = _ITEMS.where(mc.Coupon.member_id == bindparam("member_id"))
_M = table(m.Member)
#: a coupon's row with its owner's phone, by code: the coupon view in one statement, no ORM object
_VIEW_BY_CODE = (select(_C, _M.c.phone.label("member_phone")).outerjoin(_M, _M.c.id == _C.c.member_id)
                 .where(_C.c.code == bindparam("code")))
_UNUSED = select(func.count()).select_from(_C).where(
    _C.c.member_id == bindparam("member_id"), _C.c.state == "issued", _C.c.valid_until >= bindparam("today"))
_CODES = select(_C.c.id, _C.c.code).where(_C.c.id.in_(bindparam("ids", expanding=True)))


def add_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT the coupons in one statement (insertmanyvalues). A coupon's row is its issue: there is no
    separate history row for it."""
    append(session, mc.Coupon, rows)


def add_events(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append coupon history rows (redeem, void)."""
    append(session, mc.CouponEvent, rows)


#: up to this many codes (a recharge's coupons) are checked with one statement of that many parameters,
#: compiled once (an expanding IN is rendered again on every execution)
_FEW = 8
_TAKEN_FEW = select(_C.c.code).where(_C.c.code.in_([bindparam(f"c{i}") for i in range(_FEW)]))


def taken_codes(session: Session, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` are already issued (a plain read, in chunks)."""
    if 0 < len(codes) <= _FEW:  # the rest of the parameters repeat the first code
        return set(run(session, _TAKEN_FEW, {f"c{i}": codes[i] if i < len(codes) else codes[0]
                                             for i in range(_FEW)}).scalars())
    taken: set[str] = set()
    for i in range(0, len(codes), _CHUNK):
        taken.update(run(session, _TAKEN, {"codes": list(codes[i:i + _CHUNK])}).scalars())
    return taken


def by_code(session: Session, code: str) -> mc.Coupon | None:
    """The coupon of a normalised code, as an ORM object (redeem and void change it)."""
    with session.no_autoflush:
        return session.scalars(_BY_CODE, {"code": code}).first()


_ROW_BY_CODE = select(_C).where(_C.c.code == bindparam("code"))
_REDEEMED = update(_C).where(_C.c.id == bindparam("cid")).values(
    state=bindparam("new_state"), redeemed_at=bindparam("at"), redeemed_member_id=bindparam("mid"),
    bill_fen=bindparam("bill"), discount_fen=bindparam("discount"))


def copy_by_code(session: Session, code: str) -> mc.Coupon | None:
    """The coupon of a normalised code as a transient copy (a plain read: not an object of the session; a
    sale redeems it with :func:`set_redeemed`)."""
    row = run(session, _ROW_BY_CODE, {"code": code}).mappings().first()
    return None if row is None else copy_of(mc.Coupon, row)


def set_redeemed(session: Session, coupon_id: str, *, state: str, at: Any, member_id: str | None, bill_fen: int,
                 discount_fen: int) -> None:
    """UPDATE the coupon as redeemed now (one statement)."""
    run(session, _REDEEMED, {"cid": coupon_id, "new_state": state, "at": at, "mid": member_id, "bill": bill_fen,
                             "discount": discount_fen})


def view_by_code(conn: Connection, code: str) -> Row[*tuple[Any, ...]] | None:
    """The coupon of a normalised code as a row (its columns, and ``member_phone``: its owner's), read in
    the connection's transaction (for reading; :func:`by_code` loads it to redeem or void it)."""
    return conn.execute(_VIEW_BY_CODE, {"code": code}).first()


def count_unused(on: Connection | Session, member_id: str, today: date) -> int:
    """The member's issued coupons still valid on ``today`` (one count on ``ix_coupon_member_id``): on a
    read-only unit of work's connection, or in a writing session (its pending changes flushed first, as
    any ORM query does, so a coupon just redeemed is not counted)."""
    params = {"member_id": member_id, "today": today}
    found = on.execute(_UNUSED, params).scalar() if isinstance(on, Connection) else on.scalar(_UNUSED, params)
    return int(found or 0)


def by_id(session: Session, coupon_id: str) -> mc.Coupon | None:
    return session.get(mc.Coupon, coupon_id)


def codes_by_id(session: Session, ids: Iterable[str]) -> dict[str, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return {r[0]: r[1] for r in run(session, _CODES, {"ids": wanted})}


def items_of_recharges(session: Session, recharge_ids: Iterable[str]) -> list[tuple[mc.Coupon, str]]:
    """The coupons that are their entitlement's only row (issued at once by these recharges), each with its
    recharge's state (one seek on ``ix_coupon_batch_id`` per recharge). ORM objects: a refund voids them."""
    wanted = list(recharge_ids)
    if not wanted:
        return []
    with session.no_autoflush:
        return [(c, str(state)) for c, state in session.execute(_ITEMS_OF_RECHARGES, {"ids": wanted})]


def items_of_member(session: Session, member_id: str) -> list[tuple[mc.Coupon, str]]:
    """The same for a member's recharges (one seek on ``ix_coupon_member_id``)."""
    with session.no_autoflush:
        return [(c, str(state)) for c, state in session.execute(_ITEMS_OF_MEMBER, {"member_id": member_id})]


TEMPLATE_FIELDS = ("code", "name", "kind", "value_fen", "percent_bp", "max_discount_fen", "min_spend_fen",
                   "valid_days", "valid_from", "valid_until", "category", "bearer")


_TEMPLATE_TABLES = frozenset({"coupon_template"})
_TEMPLATES = select(*[_T.c[f] for f in TEMPLATE_FIELDS]).where(_T.c.code.in_(bindparam("codes", expanding=True)))


def templates(session: Session, codes: Iterable[str]) -> list[dict[str, Any]]:
    """The templates of these codes as plain dicts of :data:`TEMPLATE_FIELDS` (a plain read; known on the
    connection until a template is written: :mod:`pos_app.db.memo`)."""
    wanted = sorted(set(codes))
    if not wanted:
        return []
    key = ("coupon.templates", tuple(wanted))
    rows = memo.recall(session, key)
    if rows is memo.UNKNOWN:
        rows = tuple(tuple(r) for r in run(session, _TEMPLATES, {"codes": wanted}))
        memo.learn(session, key, rows, _TEMPLATE_TABLES)
    return [dict(zip(TEMPLATE_FIELDS, r, strict=True)) for r in rows]
