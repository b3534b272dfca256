"""Ringing up a sale, its returns, and the sales history (DOMAIN.md: Sales at the counter).

A sale is one transaction: its row, lines and payments; the balance part through the wallet ledger (a
``spend`` with its ledger row and the balances after it, as ``wallet.spend`` writes it); the coupon
redeemed; the points lot; the referral a first purchase qualifies (the referral module's ``on_sale``
handler, campaign ``[referral] qualify``); the audit row and the one ``sale.completed`` event carrying
every fact. A return is the same: money back the way it came (the balance part as a reversing spend that
puts principal and bonus back on the recharge lots it came from), points back in proportion, the coupon
reinstated on a full return while it is still valid, a task the purchase completed taken back when the
rest no longer complete it (``sale_returning``: its reward's points taken back with the sale's, under the
same spent-points policy), the referral reversed (``on_sale_returned``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import checkout as rules
from pos_app.domain import roles
from pos_app.domain import wallet as w
from pos_app.domain.calendar import add_months
from pos_app.domain.campaign import Campaign, active_campaign
from pos_app.domain.coupons import discount_for, group, parse_code
from pos_app.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied, StateError
from pos_app.domain.textparams import Money, message_ref
from pos_app.services import coupons
from pos_app.services.audit import note_move
from pos_app.services.campaigns import parse_rules
from pos_app.services.checkout.dto import (
    LineInput,
    PaymentDTO,
    PaymentInput,
    QuoteDTO,
    ReturnDTO,
    SaleDTO,
    SaleLineDTO,
)
from pos_app.services.checkout.products import category_list
from pos_app.services.common import (
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
from pos_app.services.members import load_member
from pos_app.services.registry import Feature, Registrar, ReturnInfo
from pos_app.services.usecase import use_case
from pos_app.services.wallet import add_points_lot, append_wallet_entry, spend_in_uow

COMPLETE = "complete"
PART_RETURNED = "part_returned"
RETURNED = "returned"

HISTORY_LIMIT = 200


# ----------------------------------------------------------------------------- inputs


def _coupon_codes(coupon_code: str | Sequence[str] | None) -> list[str]:
    """One code, or several (stacking, when the campaign allows it); a mistyped one is refused first."""
    if coupon_code is None:
        return []
    raw = [coupon_code] if isinstance(coupon_code, str) else list(coupon_code)
    return [parse_code(c) for c in raw if str(c or "").strip()]


def _check_inputs(lines: Sequence[LineInput], payments: Sequence[PaymentInput] | None = None) -> None:
    if not lines:
        raise InvalidInput("checkout.no_lines")
    for ln in lines:
        if not isinstance(ln, LineInput):
            raise InvalidInput("checkout.line_invalid", line=str(ln)[:60])
        rules.check_qty(ln.qty)
        if ln.barcode is None and ln.sku is None:
            if ln.category is None or ln.amount_fen is None:
                raise InvalidInput("checkout.line_invalid", line=str(ln.category or ln.amount_fen or "-"))
            rules.check_amount(ln.amount_fen)
    for p in payments or ():
        if not isinstance(p, PaymentInput):
            raise InvalidInput("checkout.method_unknown", method=str(p)[:30], allowed=", ".join(rules.METHODS))


def _campaign_on(uow: UnitOfWork, day: date) -> Campaign | None:
    rows = repo.campaigns.running_rules(uow.session, day)
    return active_campaign([parse_rules(text) for text in rows], day, settings(uow).store_code)


def _checkout_rules(campaign: Campaign | None) -> rules.CheckoutRules:
    return rules.rules_from_dict(campaign.extra) if campaign is not None else rules.CheckoutRules()


def _items(uow: UnitOfWork, ctx: ServiceContext, lines: Sequence[LineInput]) -> list[rules.Item]:
    s = uow.session
    codes = [ln.barcode.strip() for ln in lines if ln.barcode]
    skus = [ln.sku.strip() for ln in lines if ln.sku and not ln.barcode]
    by_code = repo.products.sale_fields_by_barcodes(s, codes)
    by_sku = repo.products.sale_fields_by_skus(s, skus)
    allowed: tuple[str, ...] | None = None
    out = []
    for ln in lines:
        if ln.barcode or ln.sku:
            p = by_code.get(ln.barcode.strip()) if ln.barcode else by_sku.get((ln.sku or "").strip())
            if p is None:
                raise NotFound("product.unknown", code=str(ln.barcode or ln.sku))
            sku, barcode, name, category, price_fen, member_price_fen, active = p
            if not active:
                raise StateError("product.inactive", code=sku, name=name)
            out.append(rules.Item(sku, barcode, name, category, ln.qty, price_fen, member_price_fen))
        else:
            if allowed is None:
                allowed = category_list(uow, ctx)
            cat = rules.check_category(str(ln.category or ""), allowed)
            assert ln.amount_fen is not None
            out.append(rules.Item(None, None, cat, cat, ln.qty, ln.amount_fen))
    return out


def _coupons(uow: UnitOfWork, codes: Sequence[str]) -> list[tuple[mc.Coupon, rules.CouponOnSale]]:
    out = []
    for code in codes:
        c = coupons.find_coupon_copy(uow, code)  # a copy: a sale redeems it with one UPDATE
        coupons.check_store(uow, c)
        out.append((c, rules.CouponOnSale(coupons.coupon_state(c), c.category or "")))
    return out


class _Priced:
    def __init__(self, lines: tuple[rules.Line, ...], member_prices: bool,
                 used: list[tuple[mc.Coupon, rules.CouponOnSale]]) -> None:
        self.lines = lines
        self.member_prices = member_prices
        self.used = used
        self.totals = rules.totals(lines)


def _price(
    uow: UnitOfWork, ctx: ServiceContext, member: m.Member | None, lines: Sequence[LineInput], codes: Sequence[str],
    today: date, crules: rules.CheckoutRules,
) -> _Priced:
    member_prices = member is not None and (rules.member_prices_on(member.member_price_until, today)
                                            or ctx.registry.has_member_prices(uow, ctx, member, today))
    priced = rules.price_lines(_items(uow, ctx, lines), member_prices)
    used = _coupons(uow, codes)
    priced = rules.apply_coupons(priced, [u for _, u in used], member_id=member.id if member else None, today=today,
                                 stacking=crules.stack_coupons)
    return _Priced(priced, member_prices, used)


def _line_dto(line: rules.Line | mk.SaleLine, returned: int = 0) -> SaleLineDTO:
    if isinstance(line, rules.Line):
        return SaleLineDTO(line.no, line.sku, line.barcode, line.name, line.category, line.qty, line.list_unit_fen,
                           line.unit_fen, line.saving_fen, line.discount_fen, line.amount_fen, returned)
    return SaleLineDTO(line.no, line.sku, line.barcode, line.name, line.category, line.qty, line.list_unit_fen,
                       line.unit_fen, (line.list_unit_fen - line.unit_fen) * line.qty, line.discount_fen,
                       line.amount_fen, returned)


# ----------------------------------------------------------------------------- quote (read only)


def quote(
    ctx: ServiceContext, actor: Actor, *, member_id: str | None, lines: Sequence[LineInput],
    coupon_code: str | Sequence[str] | None, today: date | None = None,
) -> QuoteDTO:
    """What the basket costs now (member prices, the coupon), for the live screen. A coupon that does not
    apply is not an error here: ``coupon_refusal`` says why, and the total is without it."""
    require(actor, "sale.ring_up")
    _check_inputs(lines)
    with ctx.uow(read_only=True) as uow:
        day = today or local_date(ctx, settings(uow))
        member = load_member(uow, member_id=member_id) if member_id else None
        crules = _checkout_rules(_campaign_on(uow, day))
        refusal = None
        try:
            codes = _coupon_codes(coupon_code)
            priced = _price(uow, ctx, member, lines, codes, day, crules)
        except DomainError as exc:
            if not coupon_code or exc.key.startswith(("product.", "checkout.qty", "checkout.no_lines", "money.")):
                raise
            refusal = messages.translate(exc.key, exc.params)
            priced = _price(uow, ctx, member, lines, [], day, crules)
        t = priced.totals
        # what the member would earn paying all of it from outside the wallet
        points = rules.points_for(t.total_fen, crules) if member is not None else 0
        if member is not None and points > 0:  # as the sale would earn them (a member level's multiplier)
            points = ctx.registry.earning(uow, ctx, member, "sale", points, day).points
        return QuoteDTO(
            lines=tuple(_line_dto(line) for line in priced.lines),
            subtotal_fen=t.subtotal_fen, saving_fen=t.saving_fen, discount_fen=t.discount_fen, total_fen=t.total_fen,
            coupon_code=", ".join(group(c.code) for c, _ in priced.used) or None,
            coupon_refusal=refusal, member_prices=priced.member_prices, points_if_paid_fully_by_cash=points,
            balance_available_fen=(member.principal_fen + member.bonus_fen) if member is not None else None,
        )


# ----------------------------------------------------------------------------- ring up


def _receipt_prefix(store_code: str, day: date) -> str:
    return f"{store_code}-S{day:%Y%m%d}-"


def _next_receipt_no(uow: UnitOfWork, prefix: str) -> str:
    """``T001-S20261202-0007``: the store, ``S`` and its local date (``prefix``, :func:`_receipt_prefix`), the
    day's sequence of sales."""
    last = repo.sales.last_receipt_no(uow.session, prefix)
    tail = last.removeprefix(prefix) if last else ""
    return f"{prefix}{(int(tail) if tail.isdigit() else 0) + 1:04d}"


