"""Extension points inside a use case's transaction: typed handlers in one registry built at start-up.

Feature modules (coupons, referrals, gifts; later points, checkout, sync) each export a :class:`Feature`
whose ``register`` adds its handlers to a :class:`Registrar`; ``pos_app.bootstrap`` builds the one
:class:`Registry` from the feature list when a store is opened and the :class:`ServiceContext` carries it.
mypy checks every handler against its ``Protocol`` below. The foundation's use cases call the handlers
of each point in registration order, within their own unit of work:

- ``member_registered(uow, ctx, actor, member, inviter)``        after a member is registered
- ``before_recharge(uow, ctx, outcome, campaign)``               may refuse (e.g. gift out of stock)
- ``prepare_granted(uow, ctx, actor, member, entitlements, today)`` before they are written (may set
  their state, e.g. 'issued' for the coupons it will write in on_granted)
- ``on_granted(uow, ctx, actor, member, entitlements, today)``   after entitlements are written
- ``on_recharge(uow, ctx, actor, member, recharge)``             after a recharge is written
- ``refund_entitlement[kind](uow, ctx, actor, entitlement) -> event``  an issued item of that kind on
  refund: the event that takes it back, 'revoke' or 'keep' (domain.entitlements; one handler per kind)
- ``on_refund(uow, ctx, actor, member, recharge)``               after a refund is written
- ``on_sale(uow, ctx, actor, member, sale)``                     after a member's sale is written (checkout)
- ``sale_returning(uow, ctx, actor, member, sale, ret) -> claims`` while a return of a member's sale is
  worked out, before its refunds are settled: what it undoes (a task's reward) and the points to take back
  for it, which the return takes back with the sale's own under the campaign's spent-points policy
- ``on_sale_returned(uow, ctx, actor, member, sale)``            after a return of a member's sale is written
- ``campaign_validate(data)`` / ``campaign_loaded(uow, ctx, actor, data)``
- ``before_spend(uow, ctx, member, amount_fen)``                  may refuse a spend from the balance (sync:
  the offline limits)
- ``before_redeem(uow, ctx, coupon)``                             may refuse redeeming a coupon (sync: a coupon
  of another store while offline)
- ``count_unused_coupons(uow, member_id, today) -> int``         exactly one
- ``shape_earning(uow, ctx, member, source, earning, today) -> Earning``  before a recharge's or a sale's
  points lot is written: may change its points (a member level's multiplier) and when they become
  spendable (the campaign's pending period); each handler gets the previous one's answer
- ``member_prices(uow, ctx, member, today) -> bool``            any True: the member pays member prices
  (a member level's perk) besides a recharge tier's member-price months
- ``on_prize(uow, ctx, actor, member, prize_ref, draw_id)``       after a virtual wheel prize is won (a
  level-upgrade voucher)
- ``doctor_checks(uow) -> list[Check]`` and ``demo_data(ctx, actor)``

What the core cannot do without is checked when the registry is built (:meth:`Registrar.build`): a
refund handler for every kind a feature issues (:data:`REFUND_KINDS`) and the one unused-coupon count.
A missing one raises :class:`RegistryError` when the store is opened, never at the counter."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from pos_app.domain.campaign import GRANT_COUPON, GRANT_VOUCHER

if TYPE_CHECKING:
    from pos_app.db import models as m
    from pos_app.db import models_checkout as mk
    from pos_app.db import models_coupons as mc
    from pos_app.db.uow import UnitOfWork
    from pos_app.domain.campaign import Campaign, RechargeOutcome
    from pos_app.services.context import Actor, ServiceContext
    from pos_app.services.doctor import Check

#: kinds of entitlement a feature turns into something the member holds ('issued'): a refund needs the
#: feature to take them back (void an unused coupon), so each needs a handler
REFUND_KINDS: tuple[str, ...] = (GRANT_COUPON, GRANT_VOUCHER)


class RegistryError(RuntimeError):
    """The feature set cannot run the store: a required handler is missing or given twice. A programming
    error found at start-up (not a DomainError: nothing the user did)."""


# ----------------------------------------------------------------------------- handler protocols
# Parameters are positional-only: a handler may name them as it likes, their types and order are checked.


class MemberRegistered(Protocol):
    def __call__(
        self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, inviter: m.Member | None, /
    ) -> None: ...


class BeforeRecharge(Protocol):
    def __call__(
        self, uow: UnitOfWork, ctx: ServiceContext, outcome: RechargeOutcome, campaign: Campaign | None, /
    ) -> None: ...


class Granted(Protocol):
    """``prepare_granted`` (rows not yet written) and ``on_granted`` (rows written). An owed row whose
    ``due_on`` is after ``today`` is due later (the daily job issues it)."""

    def __call__(
        self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member,
        entitlements: Sequence[m.Entitlement], today: date, /,
    ) -> None: ...


class RechargeWritten(Protocol):
    """``on_recharge`` (after a recharge is written) and ``on_refund`` (after its refund is written)."""

    def __call__(
        self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, recharge: m.Recharge, /
    ) -> None: ...


class SaleWritten(Protocol):
    """``on_sale`` (after a member's sale is written) and ``on_sale_returned`` (after a return of it is
    written, the sale's ``state`` already moved)."""

    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale, /) -> None: ...


