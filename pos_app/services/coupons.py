"""Coupons: templates, issue (by tier/rebate entitlements, referral rewards, a manager by hand), redeem at
payment (optionally paying the rest from the stored balance in the same transaction), void, history.

Handlers it registers (see services/registry.py, :data:`FEATURE`): campaign validate/loaded, prepare/on
granted, refund of an issued coupon/voucher, count of unused coupons, doctor checks, demo data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import coupons as rules
from pos_app.domain import entitlements as life
from pos_app.domain.campaign import GRANT_COUPON, GRANT_VOUCHER
from pos_app.domain.errors import Conflict, InvalidInput, NotFound, StateError
from pos_app.domain.money import MAX_AMOUNT_FEN
from pos_app.domain.referrals import rules_from_dict
from pos_app.domain.text import clean_text
from pos_app.domain.textparams import Money, message_ref
from pos_app.services import grants
from pos_app.services.common import (
    add_facts,
    audit,
    check_request_id,
    emit,
    local_date,
    remember,
    replayed,
    require,
    settings,
)
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.doctor import Check
from pos_app.services.dto import Result, SpendResult
from pos_app.services.registry import Feature, Registrar
from pos_app.services.usecase import use_case

DEFAULT_VOUCHER_VALID_DAYS = 365
MAX_BATCH = 1000

# ----------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class TemplateDTO(Result):
    template_id: str
    code: str
    name: str
    kind: str
    value_fen: int
    percent_bp: int
    max_discount_fen: int
    min_spend_fen: int
    valid_days: int
    valid_from: date | None
    valid_until: date | None
    category: str
    bearer: bool
    active: bool
    campaign_code: str | None


@dataclass(frozen=True)
class CouponDTO(Result):
    coupon_id: str
    code: str  # grouped reading form, XXXX-XXXX-XXXX-XXXX-C
    raw_code: str  # normalised, no dashes (what the QR code holds)
    template_code: str | None
    kind: str
    name: str
    value_fen: int
    percent_bp: int
    max_discount_fen: int
    min_spend_fen: int
    category: str
    member_id: str | None
    member_phone: str | None
    bearer: bool
    valid_from: date
    valid_until: date
    state: str  # issued | redeemed | voided | expired
    source: str
    issued_at: datetime
    reason: str | None
    redeemed_at: datetime | None
    discount_fen: int | None
    void_reason: str | None
    entitlement_id: str | None


@dataclass(frozen=True)
class CouponEventDTO:
    kind: str
    at: datetime
    staff_code: str | None
    member_id: str | None
    amount_fen: int | None
    discount_fen: int | None
    reason: str | None


@dataclass(frozen=True)
class RedemptionPreview:
    code: str
    kind: str
    name: str
    amount_fen: int
    discount_fen: int
    payable_fen: int
    valid_until: date
    min_spend_fen: int


@dataclass(frozen=True)
class CouponPayment(Result):
    coupon_code: str
    discount_fen: int
    payable_fen: int
    spend: SpendResult | None
    amount_fen: int = 0
    coupon_id: str = ""


@dataclass(frozen=True)
class PrintInfo:
    store_name: str
    store_code: str
    invite_url_template: str | None
    escpos_device: str | None


# ----------------------------------------------------------------------------- helpers


def _template_domain(row: mc.CouponTemplate) -> rules.Template:
    return rules.Template(
        code=row.code, name=row.name, kind=row.kind, value_fen=row.value_fen, percent_bp=row.percent_bp,
        max_discount_fen=row.max_discount_fen, min_spend_fen=row.min_spend_fen, valid_days=row.valid_days,
        valid_from=row.valid_from, valid_until=row.valid_until, category=row.category, bearer=row.bearer,
    )


def _template_dto(row: mc.CouponTemplate) -> TemplateDTO:
    return TemplateDTO(
        row.id, row.code, row.name, row.kind, row.value_fen, row.percent_bp, row.max_discount_fen,
        row.min_spend_fen, row.valid_days, row.valid_from, row.valid_until, row.category, row.bearer,
        row.active, row.campaign_code,
    )


def _state(c: mc.Coupon) -> rules.CouponState:
    return rules.CouponState(
        code=c.code, kind=c.kind, state=c.state, member_id=c.member_id, bearer=c.bearer,
        valid_from=c.valid_from, valid_until=c.valid_until, value_fen=c.value_fen, percent_bp=c.percent_bp,
        max_discount_fen=c.max_discount_fen, min_spend_fen=c.min_spend_fen,
    )


def _dto(uow: UnitOfWork, c: mc.Coupon, today: date) -> CouponDTO:
    phone = uow.session.scalar(select(m.Member.phone).where(m.Member.id == c.member_id)) if c.member_id else None
    return _coupon_dto(c, phone, today)


def _coupon_dto(c: Any, phone: str | None, today: date) -> CouponDTO:
    """The coupon view of ``c``: its ORM row, or the row a read-only look-up fetched
    (``repo.coupons.view_by_code``: the same columns as attributes)."""
    return CouponDTO(
        coupon_id=c.id, code=rules.group(c.code), raw_code=c.code, template_code=c.template_code, kind=c.kind,
        name=c.name, value_fen=c.value_fen, percent_bp=c.percent_bp, max_discount_fen=c.max_discount_fen,
        min_spend_fen=c.min_spend_fen, category=c.category, member_id=c.member_id, member_phone=phone,
        bearer=c.bearer, valid_from=c.valid_from, valid_until=c.valid_until,
        state=rules.effective_state(_state(c), today), source=c.source, issued_at=c.issued_at, reason=c.reason,
        redeemed_at=c.redeemed_at, discount_fen=c.discount_fen, void_reason=c.void_reason,
        entitlement_id=grants.unit_id(c),
    )


def find_coupon(uow: UnitOfWork, text: str) -> mc.Coupon:
    """Check the code first (no lookup for a mistyped one), then look it up."""
    code = rules.parse_code(text)
    c = repo.coupons.by_code(uow.session, code)
    if c is None:
        raise rules.unknown_code(code)
    return c


def find_coupon_copy(uow: UnitOfWork, text: str) -> mc.Coupon:
    """As :func:`find_coupon`, as a copy for reading (not an object of the session): checkout prices a sale
    with it and redeems it with :func:`redeem_on_sale`."""
    code = rules.parse_code(text)
    c = repo.coupons.copy_by_code(uow.session, code)
    if c is None:
        raise rules.unknown_code(code)
    return c


def _event(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, c: mc.Coupon, kind: str, **kw: Any
) -> None:
    repo.coupons.add_events(uow.session, [dict(
        id=ctx.new_id(), coupon_id=c.id, kind=kind, at=ctx.now(),
        staff_id=actor.staff_id if actor and actor.staff_id else None, **kw,
    )])


def _new_codes(uow: UnitOfWork, ctx: ServiceContext, n: int) -> list[str]:
    """``n`` fresh codes, none issued before: drawn at once, checked against the coupon table in one query
    (80 random bits: a clash never happens in practice, and the UNIQUE constraint stays the last word)."""
    codes = [rules.new_code(ctx.randbits) for _ in range(n)]
    for _ in range(10):
        taken = repo.coupons.taken_codes(uow.session, codes)
        seen: set[str] = set()
        clash = False
        for i, code in enumerate(codes):
            if code in taken or code in seen:
                codes[i] = rules.new_code(ctx.randbits)
                clash = True
            seen.add(codes[i])
        if not clash:
            return codes
    raise Conflict("coupon.code_exhausted")  # 80 random bits: never in practice


@dataclass(frozen=True)
class _Issue:
    """One coupon to issue: of template ``t``, for ``member_id`` (None: bearer)."""

    t: rules.Template
    member_id: str | None
    source: str
    name: str | None = None
    entitlement_id: str | None = None
    reason: str | None = None
    batch_id: str | None = None


def _coupon_rows(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, todo: Sequence[_Issue], today: date
) -> list[dict[str, Any]]:
    """The coupon rows for ``todo`` (fresh codes, ids), not yet written. The row is the coupon's issue:
    when (issued_at), by whom (issued_by), for whom (member_id) and why (source, reason)."""
    for it in todo:
        if it.member_id is None and not it.t.bearer:
            raise InvalidInput("coupon.member_required", template=it.t.code)
    if not todo:
        return []
    st = settings(uow)
    staff_id = actor.staff_id if actor and actor.staff_id else None
    codes = _new_codes(uow, ctx, len(todo))
    coupons: list[dict[str, Any]] = []
    for it, code in zip(todo, codes, strict=True):
        t = it.t
        start, end = rules.validity(t, today)
        now = ctx.now()
        cid = ctx.new_id()
        coupons.append(dict(
            id=cid, code=code, template_code=t.code or None, kind=t.kind,
            name=it.name or t.name, value_fen=t.value_fen, percent_bp=t.percent_bp, max_discount_fen=t.max_discount_fen,
            min_spend_fen=t.min_spend_fen, category=t.category, member_id=it.member_id, bearer=t.bearer,
            valid_from=start, valid_until=end, state=rules.ISSUED, source=it.source, entitlement_id=it.entitlement_id,
            store_code=st.store_code, issued_at=now, issued_by=staff_id, reason=it.reason, batch_id=it.batch_id,
            redeemed_at=None, redeemed_member_id=None, bill_fen=None, discount_fen=None, spend_id=None,
            voided_at=None, void_reason=None, item_json=None,
        ))
    return coupons


def _write_coupons(uow: UnitOfWork, coupons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """INSERT the coupons (one statement); the transaction's event carries them (fact ``coupons``)."""
    repo.coupons.add_many(uow.session, coupons)
    grants.note_codes(uow, {c["id"]: c["code"] for c in coupons})
    add_facts(uow, "coupons", [_issued_fact(c) for c in coupons])
    return coupons


