"""Staff and security (issue 15): PIN lockout with a controlled clock, the same refusal for an unknown
code, the last manager kept, and every manager-only action refused for a cashier (allowed for a manager)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from pos_app import messages
from pos_app.db import models as m
from pos_app.domain import coupons as coupon_rules
from pos_app.domain import roles
from pos_app.domain.errors import AuthenticationFailed, InvalidInput, PermissionDenied, StateError
from pos_app.services import (
    audit,
    backup,
    campaigns,
    checkout,
    coupons,
    gifts,
    members,
    points,
    staff,
    sync,
    wallet,
)
from pos_app.services import wheel as wheel_service
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.context import Actor
from pos_app.services.reports import campaign as campaign_report
from tests.conftest import DEMO_CAMPAIGN, Store


def _audit(store: Store, action: str) -> list[Any]:
    """(entity_id, details_json) of the audit rows of ``action``, oldest first."""
    with store.ctx.uow(read_only=True) as uow:
        return list(uow.session.execute(
            select(m.AuditLog.entity_id, m.AuditLog.details_json).where(m.AuditLog.action == action)
            .order_by(m.AuditLog.at)))


def _audit_count(store: Store) -> int:
    with store.ctx.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(m.AuditLog)) or 0)


def _wrong(store: Store, code: str, n: int) -> list[AuthenticationFailed]:
    errs = []
    for _ in range(n):
        with pytest.raises(AuthenticationFailed) as ei:
            staff.login(store.ctx, code, "0000")
        errs.append(ei.value)
    return errs


# ----------------------------------------------------------------------------- lockout


def test_five_wrong_pins_lock_for_fifteen_minutes_then_the_right_pin_works(bare_store):
    store = bare_store
    errs = _wrong(store, "cash1", 5)
    assert [e.key for e in errs] == ["auth.failed"] * 4 + ["auth.locked"]
    # 10:00 Beijing time + 15 minutes, in the store's time zone, rounded up to the minute
    assert errs[-1].params == {"until": "2026-11-23 10:16"}
    assert "2026-11-23 10:16" in messages.tr_error(errs[-1], "en") and "locked" in messages.tr_error(errs[-1], "en")
    # the right PIN is refused while locked, with the same lock message
    with pytest.raises(AuthenticationFailed) as ei:
        staff.login(store.ctx, "cash1", "1111")
    assert ei.value.key == "auth.locked"
    store.clock.advance(minutes=14)
    with pytest.raises(AuthenticationFailed, match="auth.locked"):
        staff.login(store.ctx, "cash1", "1111")
    store.clock.advance(minutes=2)
    actor = staff.login(store.ctx, "cash1", "1111")
    assert actor.code == "cash1"
    # the failures, the lock and the refusals while locked are all in the audit trail (committed although
    # each login was refused)
    assert len(_audit(store, "staff.login_failed")) == 5
    locks = _audit(store, "staff.locked")
    assert len(locks) == 1 and locks[0].entity_id == store.cashier.staff_id
    assert len(_audit(store, "staff.login_locked")) == 2
    rows = {r.code: r for r in staff.staff_rows(store.ctx, store.manager)}
    assert rows["cash1"].locked_until is None and rows["cash1"].failed_attempts == 0
    assert rows["cash1"].last_login_at is not None


def test_a_good_login_resets_the_count(bare_store):
    store = bare_store
    _wrong(store, "cash1", 4)
    staff.login(store.ctx, "cash1", "1111")
    errs = _wrong(store, "cash1", 4)
    assert all(e.key == "auth.failed" for e in errs)
    assert staff.login(store.ctx, "cash1", "1111").code == "cash1"


def test_a_manager_unlocks_and_a_pin_reset_unlocks(bare_store):
    store = bare_store
    _wrong(store, "cash1", 5)
    with pytest.raises(PermissionDenied):
        staff.unlock(store.ctx, store.staff, "cash1")
    with pytest.raises(AuthenticationFailed, match="auth.locked"):
        staff.login(store.ctx, "cash1", "1111")
    staff.unlock(store.ctx, store.manager, "cash1")
    assert staff.login(store.ctx, "cash1", "1111").code == "cash1"
    assert len(_audit(store, "staff.unlock")) == 1
    _wrong(store, "cash1", 5)
    staff.reset_pin(store.ctx, store.manager, "cash1", "4321")
    assert staff.login(store.ctx, "cash1", "4321").code == "cash1"


def test_lockout_attempts_and_minutes_are_store_settings(bare_store):
    store = bare_store
    staff.update_settings(store.ctx, store.manager, lockout_attempts=3, lockout_minutes=2)
    errs = _wrong(store, "shelf1", 3)
    assert [e.key for e in errs] == ["auth.failed", "auth.failed", "auth.locked"]
    assert errs[-1].params == {"until": "2026-11-23 10:03"}
    store.clock.advance(minutes=2, seconds=1)  # the lock ends at the whole minute shown
    with pytest.raises(AuthenticationFailed, match="auth.locked"):
        staff.login(store.ctx, "shelf1", "2222")
    store.clock.advance(minutes=1)
    assert staff.login(store.ctx, "shelf1", "2222").code == "shelf1"
    for key, bad in (("lockout_attempts", 0), ("lockout_minutes", "x"), ("pin_min_length", 3),
                     ("pin_min_length", 9), ("lockout_attempts", True)):
        with pytest.raises(InvalidInput) as ei:
            staff.update_settings(store.ctx, store.manager, **{key: bad})
        assert ei.value.params["setting"] == key


def test_pin_minimum_length_is_configurable(bare_store):
    store = bare_store
    staff.update_settings(store.ctx, store.manager, pin_min_length=6)
    with pytest.raises(InvalidInput) as ei:
        staff.add_staff(store.ctx, store.manager, code="c9", role="cashier", pin="12345")
    assert ei.value.key == "staff.pin_too_short"
    assert "6" in messages.tr_error(ei.value, "en")
    with pytest.raises(InvalidInput):
        staff.reset_pin(store.ctx, store.manager, "cash1", "1234")
    staff.add_staff(store.ctx, store.manager, code="c9", role="cashier", pin="123456")
    with pytest.raises(InvalidInput):
        staff.add_staff(store.ctx, store.manager, code="c8", role="cashier", pin="123456789")


def test_unknown_code_gets_the_same_message_and_the_same_argon2_work(bare_store, monkeypatch):
    store = bare_store
    calls: list[str] = []
    real = staff._HASHER

    class Counting:
        def hash(self, pin: str) -> str:
            return str(real.hash(pin))

        def verify(self, hashed: str, pin: str) -> bool:
            calls.append(hashed)
            return bool(real.verify(hashed, pin))

    monkeypatch.setattr(staff, "_HASHER", Counting())
    with pytest.raises(AuthenticationFailed) as unknown:
        staff.login(store.ctx, "nobody", "1111")
    with pytest.raises(AuthenticationFailed) as wrong:
        staff.login(store.ctx, "cash1", "0000")
    staff.set_staff_active(store.ctx, store.manager, "shelf1", False)
    with pytest.raises(AuthenticationFailed) as disabled:
        staff.login(store.ctx, "shelf1", "2222")
    assert unknown.value.key == wrong.value.key == disabled.value.key == "auth.failed"
    assert unknown.value.params == wrong.value.params == disabled.value.params == {}
    assert len(calls) == 3  # an argon2 verify for each, the unknown code against a dummy hash
    # an unknown code never locks anything and is still audited
    _wrong(store, "nobody", 6)
    assert len(_audit(store, "staff.locked")) == 0
    assert sum(1 for a in _audit(store, "staff.login_failed") if '"unknown"' in a.details_json) == 7


# ----------------------------------------------------------------------------- last manager


def test_the_last_active_manager_cannot_be_disabled_or_demoted(bare_store):
    store = bare_store
    with pytest.raises(StateError) as ei:
        staff.change_role(store.ctx, store.manager, "boss", "cashier")
    assert ei.value.key == "staff.last_manager"
    assert "boss" in messages.tr_error(ei.value, "en")
    with pytest.raises(StateError, match="staff.last_manager"):  # whoever asks (a sync, a script)
        staff.set_staff_active(store.ctx, staff.SYSTEM, "boss", False)
    staff.add_staff(store.ctx, store.manager, code="boss2", role="manager", pin="5555")
    boss2 = staff.login(store.ctx, "boss2", "5555")
    staff.set_staff_active(store.ctx, boss2, "boss", False)  # two managers: one may go
    with pytest.raises(StateError, match="staff.last_manager"):
        staff.change_role(store.ctx, boss2, "boss2", "staff")
    with pytest.raises(StateError, match="staff.last_manager"):
        staff.set_staff_active(store.ctx, staff.SYSTEM, "boss2", False)
    staff.set_staff_active(store.ctx, boss2, "boss", True)
    staff.change_role(store.ctx, boss2, "boss2", "staff")  # boss is active again: boss2 may be demoted
    rows = {r.code: (r.role, r.active) for r in staff.staff_rows(store.ctx, store.manager)}
    assert rows["boss"] == ("manager", True) and rows["boss2"] == ("staff", True)


# ----------------------------------------------------------------------------- demo PINs


def _demo_accounts(store: Store) -> None:
    for code, role, pin, name in (("admin", "manager", "8888", "王店长"), ("c01", "cashier", "1111", "李收银")):
        staff.add_staff(store.ctx, store.manager, code=code, role=role, pin=pin, name=name)


def test_demo_pin_on_a_real_store_asks_for_a_change(bare_store):
    store = bare_store
    _demo_accounts(store)
    admin = staff.login(store.ctx, "admin", "8888")
    assert staff.demo_pin_in_use(store.ctx, admin)
    assert not staff.demo_pin_in_use(store.ctx, store.manager)
    with pytest.raises(InvalidInput, match="staff.pin_is_demo"):
        staff.reset_pin(store.ctx, admin, "admin", "8888")
    staff.reset_pin(store.ctx, admin, "admin", "246810")  # one's own PIN
    assert not staff.demo_pin_in_use(store.ctx, admin)
    # the demo accounts can be disabled like any other
    staff.set_staff_active(store.ctx, store.manager, "c01", False)
    with pytest.raises(AuthenticationFailed, match="auth.failed"):
        staff.login(store.ctx, "c01", "1111")


def test_demo_pin_on_the_demo_store_is_not_asked(tmp_path):
    from pos_app.app import open_store
    from pos_app.services import demo

    ctx = open_store(tmp_path / "demo.db")
    try:
        demo.load_demo(ctx)
        admin = staff.login(ctx, "admin", "8888")
        assert not staff.demo_pin_in_use(ctx, admin)
        staff.update_settings(ctx, admin, store_name="我的店")  # no longer the demo store
        assert staff.demo_pin_in_use(ctx, admin)
    finally:
        ctx.db.dispose()


# ----------------------------------------------------------------------------- manager-only actions

MANAGER_ONLY = sorted(a for a, allowed in roles.PERMISSIONS.items() if allowed == frozenset({roles.MANAGER}))


def _recharge(store: Store) -> str:
    mem = members.register_member(store.ctx, store.cashier, phone="13800138000")
    return wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="basic").recharge_id


def _member(store: Store) -> str:
    return members.register_member(store.ctx, store.cashier, phone="13900139000").member_id


def _coupon(store: Store) -> str:
    return coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=_member(store),
                                 count=1, reason="test")[0].code


def _target(store: Store) -> str:
    staff.add_staff(store.ctx, store.manager, code="tgt1", role="staff", pin="3333")
    return "tgt1"


def _campaign() -> dict[str, Any]:
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    return data


def _sale(store: Store) -> str:
    """A walk-in's cash sale of a free grooming line (a return of it is the manager's)."""
    return checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=None,
                            lines=[checkout.LineInput(category="洗护美容", amount_fen=50_00)], coupon_code=None,
                            payments=[checkout.PaymentInput("cash", 50_00)]).sale_id


def _campaign_choice(store: Store) -> dict[str, Any]:
    info, per = campaign_report.resolve(store.ctx, store.manager)
    return {"campaign": info, "period": per}


def _gift(store: Store) -> str:
    gifts.add_gift(store.ctx, store.manager, sku="TEST-GIFT", name="测试礼品")
    return "TEST-GIFT"


#: manager-only permission -> [(use case name, setup(store) -> call(actor))]
USE_CASES: dict[str, list[tuple[str, Callable[[Store], Callable[[Actor], Any]]]]] = {
    "wallet.refund": [("wallet.refund", lambda s: (lambda rid: lambda a: wallet.refund(
        s.ctx, a, recharge_id=rid, operator=s.cashier))(_recharge(s)))],
    "wallet.adjust": [("wallet.adjust", lambda s: (lambda mid: lambda a: wallet.adjust(
        s.ctx, a, member_id=mid, bonus_fen=1_00, reason="test"))(_member(s)))],
    "campaign.manage": [("campaigns.load_campaign", lambda s: lambda a: campaigns.load_campaign(
        s.ctx, a, _campaign(), replace=True))],
    "staff.manage": [
        ("staff.add_staff", lambda s: lambda a: staff.add_staff(s.ctx, a, code="new1", role="cashier", pin="1234")),
        ("staff.disable", lambda s: (lambda c: lambda a: staff.set_staff_active(s.ctx, a, c, False))(_target(s))),
        ("staff.enable", lambda s: (lambda c: lambda a: staff.set_staff_active(s.ctx, a, c, True))(_target(s))),
        ("staff.reset_pin", lambda s: (lambda c: lambda a: staff.reset_pin(s.ctx, a, c, "7777"))(_target(s))),
        ("staff.change_role", lambda s: (lambda c: lambda a: staff.change_role(s.ctx, a, c, "cashier"))(_target(s))),
        ("staff.unlock", lambda s: (lambda c: lambda a: staff.unlock(s.ctx, a, c))(_target(s))),
        ("staff.staff_rows", lambda s: lambda a: staff.staff_rows(s.ctx, a)),
    ],
    "report.read": [("audit.audit_rows", lambda s: lambda a: audit.audit_rows(s.ctx, a)),
                    ("reports.campaign.campaign_report", lambda s: lambda a: campaign_report.campaign_report(s.ctx, a)),
                    ("reports.campaign.section", lambda s: lambda a: campaign_report.section(
                        s.ctx, a, "recharge", **_campaign_choice(s)))],
    "backup.create": [("backup.backup_now", lambda s: lambda a: backup.backup_now(s.ctx, a))],
    "coupon.issue": [("coupons.issue_coupons", lambda s: (lambda mid: lambda a: coupons.issue_coupons(
        s.ctx, a, template_code="PET20", member_id=mid, count=1, reason="test"))(_member(s)))],
    "coupon.void": [("coupons.void_coupon", lambda s: (lambda code: lambda a: coupons.void_coupon(
        s.ctx, a, code=code, reason="test"))(_coupon(s)))],
    "coupon.manage": [("coupons.add_template", lambda s: lambda a: coupons.add_template(
        s.ctx, a, coupon_rules.Template(code="T10", name="十元券", kind=coupon_rules.AMOUNT_OFF, value_fen=1000,
                                        valid_days=30)))],
    "gift.adjust": [("gifts.adjust", lambda s: (lambda sku: lambda a: gifts.adjust(
        s.ctx, a, sku=sku, reason="count", counted=1))(_gift(s)))],
    "gift.manage": [("gifts.add_gift", lambda s: lambda a: gifts.add_gift(s.ctx, a, sku="NEW-GIFT", name="新礼品"))],
    "system.admin": [("staff.update_settings", lambda s: lambda a: staff.update_settings(s.ctx, a, lockout_minutes=20))],
    "product.manage": [("checkout.add_product", lambda s: lambda a: checkout.add_product(
        s.ctx, a, sku="NEW-1", barcode="6999123400001", name="新品", category="宠物用品", price_fen=10_00))],
    "sale.return": [("checkout.return_sale", lambda s: (lambda sid: lambda a: checkout.return_sale(
        s.ctx, a, request_id=None, sale_id=sid))(_sale(s)))],
}



def _pair(store: Store, actor: Actor) -> None:
    """Pairing with a central server that is not there: a manager gets past the permission check and is told
    central cannot be reached (pairing against a real server: tests/sync/test_e2e.py)."""
    from pos_app.sync.errors import SyncError

    try:
        sync.pair(store.ctx, actor, server_url="http://127.0.0.1:9", code="ABCD-1234")
    except SyncError:
        if actor.role != roles.MANAGER:
            raise


def _conflict(store: Store) -> str:
    """A conflict central reported for this store, as a pull brings it."""
    from tests.sync.helpers import page

    sync.apply_page(store.ctx, page([{"kind": "conflict", "key": "c1", "store_code": "A001", "data": {
        "id": "c1", "kind": "overdraft", "store_code": "A001", "amount_fen": 1_000, "created_at": "2026-11-22T04:00:00Z"}}]))
    return "c1"


USE_CASES.update({
    "points.adjust": [("points.adjust", lambda s: (lambda mid: lambda a: points.adjust(
        s.ctx, a, phone="13900139000", points=10, reason="test"))(_member(s)))],
    "wheel.manage": [("wheel.publish", lambda s: lambda a: wheel_service.publish(s.ctx, a))],
    "sync.pair": [("sync.pair", lambda s: lambda a: _pair(s, a))],
    "sync.conflicts": [("sync.list_conflicts", lambda s: lambda a: sync.list_conflicts(s.ctx, a)),
                       ("sync.note_conflict", lambda s: (lambda cid: lambda a: sync.note_conflict(
                           s.ctx, a, conflict_id=cid, note="顾客已知悉"))(_conflict(s)))],
})


def _premium_request(store: Store) -> str:
    """A member's request for the demo's Moutai (by points): its review is the manager's."""
    from pos_app.services import redemption

    _member(store)
    points.adjust(store.ctx, store.manager, phone="13900139000", points=5000, reason="test")
    return redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone="13900139000").redemption_id


