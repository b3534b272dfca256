"""services.counter: the pay screen's preview is exactly what the spend then takes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import InsufficientFunds, InvalidInput, PermissionDenied
from pos_app.services import counter, members, wallet

_phones = itertools.count(13_700_000_000)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    recharge_yuan=st.integers(min_value=1, max_value=2500),
    amount_fen=st.integers(min_value=1, max_value=300_000),
)
def test_preview_matches_the_spend(store: Any, recharge_yuan: int, amount_fen: int) -> None:
    m = members.register_member(store.ctx, store.cashier, phone=str(next(_phones)))
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, amount_fen=recharge_yuan * 100)
    before = members.get_member(store.ctx, store.manager, member_id=m.member_id)
    if amount_fen > before.balance_fen:
        with pytest.raises(InsufficientFunds):
            counter.preview_spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=amount_fen)
        return
    p = counter.preview_spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=amount_fen)
    assert p.principal_fen + p.bonus_fen == amount_fen
    assert p.principal_fen >= 0 and p.bonus_fen >= 0
    assert p.balance_after_fen == before.balance_fen - amount_fen
    s = wallet.spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=amount_fen)
    assert (s.principal_fen, s.bonus_fen) == (p.principal_fen, p.bonus_fen)
    assert (s.principal_balance_fen, s.bonus_balance_fen) == (p.principal_after_fen, p.bonus_after_fen)


def test_preview_refuses_bad_amounts_and_roles(store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    for bad in (0, -5):
        with pytest.raises(InvalidInput):
            counter.preview_spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=bad)
    with pytest.raises(PermissionDenied):
        counter.preview_spend(store.ctx, store.staff, member_id=m.member_id, amount_fen=100)


def test_store_brief(store: Any) -> None:
    b = counter.store_brief(store.ctx)
    assert (b.name, b.store_code, b.timezone, b.balance_cap_fen) == ("测试门店", "T001", "Asia/Shanghai", 5000_00)