def _params(member_id: str | None, lines: Sequence[LineInput], codes: Sequence[str],
            payments: Sequence[PaymentInput]) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "lines": [[ln.barcode, ln.sku, ln.qty, ln.category, ln.amount_fen] for ln in lines],
        "coupons": list(codes),
        "payments": [[p.method, p.amount_fen, p.tendered_fen] for p in payments],
    }


@use_case("sale.ring_up", permission="sale.ring_up", event="sale.completed", idempotent=True)
def ring_up(
    ctx: ServiceContext, actor: Actor, *, request_id: str | None, member_id: str | None,
    lines: Sequence[LineInput], coupon_code: str | Sequence[str] | None, payments: Sequence[PaymentInput],
) -> SaleDTO:
    """One sale, all or nothing. The payments must add up to exactly the total; the balance part never
    passes the balance; a repeat with the same request id returns the first sale and charges nothing."""
    _check_inputs(lines, payments)
    codes = _coupon_codes(coupon_code)
    request_id = check_request_id(request_id, ctx)
    params = _params(member_id, lines, codes, payments)
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "sale.ring_up", params)
        if done:
            first = repo.sales.get(s, done)
            assert first is not None
            return _sale_dto(uow, first)
        st = settings(uow)
        today = local_date(ctx, st)
        member = load_member(uow, member_id=member_id) if member_id else None
        campaign = _campaign_on(uow, today)
        crules = _checkout_rules(campaign)
        priced = _price(uow, ctx, member, lines, codes, today, crules)
        t = priced.totals
        balance = w.Balance(member.principal_fen, member.bonus_fen) if member is not None else None
        paid = rules.settle(t.total_fen, [rules.Payment(p.method, p.amount_fen, p.tendered_fen) for p in payments],
                            balance, st.spend_order)
        actually = rules.actually_paid(t.total_fen, paid)
        eligible = rules.points_eligible(t.total_fen, paid, crules)
        points = rules.points_for(eligible, crules) if member is not None else 0
        sale_id = ctx.new_id()
        prefix = _receipt_prefix(st.store_code, today)
        receipt_no = _next_receipt_no(uow, prefix)
        sp = None
        bal = next((p for p in paid if p.method == rules.BALANCE), None)
        if bal is not None:
            assert member is not None
            sp = spend_in_uow(uow, ctx, actor, member, bal.amount_fen, sale_id,
                              note=message_ref("sale.spend_note", receipt=receipt_no))
            # the wallet's own split (the same rule, the same balance): the sale records what it took
            bal = rules.Paid(rules.BALANCE, bal.amount_fen, sp.principal_fen, sp.bonus_fen)
            paid = tuple(bal if p.method == rules.BALANCE else p for p in paid)
        lot = None
        if points > 0:
            assert member is not None
            # as feature code shapes them: a member level's multiplier, the campaign's pending period
            earned = ctx.registry.earning(uow, ctx, member, "sale", points, today)
            points = earned.points
            expiry = add_months(today, campaign.points_expiry_months if campaign else 12)
            lot = add_points_lot(uow, ctx, member, points, source="sale", expires_on=expiry,
                                 available_on=earned.available_on)
        now = ctx.now()
        change = sum(p.change_fen for p in paid)
        sale_row: dict[str, Any] = dict(
            id=sale_id, receipt_no=receipt_no, member_id=member.id if member else None, staff_id=actor.staff_id,
            created_at=now, campaign_code=campaign.code if campaign else None,
            subtotal_fen=t.subtotal_fen, saving_fen=t.saving_fen, discount_fen=t.discount_fen, total_fen=t.total_fen,
            paid_fen=actually, eligible_fen=eligible, change_fen=change, points=points,
            points_lot_id=lot["id"] if lot else None,
            coupon_id=priced.used[0][0].id if priced.used else None, spend_id=sp.id if sp else None,
            lines_count=len(priced.lines), state=COMPLETE,
        )
        line_rows = [dict(sale_id=sale_id, no=ln.no, sku=ln.sku, barcode=ln.barcode, name=ln.name, category=ln.category,
                          qty=ln.qty, list_unit_fen=ln.list_unit_fen, unit_fen=ln.unit_fen,
                          discount_fen=ln.discount_fen, amount_fen=ln.amount_fen) for ln in priced.lines]
        pay_rows = [dict(sale_id=sale_id, no=i, method=p.method, amount_fen=p.amount_fen, principal_fen=p.principal_fen,
                         bonus_fen=p.bonus_fen, tendered_fen=p.tendered_fen, change_fen=p.change_fen)
                    for i, p in enumerate(paid, start=1)]
        repo.sales.add_sale(s, sale_row, line_rows, pay_rows, receipt_prefix=prefix)
        coupon_facts = []
        for c, u in priced.used:
            covered = [ln for ln in priced.lines if not u.category or ln.category == u.category]
            # the bill the coupon was checked on: its lines before its own discount
            share = _coupon_share(priced.lines, priced.used, c.id)
            bill = sum(ln.amount_fen for ln in covered) + share
            coupons.redeem_on_sale(uow, ctx, actor, c, member.id if member else None, bill, share, sale_id)
            coupon_facts.append({"coupon_id": c.id, "code": c.code, "bill_fen": bill, "discount_fen": share,
                                 "category": u.category})
        audit(uow, ctx, actor, "sale.ring_up", "sale", sale_id, receipt_no=receipt_no,
              member_id=member.id if member else None, total_fen=t.total_fen, paid_fen=actually,
              discount_fen=t.discount_fen, payments={p.method: p.amount_fen for p in paid}, points=points)
        if member is not None:
            sale_obj = repo.sales.copy_of_sale(sale_row)  # the row as written (handlers read it)
            for handler in ctx.registry.on_sale:
                handler(uow, ctx, actor, member, sale_obj)
        remember(uow, ctx, request_id, "sale.ring_up", sale_id, params)
        # the result from what was just written (a replay or a look-up reads the rows: _sale_dto)
        result = SaleDTO(
            sale_id=sale_id, receipt_no=receipt_no, occurred_at=now, staff=actor.code,
            member_id=member.id if member else None, member_name=member.name if member else None,
            member_phone=member.phone if member else None, lines=tuple(_line_dto(ln) for ln in priced.lines),
            subtotal_fen=t.subtotal_fen, saving_fen=t.saving_fen, discount_fen=t.discount_fen,
            coupon_code=group(priced.used[0][0].code) if priced.used else None, total_fen=t.total_fen,
            payments=tuple(PaymentDTO(p.method, p.amount_fen, p.principal_fen, p.bonus_fen, p.tendered_fen, p.change_fen)
                           for p in paid),
            paid_fen=actually, change_fen=change,
            principal_after_fen=member.principal_fen if member else None,
            bonus_after_fen=member.bonus_fen if member else None, points_earned=points,
            points_balance=member.points_balance if member else None, returns=(), store_name=st.name,
        )
        emit(uow, ctx, "sale.completed", {
            "sale_id": sale_id, "receipt_no": receipt_no, "request_id": request_id,
            "member_id": member.id if member else None, "campaign_code": sale_row["campaign_code"],
            "subtotal_fen": t.subtotal_fen, "saving_fen": t.saving_fen, "discount_fen": t.discount_fen,
            "total_fen": t.total_fen, "paid_fen": actually, "eligible_fen": eligible, "change_fen": sale_row["change_fen"],
            "member_prices": priced.member_prices,
            "lines": [{k: v for k, v in r.items() if k != "sale_id"} for r in line_rows],
            "payments": [{k: v for k, v in r.items() if k != "sale_id"} for r in pay_rows],
            "spend": None if sp is None else {
                "spend_id": sp.id, "amount_fen": sp.amount_fen, "principal_fen": sp.principal_fen,
                "bonus_fen": sp.bonus_fen, "principal_after_fen": result.principal_after_fen,
                "bonus_after_fen": result.bonus_after_fen},
            "coupons_redeemed": coupon_facts,
            "points_lot": None if lot is None else {
                "id": lot["id"], "points": lot["points"], "expires_on": lot["expires_on"], "source": lot["source"]},
            "staff": actor.code,
            # facts added by feature code: "referral" (the invitation this first purchase qualified, with
            # its rewards) and "coupons" (the coupons those rewards issued)
        })
        uow.commit()
        return result