def _reject(store: Store, actor: Actor, rid: str) -> Any:
    from pos_app.services import redemption

    return redemption.reject(store.ctx, actor, redemption_id=rid, reason="库存核对")


def _approve(store: Store, actor: Actor, rid: str) -> Any:
    from pos_app.services import redemption

    return redemption.approve(store.ctx, actor, redemption_ids=[rid])


def _pause(store: Store, actor: Actor) -> Any:
    from pos_app.services import mall

    return mall.set_paused(store.ctx, actor, item="MOUTAI-500", paused=True)


USE_CASES.update({
    "redemption.review": [
        ("redemption.approve", lambda s: (lambda rid: lambda a: _approve(s, a, rid))(_premium_request(s))),
        ("redemption.reject", lambda s: (lambda rid: lambda a: _reject(s, a, rid))(_premium_request(s))),
    ],
    "redemption.manage": [("mall.set_paused", lambda s: lambda a: _pause(s, a))],
})
CASES = [(perm, name, setup) for perm in MANAGER_ONLY for name, setup in USE_CASES.get(perm, [])]


def test_every_manager_only_permission_has_a_use_case_here():
    assert sorted(USE_CASES) == MANAGER_ONLY


@pytest.mark.parametrize(("perm", "name", "setup"), CASES, ids=[f"{p}:{n}" for p, n, _ in CASES])
def test_manager_only_action_refused_for_a_cashier_and_allowed_with_a_manager(store, perm, name, setup):
    call = setup(store)
    before = _audit_count(store)
    for who in (store.cashier, store.staff):
        with pytest.raises(PermissionDenied) as ei:
            call(who)
        # a cashier may start a return: refused for want of a manager's approval, which the message says
        assert ei.value.key in ("error.permission_denied", "return.approval_needed")
        assert _audit_count(store) == before  # refused before anything was written
    call(store.manager)  # the manager's approval: the same use case with the manager as the actor