def _issue_many(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, todo: Sequence[_Issue], today: date
) -> list[mc.Coupon]:
    """Issue the coupons inside the caller's transaction (one statement). Returns copies for reading
    (load a coupon to change it)."""
    return [mc.Coupon(**c) for c in _write_coupons(uow, _coupon_rows(uow, ctx, actor, todo, today))]


def issue_in_uow(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor | None,
    t: rules.Template,
    *,
    member_id: str | None,
    source: str,
    today: date,
    name: str | None = None,
    entitlement_id: str | None = None,
    reason: str | None = None,
    batch_id: str | None = None,
) -> mc.Coupon:
    """Issue one coupon of template ``t`` inside the caller's transaction. Returns a copy for reading
    (load it with ``session.get`` to change it)."""
    return _issue_many(uow, ctx, actor, [_Issue(t, member_id, source, name, entitlement_id, reason, batch_id)], today)[0]


def _event_payload(c: Mapping[str, Any]) -> dict[str, Any]:
    """What another store needs to redeem the coupon offline (pulled from the central server)."""
    return {
        "id": c["id"], "code": c["code"], "kind": c["kind"], "name": c["name"], "value_fen": c["value_fen"],
        "percent_bp": c["percent_bp"], "max_discount_fen": c["max_discount_fen"], "min_spend_fen": c["min_spend_fen"],
        "category": c["category"], "member_id": c["member_id"], "bearer": c["bearer"],
        "valid_from": c["valid_from"].isoformat(), "valid_until": c["valid_until"].isoformat(),
        "store_code": c["store_code"],
    }