def _coupon_share(lines: Sequence[rules.Line], used: Sequence[tuple[mc.Coupon, rules.CouponOnSale]], coupon_id: str) -> int:
    """The discount of one coupon: with one coupon, all of the lines' discounts; with stacked coupons,
    each one's share is what it added, applied again in the same order on the same lines."""
    if len(used) == 1:
        return sum(ln.discount_fen for ln in lines)
    base = tuple(rules.Line(ln.no, ln.sku, ln.barcode, ln.name, ln.category, ln.qty, ln.list_unit_fen, ln.unit_fen)
                 for ln in lines)
    before = 0
    for c, u in used:
        base = _apply_one(base, u)
        now = sum(ln.discount_fen for ln in base)
        if c.id == coupon_id:
            return now - before
        before = now
    return 0


def _apply_one(lines: tuple[rules.Line, ...], u: rules.CouponOnSale) -> tuple[rules.Line, ...]:
    """One coupon's discount on ``lines`` again (already checked), for its share of a stacked discount."""
    covered = [i for i, ln in enumerate(lines) if not u.category or ln.category == u.category]
    base = [lines[i].amount_fen for i in covered]
    out = list(lines)
    for i, part in zip(covered, rules.spread(discount_for(u.state, sum(base)), base), strict=True):
        ln = out[i]
        out[i] = rules.Line(ln.no, ln.sku, ln.barcode, ln.name, ln.category, ln.qty, ln.list_unit_fen, ln.unit_fen,
                            ln.discount_fen + part)
    return tuple(out)