@pytest.mark.parametrize(("perm", "name", "setup"), CASES, ids=[f"{p}:{n}" for p, n, _ in CASES])
def test_manager_only_action_done_for_a_cashier_with_a_managers_approval(store, perm, name, setup):
    """The counter's way (ui/approval.py, `pos-app --approver`): the cashier stays logged in, a manager
    approves this one action, and every audit row it writes names the cashier as who did it and the manager
    as who approved it."""
    call = setup(store)
    before = _audit_count(store)
    call(Actor.approving(store.manager, store.cashier))
    with store.ctx.uow(read_only=True) as uow:
        rows = [(r.staff_id, r.approved_by) for r in uow.session.scalars(
            select(m.AuditLog).where(m.AuditLog.seq > before).order_by(m.AuditLog.seq))]
    assert all(r == (store.cashier.staff_id, store.manager.staff_id) for r in rows), (name, rows)
    if name == "checkout.return_sale":  # the return is the cashier's (their shift pays it back), approved
        from pos_app.db import models_checkout as mk

        with store.ctx.uow(read_only=True) as uow:
            ret = uow.session.execute(select(mk.SaleReturn.staff_id, mk.SaleReturn.approved_by)).one()
        assert tuple(ret) == (store.cashier.staff_id, store.manager.staff_id)