def _issued_fact(c: Mapping[str, Any]) -> dict[str, Any]:
    """A coupon issued in this transaction, as its event carries it: what redeems it elsewhere, and why."""
    return {**_event_payload(c), "template": c["template_code"], "source": c["source"],
            "entitlement_id": grants.unit_id(c), "batch_id": c["batch_id"], "reason": c["reason"]}


def _template_row(uow: UnitOfWork, code: str) -> mc.CouponTemplate | None:
    return uow.session.scalar(select(mc.CouponTemplate).where(mc.CouponTemplate.code == code))


def _templates(uow: UnitOfWork, codes: set[str]) -> dict[str, rules.Template]:
    """The templates of these codes, in one plain query."""
    return {r["code"]: rules.Template(**{**r, "bearer": bool(r["bearer"])}) for r in repo.coupons.templates(uow.session, codes)}


@dataclass
class _Planned:
    """Coupons planned for entitlements before those are written (see :func:`prepare_granted`)."""

    entitlements: list[m.Entitlement]
    coupons: list[dict[str, Any]]


def _plan_entitlements(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, es: Sequence[m.Entitlement], today: date,
    *, fold: bool = False,
) -> _Planned:
    """Make the coupon rows for owed coupon/voucher entitlements and mark the entitlements issued
    (state, issued_ref = the coupon's id). Nothing is written yet: see :func:`_write_planned`. ``fold``
    (entitlements not written yet, a recharge's): a coupon issued at once is its entitlement's only row
    (:func:`grants.held_by_coupon`; the recharge then does not write that entitlement row)."""
    templates = _templates(uow, {e.ref for e in es})
    todo: list[_Issue] = []
    for e in es:
        row = templates.get(e.ref)
        if e.kind == GRANT_COUPON:
            if row is None:
                raise NotFound("coupon.template_unknown", template=e.ref)
            t = row
            name = row.name
            if e.name == e.ref:  # rewards named only by their template code
                e.name = row.name
        else:  # service voucher: the entitlement carries its value; a template of that code may set the rest
            days = int(settings(uow).raw.get("voucher_valid_days", DEFAULT_VOUCHER_VALID_DAYS))
            base = row if row is not None and row.kind == rules.SERVICE_VOUCHER else None
            t = rules.Template(
                code=e.ref[:32], name=e.name, kind=rules.SERVICE_VOUCHER, value_fen=e.value_fen,
                min_spend_fen=base.min_spend_fen if base else 0,
                valid_days=base.valid_days if base else days,
                valid_from=base.valid_from if base else None, valid_until=base.valid_until if base else None,
                category=base.category if base else e.ref, bearer=False,
            )
            name = e.name
        todo.append(_Issue(t, e.member_id, e.source, name, e.id))
    coupons = _coupon_rows(uow, ctx, actor, todo, today)
    now = ctx.now()
    for e, c in zip(es, coupons, strict=True):
        e.state = life.transition(e.state, life.ISSUE)
        e.issued_ref = c["id"]
        e.updated_at = now
        if fold and grants.held_by_coupon(e):  # issued at once by a recharge: the coupon row is the entitlement's row
            c["entitlement_id"] = None
            c["batch_id"] = e.recharge_id
            c["item_json"] = grants.item_json(e)
    return _Planned(list(es), coupons)


def _write_planned(uow: UnitOfWork, plan: _Planned) -> list[dict[str, Any]]:
    """Write planned coupons (their entitlements are written already); the event carries them."""
    return _write_coupons(uow, plan.coupons)


def issue_entitlements(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, es: Sequence[m.Entitlement], today: date
) -> list[mc.Coupon]:
    """Turn owed coupon/voucher entitlements into real coupons (state owed -> issued), one coupon each;
    the transaction's event carries them. Returns copies for reading."""
    if not es:
        return []
    return [mc.Coupon(**c) for c in _write_planned(uow, _plan_entitlements(uow, ctx, actor, es, today))]


def issue_entitlement(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, e: m.Entitlement, today: date
) -> mc.Coupon:
    """Turn an owed coupon/voucher entitlement into a real coupon (state owed -> issued)."""
    return issue_entitlements(uow, ctx, actor, [e], today)[0]


def _void_in_uow(uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, c: mc.Coupon, reason: str) -> None:
    c.state = rules.VOIDED
    c.voided_at = ctx.now()
    c.void_reason = reason
    _event(uow, ctx, actor, c, "void", member_id=c.member_id, reason=reason)
    add_facts(uow, "coupons_voided", [{"coupon_id": c.id, "code": c.code, "reason": reason,
                                       "staff": actor.code if actor else None}])