# ----------------------------------------------------------------------------- reading a sale


def _staff_codes(uow: UnitOfWork, ids: set[str | None]) -> dict[str, str]:
    want = [i for i in ids if i]
    if not want:
        return {}
    return {sid: code for sid, code in uow.session.execute(select(m.Staff.id, m.Staff.code).where(m.Staff.id.in_(want)))}


def _returns(uow: UnitOfWork, sale: mk.Sale) -> tuple[list[mk.SaleReturn], dict[str, list[mk.ReturnLine]],
                                                      dict[str, list[mk.ReturnPayment]]]:
    s = uow.session
    rets = repo.sales.returns(s, sale.id)
    ids = [r.id for r in rets]
    rl: dict[str, list[mk.ReturnLine]] = {}
    for x in repo.sales.return_lines(s, ids):
        rl.setdefault(x.return_id, []).append(x)
    rp: dict[str, list[mk.ReturnPayment]] = {}
    for y in repo.sales.return_payments(s, ids):
        rp.setdefault(y.return_id, []).append(y)
    return rets, rl, rp


def _return_dto(r: mk.SaleReturn, rl: Sequence[mk.ReturnLine], rp: Sequence[mk.ReturnPayment],
                staff: dict[str, str]) -> ReturnDTO:
    note = None
    if r.points_policy == rules.POINTS_DEDUCT and r.deducted_fen > 0:
        note = messages.translate("return.points_deducted", {"points": r.points_short, "amount": Money(r.deducted_fen)})
    elif r.points_policy is not None:  # negative, or nothing external to deduct their value from
        note = messages.translate("return.points_negative", {"points": r.points_short})
    return ReturnDTO(
        return_id=r.id, sale_id=r.sale_id, occurred_at=r.created_at, staff=staff.get(r.staff_id, ""),
        approver=staff.get(r.approved_by) if r.approved_by else None,
        lines=tuple((x.line_no, x.qty, x.amount_fen) for x in sorted(rl, key=lambda x: x.line_no)),
        refunds=tuple(PaymentDTO(y.method, y.amount_fen, y.principal_fen, y.bonus_fen, None, 0) for y in rp),
        points_taken_back=r.points_taken_back, points_policy_note=note, coupon_reinstated=bool(r.coupon_reinstated),
    )


