"""The lean read paths (issue 10, read-path speed): a member or coupon look-up reads its view row with Core on
the read-only unit of work's one connection, and its DTO is the one the ORM row gives (the view a writing use
case returns); a read that needs no ORM object makes no session; roles are checked as before."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from pos_app.db import repo
from pos_app.domain import coupons as rules
from pos_app.domain.errors import NotFound, PermissionDenied
from pos_app.services import coupons, members, wallet
from pos_app.services.common import local_date, settings
from pos_app.services.context import Actor


def _sessions_begun(store: Any) -> list[int]:
    """Counts the ORM sessions that begin on the store's read side while the test runs."""
    begun: list[int] = []

    def seen(*_a: Any) -> None:
        begun.append(1)

    event.listen(store.ctx.db.read_sessions, "after_begin", seen)
    return begun


def test_a_view_row_read_makes_no_session_and_an_orm_load_still_can(store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    begun = _sessions_begun(store)
    with store.ctx.uow(read_only=True) as uow:
        row = repo.members.view_row(uow.connection, phone="13800000001")
        assert row is not None and row.id == m.member_id and row.member_code == m.member_code
        assert repo.members.view_row(uow.connection, phone="13800000009") is None
    assert begun == []
    with store.ctx.uow(read_only=True) as uow:  # a read that loads the ORM object gets its session, on the same connection
        obj = repo.members.get(uow.session, phone="13800000001")
        assert obj is not None and obj.id == m.member_id
        assert uow.session.connection() is uow.connection
    assert begun == [1]


def test_member_view_is_the_same_from_the_view_row_and_from_the_orm_row(store: Any) -> None:
    a = members.register_member(store.ctx, store.cashier, phone="13800000001", name="甲")
    b = members.register_member(store.ctx, store.cashier, phone="13800000002", invite_code=a.invite_code)
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="advanced")  # coupons, points, gifts
    for who in (a, b):
        with store.ctx.uow(read_only=True) as uow:
            orm_row = repo.members.get(uow.session, member_id=who.member_id)
            assert orm_row is not None
            from_orm = members.member_dto(uow, store.ctx, orm_row)
        assert members.get_member(store.ctx, store.cashier, phone=who.phone) == from_orm
        assert members.get_member(store.ctx, store.cashier, member_id=who.member_id) == from_orm
        assert members.get_member(store.ctx, store.cashier, code=who.member_code) == from_orm
        assert members.resolve_scan(store.ctx, store.cashier, who.member_code.lower()) == from_orm
    got = members.get_member(store.ctx, store.cashier, phone=b.phone)
    assert got.inviter_phone == a.phone and got.unused_coupons == 3 and got.balance_fen > 0
    assert members.get_member(store.ctx, store.cashier, phone=a.phone).invites_made == 1


def test_member_reads_keep_their_refusals(store: Any) -> None:
    with pytest.raises(NotFound) as exc:
        members.get_member(store.ctx, store.cashier, phone="13800000009")
    assert exc.value.key == "member.unknown"
    with pytest.raises(PermissionDenied):
        members.get_member(store.ctx, Actor("", "x", "x", "nobody"), phone="13800000009")


def test_coupon_view_is_the_same_from_the_view_row_and_from_the_orm_row(store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    owned = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=m.member_id, count=1,
                                  reason="补偿")[0]
    bearer = coupons.add_template(store.ctx, store.manager, rules.Template(
        code="B10", name="十元券", kind=rules.AMOUNT_OFF, value_fen=1000, valid_days=30, bearer=True))
    loose = coupons.issue_coupons(store.ctx, store.manager, template_code=bearer.code, count=1, reason="派发")[0]
    for c in (owned, loose):
        with store.ctx.uow(read_only=True) as uow:
            orm_row = repo.coupons.by_code(uow.session, c.raw_code)
            assert orm_row is not None
            from_orm = coupons._dto(uow, orm_row, local_date(store.ctx, settings(uow)))
        assert coupons.get_coupon(store.ctx, store.cashier, c.code) == from_orm  # the grouped code, as printed
        assert coupons.get_coupon(store.ctx, store.cashier, c.raw_code.lower()) == from_orm
    assert coupons.get_coupon(store.ctx, store.cashier, owned.code).member_phone == "13800000001"
    assert coupons.get_coupon(store.ctx, store.cashier, loose.code).member_phone is None
    with pytest.raises(PermissionDenied):
        coupons.get_coupon(store.ctx, Actor("", "x", "x", "nobody"), owned.code)