def take_back(uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, e: m.Entitlement, reason: str) -> str:
    """An issued coupon/voucher entitlement whose reason is gone: void the coupon if unused (event
    'revoke'), keep it when already used ('keep'). Returns the entitlement's event (domain.entitlements)."""
    c = uow.session.get(mc.Coupon, e.issued_ref) if e.issued_ref else None
    if c is None:
        return life.KEEP
    if c.state == rules.ISSUED:
        _void_in_uow(uow, ctx, actor, c, reason)
        return life.REVOKE
    if c.state == rules.VOIDED:
        return life.REVOKE
    return life.KEEP


# ----------------------------------------------------------------------------- handlers (see FEATURE)


def _to_issue_now(entitlements: Sequence[m.Entitlement], today: date) -> list[m.Entitlement]:
    """The owed coupons/vouchers to issue now: those due later (``due_on`` after ``today``, e.g. referral
    rewards "within N working days") are issued by the daily job (:func:`referrals.issue_due`)."""
    return [
        e for e in entitlements
        if e.state == grants.OWED and e.kind in (GRANT_COUPON, GRANT_VOUCHER) and (e.due_on is None or e.due_on <= today)
    ]


def prepare_granted(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, entitlements: Sequence[m.Entitlement],
    today: date,
) -> None:
    """Before the entitlement rows are written: plan their coupons, so each row is written once, already
    'issued' (an INSERT then an UPDATE of the state would touch the state indexes twice). The coupons
    themselves are written by :func:`on_granted`, after the rows they refer to."""
    now = _to_issue_now(entitlements, today)
    if now:
        uow.cache.setdefault("_coupons_planned", []).append(_plan_entitlements(uow, ctx, actor, now, today, fold=True))


def on_granted(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, entitlements: Sequence[m.Entitlement],
    today: date,
) -> None:
    """After the entitlement rows are written: write the coupons :func:`prepare_granted` planned for them
    (every coupon/voucher to issue now was planned there, before its row was written)."""
    planned: list[_Planned] = uow.cache.get("_coupons_planned") or []
    ids = {id(e) for e in entitlements}
    for plan in [p for p in planned if id(p.entitlements[0]) in ids]:
        planned.remove(plan)
        _write_planned(uow, plan)


def on_refund_entitlement(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, e: m.Entitlement) -> str:
    if e.kind in (GRANT_COUPON, GRANT_VOUCHER):
        return take_back(uow, ctx, actor, e, "refund")
    return life.KEEP


def count_unused_coupons(uow: UnitOfWork, member_id: str, today: date) -> int:
    """The member's issued coupons still valid on the store's ``today`` (given by the caller's clock)."""
    return repo.coupons.count_unused(uow.connection if uow.read_only else uow.session, member_id, today)


def validate_campaign(data: dict[str, Any]) -> None:
    seen: set[str] = set()
    for d in data.get("coupon_templates", []) or []:
        t = rules.template_from_dict(d)
        if t.code in seen:
            raise InvalidInput("coupon.template_duplicate", template=t.code)
        seen.add(t.code)


def _campaign_template_refs(data: dict[str, Any]) -> set[str]:
    refs = {str(c.get("template")) for t in data.get("tiers", []) or [] for c in t.get("coupons", []) or []}
    rr = rules_from_dict(data)
    if rr is not None:
        refs |= rr.coupon_templates()
    return refs


def on_campaign_loaded(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, data: dict[str, Any]) -> None:
    code = str((data.get("campaign") or {}).get("code") or "") or None
    for d in data.get("coupon_templates", []) or []:
        _upsert_template(uow, ctx, rules.template_from_dict(d), code)
    uow.session.flush()
    for ref in sorted(_campaign_template_refs(data)):
        if _template_row(uow, ref) is None:
            raise InvalidInput("coupon.template_unknown", template=ref)


def _upsert_template(
    uow: UnitOfWork, ctx: ServiceContext, t: rules.Template, campaign_code: str | None
) -> mc.CouponTemplate:
    row = _template_row(uow, t.code)
    now = ctx.now()
    if row is None:
        row = mc.CouponTemplate(id=ctx.new_id(), code=t.code, created_at=now)
        uow.session.add(row)
    row.name, row.kind, row.value_fen, row.percent_bp = t.name, t.kind, t.value_fen, t.percent_bp
    row.max_discount_fen, row.min_spend_fen, row.valid_days = t.max_discount_fen, t.min_spend_fen, t.valid_days
    row.valid_from, row.valid_until, row.category, row.bearer = t.valid_from, t.valid_until, t.category, t.bearer
    row.active = True
    row.campaign_code = campaign_code
    row.updated_at = now
    return row