@dataclass(frozen=True)
class ReturnInfo:
    """A return being worked out, as feature code sees it: its id, what of the actually-paid amount goes
    back (before any deduction for points the member already spent), the categories the sale still has an
    unreturned line of, and whether it completes the return of the whole sale."""

    return_id: str
    paid_back_fen: int
    categories_left: frozenset[str]
    full: bool


@dataclass(frozen=True)
class PointsClaim:
    """Points a return takes back besides its sale's own (a task reward it undoes): from ``lot_id`` first,
    then the member's other lots; what is not there follows the spent-points policy."""

    lot_id: str | None
    points: int


class SaleReturning(Protocol):
    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale,
                 ret: ReturnInfo, /) -> Sequence[PointsClaim]: ...


class RefundEntitlement(Protocol):
    """An issued entitlement of the handler's kind on refund: does what taking it back needs (void an
    unused coupon) and returns the entitlement's event, ``REVOKE`` or ``KEEP`` (domain.entitlements)."""

    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, entitlement: m.Entitlement, /) -> str: ...


class CampaignValidate(Protocol):
    def __call__(self, data: dict[str, Any], /) -> None: ...


class CampaignLoaded(Protocol):
    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, data: dict[str, Any], /) -> None: ...


class BeforeSpend(Protocol):
    """Called before a spend from the member's balance is written (any path: a spend, a coupon payment);
    raises a DomainError to refuse it."""

    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, member: m.Member, amount_fen: int, /) -> None: ...


class BeforeRedeem(Protocol):
    """Called before a coupon is redeemed; raises a DomainError to refuse it."""

    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, coupon: mc.Coupon, /) -> None: ...


class CountUnusedCoupons(Protocol):
    def __call__(self, uow: UnitOfWork, member_id: str, today: date, /) -> int: ...


@dataclass(frozen=True)
class Earning:
    """A points earning about to be written: how many, and from when they are spendable (None: at once)."""

    points: int
    available_on: date | None = None


class ShapeEarning(Protocol):
    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, member: m.Member, source: str, earning: Earning,
                 today: date, /) -> Earning: ...


class MemberPrices(Protocol):
    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, member: m.Member, today: date, /) -> bool: ...


class PrizeWon(Protocol):
    def __call__(self, uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, prize_ref: str,
                 draw_id: str, /) -> None: ...


class DoctorChecks(Protocol):
    def __call__(self, uow: UnitOfWork, /) -> list[Check]: ...


class DemoData(Protocol):
    def __call__(self, ctx: ServiceContext, actor: Actor, /) -> None: ...


# ----------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Registry:
    """The handlers of every extension point, fixed at start-up (see the module docstring)."""

    features: tuple[str, ...]
    count_unused_coupons: CountUnusedCoupons
    refund_entitlement: Mapping[str, RefundEntitlement]
    member_registered: tuple[MemberRegistered, ...] = ()
    before_recharge: tuple[BeforeRecharge, ...] = ()
    prepare_granted: tuple[Granted, ...] = ()
    on_granted: tuple[Granted, ...] = ()
    on_recharge: tuple[RechargeWritten, ...] = ()
    on_refund: tuple[RechargeWritten, ...] = ()
    on_sale: tuple[SaleWritten, ...] = ()
    on_sale_returned: tuple[SaleWritten, ...] = ()
    sale_returning: tuple[SaleReturning, ...] = ()
    campaign_validate: tuple[CampaignValidate, ...] = ()
    campaign_loaded: tuple[CampaignLoaded, ...] = ()
    doctor_checks: tuple[DoctorChecks, ...] = ()
    demo_data: tuple[DemoData, ...] = ()
    before_spend: tuple[BeforeSpend, ...] = ()
    before_redeem: tuple[BeforeRedeem, ...] = ()
    shape_earning: tuple[ShapeEarning, ...] = ()
    member_prices: tuple[MemberPrices, ...] = ()
    on_prize: tuple[PrizeWon, ...] = ()

    def earning(self, uow: UnitOfWork, ctx: ServiceContext, member: m.Member, source: str, points: int,
                today: date) -> Earning:
        """``points`` earned by ``member`` from ``source`` (recharge, sale) as every ``shape_earning``
        handler makes them."""
        out = Earning(points)
        for handler in self.shape_earning:
            out = handler(uow, ctx, member, source, out, today)
        return out

    def has_member_prices(self, uow: UnitOfWork, ctx: ServiceContext, member: m.Member, today: date) -> bool:
        return any(h(uow, ctx, member, today) for h in self.member_prices)


