"""A manager's wallet adjustment (issue 15) on a real SQLite file: principal and/or bonus, up or down, with a
reason; an append-only ledger row of kind ``adjust``; never a part below zero; one audit row with the figures
before and after (and who approved it for a cashier), one outbox event, a request id that makes a repeat return
the first result; bad input writes nothing. What it adds is a lot spends take from, so the doctor's checks
(balance == ledger == lots) hold after any mix of recharges, spends, sale returns and adjustments (hypothesis)."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import InsufficientFunds, InvalidInput, PermissionDenied
from pos_app.services import audit, checkout, doctor, members, wallet
from pos_app.services.context import Actor
from tests.conftest import Store, make_store

TABLES = ("wallet_entry", "wallet_adjustment", "adjustment_allocation", "audit_log", "outbox", "request_log")


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def _member(store: Store, phone: str = "13800000001") -> str:
    mid = members.register_member(store.ctx, store.cashier, phone=phone).member_id
    wallet.recharge(store.ctx, store.cashier, member_id=mid, tier_code="basic")  # 500 principal, 50 bonus
    return mid


def _doctor_ok(store: Store) -> None:
    report = doctor.run_doctor(store.ctx)
    assert report.ok, report.problems


def test_a_manager_adjusts_principal_down_and_bonus_up_with_a_reason(store: Store) -> None:
    mid = _member(store)
    before = _counts(store.path)
    res = wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=-20_00, bonus_fen=5_50,
                        reason="  补录 错误  ", request_id="adj-1")
    assert (res.principal_balance_fen, res.bonus_balance_fen, res.balance_fen) == (480_00, 55_50, 535_50)
    assert res.reason == "补录 错误" and res.staff_code == "boss"
    after = _counts(store.path)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "wallet_entry": 1, "wallet_adjustment": 1, "adjustment_allocation": 0, "audit_log": 1, "outbox": 1,
        "request_log": 1}
    line = wallet.statement(store.ctx, store.cashier, member_id=mid)[0]
    assert (line.kind, line.principal_delta_fen, line.bonus_delta_fen, line.reason) == ("adjust", -20_00, 5_50, "补录 错误")
    assert line.ref_id == res.adjustment_id
    row = audit.audit_rows(store.ctx, store.manager, action="wallet.adjust")[0]
    details = row.details
    assert (details["principal_before_fen"], details["bonus_before_fen"]) == (500_00, 50_00)
    assert (details["principal_after_fen"], details["bonus_after_fen"]) == (480_00, 55_50)
    with sqlite3.connect(store.path) as c:
        kind, payload = c.execute("SELECT type, payload_json FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    event = json.loads(payload)
    assert kind == "wallet.adjusted"
    assert (event["adjustment_id"], event["principal_delta_fen"], event["bonus_delta_fen"]) == (res.adjustment_id, -20_00, 5_50)
    assert (event["principal_after_fen"], event["bonus_after_fen"]) == (480_00, 55_50)
    _doctor_ok(store)


def test_the_same_request_id_does_it_once_and_another_use_is_refused(store: Store) -> None:
    mid = _member(store)
    first = wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=10_00, reason="r", request_id="x1")
    before = _counts(store.path)
    again = wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=10_00, reason="r", request_id="x1")
    assert _counts(store.path) == before
    assert (again.adjustment_id, again.balance_fen) == (first.adjustment_id, first.balance_fen)
    from pos_app.domain.errors import Conflict

    with pytest.raises(Conflict):
        wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=11_00, reason="r", request_id="x1")
    assert _counts(store.path) == before


@pytest.mark.parametrize("who", ["cashier", "staff"])
def test_a_cashier_or_staff_is_refused_and_a_manager_s_approval_lets_a_cashier(store: Store, who: str) -> None:
    mid = _member(store)
    before = _counts(store.path)
    with pytest.raises(PermissionDenied):
        wallet.adjust(store.ctx, getattr(store, who), member_id=mid, bonus_fen=1_00, reason="r")
    assert _counts(store.path) == before
    approved = Actor.approving(store.manager, store.cashier)
    wallet.adjust(store.ctx, approved, member_id=mid, bonus_fen=1_00, reason="店长授权")
    row = audit.audit_rows(store.ctx, store.manager, action="wallet.adjust")[0]
    assert (row.staff_code, row.approved_by_code) == ("cash1", "boss")
    # a staff member's "approval" is no approval: the role checked is the approver's
    with pytest.raises(PermissionDenied):
        wallet.adjust(store.ctx, Actor.approving(store.staff, store.cashier), member_id=mid, bonus_fen=1_00, reason="r")


@pytest.mark.parametrize(("kw", "message"), [
    ({"principal_fen": 0, "bonus_fen": 0, "reason": "r"}, "wallet.adjust_nothing"),
    ({"principal_fen": -500_01, "reason": "r"}, "wallet.adjust_below_zero"),
    ({"bonus_fen": -50_01, "reason": "r"}, "wallet.adjust_below_zero"),
    ({"principal_fen": 10_00, "reason": "   "}, "text.required"),
    ({"principal_fen": 10_00, "reason": "x" * 201}, "text.too_long"),
    ({"principal_fen": 1.5, "reason": "r"}, "money.invalid"),
    ({"bonus_fen": True, "reason": "r"}, "money.invalid"),
    ({"principal_fen": 10**12, "reason": "r"}, "money.absurd"),
    ({"principal_fen": 5000_00, "reason": "r"}, "wallet.adjust_over_cap"),
])
def test_bad_input_is_refused_with_its_reason_and_writes_nothing(store: Store, kw: dict[str, Any], message: str) -> None:
    mid = _member(store)
    before = _counts(store.path)
    with pytest.raises(InvalidInput) as exc:
        wallet.adjust(store.ctx, store.manager, member_id=mid, **kw)
    assert exc.value.key == message
    assert _counts(store.path) == before
    assert members.get_member(store.ctx, store.manager, member_id=mid).balance_fen == 550_00


def test_an_unknown_member_is_refused(store: Store) -> None:
    from pos_app.domain.errors import NotFound

    with pytest.raises(NotFound):
        wallet.adjust(store.ctx, store.manager, phone="13912345678", bonus_fen=1_00, reason="r")


def test_what_an_adjustment_adds_is_spent_and_a_sale_return_gives_it_back(store: Store) -> None:
    """A member with no recharge at all: the adjustment is their only lot."""
    mid = members.register_member(store.ctx, store.cashier, phone="13800000002").member_id
    wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=80_00, bonus_fen=20_00, reason="补录充值")
    sp = wallet.spend(store.ctx, store.cashier, member_id=mid, amount_fen=50_00)
    assert (sp.principal_fen, sp.bonus_fen, sp.balance_fen) == (40_00, 10_00, 50_00)
    _doctor_ok(store)
    with pytest.raises(InsufficientFunds):
        wallet.spend(store.ctx, store.cashier, member_id=mid, amount_fen=50_01)
    sale = checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=mid,
                            lines=[checkout.LineInput(category="洗护美容", amount_fen=30_00)], coupon_code=None,
                            payments=[checkout.PaymentInput("balance", 30_00)])
    assert members.get_member(store.ctx, store.manager, member_id=mid).balance_fen == 20_00
    _doctor_ok(store)
    checkout.return_sale(store.ctx, store.manager, request_id=None, sale_id=sale.sale_id)
    assert members.get_member(store.ctx, store.manager, member_id=mid).balance_fen == 50_00
    _doctor_ok(store)
    # taking it all away again leaves nothing, and the lots agree
    m = members.get_member(store.ctx, store.manager, member_id=mid)
    wallet.adjust(store.ctx, store.manager, member_id=mid, principal_fen=-m.principal_fen, bonus_fen=-m.bonus_fen,
                  reason="冲正")
    assert members.get_member(store.ctx, store.manager, member_id=mid).balance_fen == 0
    _doctor_ok(store)


def test_a_store_without_adjustments_learns_of_the_first_one(store: Store) -> None:
    """Spends in a store with no adjustment skip looking for adjustment lots once the connection knows there
    are none; the first adjustment makes them look again."""
    a = _member(store)
    wallet.spend(store.ctx, store.cashier, member_id=a, amount_fen=1_00)  # learnt: no adjustment has money left
    b = members.register_member(store.ctx, store.cashier, phone="13800000003").member_id
    wallet.adjust(store.ctx, store.manager, member_id=b, bonus_fen=9_00, reason="补偿")
    assert wallet.spend(store.ctx, store.cashier, member_id=b, amount_fen=9_00).balance_fen == 0
    _doctor_ok(store)


# ----------------------------------------------------------------------------- any sequence (hypothesis)
@pytest.fixture(scope="module")
def pstore(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = make_store(tmp_path_factory.mktemp("adjprop") / "store.db")
    yield s
    s.ctx.db.dispose()


_phones = (f"1360000{i:04d}" for i in itertools.count())

ops = st.lists(st.one_of(
    st.tuples(st.just("recharge"), st.integers(1, 1500_00), st.integers(0, 0)),
    st.tuples(st.just("spend"), st.integers(1, 800_00), st.integers(0, 0)),
    st.tuples(st.just("adjust"), st.integers(-600_00, 600_00), st.integers(-100_00, 100_00)),
), min_size=1, max_size=10)


def _ledger(path: Path, member_id: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    with sqlite3.connect(path) as c:
        led = c.execute("SELECT COALESCE(SUM(principal_delta_fen),0), COALESCE(SUM(bonus_delta_fen),0) FROM wallet_entry"
                        " WHERE member_id = ?", (member_id,)).fetchone()
        cached = c.execute("SELECT principal_fen, bonus_fen FROM member WHERE id = ?", (member_id,)).fetchone()
        lots = c.execute(
            "SELECT (SELECT COALESCE(SUM(principal_left_fen),0) FROM recharge WHERE member_id = :m)"
            " + (SELECT COALESCE(SUM(principal_left_fen),0) FROM wallet_adjustment WHERE member_id = :m),"
            " (SELECT COALESCE(SUM(bonus_left_fen),0) FROM recharge WHERE member_id = :m)"
            " + (SELECT COALESCE(SUM(bonus_left_fen),0) FROM wallet_adjustment WHERE member_id = :m)",
            {"m": member_id}).fetchone()
    return tuple(led), tuple(cached), tuple(lots)  # type: ignore[return-value]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_the_balance_is_the_sum_of_the_ledger_and_of_the_lots_for_any_sequence(pstore: Any, sequence: Any) -> None:
    ctx, cashier, manager = pstore.ctx, pstore.cashier, pstore.manager
    mid = members.register_member(ctx, cashier, phone=next(_phones)).member_id
    model = [0, 0]  # the test's own principal and bonus
    for kind, a, b in sequence:
        if kind == "recharge":
            try:
                res = wallet.recharge(ctx, cashier, member_id=mid, amount_fen=a)
            except Exception as exc:  # noqa: BLE001 - the cap: checked by the wallet properties test
                assert getattr(exc, "key", "") == "wallet.cap_exceeded"
                continue
            model[0] += res.principal_fen
            model[1] += res.bonus_fen
        elif kind == "spend":
            try:
                sp = wallet.spend(ctx, cashier, member_id=mid, amount_fen=a)
            except InsufficientFunds:
                assert a > model[0] + model[1]
                continue
            model[0] -= sp.principal_fen
            model[1] -= sp.bonus_fen
        else:
            try:
                res = wallet.adjust(ctx, manager, member_id=mid, principal_fen=a, bonus_fen=b, reason="校正")
            except InvalidInput as exc:
                # refused exactly when nothing moves, a part would go below zero, or the cap would be passed
                below = model[0] + a < 0 or model[1] + b < 0
                over = sum(model) + a + b > 5000_00 and a + b > 0
                assert (a == 0 and b == 0) or below or over, exc.key
                continue
            model[0] += a
            model[1] += b
            assert (res.principal_balance_fen, res.bonus_balance_fen) == tuple(model)
        led, cached, lots = _ledger(pstore.path, mid)
        assert led == cached == lots == tuple(model)
        assert model[0] >= 0 and model[1] >= 0
    report = doctor.run_doctor(ctx)
    assert report.ok, report.problems