def doctor_checks(uow: UnitOfWork) -> list[Check]:
    s = uow.session
    out: list[Check] = []
    bad = [c for c in s.scalars(select(mc.Coupon.code)) if not rules.is_valid_check(c)]
    out.append(Check("coupon_codes_valid", not bad, ", ".join(bad[:5])))
    events: dict[str, list[str]] = {}
    for cid, kind in s.execute(select(mc.CouponEvent.coupon_id, mc.CouponEvent.kind)):
        events.setdefault(cid, []).append(kind)
    wrong = []
    for c in s.scalars(select(mc.Coupon)):
        ev = events.get(c.id, [])
        # the coupon row is its issue (issued_at, issued_by, member, reason): no history row repeats it
        redeems = ev.count("redeem") - ev.count("reinstate")  # a returned sale reinstates its coupon
        ok = c.issued_at is not None and "issue" not in ev and redeems == (1 if c.state == rules.REDEEMED else 0)
        ok = ok and ev.count("void") == (1 if c.state == rules.VOIDED else 0)
        if c.state == rules.REDEEMED:
            ok = ok and c.discount_fen is not None and c.bill_fen is not None and 0 <= c.discount_fen <= c.bill_fen
        if c.spend_id:
            sp = s.get(m.Spend, c.spend_id)
            ok = ok and sp is not None and c.bill_fen == sp.amount_fen + (c.discount_fen or 0)
        if not ok:
            wrong.append(rules.group(c.code))
    out.append(Check("coupon_history_complete", not wrong, ", ".join(wrong[:5])))
    rows = s.execute(
        select(m.Entitlement.id, m.Entitlement.issued_ref, mc.Coupon.entitlement_id)
        .outerjoin(mc.Coupon, mc.Coupon.id == m.Entitlement.issued_ref)
        .where(m.Entitlement.kind.in_((GRANT_COUPON, GRANT_VOUCHER)), m.Entitlement.state != grants.OWED,
               m.Entitlement.issued_ref.is_not(None))
    ).all()
    orphan = [eid for eid, _ref, back in rows if back != eid]
    out.append(Check("coupon_entitlements_issued", not orphan, ", ".join(orphan[:5])))
    return out


def load_demo_data(ctx: ServiceContext, actor: Actor) -> None:
    """Two bearer coupons a manager handed out by hand (the templates come from the demo campaign)."""
    with ctx.uow(read_only=True) as uow:
        has = _template_row(uow, "GROOM85") is not None
    if has:
        issue_coupons(ctx, actor, template_code="GROOM85", count=2, reason="开业活动派发", request_id="demo-coupons-1")


def register(reg: Registrar) -> None:
    reg.campaign_validate.append(validate_campaign)
    reg.campaign_loaded.append(on_campaign_loaded)
    reg.prepare_granted.append(prepare_granted)
    reg.on_granted.append(on_granted)
    for kind in (GRANT_COUPON, GRANT_VOUCHER):
        reg.refund_entitlement(kind, on_refund_entitlement)
    reg.count_unused_coupons(count_unused_coupons)
    reg.doctor_checks.append(doctor_checks)
    reg.demo_data.append(load_demo_data)


FEATURE = Feature("coupons", register)


# ----------------------------------------------------------------------------- templates


@use_case("coupon.add_template", permission="coupon.manage", event="coupon.template_added")
def add_template(ctx: ServiceContext, actor: Actor, template: rules.Template) -> TemplateDTO:
    """A manager adds a template by hand (the campaign file is the other way in)."""
    t = rules.check_template(template)
    clean_text(t.name, field="name")  # printed on every coupon: free text by the one rule
    with ctx.uow() as uow:
        if _template_row(uow, t.code) is not None:
            raise Conflict("coupon.template_exists", template=t.code)
        row = _upsert_template(uow, ctx, t, None)
        uow.session.flush()
        audit(uow, ctx, actor, "coupon.template_add", "coupon_template", row.id, code=t.code, kind=t.kind)
        emit(uow, ctx, "coupon.template_added", {"code": t.code, "name": t.name, "kind": t.kind,
                                                 "value_fen": t.value_fen, "percent_bp": t.percent_bp})
        dto = _template_dto(row)
        uow.commit()
        return dto


def list_templates(ctx: ServiceContext, actor: Actor) -> list[TemplateDTO]:
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        return [_template_dto(r) for r in uow.session.scalars(select(mc.CouponTemplate).order_by(mc.CouponTemplate.code))]


# ----------------------------------------------------------------------------- issue / show / list


@use_case("coupon.issue", permission="coupon.issue", event="coupon.issued", idempotent=True)
def issue_coupons(
    ctx: ServiceContext,
    actor: Actor,
    *,
    template_code: str,
    member_id: str | None = None,
    phone: str | None = None,
    count: int = 1,
    reason: str,
    request_id: str | None = None,
) -> list[CouponDTO]:
    """A manager issues coupons by hand, with a reason (to a member, or bearer coupons to print)."""
    reason = _reason(reason)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise InvalidInput("coupon.count_invalid", count=count, max_count=MAX_BATCH)
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        member = None
        if member_id or phone:
            from pos_app.services.members import load_member  # noqa: PLC0415

            member = load_member(uow, phone=phone, member_id=member_id)
        params = {"template": template_code, "member": member.id if member else None, "count": count, "reason": reason}
        today = local_date(ctx, settings(uow))
        done = replayed(uow, request_id, "coupon.issue", params)
        if done:
            rows = s.scalars(select(mc.Coupon).where(mc.Coupon.batch_id == done).order_by(mc.Coupon.issued_at, mc.Coupon.id)).all()
            return [_dto(uow, c, today) for c in rows]
        row = _template_row(uow, template_code)
        if row is None:
            raise NotFound("coupon.template_unknown", template=template_code)
        t = _template_domain(row)
        batch = ctx.new_id()
        issued = _issue_many(uow, ctx, actor, [
            _Issue(t, member.id if member else None, "manual", reason=reason, batch_id=batch) for _ in range(count)
        ], today)
        remember(uow, ctx, request_id, "coupon.issue", batch, params)
        audit(uow, ctx, actor, "coupon.issue", "coupon_batch", batch, template=t.code, count=count, reason=reason,
              member_id=member.id if member else None)
        emit(uow, ctx, "coupon.issued", {
            "batch_id": batch, "template": t.code, "member_id": member.id if member else None, "reason": reason,
            "staff": actor.code,  # the coupons: the event's fact ``coupons``
        })
        out = [_dto(uow, c, today) for c in issued]
        uow.commit()
        return out