@dataclass
class Registrar:
    """What a feature's ``register`` adds its handlers to; :meth:`build` checks and freezes them."""

    member_registered: list[MemberRegistered] = field(default_factory=list)
    before_recharge: list[BeforeRecharge] = field(default_factory=list)
    prepare_granted: list[Granted] = field(default_factory=list)
    on_granted: list[Granted] = field(default_factory=list)
    on_recharge: list[RechargeWritten] = field(default_factory=list)
    on_refund: list[RechargeWritten] = field(default_factory=list)
    on_sale: list[SaleWritten] = field(default_factory=list)
    on_sale_returned: list[SaleWritten] = field(default_factory=list)
    sale_returning: list[SaleReturning] = field(default_factory=list)
    campaign_validate: list[CampaignValidate] = field(default_factory=list)
    campaign_loaded: list[CampaignLoaded] = field(default_factory=list)
    doctor_checks: list[DoctorChecks] = field(default_factory=list)
    demo_data: list[DemoData] = field(default_factory=list)
    before_spend: list[BeforeSpend] = field(default_factory=list)
    before_redeem: list[BeforeRedeem] = field(default_factory=list)
    shape_earning: list[ShapeEarning] = field(default_factory=list)
    member_prices: list[MemberPrices] = field(default_factory=list)
    on_prize: list[PrizeWon] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    _refund: dict[str, RefundEntitlement] = field(default_factory=dict, init=False)
    _count_unused: list[CountUnusedCoupons] = field(default_factory=list, init=False)

    def refund_entitlement(self, kind: str, handler: RefundEntitlement) -> None:
        """The one handler deciding what an issued entitlement of ``kind`` becomes on refund."""
        if kind in self._refund:
            raise RegistryError(f"two refund_entitlement handlers for kind {kind!r}")
        self._refund[kind] = handler

    def count_unused_coupons(self, handler: CountUnusedCoupons) -> None:
        if self._count_unused:
            raise RegistryError("two count_unused_coupons handlers")
        self._count_unused.append(handler)

    def build(self) -> Registry:
        missing = [f"refund_entitlement[{k}]" for k in REFUND_KINDS if k not in self._refund]
        if not self._count_unused:
            missing.append("count_unused_coupons")
        if missing:
            raise RegistryError(
                f"no handler for {', '.join(missing)} (features: {', '.join(self.features) or 'none'})")
        return Registry(
            features=tuple(self.features),
            count_unused_coupons=self._count_unused[0],
            refund_entitlement=MappingProxyType(dict(self._refund)),
            member_registered=tuple(self.member_registered),
            before_recharge=tuple(self.before_recharge),
            prepare_granted=tuple(self.prepare_granted),
            on_granted=tuple(self.on_granted),
            on_recharge=tuple(self.on_recharge),
            on_refund=tuple(self.on_refund),
            on_sale=tuple(self.on_sale),
            on_sale_returned=tuple(self.on_sale_returned),
            sale_returning=tuple(self.sale_returning),
            campaign_validate=tuple(self.campaign_validate),
            campaign_loaded=tuple(self.campaign_loaded),
            doctor_checks=tuple(self.doctor_checks),
            demo_data=tuple(self.demo_data),
            before_spend=tuple(self.before_spend),
            before_redeem=tuple(self.before_redeem),
            shape_earning=tuple(self.shape_earning),
            member_prices=tuple(self.member_prices),
            on_prize=tuple(self.on_prize),
        )


@dataclass(frozen=True)
class Feature:
    """A feature module: its name and the function that registers its handlers."""

    name: str
    register: Callable[[Registrar], None]


def build_registry(features: Sequence[Feature]) -> Registry:
    """Register every feature's handlers, in order, and check the result (:class:`RegistryError`)."""
    reg = Registrar()
    for feature in features:
        if feature.name in reg.features:
            raise RegistryError(f"feature {feature.name!r} given twice")
        reg.features.append(feature.name)
        feature.register(reg)
    return reg.build()
