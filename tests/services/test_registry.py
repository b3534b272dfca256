"""The typed registry built at start-up: what it holds, what it refuses, and that use cases call it."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pos_app import bootstrap
from pos_app.app import open_store
from pos_app.domain.campaign import GRANT_COUPON, GRANT_VOUCHER
from pos_app.services import coupons, gifts, levels, mall, members, points, referrals, sync, tasks, wallet
from pos_app.services.checkout import sales
from pos_app.services.registry import Feature, Registrar, RegistryError, build_registry

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_registry_holds_every_feature_handler_in_order():
    reg = bootstrap.registry()
    assert reg is bootstrap.registry()  # built once
    assert reg.features == ("coupons", "referrals", "gifts", "checkout", "points", "mall", "sync", "levels", "tasks")
    assert reg.refund_entitlement == {GRANT_COUPON: coupons.on_refund_entitlement,
                                      GRANT_VOUCHER: coupons.on_refund_entitlement}
    assert reg.count_unused_coupons is coupons.count_unused_coupons
    assert reg.prepare_granted == (coupons.prepare_granted,)
    assert reg.on_granted == (coupons.on_granted,)
    assert reg.member_registered == (referrals.on_member_registered, tasks.on_member_registered)
    assert reg.on_recharge == (referrals.on_recharge, levels.on_recharge, tasks.on_recharge)
    assert reg.on_refund == (referrals.on_refund,)
    assert reg.on_sale == (referrals.on_sale, levels.on_sale, tasks.on_sale)
    assert reg.on_sale_returned == (referrals.on_sale_returned,)
    assert reg.sale_returning == (tasks.undo_for_return,)
    assert reg.before_recharge == (gifts.before_recharge,)
    assert reg.campaign_validate == (coupons.validate_campaign, referrals.validate_campaign, sales.validate_campaign,
                                     points.validate_campaign, mall.validate_campaign, levels.validate_campaign,
                                     tasks.validate_campaign)
    assert reg.campaign_loaded == (coupons.on_campaign_loaded, mall.on_campaign_loaded)
    assert reg.doctor_checks == (coupons.doctor_checks, referrals.doctor_checks, gifts.doctor_checks,
                                 mall.doctor_checks, levels.doctor_checks)
    assert reg.demo_data == (coupons.load_demo_data, gifts.load_demo_data, sales.load_demo_data, points.load_demo_data,
                             mall.load_demo_data)
    assert reg.before_spend == (sync.check_offline_spend,)
    assert reg.before_redeem == (sync.check_offline_coupon,)
    assert reg.shape_earning == (levels.shape_earning,)
    assert reg.member_prices == (levels.member_prices,)
    assert reg.on_prize == (levels.on_prize,)


def test_a_feature_set_without_the_coupon_module_fails_at_start_not_at_a_refund(tmp_path):
    path = tmp_path / "store.db"
    with pytest.raises(RegistryError) as exc:
        open_store(path, features=(referrals.FEATURE, gifts.FEATURE))
    msg = str(exc.value)
    assert "refund_entitlement[coupon]" in msg and "refund_entitlement[voucher]" in msg
    assert "count_unused_coupons" in msg and "referrals, gifts" in msg
    assert not path.exists()  # refused before the store was even made


def test_a_required_handler_given_twice_or_a_feature_given_twice_is_refused():
    with pytest.raises(RegistryError, match="two refund_entitlement handlers for kind 'coupon'"):
        build_registry((coupons.FEATURE, Feature("again", coupons.register)))
    with pytest.raises(RegistryError, match="two count_unused_coupons handlers"):
        reg = Registrar()
        reg.count_unused_coupons(coupons.count_unused_coupons)
        reg.count_unused_coupons(coupons.count_unused_coupons)
    with pytest.raises(RegistryError, match="feature 'coupons' given twice"):
        build_registry((coupons.FEATURE, coupons.FEATURE))


def test_the_registry_is_fixed_once_built():
    reg = bootstrap.registry()
    with pytest.raises(AttributeError):
        reg.on_recharge = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        reg.refund_entitlement["gift"] = coupons.on_refund_entitlement  # type: ignore[index]


def test_use_cases_call_the_handlers_of_the_context_registry(store):
    seen: list[tuple[str, Any]] = []

    def spy(reg: Registrar) -> None:
        reg.member_registered.append(lambda uow, ctx, actor, member, inviter: seen.append(("member", member.phone)))
        reg.on_recharge.append(lambda uow, ctx, actor, member, r: seen.append(("recharge", r.amount_fen)))
        reg.on_granted.append(lambda uow, ctx, actor, member, es, today: seen.append(("granted", len(es))))

    ctx = replace(store.ctx, registry=bootstrap.registry((*bootstrap.FEATURES, Feature("spy", spy))))
    mm = members.register_member(ctx, store.cashier, phone="13900000001", request_id="r1")
    res = wallet.recharge(ctx, store.cashier, member_id=mm.member_id, tier_code="luxury", pay_method="cash",
                          request_id="r2")
    assert seen == [("member", "13900000001"), ("granted", len(res.items)), ("recharge", res.principal_fen)]
    # the store's own context (the app registry) knows nothing of the spy
    members.register_member(store.ctx, store.cashier, phone="13900000002", request_id="r3")
    assert len(seen) == 3


def test_the_foundation_runs_on_the_required_handlers_alone(tmp_path):
    """A store without the feature modules (the benchmark's foundation-only loop): recharge and refund
    work; the required handlers are all it needs."""
    calls: list[str] = []

    def minimal(reg: Registrar) -> None:
        def take_back(uow: Any, ctx: Any, actor: Any, e: Any) -> str:
            calls.append(e.kind)
            return "kept"

        for kind in (GRANT_COUPON, GRANT_VOUCHER):
            reg.refund_entitlement(kind, take_back)
        reg.count_unused_coupons(lambda uow, member_id, today: 7)

    from tests.conftest import make_store

    s = make_store(tmp_path / "store.db", with_campaign=False)
    try:
        ctx = replace(s.ctx, registry=bootstrap.registry((Feature("minimal", minimal),)))
        mm = members.register_member(ctx, s.cashier, phone="13900000001", request_id="r1")
        assert mm.unused_coupons == 7
        r = wallet.recharge(ctx, s.cashier, member_id=mm.member_id, amount_fen=100_00, pay_method="cash",
                            request_id="r2")
        assert r.principal_balance_fen == 100_00 and calls == []
    finally:
        s.ctx.db.dispose()


def test_no_context_variable_carries_work_between_modules():
    """Work passes by parameters (a grant's due date is a parameter of the grant), never through a
    ContextVar set in one module and read in another."""
    found = []
    for path in (ROOT / "pos_app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "contextvars" or isinstance(node, ast.Import) and any(a.name == "contextvars" for a in node.names):
                found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_a_reward_due_later_is_owed_with_its_day_and_issued_then(store):
    """The grant's ``due_on`` (referral rewards "within N working days"): coupons are not issued now,
    the rows carry the day; the daily job issues them on it."""
    from pos_app.domain.campaign import GrantedItem
    from pos_app.services import grants
    from pos_app.services.common import emit

    mm = members.register_member(store.ctx, store.cashier, phone="13900000001", request_id="r1")
    item = GrantedItem(GRANT_COUPON, "GROOM85", "GROOM85", 2, 0, "referral")
    ctx = store.ctx
    with ctx.uow() as uow:
        member = wallet.load_member(uow, member_id=mm.member_id)
        later = grants.grant_items(uow, ctx, store.manager, member, [item], today=date(2026, 11, 23), campaign=None,
                                   due_on=date(2026, 11, 26))
        now = grants.grant_items(uow, ctx, store.manager, member, [item], today=date(2026, 11, 23), campaign=None,
                                 due_on=date(2026, 11, 23))
        assert [(e.state, e.due_on) for e in later] == [("owed", date(2026, 11, 26))] * 2
        assert [(e.state, e.due_on) for e in now] == [("issued", None)] * 2
        emit(uow, ctx, "test.granted", {})  # the coupons issued now are facts of the transaction's one event
        uow.commit()
    assert {r.state for r in referrals.pending_rewards(ctx, store.manager, member_id=mm.member_id)} == {"owed", "issued"}


def test_mypy_checks_a_handler_against_its_protocol(tmp_path):
    """A handler of the wrong shape is a type error (``make typecheck``), not a surprise at the counter."""
    from mypy import api

    src = tmp_path / "feature_under_test.py"
    src.write_text(
        "from datetime import date\n"
        "from pos_app.db.uow import UnitOfWork\n"
        "from pos_app.services.registry import Registrar\n\n\n"
        "def good(uow: UnitOfWork, member_id: str, today: date) -> int:\n    return 0\n\n\n"
        "def bad(uow: UnitOfWork, member_id: int, today: date) -> int:\n    return 0\n\n\n"
        "def register(reg: Registrar) -> None:\n"
        "    reg.count_unused_coupons(good)\n"
        "    reg.count_unused_coupons(bad)\n"
        "    reg.on_recharge.append(lambda uow, ctx: None)\n",
        encoding="utf-8",
    )
    out, _err, status = api.run(["--strict", "--no-error-summary", "--cache-dir", str(ROOT / ".mypy_cache"), str(src)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1
    assert len(errors) == 2, out
    assert "feature_under_test.py:16:" in errors[0] and "CountUnusedCoupons" in errors[0]
    assert "feature_under_test.py:17:" in errors[1] and "RechargeWritten" in errors[1]