def get_coupon(ctx: ServiceContext, actor: Actor, code: str) -> CouponDTO:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        wanted = rules.parse_code(code)  # checked first: no look-up for a mistyped code
        row = repo.coupons.view_by_code(uow.connection, wanted)  # the coupon and its owner's phone, no ORM object
        if row is None:
            raise rules.unknown_code(wanted)
        return _coupon_dto(row, row.member_phone, local_date(ctx, settings(uow)))


def coupon_history(ctx: ServiceContext, actor: Actor, code: str) -> list[CouponEventDTO]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        c = find_coupon(uow, code)
        s = uow.session
        issuer = s.scalar(select(m.Staff.code).where(m.Staff.id == c.issued_by)) if c.issued_by else None
        # the issue is the coupon row itself; redemption and void are history rows
        issue = CouponEventDTO("issue", c.issued_at, issuer, c.member_id, None, None, c.reason)
        rows = s.execute(
            select(mc.CouponEvent, m.Staff.code).outerjoin(m.Staff, m.Staff.id == mc.CouponEvent.staff_id)
            .where(mc.CouponEvent.coupon_id == c.id).order_by(mc.CouponEvent.at)
        ).all()
        return [issue] + [CouponEventDTO(e.kind, e.at, sc, e.member_id, e.amount_fen, e.discount_fen, e.reason)
                          for e, sc in rows]


def list_coupons(
    ctx: ServiceContext, actor: Actor, *, member_id: str | None = None, state: str | None = None, limit: int = 500
) -> list[CouponDTO]:
    """Newest first. ``state`` may be issued / redeemed / voided / expired (the shown state)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        stmt = select(mc.Coupon)
        if member_id:
            stmt = stmt.where(mc.Coupon.member_id == member_id)
        if state == rules.EXPIRED:
            stmt = stmt.where(mc.Coupon.state == rules.ISSUED, mc.Coupon.valid_until < today)
        elif state == rules.ISSUED:
            stmt = stmt.where(mc.Coupon.state == rules.ISSUED, mc.Coupon.valid_until >= today)
        elif state:
            stmt = stmt.where(mc.Coupon.state == state)
        stmt = stmt.order_by(mc.Coupon.issued_at.desc(), mc.Coupon.id).limit(max(1, min(limit, 10_000)))
        return [_dto(uow, c, today) for c in uow.session.scalars(stmt)]


def usable_coupons(
    ctx: ServiceContext, actor: Actor, *, member_id: str, amount_fen: int | None = None
) -> list[CouponDTO]:
    """The member's own coupons that can be redeemed now (this store, valid today) on a bill of
    ``amount_fen`` (minimum spend met); without an amount, every coupon valid today. The same checks as
    :func:`preview_redemption`, so a coupon listed here redeems. Soonest to expire first."""
    require(actor, "coupon.redeem")
    if amount_fen is not None:
        _check_bill(amount_fen)
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        stmt = (
            select(mc.Coupon)
            .where(mc.Coupon.member_id == member_id, mc.Coupon.state == rules.ISSUED, mc.Coupon.valid_until >= today)
            .order_by(mc.Coupon.valid_until, mc.Coupon.issued_at, mc.Coupon.id)
        )
        out: list[CouponDTO] = []
        for c in uow.session.scalars(stmt):
            try:
                check_store(uow, c)
                rules.check_redeemable(_state(c), member_id=member_id,
                                       amount_fen=c.min_spend_fen if amount_fen is None else amount_fen, today=today)
            except StateError:
                continue
            out.append(_dto(uow, c, today))
        return out


def coupons_by_codes(ctx: ServiceContext, actor: Actor, codes: Sequence[str]) -> list[CouponDTO]:
    """For printing: the coupons in the order given (each code checked)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        return [_dto(uow, find_coupon(uow, code), today) for code in codes]


def print_info(ctx: ServiceContext) -> PrintInfo:
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        return PrintInfo(st.name, st.store_code, st.raw.get("invite_url_template") or None,
                         st.raw.get("escpos_device") or None)


# ----------------------------------------------------------------------------- redeem / pay / void


def _check_bill(amount_fen: int) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidInput("money.invalid", value=str(amount_fen), field="amount")
    if amount_fen < 0:
        raise InvalidInput("money.negative", value=str(amount_fen), field="amount")
    if amount_fen > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(amount_fen), field="amount", max=Money(MAX_AMOUNT_FEN))
    return amount_fen


