"""Every writing use case goes through the one helper (services/usecase.py): its permission, audit row,
outbox event and request record are declared once beside it and checked at commit; its result says what
it changed."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

import pos_app.services
from pos_app.db import models as m
from pos_app.db.base import Base
from pos_app.db.written import TABLE_AREAS
from pos_app.domain import roles
from pos_app.domain.errors import PermissionDenied
from pos_app.services import audit as _audit  # noqa: F401  (imports every module that declares use cases)
from pos_app.services import wallet
from pos_app.services.changes import Changes
from pos_app.services.common import audit, emit
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.usecase import USE_CASES, UseCaseIncomplete, use_case
from tests.conftest import Store

SERVICES = Path(pos_app.services.__file__).parent

#: name -> (permission, audited, event, takes a request id): the whole list, as a reader would want it
EXPECTED: dict[str, tuple[object, bool, str | None, bool]] = {
    "store.init": (None, True, "store.initialised", False),
    "settings.update": ("system.admin", True, "settings.updated", False),
    "staff.login": (None, False, None, False),
    "staff.login_refused": (None, True, None, False),
    "report.summarise": (None, False, None, False),
    "staff.add": ("staff.manage", True, "staff.added", False),
    "staff.set_active": ("staff.manage", True, "staff.active_set", False),
    "staff.change_role": ("staff.manage", True, "staff.role_changed", False),
    "staff.reset_pin": (None, True, "staff.pin_reset", False),
    "staff.unlock": ("staff.manage", True, "staff.unlocked", False),
    "member.register": ("member.register", True, "member.registered", True),
    "wallet.recharge": ("wallet.recharge", True, "wallet.recharged", True),
    "wallet.spend": ("wallet.spend", True, "wallet.spent", True),
    "wallet.refund": ("wallet.refund", True, "wallet.refunded", True),
    "wallet.adjust": ("wallet.adjust", True, "wallet.adjusted", True),
    "points.expire": ("points.expire", True, "points.expired", False),
    "points.adjust": ("points.adjust", True, "points.adjusted", True),
    "points.checkin": ("points.checkin", True, "points.checked_in", True),
    "wheel.publish": ("wheel.manage", True, "wheel.published", False),
    "wheel.draw": ("wheel.draw", True, "wheel.drawn", True),
    "wheel.close": ("wheel.manage", True, "wheel.closed", False),
    "level.review": ("level.review", True, "level.reviewed", False),
    "member.set_birthday": ("member.register", True, "member.birthday_set", False),
    "campaign.load": ("campaign.manage", True, "campaign.loaded", False),
    "coupon.add_template": ("coupon.manage", True, "coupon.template_added", False),
    "coupon.issue": ("coupon.issue", True, "coupon.issued", True),
    "coupon.pay": (("coupon.redeem", "wallet.spend"), True, "coupon.redeemed", True),
    "coupon.redeem": ("coupon.redeem", True, "coupon.redeemed", True),
    "coupon.void": ("coupon.void", True, "coupon.voided", True),
    "referral.issue_due": ("referral.issue_due", True, "coupon.issued_due", True),
    "gift.add": ("gift.manage", True, "gift.catalogue", True),
    "gift.update": ("gift.manage", True, "gift.catalogue", False),
    "gift.handout": ("gift.handout", True, "gift.handed_out", True),
    "gift.decline": ("gift.handout", True, "gift.declined", True),
    "gift.receive": ("gift.receive", True, "gift.movement", True),
    "gift.return": ("gift.receive", True, "gift.movement", True),
    "gift.transfer_out": ("gift.adjust", True, "gift.movement", True),
    "gift.transfer_in": ("gift.receive", True, "gift.movement", True),
    "gift.adjust": ("gift.adjust", True, "gift.movement", True),
    "gift.stocktake": ("gift.adjust", True, "gift.stocktake", True),
    "backup.create": ("backup.create", True, "backup.created", False),
    "backup.daily": ("backup.daily", True, "backup.created", False),
    "product.add": ("product.manage", True, "product.changed", True),
    "product.update": ("product.manage", True, "product.changed", False),
    "product.import": ("product.manage", True, "product.changed", False),
    "sale.ring_up": ("sale.ring_up", True, "sale.completed", True),
    # a cashier may start a return; it needs a manager's approval, checked inside (services/checkout/sales.py)
    "sale.return": ("sale.ring_up", True, "sale.returned", True),
    "sync.pair": ("sync.pair", True, "sync.paired", False),
    "sync.conflict_note": ("sync.conflicts", True, "sync.conflict_noted", True),
    "sync.push_acked": (None, False, None, False),
    "sync.round": (None, False, None, False),
    "sync.apply": (None, False, None, False),
    "shift.open": ("shift.operate", True, "shift.opened", True),
    "shift.close": ("shift.operate", True, "shift.closed", True),
    "mall.redeem": ("mall.redeem", True, "mall.redeemed", True),
    "mall.pickup": ("gift.handout", True, "mall.picked_up", True),
    "mall.import_codes": ("redemption.manage", True, "mall.codes_imported", False),
    "redemption.pause": ("redemption.manage", True, "redemption.item_paused", False),
    "redemption.request": ("redemption.request", True, "redemption.requested", True),
    "redemption.approve": ("redemption.review", True, "redemption.approved", False),
    "redemption.reject": ("redemption.review", True, "redemption.rejected", False),
    "redemption.cancel": ("redemption.request", True, "redemption.cancelled", False),
    "redemption.fulfil": ("redemption.fulfil", True, "redemption.fulfilled", False),
    "redemption.receive": ("redemption.fulfil", True, "redemption.received", False),
    "redemption.auto_receive": ("redemption.auto", True, "redemption.auto_received", False),
}

#: functions that open a write transaction outside the helper, and why
OUTSIDE_THE_HELPER = {
    ("backup", "_record"): "writes the restore's audit row into the restored copy, before it replaces the store",
    ("generate", "run"): "pos-app gen's bulk load, one transaction per generated day: each writes the audit rows, "
                         "request records and events its use cases would have (the manager check is generate()'s)",
}


def _all_service_modules() -> None:
    for info in pkgutil.walk_packages([str(SERVICES)], "pos_app.services."):
        importlib.import_module(info.name)


def test_every_writing_use_case_is_listed_with_its_permission_audit_and_event() -> None:
    _all_service_modules()
    found = {name: (u.permission, u.audited, u.event, u.idempotent) for name, u in USE_CASES.items()
             if not name.startswith("test.")}
    for name, row in sorted(found.items()):
        print(f"{name:24} permission={row[0]!s:36} audit={row[1]!s:5} event={row[2]!s:24} request_id={row[3]}")
    assert found == EXPECTED
    for name, (permission, *_rest) in found.items():
        actions = (permission,) if isinstance(permission, str) else tuple(permission or ())  # type: ignore[arg-type]
        assert not any(a.endswith(".read") for a in actions), f"{name} writes but checks a read permission"
        if not actions:
            assert USE_CASES[name].permission_note, f"{name}: no permission and no reason"


def _opens_write_transaction(fn: ast.FunctionDef) -> bool:
    for node in ast.walk(fn):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "uow"
                and not any(k.arg == "read_only" for k in node.keywords) and not node.args):
            return True
    return False


def _decorated(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "use_case" for d in fn.decorator_list)


def test_no_write_transaction_is_opened_outside_the_helper() -> None:
    """Static: every function of services/ that opens a write unit of work is a declared use case, or is
    called only by one (a private helper of a use case, found through its callers)."""
    outside = []
    for path in sorted(SERVICES.rglob("*.py")):
        tree = ast.parse(path.read_text())
        mod = path.relative_to(SERVICES).with_suffix("").as_posix().replace("/", ".")
        funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        for name, fn in funcs.items():
            if not _opens_write_transaction(fn) or _decorated(fn) or (mod, name) in OUTSIDE_THE_HELPER:
                continue
            callers = [f for f in funcs.values() if f is not fn and any(
                isinstance(c, ast.Call) and getattr(c.func, "id", None) == name for c in ast.walk(f))]
            if not callers or not all(_decorated(c) for c in callers):
                outside.append(f"{mod}.{name}")
    assert outside == []


def test_every_table_belongs_to_an_area() -> None:
    assert set(Base.metadata.tables) <= set(TABLE_AREAS)


@pytest.mark.parametrize("name", sorted(n for n, row in EXPECTED.items() if row[0] is not None))
def test_a_role_without_the_permission_is_refused_before_anything_is_read(name: str) -> None:
    spec = USE_CASES[name]
    actions = (spec.permission,) if isinstance(spec.permission, str) else tuple(spec.permission or ())
    mod = importlib.import_module(spec.module)
    fn = getattr(mod, spec.function)
    for role in roles.ROLES:
        if all(role in roles.PERMISSIONS[a] for a in actions):
            continue
        # no database at all: the check comes first, before the arguments are even looked at
        with pytest.raises(PermissionDenied):
            fn(ServiceContext(db=None, registry=None), Actor("x", "x", "x", role))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the helper's checks

@use_case("test.forgets_audit", permission="member.register", event="test.done")
def _forgets_audit(ctx: ServiceContext, actor: Actor, phone: str) -> None:
    with ctx.uow() as uow:
        member = uow.session.scalar(select(m.Member).where(m.Member.phone == phone))
        assert member is not None
        member.name = "改过"
        emit(uow, ctx, "test.done", {"phone": phone})
        uow.commit()


@use_case("test.forgets_event", permission="member.register", event="test.done")
def _forgets_event(ctx: ServiceContext, actor: Actor, phone: str) -> None:
    with ctx.uow() as uow:
        member = uow.session.scalar(select(m.Member).where(m.Member.phone == phone))
        assert member is not None
        member.name = "改过"
        audit(uow, ctx, actor, "test", "member", member.id)
        uow.commit()


@use_case("test.two_transactions", permission="member.register", event=None, audited=False)
def _two_transactions(ctx: ServiceContext, actor: Actor) -> None:
    with ctx.uow() as uow:
        uow.commit()
    with ctx.uow() as uow:
        uow.commit()


def _counts(store: Store) -> tuple[int, int, str | None]:
    with store.ctx.uow(read_only=True) as uow:
        s = uow.session
        return (int(s.scalar(select(func.count()).select_from(m.AuditLog)) or 0),
                int(s.scalar(select(func.count()).select_from(m.Outbox)) or 0),
                s.scalar(select(m.Member.name).where(m.Member.phone == "13900000001")))


def test_a_use_case_that_forgets_its_audit_row_or_event_writes_nothing(store: Store) -> None:
    from pos_app.services import members

    members.register_member(store.ctx, store.cashier, phone="13900000001", name="原名")
    before = _counts(store)
    with pytest.raises(UseCaseIncomplete, match="audit row"):
        _forgets_audit(store.ctx, store.cashier, "13900000001")
    with pytest.raises(UseCaseIncomplete, match="outbox event test.done"):
        _forgets_event(store.ctx, store.cashier, "13900000001")
    assert _counts(store) == before
    with pytest.raises(UseCaseIncomplete, match="second write transaction"):
        _two_transactions(store.ctx, store.cashier)


def test_results_say_what_changed(store: Store) -> None:
    from pos_app.services import members

    reg = members.register_member(store.ctx, store.cashier, phone="13900000002", request_id="reg-c")
    assert reg.changes.members and reg.changes.sync and reg.changes.audit and not reg.changes.wallet
    r = wallet.recharge(store.ctx, store.cashier, member_id=reg.member_id, tier_code="luxury", pay_method="cash",
                        request_id="rc-1")
    assert set(r.changes.areas) >= {"wallet", "members", "points", "coupons", "gifts", "sync", "audit"}
    assert not r.changes.staff and not r.changes.campaigns
    again = wallet.recharge(store.ctx, store.cashier, member_id=reg.member_id, tier_code="luxury",
                            pay_method="cash", request_id="rc-1")
    assert again == r and again.changes == Changes()  # a replay writes nothing
    # the CLI's JSON is unchanged: no "changes" key
    from pos_app.services.dto import to_jsonable

    assert "changes" not in to_jsonable(r)


def test_changes_refuse_unknown_areas() -> None:
    with pytest.raises(ValueError):
        Changes.of(["wallet", "walet"])
    with pytest.raises(ValueError):
        Changes().any("stok")
    assert (Changes.of(["wallet"]) | Changes.of(["stock"])).areas == ("wallet", "stock")