def _sale_dto(uow: UnitOfWork, sale: mk.Sale, *, member: m.Member | None = None) -> SaleDTO:
    s = uow.session
    if member is None and sale.member_id:
        member = s.get(m.Member, sale.member_id)
    lines = repo.sales.lines(s, sale.id)
    pays = repo.sales.payments(s, sale.id)
    rets, rl, rp = _returns(uow, sale)
    returned: dict[int, int] = {}
    for xs in rl.values():
        for x in xs:
            returned[x.line_no] = returned.get(x.line_no, 0) + x.qty
    refunded: dict[str, int] = {}
    for ys in rp.values():
        for y in ys:
            refunded[y.method] = refunded.get(y.method, 0) + y.amount_fen
    staff = _staff_codes(uow, {sale.staff_id, *(r.staff_id for r in rets), *(r.approved_by for r in rets)})
    after = repo.sales.wallet_after(s, member.id, sale.created_at, sale.spend_id) if member is not None else None
    code = None
    if sale.coupon_id:
        raw = s.scalar(select(mc.Coupon.code).where(mc.Coupon.id == sale.coupon_id))
        code = group(raw) if raw else None
    return SaleDTO(
        sale_id=sale.id, receipt_no=sale.receipt_no, occurred_at=sale.created_at, staff=staff.get(sale.staff_id, ""),
        member_id=sale.member_id, member_name=member.name if member else None,
        member_phone=member.phone if member else None,
        lines=tuple(_line_dto(ln, returned.get(ln.no, 0)) for ln in lines),
        subtotal_fen=sale.subtotal_fen, saving_fen=sale.saving_fen, discount_fen=sale.discount_fen, coupon_code=code,
        total_fen=sale.total_fen,
        payments=tuple(PaymentDTO(p.method, p.amount_fen, p.principal_fen, p.bonus_fen, p.tendered_fen, p.change_fen,
                                  refunded.get(p.method, 0)) for p in pays),
        paid_fen=sale.paid_fen, change_fen=sale.change_fen,
        principal_after_fen=after[0] if after else (0 if member is not None else None),
        bonus_after_fen=after[1] if after else (0 if member is not None else None),
        points_earned=sale.points, points_balance=member.points_balance if member is not None else None,
        returns=tuple(_return_dto(r, rl.get(r.id, []), rp.get(r.id, []), staff) for r in rets),
        store_name=settings(uow).name,
    )


def get_sale(ctx: ServiceContext, actor: Actor, sale_id: str) -> SaleDTO:
    """A sale by its id or its receipt number (reprint from history)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        sale = repo.sales.get(uow.session, sale_id) or repo.sales.by_receipt(uow.session, sale_id)
        if sale is None:
            raise NotFound("sale.unknown", sale_id=sale_id)
        return _sale_dto(uow, sale)


def member_sales(ctx: ServiceContext, actor: Actor, member_id: str) -> list[SaleDTO]:
    """The member's purchases (with their returns), newest first."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        member = load_member(uow, member_id=member_id)
        return [_sale_dto(uow, x, member=member) for x in repo.sales.member_sales(uow.session, member.id, HISTORY_LIMIT)]


def last_purchase(ctx: ServiceContext, actor: Actor, member_id: str) -> SaleDTO | None:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        member = load_member(uow, member_id=member_id)
        found = repo.sales.member_sales(uow.session, member.id, 1)
        return _sale_dto(uow, found[0], member=member) if found else None


# ----------------------------------------------------------------------------- returns