def preview_redemption(ctx: ServiceContext, actor: Actor, *, code: str, member_id: str, amount_fen: int) -> RedemptionPreview:
    """What the coupon takes off this bill, or the reason it cannot be used. Writes nothing."""
    require(actor, "coupon.redeem")
    code_n = rules.parse_code(code)  # a mistyped code is refused before any lookup
    _check_bill(amount_fen)
    with ctx.uow(read_only=True) as uow:
        c = find_coupon(uow, code_n)
        today = local_date(ctx, settings(uow))
        check_store(uow, c)
        discount = rules.check_redeemable(_state(c), member_id=member_id, amount_fen=amount_fen, today=today)
        return RedemptionPreview(rules.group(c.code), c.kind, c.name, amount_fen, discount, amount_fen - discount,
                                 c.valid_until, c.min_spend_fen)


def check_store(uow: UnitOfWork, c: mc.Coupon) -> None:
    """A coupon issued by another store is known here only through sync, with the status of the last pull.
    Store setting ``foreign_coupons``: "allow" (default) or "refuse"."""
    st = settings(uow)
    if c.store_code != st.store_code and str(st.raw.get("foreign_coupons", "allow")) == "refuse":
        raise StateError("coupon.foreign_store", code=rules.group(c.code), store=c.store_code)


def _redeem_in_uow(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, c: mc.Coupon, member_id: str | None, amount_fen: int, today: date
) -> int:
    check_store(uow, c)
    for check in ctx.registry.before_redeem:  # sync: a coupon of another store while offline
        check(uow, ctx, c)
    discount = rules.check_redeemable(_state(c), member_id=member_id, amount_fen=amount_fen, today=today)
    c.state = rules.REDEEMED
    c.redeemed_at = ctx.now()
    c.redeemed_member_id = member_id
    c.bill_fen = amount_fen
    c.discount_fen = discount
    return discount


def coupon_state(c: mc.Coupon) -> rules.CouponState:
    """What redemption checks know of an issued coupon (for checkout, which checks it against the lines)."""
    return _state(c)


def redeem_on_sale(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, c: mc.Coupon, member_id: str | None, bill_fen: int,
    discount_fen: int, sale_id: str,
) -> None:
    """Mark the coupon redeemed on a sale (checkout checked it on the lines it covers: ``bill_fen``): ``c`` is
    the copy :func:`find_coupon_copy` read; the row is updated at once, the copy with it."""
    check_store(uow, c)
    c.state = rules.REDEEMED
    c.redeemed_at = ctx.now()
    c.redeemed_member_id = member_id
    c.bill_fen = bill_fen
    c.discount_fen = discount_fen
    repo.coupons.set_redeemed(uow.session, c.id, state=c.state, at=c.redeemed_at, member_id=member_id,
                              bill_fen=bill_fen, discount_fen=discount_fen)
    _event(uow, ctx, actor, c, "redeem", member_id=member_id, amount_fen=bill_fen, discount_fen=discount_fen,
           reason=sale_id)


def reinstate(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, c: mc.Coupon, sale_id: str) -> None:
    """A coupon used on a sale that is returned in full is usable again (its history keeps both)."""
    c.state = rules.ISSUED
    c.redeemed_at = None
    c.redeemed_member_id = None
    c.bill_fen = None
    c.discount_fen = None
    _event(uow, ctx, actor, c, "reinstate", member_id=c.member_id, reason=sale_id)


@use_case("coupon.pay", permission=("coupon.redeem", "wallet.spend"), event="coupon.redeemed", idempotent=True)
def pay_with_coupon(
    ctx: ServiceContext,
    actor: Actor,
    *,
    member_id: str,
    amount_fen: int,
    code: str,
    request_id: str | None = None,
) -> CouponPayment:
    """Redeem the coupon on a bill of ``amount_fen`` and take the rest from the stored balance, in one
    transaction. Idempotent by request id."""
    code_n = rules.parse_code(code)
    _check_bill(amount_fen)
    request_id = check_request_id(request_id, ctx)
    params = {"member_id": member_id, "amount_fen": amount_fen, "code": code_n}
    from pos_app.services import wallet  # noqa: PLC0415

    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "coupon.pay", params)
        if done:
            c = s.get(mc.Coupon, done)
            assert c is not None and c.discount_fen is not None and c.bill_fen is not None
            sp = s.get(m.Spend, c.spend_id) if c.spend_id else None
            return CouponPayment(rules.group(c.code), c.discount_fen, c.bill_fen - c.discount_fen,
                                 wallet.spend_result(uow, sp) if sp else None, c.bill_fen, c.id)
        member = wallet.load_member(uow, member_id=member_id)
        c = find_coupon(uow, code_n)
        today = local_date(ctx, settings(uow))
        discount = _redeem_in_uow(uow, ctx, actor, c, member.id, amount_fen, today)
        payable = amount_fen - discount
        sp = None
        if payable > 0:
            sp = wallet.spend_in_uow(uow, ctx, actor, member, payable, request_id,
                                     note=message_ref("coupon.pay_note", code=rules.group(c.code)))
            c.spend_id = sp.id
        _event(uow, ctx, actor, c, "redeem", member_id=member.id, amount_fen=amount_fen, discount_fen=discount,
               spend_id=sp.id if sp else None)
        remember(uow, ctx, request_id, "coupon.pay", c.id, params)
        audit(uow, ctx, actor, "coupon.pay", "coupon", c.id, member_id=member.id, amount_fen=amount_fen,
              discount_fen=discount, spend_id=sp.id if sp else None)
        s.flush()
        spend_dto = wallet.spend_result(uow, sp) if sp else None
        emit(uow, ctx, "coupon.redeemed", {
            "coupon_id": c.id, "code": c.code, "member_id": member.id, "amount_fen": amount_fen,
            "discount_fen": discount, "request_id": request_id, "staff": actor.code,
            "spend": None if spend_dto is None else {
                "spend_id": spend_dto.spend_id, "amount_fen": spend_dto.amount_fen,
                "principal_fen": spend_dto.principal_fen, "bonus_fen": spend_dto.bonus_fen,
                "principal_after_fen": spend_dto.principal_balance_fen, "bonus_after_fen": spend_dto.bonus_balance_fen,
            },
        })
        uow.commit()
        return CouponPayment(rules.group(c.code), discount, payable, spend_dto, amount_fen, c.id)


