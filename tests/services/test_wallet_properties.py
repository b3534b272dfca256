"""Properties of the stored-value wallet on a real SQLite file, for any sequence of recharges, spends,
refunds and replays (hypothesis):

- the cached balance equals the sum of the member's ledger, and each row's balances-after chain up;
- principal and bonus are never negative;
- money in == money out + balance: principal paid in == principal spent + principal refunded + principal
  kept back for perks used (refund deductions) + principal balance, and bonus granted == bonus spent + bonus taken back + bonus balance;
- a spend is refused exactly when it is more than the balance, a recharge exactly when it would pass the cap;
- replaying a request id changes nothing and returns the first result.
"""

from __future__ import annotations

import itertools
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import InsufficientFunds, InvalidInput, LimitExceeded, StateError
from pos_app.services import doctor, members, wallet
from tests.conftest import make_store

CAP = 5000_00
TIERS = {"basic": (500_00, 50_00), "advanced": (1000_00, 150_00), "luxury": (2000_00, 400_00)}

ops = st.lists(
    st.one_of(
        st.tuples(st.just("recharge"), st.integers(1, 2600_00), st.sampled_from([None, None, "basic", "advanced", "luxury"])),
        st.tuples(st.just("spend"), st.integers(1, 3000_00), st.none()),
        st.tuples(st.just("refund"), st.integers(0, 9), st.none()),
        st.tuples(st.just("replay"), st.integers(0, 30), st.none()),
    ),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def pstore(tmp_path_factory):
    s = make_store(tmp_path_factory.mktemp("prop") / "store.db")
    yield s
    s.ctx.db.dispose()


_phones = (f"1370000{i:04d}" for i in itertools.count())


def _sums(path, member_id):
    with sqlite3.connect(path) as c:
        paid, granted = c.execute(
            "SELECT COALESCE(SUM(amount_fen),0), COALESCE(SUM(bonus_fen),0) FROM recharge WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        sp_p, sp_b = c.execute(
            "SELECT COALESCE(SUM(principal_fen),0), COALESCE(SUM(bonus_fen),0) FROM spend WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        rf_p, rf_b = c.execute(
            "SELECT COALESCE(SUM(principal_refund_fen + deducted_fen),0), COALESCE(SUM(bonus_revoke_fen),0) FROM refund"
            " WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        led_p, led_b = c.execute(
            "SELECT COALESCE(SUM(principal_delta_fen),0), COALESCE(SUM(bonus_delta_fen),0) FROM wallet_entry"
            " WHERE member_id = ?",
            (member_id,),
        ).fetchone()
        chain = c.execute(
            "SELECT principal_delta_fen, bonus_delta_fen, principal_after_fen, bonus_after_fen FROM wallet_entry"
            " WHERE member_id = ? ORDER BY seq",
            (member_id,),
        ).fetchall()
        cached = c.execute("SELECT principal_fen, bonus_fen FROM member WHERE id = ?", (member_id,)).fetchone()
        n_rows = sum(
            c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("recharge", "spend", "refund", "wallet_entry", "outbox", "request_log", "audit_log")
        )
    return {
        "paid": paid, "granted": granted, "spent_p": sp_p, "spent_b": sp_b, "refund_p": rf_p, "revoke_b": rf_b,
        "ledger": (led_p, led_b), "chain": chain, "cached": cached, "rows": n_rows,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
def test_wallet_invariants_hold_for_any_sequence(pstore, sequence):
    ctx, cashier, manager = pstore.ctx, pstore.cashier, pstore.manager
    mid = members.register_member(ctx, cashier, phone=next(_phones)).member_id
    done: list[tuple[str, dict, object]] = []  # (use case, kwargs, first result) for replays
    recharges: list[str] = []
    balance = [0, 0]  # the test's own model of principal, bonus
    for i, (kind, n, tier) in enumerate(sequence):
        rid = f"{mid[-12:]}-{i}"
        if kind == "recharge":
            amount = TIERS[tier][0] if tier and n % 2 else n
            kw = {"member_id": mid, "amount_fen": amount, "tier_code": tier, "request_id": rid}
            if tier and amount < TIERS[tier][0]:
                kw["amount_fen"] = TIERS[tier][0]
            try:
                res = wallet.recharge(ctx, cashier, **kw)
            except LimitExceeded:
                with sqlite3.connect(pstore.path) as c:
                    p, b = c.execute("SELECT principal_fen, bonus_fen FROM member WHERE id = ?", (mid,)).fetchone()
                # the tier's bonus counts too (a custom amount takes the best tier it reaches)
                bonus = TIERS[tier][1] if tier else max(
                    (tb for pay, tb in TIERS.values() if pay <= kw["amount_fen"]), default=0)
                assert p + b + kw["amount_fen"] + bonus > CAP  # refused only when the cap would be passed
                continue
            balance[0] += res.principal_fen
            balance[1] += res.bonus_fen
            assert balance[0] + balance[1] <= CAP
            recharges.append(res.recharge_id)
            done.append(("recharge", kw, res))
        elif kind == "spend":
            kw = {"member_id": mid, "amount_fen": n, "request_id": rid}
            try:
                res = wallet.spend(ctx, cashier, **kw)
            except InsufficientFunds:
                assert n > balance[0] + balance[1]
                continue
            assert n <= balance[0] + balance[1]
            balance[0] -= res.principal_fen
            balance[1] -= res.bonus_fen
            done.append(("spend", kw, res))
        elif kind == "refund":
            if not recharges:
                continue
            kw = {"recharge_id": recharges[n % len(recharges)], "request_id": rid}
            try:
                preview = wallet.refund_preview(ctx, manager, kw["recharge_id"])
            except (StateError, InvalidInput):
                preview = None  # already refunded, or nothing left of it
            try:
                res = wallet.refund(ctx, manager, **kw)
            except (StateError, InvalidInput):
                continue  # already refunded, or nothing left of it
            assert preview is not None and preview.net_refund_fen == res.principal_refund_fen
            assert 0 <= res.principal_refund_fen <= res.principal_refundable_fen
            assert res.principal_refund_fen + res.deducted_fen == res.principal_refundable_fen
            balance[0] -= res.principal_refundable_fen  # all of it leaves the wallet
            balance[1] -= res.bonus_revoke_fen
            done.append(("refund", kw, res))
        else:
            if not done:
                continue
            use_case, kw, first = done[n % len(done)]
            before = _sums(pstore.path, mid)["rows"]
            fn = {"recharge": wallet.recharge, "spend": wallet.spend, "refund": wallet.refund}[use_case]
            again = fn(ctx, manager if use_case == "refund" else cashier, **kw)
            assert _sums(pstore.path, mid)["rows"] == before  # nothing written
            key = {"recharge": "recharge_id", "spend": "spend_id", "refund": "refund_id"}[use_case]
            assert getattr(again, key) == getattr(first, key)
            assert again.balance_fen == first.balance_fen
        s = _sums(pstore.path, mid)
        assert s["cached"] == tuple(balance) == s["ledger"]
        assert balance[0] >= 0 and balance[1] >= 0
        assert s["paid"] == s["spent_p"] + s["refund_p"] + balance[0]
        assert s["granted"] == s["spent_b"] + s["revoke_b"] + balance[1]
        p = b = 0
        for dp, db, ap, ab in s["chain"]:
            p, b = p + dp, b + db
            assert (ap, ab) == (p, b) and ap >= 0 and ab >= 0


def test_doctor_passes_after_the_property_run(pstore):
    rep = doctor.run_doctor(pstore.ctx)
    assert rep.ok, rep.problems