def _approval(uow: UnitOfWork, actor: Actor, approver: Actor | None) -> Actor | None:
    """A manager returns a sale; a cashier brings a manager's approval (an Actor from ``staff.login``,
    checked here to be an active manager). Returns the approving manager when it is not the actor."""
    if actor.role == roles.MANAGER:
        return None
    if approver is None:
        raise PermissionDenied("return.approval_needed", role=actor.role)
    row = uow.session.get(m.Staff, approver.staff_id)
    if row is None or not row.active or row.role != roles.MANAGER or row.code != approver.code:
        raise PermissionDenied("return.approver_not_manager", role=approver.role)
    roles.check(row.role, "sale.return")
    return approver


@use_case("sale.return", permission="sale.ring_up", event="sale.returned", idempotent=True)
def return_sale(
    ctx: ServiceContext, actor: Actor, *, request_id: str | None, sale_id: str,
    lines: Sequence[tuple[int, int]] | None = None, approver: Actor | None = None,
) -> ReturnDTO:
    """Return a whole sale (``lines`` None: everything not yet returned) or (line no, qty) pairs. A manager,
    or a cashier with a manager's approval (``approver``, or ``actor`` given as ``Actor.approving(manager,
    cashier)``: the return is then the cashier's, approved by the manager)."""
    if actor.operator is not None and approver is None:
        actor, approver = actor.operator, Actor(actor.staff_id, actor.code, actor.name, actor.role)
    request_id = check_request_id(request_id, ctx)
    wanted = None if lines is None else [(int(no), int(q)) for no, q in lines]
    params = {"sale_id": sale_id, "lines": wanted}
    with ctx.uow() as uow:
        s = uow.session
        manager = _approval(uow, actor, approver)
        done = replayed(uow, request_id, "sale.return", params)
        if done:
            r0 = s.get(mk.SaleReturn, done)
            assert r0 is not None
            _, rl0, rp0 = _returns(uow, s.get(mk.Sale, r0.sale_id) or _missing(sale_id))
            return _return_dto(r0, rl0.get(r0.id, []), rp0.get(r0.id, []),
                               _staff_codes(uow, {r0.staff_id, r0.approved_by}))
        sale = repo.sales.get(s, sale_id) or repo.sales.by_receipt(s, sale_id) or _missing(sale_id)
        st = settings(uow)
        today = local_date(ctx, st)
        sold = repo.sales.lines(s, sale.id)
        pays = repo.sales.payments(s, sale.id)
        rets, rl, rp = _returns(uow, sale)
        returned: dict[int, int] = {}
        for xs in rl.values():
            for x in xs:
                returned[x.line_no] = returned.get(x.line_no, 0) + x.qty
        back = rules.return_lines([rules.SoldLine(x.no, x.qty, x.amount_fen, returned.get(x.no, 0)) for x in sold], wanted)
        amount = sum(a for _, _, a in back)
        returned_before = sum(r.amount_fen for r in rets)
        left = []
        for p in pays:
            gone = [y for ys in rp.values() for y in ys if y.method == p.method]
            left.append(rules.PaidLeft(p.method, p.amount_fen - sum(y.amount_fen for y in gone),
                                       p.principal_fen - sum(y.principal_fen for y in gone),
                                       p.bonus_fen - sum(y.bonus_fen for y in gone)))
        money = rules.refunds(amount, left)
        member = s.get(m.Member, sale.member_id) if sale.member_id else None
        campaign = s.scalar(select(m.Campaign).where(m.Campaign.code == sale.campaign_code)) if sale.campaign_code else None
        crules = _checkout_rules(parse_rules(campaign.rules_json)) if campaign is not None else rules.CheckoutRules()
        points = rules.points_back(sale.points, sale.total_fen, returned_before, amount)
        ret_id = ctx.new_id()
        now_back = {no: q for no, q, _ in back}
        full = all(returned.get(x.no, 0) + now_back.get(x.no, 0) >= x.qty for x in sold)
        # what feature code undoes with this return (a task's reward) and the points it takes back for that,
        # known before the refunds are settled so the spent-points policy covers them too
        claims: list[tuple[str | None, int]] = [(sale.points_lot_id, points)]
        if member is not None:
            info = ReturnInfo(ret_id, sum(x.amount_fen - x.bonus_fen for x in money),
                              frozenset(x.category for x in sold if x.qty - returned.get(x.no, 0) - now_back.get(x.no, 0) > 0),
                              full)
            for undo in ctx.registry.sale_returning:
                claims += [(c.lot_id, c.points) for c in undo(uow, ctx, actor, member, sale, info)]
        taken, shorts = (_take_points(uow, ctx, member, claims, ret_id) if member is not None
                         else (0, [0 for _ in claims]))
        shortfall = rules.settle_points_shortfall(sum(shorts), crules, money)
        money = tuple(x for x in shortfall.refunds if x.amount_fen > 0)
        if shortfall.negative and member is not None:
            _points_negative(uow, ctx, member, [(lot, n) for (lot, _), n in zip(claims, shorts, strict=True)],
                             shortfall.negative, ret_id)
        sp = None
        bal = next((x for x in money if x.method == rules.BALANCE), None)
        if bal is not None:
            assert member is not None and sale.spend_id is not None
            sp = _balance_back(uow, ctx, actor, member, sale, bal, ret_id)
        reinstated = False
        reinstated_codes: list[str] = []
        if full and sale.coupon_id:
            # every coupon the sale redeemed (more than one when the campaign allows stacking): usable again
            # while still valid, else it stays used (the return records that it was not reinstated)
            used = s.scalars(select(mc.Coupon).join(mc.CouponEvent, mc.CouponEvent.coupon_id == mc.Coupon.id).where(
                mc.CouponEvent.kind == "redeem", mc.CouponEvent.reason == sale.id)).all()
            for c in used:
                if c.state == "redeemed" and today <= c.valid_until:
                    coupons.reinstate(uow, ctx, actor, c, sale.id)
                    reinstated = True
                    reinstated_codes.append(c.code)
        ret_row = dict(
            id=ret_id, sale_id=sale.id, staff_id=actor.staff_id, approved_by=manager.staff_id if manager else None,
            created_at=ctx.now(), amount_fen=amount, spend_id=sp.id if sp else None,
            points_taken_back=taken + shortfall.negative, points_policy=shortfall.policy, points_short=shortfall.short,
            deducted_fen=shortfall.deducted_fen, coupon_reinstated=reinstated, full=full,
        )
        rl_rows = [dict(return_id=ret_id, line_no=no, qty=q, amount_fen=a) for no, q, a in back]
        rp_rows = [dict(return_id=ret_id, no=i, method=x.method, amount_fen=x.amount_fen, principal_fen=x.principal_fen,
                        bonus_fen=x.bonus_fen) for i, x in enumerate(money, start=1)]
        repo.sales.add_return(s, ret_row, rl_rows, rp_rows)
        sale.state = RETURNED if full else PART_RETURNED
        audit(uow, ctx, actor, "sale.return", "sale_return", ret_id, approved_by=manager, sale_id=sale.id,
              receipt_no=sale.receipt_no, amount_fen=amount, refunds={x.method: x.amount_fen for x in money},
              points=ret_row["points_taken_back"], points_policy=shortfall.policy, deducted_fen=shortfall.deducted_fen,
              coupon_reinstated=reinstated, full=full)
        if member is not None:
            for handler in ctx.registry.on_sale_returned:
                handler(uow, ctx, actor, member, sale)
        remember(uow, ctx, request_id, "sale.return", ret_id, params)
        s.flush()
        ret_obj = s.get(mk.SaleReturn, ret_id)
        assert ret_obj is not None
        staff = _staff_codes(uow, {actor.staff_id, manager.staff_id if manager else None})
        result = _return_dto(ret_obj, [mk.ReturnLine(**r) for r in rl_rows], [mk.ReturnPayment(**r) for r in rp_rows],
                             staff)
        emit(uow, ctx, "sale.returned", {
            "return_id": ret_id, "sale_id": sale.id, "receipt_no": sale.receipt_no, "request_id": request_id,
            "member_id": sale.member_id, "amount_fen": amount, "full": full,
            "lines": [{"line_no": no, "qty": q, "amount_fen": a} for no, q, a in back],
            "refunds": [{k: v for k, v in r.items() if k != "return_id"} for r in rp_rows],
            "spend": None if sp is None else {"spend_id": sp.id, "amount_fen": sp.amount_fen,
                                              "principal_fen": sp.principal_fen, "bonus_fen": sp.bonus_fen},
            "points": {"taken_back": ret_row["points_taken_back"], "lot_id": sale.points_lot_id,
                       "policy": shortfall.policy, "short": shortfall.short, "deducted_fen": shortfall.deducted_fen},
            "coupon": None if not sale.coupon_id else {"coupon_id": sale.coupon_id, "reinstated": reinstated,
                                                       "codes": reinstated_codes},
            "staff": actor.code, "approved_by": manager.code if manager else None,
            # facts added by feature code: "referral_reversed"
        })
        uow.commit()
        return result