@use_case("coupon.redeem", permission="coupon.redeem", event="coupon.redeemed", idempotent=True)
def redeem_coupon(
    ctx: ServiceContext,
    actor: Actor,
    *,
    code: str,
    amount_fen: int,
    member_id: str | None = None,
    request_id: str | None = None,
) -> CouponPayment:
    """Redeem on a bill paid some other way (cash, card): records the redemption only."""
    code_n = rules.parse_code(code)
    _check_bill(amount_fen)
    request_id = check_request_id(request_id, ctx)
    params = {"member_id": member_id, "amount_fen": amount_fen, "code": code_n}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "coupon.redeem", params)
        if done:
            c = s.get(mc.Coupon, done)
            assert c is not None and c.discount_fen is not None and c.bill_fen is not None
            return CouponPayment(rules.group(c.code), c.discount_fen, c.bill_fen - c.discount_fen, None, c.bill_fen, c.id)
        if member_id and s.get(m.Member, member_id) is None:
            raise NotFound("member.unknown", query=member_id)
        c = find_coupon(uow, code_n)
        today = local_date(ctx, settings(uow))
        discount = _redeem_in_uow(uow, ctx, actor, c, member_id, amount_fen, today)
        _event(uow, ctx, actor, c, "redeem", member_id=member_id, amount_fen=amount_fen, discount_fen=discount)
        remember(uow, ctx, request_id, "coupon.redeem", c.id, params)
        audit(uow, ctx, actor, "coupon.redeem", "coupon", c.id, member_id=member_id, amount_fen=amount_fen,
              discount_fen=discount)
        emit(uow, ctx, "coupon.redeemed", {
            "coupon_id": c.id, "code": c.code, "member_id": member_id, "amount_fen": amount_fen,
            "discount_fen": discount, "request_id": request_id, "staff": actor.code, "spend": None,
        })
        uow.commit()
        return CouponPayment(rules.group(c.code), discount, amount_fen - discount, None, amount_fen, c.id)


def _reason(reason: str | None) -> str:
    """A hand issue's or a void's reason: required, and free text by the one rule (domain.text)."""
    if not " ".join(str(reason or "").split()):
        raise InvalidInput("coupon.reason_required")
    text = clean_text(reason, field="reason", required=True)
    assert text is not None
    return text


@use_case("coupon.void", permission="coupon.void", event="coupon.voided", idempotent=True)
def void_coupon(
    ctx: ServiceContext, actor: Actor, *, code: str, reason: str, request_id: str | None = None
) -> CouponDTO:
    """A manager voids an unused coupon, with a reason."""
    code_n = rules.parse_code(code)
    reason = _reason(reason)
    request_id = check_request_id(request_id, ctx)
    params = {"code": code_n, "reason": reason}
    with ctx.uow() as uow:
        today = local_date(ctx, settings(uow))
        done = replayed(uow, request_id, "coupon.void", params)
        if done:
            first = uow.session.get(mc.Coupon, done)
            assert first is not None
            return _dto(uow, first, today)
        c = find_coupon(uow, code_n)
        if c.state == rules.REDEEMED:
            raise StateError("coupon.used", code=rules.group(c.code))
        if c.state == rules.VOIDED:
            raise StateError("coupon.voided", code=rules.group(c.code))
        _void_in_uow(uow, ctx, actor, c, reason)
        remember(uow, ctx, request_id, "coupon.void", c.id, params)
        audit(uow, ctx, actor, "coupon.void", "coupon", c.id, reason=reason)
        emit(uow, ctx, "coupon.voided", {"coupon_id": c.id, "code": c.code, "reason": reason, "request_id": request_id,
                                         "staff": actor.code})
        dto = _dto(uow, c, today)
        uow.commit()
        return dto


def coupon_stats(ctx: ServiceContext, actor: Actor) -> dict[str, int]:
    """Issued / redeemed / voided / expired / open counts (managers watch the redemption rate)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        s = uow.session
        by_state = dict(s.execute(select(mc.Coupon.state, func.count()).group_by(mc.Coupon.state)).all())
        expired = s.scalar(select(func.count()).select_from(mc.Coupon).where(
            mc.Coupon.state == rules.ISSUED, mc.Coupon.valid_until < today)) or 0
        total = sum(by_state.values())
        return {
            "issued": int(total),
            "redeemed": int(by_state.get(rules.REDEEMED, 0)),
            "voided": int(by_state.get(rules.VOIDED, 0)),
            "expired": int(expired),
            "open": int(by_state.get(rules.ISSUED, 0)) - int(expired),
        }


# shown states, kinds and the CLI/GUI's coupon and invite lines