def _missing(sale_id: str) -> mk.Sale:
    raise NotFound("sale.unknown", sale_id=sale_id)


def _take_points(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, claims: Sequence[tuple[str | None, int]],
                 ret_id: str) -> tuple[int, list[int]]:
    """Take back each claim's points (the sale's own, then those of what the return undoes): from the
    claim's own lot first, then the member's other lots (soonest to expire first). Returns what was taken
    and, per claim, what was not there (the member already spent it)."""
    s = uow.session
    if not any(p > 0 for _, p in claims):
        return 0, [0 for _ in claims]
    today = local_date(ctx, settings(uow))
    others = repo.points.usable_lots(s, member.id, today)  # another purchase's pending points stay
    taken = 0
    shorts: list[int] = []
    entries: list[dict[str, Any]] = []
    for own_id, points in claims:
        own = s.get(m.PointsLot, own_id) if own_id and points > 0 else None
        lots = [own] if own is not None and own.remaining > 0 else []
        lots += [x for x in others if own is None or x.id != own.id]
        need = max(0, points)
        for lot in lots:
            if need == 0:
                break
            take = min(need, lot.remaining)
            if take <= 0:
                continue
            entries.append(dict(id=ctx.new_id(), member_id=member.id, lot_id=lot.id, kind="revoke", delta=-take,
                                ref=ret_id, created_at=ctx.now()))
            lot.remaining -= take
            need -= take
            taken += take
        shorts.append(need)
    repo.ledger.add_points_entries(s, entries)
    if taken:
        note_move(uow, "points", member.id, member.points_balance, member.points_balance - taken, phone=member.phone)
        member.points_balance -= taken
    return taken, shorts


def _points_negative(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, shorts: Sequence[tuple[str | None, int]],
                     points: int, ret_id: str) -> None:
    """Policy ``negative``: the points not there to take back leave the lots they were claimed from below
    zero (the sale's first, then a task reward's), the member's balance with them; later earnings do not
    fill it, the balance shows the debt."""
    entries: list[dict[str, Any]] = []
    left = points
    for lot_id, short in shorts:
        n = min(left, short)
        if n <= 0 or lot_id is None:
            continue
        lot = uow.session.get(m.PointsLot, lot_id)
        assert lot is not None
        entries.append(dict(id=ctx.new_id(), member_id=member.id, lot_id=lot.id, kind="revoke", delta=-n, ref=ret_id,
                            created_at=ctx.now()))
        lot.remaining -= n
        left -= n
    assert left == 0, "a points shortfall with no lot to carry it"
    repo.ledger.add_points_entries(uow.session, entries)
    note_move(uow, "points", member.id, member.points_balance, member.points_balance - points, phone=member.phone)
    member.points_balance -= points


def _balance_back(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale,
                  bal: rules.Refund, ret_id: str) -> m.Spend:
    """The balance part back: a reversing spend (negative amounts) whose allocations put principal and
    bonus back on the recharge lots the sale took them from, in proportion to what each still owes back,
    and its ledger row with the balances after it."""
    s = uow.session
    assert sale.spend_id is not None
    prior = [r.spend_id for r in repo.sales.returns(s, sale.id) if r.spend_id]
    spends = [sale.spend_id, *prior]
    # the sale's (positive) and its earlier returns' (negative) allocations: what each lot is still owed; a lot
    # is a recharge or what a manager's adjustment added
    owed: dict[str, list[int]] = {}
    for a_id, p_fen, b_fen in [(a.recharge_id, a.principal_fen, a.bonus_fen)
                               for a in repo.sales.spend_allocations(s, spends)] + \
            [(a.adjustment_id, a.principal_fen, a.bonus_fen) for a in repo.ledger.adjustment_allocations(s, spends)]:
        cur = owed.setdefault(a_id, [0, 0])
        cur[0] += p_fen
        cur[1] += b_fen
    lot_ids = list(owed)
    principal_parts = rules.spread(bal.principal_fen, [owed[x][0] for x in lot_ids])
    bonus_parts = rules.spread(bal.bonus_fen, [owed[x][1] for x in lot_ids])
    recharges = {r.id: r for r in s.scalars(select(m.Recharge).where(m.Recharge.id.in_(lot_ids)))}
    adjusted = repo.ledger.adjustments_by_id(s, [x for x in lot_ids if x not in recharges])
    for rid in recharges:
        if recharges[rid].state != "active":
            raise StateError("return.recharge_refunded", receipt_no=recharges[rid].receipt_no or rid)
    sp = m.Spend(id=ctx.new_id(), request_id=ret_id, member_id=member.id, amount_fen=-bal.amount_fen,
                 principal_fen=-bal.principal_fen, bonus_fen=-bal.bonus_fen, staff_id=actor.staff_id,
                 note=message_ref("sale.return_note", receipt=sale.receipt_no), created_at=ctx.now())
    s.add(sp)
    s.flush()
    for rid, p, b in zip(lot_ids, principal_parts, bonus_parts, strict=True):
        if p == 0 and b == 0:
            continue
        lot: m.Recharge | m.WalletAdjustment = recharges[rid] if rid in recharges else adjusted[rid]
        lot.principal_left_fen += p
        lot.bonus_left_fen += b
        if rid in recharges:
            s.add(m.SpendAllocation(spend_id=sp.id, recharge_id=rid, principal_fen=-p, bonus_fen=-b))
        else:
            repo.ledger.add_adjustment_allocations(s, [dict(spend_id=sp.id, adjustment_id=rid, principal_fen=-p,
                                                            bonus_fen=-b)])
    append_wallet_entry(uow, ctx, actor, member, "sale_return", bal.principal_fen, bal.bonus_fen, spend_id=sp.id)
    return sp


# ----------------------------------------------------------------------------- handlers


def validate_campaign(data: dict[str, Any]) -> None:
    rules.rules_from_dict(data)


def load_demo_data(ctx: ServiceContext, actor: Actor) -> None:
    """The registry's ``demo_data`` handler: the demo catalogue (the demo sales come after the members)."""
    from pos_app.services.checkout.demo import load_demo_products  # noqa: PLC0415  (demo imports this module)

    load_demo_products(ctx, actor)


def register(reg: Registrar) -> None:
    reg.campaign_validate.append(validate_campaign)
    reg.demo_data.append(load_demo_data)


FEATURE = Feature("checkout", register)
