"""`pos-app gen`: a busy, realistic store built fast (issue 16), for benchmarks and for a manager to look at.

The store is set up through the real use cases (store, staff, gift catalogue and products, the demo campaign),
then ``days`` days of counter work are generated in memory and written with the bulk repository
(:mod:`pos_app.db.repo.bulk`), one transaction per day: members registering (a share of them with an inviter,
so invite chains form), recharges on the campaign's tiers (wallet entry, recharge lot, points lot, the tier's
coupons, gifts owed and member-price months; a first recharge qualifies its invitation and grants the referral
rewards), sales at the till (lines, payments, part paid from the balance as a spend with its allocations over
the recharge lots, a coupon redeemed now and then, purchase points), gift stock received and handed out, the
regulars' daily check-ins (streak points, wheel tickets), a weekly batch of bearer coupons from the manager, and
points lots expiring after the campaign's months. Refunds, returns, wheel draws and redemption requests are not
generated.
Every row is what the use case would have written: its audit row (in the hash chain), its request record and
its one outbox event (gap-free sequence), so ``pos-app doctor`` passes on the result.

Everything comes from ``random.Random(seed)`` and a clock that starts ``days`` days before today: the same
seed on the same day gives the same rows (only the staff PIN hashes differ: they are salted)."""

from __future__ import annotations

import gc
import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_coupons as mc
from pos_app.db import models_gifts as mg
from pos_app.db import models_points as mp
from pos_app.db import repo
from pos_app.db.base import Base
from pos_app.db.uow import event_json
from pos_app.domain import checkout as co
from pos_app.domain import coupons as cr
from pos_app.domain import entitlements as life
from pos_app.domain import points as pr
from pos_app.domain import referrals as rr
from pos_app.domain import wallet as w
from pos_app.domain.calendar import add_months, add_working_days
from pos_app.domain.campaign import (
    GRANT_COUPON,
    GRANT_GIFT,
    GRANT_MEMBER_PRICE,
    Campaign,
    GrantedItem,
    evaluate_recharge,
    points_rules,
)
from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.ids import uuid7
from pos_app.domain.members import new_invite_code, new_member_code
from pos_app.domain.textparams import message_ref
from pos_app.services import audit as chain
from pos_app.services import campaigns, grants, staff
from pos_app.services.common import params_hash, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.demo import demo_campaign_file

DEFAULT_TZ = "Asia/Shanghai"
#: the page cache of the generating connection (MiB): a big store's indexes stay in memory
CACHE_MIB = 256
#: the template of the bearer coupons a manager hands out each week (printed, for whoever holds one)
BEARER_TEMPLATE = "GROOM85"
MAX_BATCH = 1000
MAX_MEMBERS = 1_000_000
MAX_DAYS = 3650
MAX_STORES = 99
MANAGER = ("boss", "8888", "王店长")
CASHIER = ("c01", "1111", "李收银")
STAFF = ("s01", "2222", "张店员")

#: the tables the generator writes, in an order that satisfies their foreign keys
WRITE_ORDER: tuple[type[Base], ...] = (
    m.Member, m.Recharge, mc.Referral, m.Spend, m.SpendAllocation, m.WalletEntry, m.PointsLot, m.PointsEntry, m.Entitlement,
    mc.Coupon, mc.ReferralReward, mp.Checkin, mp.WheelTicket, mk.Sale, mk.SaleLine, mk.SalePayment, mc.CouponEvent, mg.StockMovement,
    m.AuditLog, m.RequestLog, m.Outbox,
)
#: what a later day changes on a row written earlier (written back with the bulk UPDATE by primary key)
MUTABLE: dict[type[Base], tuple[str, ...]] = {
    m.Member: ("principal_fen", "bonus_fen", "points_balance", "wallet_seq", "member_price_until"),
    m.Recharge: ("principal_left_fen", "bonus_left_fen"),
    m.PointsLot: ("remaining",),
    mc.Coupon: ("state", "redeemed_at", "redeemed_member_id", "bill_fen", "discount_fen"),
    m.Entitlement: ("state", "issued_ref", "updated_at"),
    mc.Referral: ("state", "qualifying_recharge_id", "recharge_amount_fen", "qualified_at", "campaign_code"),
    mg.GiftItem: ("on_hand", "movement_seq"),
}
#: the tables a generated store is counted by (what `--json` reports)
COUNTED: tuple[type[Base], ...] = (*WRITE_ORDER, mg.GiftItem, mk.Product, mc.CouponTemplate, m.Campaign, m.Staff)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯婷雪琳晨欣怡子涵梓萱"
PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157",
            "158", "159", "166", "173", "177", "180", "181", "185", "186", "187", "188", "189", "191", "199")
PAY_METHODS = ("cash", "wechat", "wechat", "wechat", "alipay", "alipay", "card")


def _in(value: object, hi: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= hi


def check_size(members: object, days: object, stores: object) -> None:
    """Refuse sizes a store never has (and that would fill the disk), or text that is not a whole number,
    with the limits in the message."""
    if not _in(members, MAX_MEMBERS):
        raise InvalidInput("gen.members_invalid", value=str(members)[:40], min=1, max=MAX_MEMBERS)
    if not _in(days, MAX_DAYS):
        raise InvalidInput("gen.days_invalid", value=str(days)[:40], min=1, max=MAX_DAYS)
    if not _in(stores, MAX_STORES):
        raise InvalidInput("gen.stores_invalid", value=str(stores)[:40], min=1, max=MAX_STORES)


def store_code(index: int) -> str:
    """The code of the ``index``-th generated store (1-based): B001, B002..."""
    return f"B{index:03d}"


def can_generate(ctx: ServiceContext) -> bool:
    """Refuses a store that already has members or is paired with a central server (nothing is written);
    True when the store is already set up (staff exist: a manager must log in), False when it is new."""
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        if repo.bulk.has_members(s):
            raise StateError("gen.has_members")
        if repo.bulk.is_paired(s):
            raise StateError("gen.paired")
        return bool(repo.bulk.staff_ids(s))


@dataclass(frozen=True)
class GenResult:
    store_code: str
    members: int
    days: int
    seed: int
    tables: dict[str, int]
    rows: int
    rows_inserted: int
    rows_updated: int
    seconds: float
    #: this process's CPU time (on a busy machine the wall-clock seconds also count other processes' turns)
    cpu_seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows_inserted / self.seconds if self.seconds > 0 else 0.0

    @property
    def rows_per_cpu_s(self) -> float:
        return self.rows_inserted / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@dataclass
class _Member:
    row: dict[str, Any]
    lots: list[dict[str, Any]] = field(default_factory=list)  # recharge rows with something left
    coupons: list[dict[str, Any]] = field(default_factory=list)  # usable amount-off coupons
    owed: list[dict[str, Any]] = field(default_factory=list)  # gift entitlements owed
    referral: dict[str, Any] | None = None
    recharged: bool = False
    successful: int = 0  # qualified invitations (as the inviter)
    regular: bool = False  # checks in most days
    last_checkin: date | None = None
    streak: int = 0
    milestone: bool = False


class _Day:
    """The rows of one generated day: new rows by table, and rows of earlier days it changed."""

    def __init__(self) -> None:
        self.new: dict[type[Base], list[dict[str, Any]]] = {t: [] for t in WRITE_ORDER}
        self.fresh: set[int] = set()
        self.changed: dict[type[Base], dict[Any, dict[str, Any]]] = {t: {} for t in MUTABLE}

    def add(self, model: type[Base], row: dict[str, Any]) -> dict[str, Any]:
        self.new[model].append(row)
        if model in MUTABLE:
            self.fresh.add(id(row))
        return row

    def touch(self, model: type[Base], row: dict[str, Any]) -> None:
        if id(row) not in self.fresh:
            self.changed[model][row["id"]] = row

    def write(self, session: Any) -> tuple[int, int, dict[str, int]]:
        inserted = updated = 0
        per: dict[str, int] = {}
        converted: dict[str, dict[Any, Any]] = {}  # the day's instants and dates, each converted once
        for model in WRITE_ORDER:
            rows = self.new[model]
            if rows:
                inserted += repo.bulk.insert_rows(session, model, rows, converted)
                per[str(model.__tablename__)] = len(rows)
        for model, found in self.changed.items():
            if found:
                cols = MUTABLE[model]
                updated += repo.bulk.update_rows(session, model, [{"id": r["id"], **{c: r[c] for c in cols}}
                                                                  for r in found.values()], converted)
        return inserted, updated, per


class Generator:
    """One store's generation (see the module's docstring)."""

    def __init__(self, ctx: ServiceContext, *, members: int, days: int, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.members_wanted = members
        self.days = days
        self.seed = seed
        self.start_day = today - timedelta(days=days)
        self.clock = _Clock(datetime.combine(self.start_day, dtime(0), UTC))
        self.ctx = replace(ctx, clock=self.clock.now, randbits=self.rng.getrandbits)
        self.all: list[_Member] = []
        self.phones: set[str] = set()
        self.invite_codes: set[str] = set()
        self.pending: list[_Member] = []  # registered today, recharging later today
        self.index: dict[str, _Member] = {}
        self.owing: list[_Member] = []  # members who may be owed gifts (checked when drawn)
        self.receipts: dict[tuple[str, date], int] = {}
        #: points lots in the order they expire: (expires on, lot id, points, member); nothing else takes
        #: points from a lot here, so what is left at expiry is what was earned
        self.lots_by_age: list[tuple[date, str, int, _Member]] = []
        self.expired_upto = 0
        self.today = self.start_day
        self.day = _Day()
        self.tz: Any = ZoneInfo(DEFAULT_TZ)
        self.inserted = self.updated = 0
        self.per_table: dict[str, int] = {}

    # ------------------------------------------------------------------ set-up (through the use cases)

    def set_up(self, actor: Actor | None, store_code_: str, store_name: str) -> None:
        ctx = self.ctx
        self._at(self.start_day, 8 * 3600)
        staff.init_store(ctx, store_name=store_name, store_code=store_code_, manager_code=MANAGER[0],
                         manager_pin=MANAGER[1], manager_name=MANAGER[2])
        boss = actor or staff.login(ctx, MANAGER[0], MANAGER[1])
        require(boss, "system.admin")
        existing = {s.code for s in staff.list_staff(ctx, boss)}
        for (code, pin, name), role in ((CASHIER, "cashier"), (STAFF, "staff")):
            if code not in existing:
                staff.add_staff(ctx, boss, code=code, role=role, pin=pin, name=name)
        for load in ctx.registry.demo_data:  # the gift catalogue and the products (the campaign names its SKUs)
            load(ctx, boss)
        data = campaigns.read_campaign_file(demo_campaign_file())
        data["campaign"]["starts_on"] = self.start_day.isoformat()
        data["campaign"]["ends_on"] = (self.start_day + timedelta(days=self.days + 60)).isoformat()
        campaigns.load_campaign(ctx, boss, data)
        for load in ctx.registry.demo_data:  # what needs the campaign (coupons of its templates)
            load(ctx, boss)
        with ctx.uow(read_only=True) as uow:
            s = uow.session
            self.st = settings(uow)
            self.tz = self.st.tz
            found = campaigns.current_campaign(uow, ctx)
            assert found is not None
            self.campaign: Campaign = found
            ids = repo.bulk.staff_ids(s)
            self.staff_of = {"cashier": (ids[CASHIER[0]], CASHIER[0]), "staff": (ids[STAFF[0]], STAFF[0]),
                             "manager": (ids[MANAGER[0]], MANAGER[0])}
            self.products = repo.bulk.products(s)
            self.gifts = {g["sku"]: g for g in repo.bulk.gift_stock(s)}
            refs = {c.template for t in self.campaign.tiers for c in t.coupons} | {BEARER_TEMPLATE}
            rules = rr.rules_from_dict(self.campaign.extra)
            self.referral_rules = rules
            if rules is not None:
                refs |= rules.coupon_templates()
            self.templates = {t["code"]: cr.Template(**{**t, "bearer": bool(t["bearer"])})
                              for t in repo.coupons.templates(s, refs)}
            self.audit_head = repo.audit.last_link(s) or (0, chain.GENESIS)
            self.outbox_seq = repo.outbox.last_seq(s)
        self.checkout_rules = co.rules_from_dict(self.campaign.extra)
        self.checkin_rules = points_rules(self.campaign).checkin
        self.regulars: list[_Member] = []
        self.bearer_pool: list[dict[str, Any]] = []  # printed bearer coupons in members' hands
        self.checking_in: list[_Member] = []
        self.voucher_days = int(self.st.raw.get("voucher_valid_days", 365))
        self.owed_by_sku: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers

    def _at(self, day: date, seconds: float) -> None:
        local = datetime.combine(day, dtime(0), self.tz) + timedelta(seconds=seconds)
        self.clock.at = local.astimezone(UTC)

    def _next_receipt(self, kind: str) -> int:
        n = self.receipts.get((kind, self.today), 0) + 1
        self.receipts[(kind, self.today)] = n
        return n

    def new_id(self) -> str:
        return uuid7(self.clock.at, self.rng.getrandbits)

    def _audit(self, staff_id: str | None, action: str, entity: str, entity_id: str, request_id: str | None,
               **details: Any) -> None:
        seq, prev = self.audit_head
        values: dict[str, Any] = dict(
            seq=seq + 1, id=self.new_id(), at=self.clock.at, staff_id=staff_id, approved_by=None, action=action,
            entity=entity, entity_id=entity_id, store_code=self.st.store_code, device_id=self.st.device_id,
            request_id=request_id,
            details_json=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True), prev_hash=prev,
        )
        values["hash"] = chain.row_hash([values[f] for f in chain.FIELDS])
        self.day.add(m.AuditLog, values)
        self.audit_head = (values["seq"], values["hash"])

    def _event(self, event_type: str, payload: dict[str, Any]) -> None:
        self.outbox_seq += 1
        body = event_json(payload)
        self.day.add(m.Outbox, dict(
            seq=self.outbox_seq, event_id=self.new_id(), device_id=self.st.device_id, type=event_type,
            occurred_at=self.clock.at, payload_json=body, payload_hash=hashlib.sha256(body.encode()).hexdigest(),
        ))

    def _remember(self, request_id: str, use_case: str, ref_id: str, params: dict[str, Any]) -> None:
        self.day.add(m.RequestLog, dict(request_id=request_id, use_case=use_case, ref_id=ref_id,
                                        params_hash=params_hash(params), created_at=self.clock.at))

    def _phone(self) -> str:
        while True:
            p = self.rng.choice(PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    def _invite_code(self) -> str:
        while True:
            code = new_invite_code(self.rng.getrandbits)
            if code not in self.invite_codes:
                self.invite_codes.add(code)
                return code

    def _name(self) -> str | None:
        if self.rng.random() < 0.2:
            return None
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    # ------------------------------------------------------------------ the days

    def run(self) -> None:
        per_day = [self.members_wanted // self.days + (1 if d < self.members_wanted % self.days else 0)
                   for d in range(self.days)]
        for d in range(self.days):
            self.day = _Day()
            today = self.start_day + timedelta(days=d)
            self.today = today
            self._at(today, 8 * 3600)
            self._expire_points()
            self._at(today, 8.5 * 3600)
            self._receive_stock()
            if d % 7 == 0 and BEARER_TEMPLATE in self.templates:
                self._at(today, 8.75 * 3600)
                self._issue_bearer(max(5, min(MAX_BATCH, self._share(len(self.all), 0.02))))
            existing = len(self.all)
            self.checking_in = [x for x in self.regulars if self.rng.random() < 0.95] if self.checkin_rules else []
            kinds = (["reg"] * per_day[d] + ["rc"] * (round(0.6 * per_day[d]) + self._share(existing, 0.01))
                     + ["sale"] * (per_day[d] // 2 + self._share(existing, 0.03) + 5)
                     + ["hand"] * self._share(len(self.owing), 0.5)
                     + ["chk"] * len(self.checking_in))
            self.rng.shuffle(kinds)
            step = 12 * 3600 / (len(kinds) + 1)
            for i, kind in enumerate(kinds):
                self._at(today, 9 * 3600 + (i + self.rng.random() * 0.9) * step)
                if kind == "reg":
                    self._register()
                elif kind == "rc":
                    self._recharge()
                elif kind == "sale":
                    self._sale()
                elif kind == "chk":
                    self._checkin()
                else:
                    self._handout()
            self.pending.clear()
            with self.ctx.uow() as uow:
                repo.bulk.relax_checks(uow.session)
                ins, upd, per = self.day.write(uow.session)
                uow.commit()
            self.inserted += ins
            self.updated += upd
            for k, v in per.items():
                self.per_table[k] = self.per_table.get(k, 0) + v

    def _share(self, n: int, p: float) -> int:
        """About ``n * p`` (the fraction drawn), so a small store sees its members come back too."""
        whole, frac = divmod(n * p, 1)
        return int(whole) + (1 if self.rng.random() < frac else 0)

    def _cashier(self) -> tuple[str, str]:
        return self.staff_of["cashier"]

    # ------------------------------------------------------------------ member.register

    def _register(self) -> None:
        sid, _code = self._cashier()
        inviter = self.rng.choice(self.all) if self.all and self.rng.random() < 0.35 else None
        phone, name = self._phone(), self._name()
        mid = self.new_id()
        now = self.clock.at
        row = dict(id=mid, phone=phone, member_code=new_member_code(self.rng.getrandbits),
                   invite_code=self._invite_code(), name=name, level=None,
                   inviter_id=inviter.row["id"] if inviter else None, store_code=self.st.store_code,
                   campaign_code=self.campaign.code, principal_fen=0, bonus_fen=0, points_balance=0, wallet_seq=0,
                   member_price_until=None, created_at=now)
        mem = _Member(self.day.add(m.Member, row))
        request_id = self.new_id()
        if inviter is not None:
            mem.referral = self.day.add(mc.Referral, dict(
                id=self.new_id(), inviter_id=inviter.row["id"], invitee_id=mid, campaign_code=self.campaign.code,
                state=rr.REGISTERED, registered_at=now, qualifying_recharge_id=None, qualifying_sale_id=None,
                recharge_amount_fen=None, qualified_at=None, reversed_at=None))
        params = {"phone": phone, "name": name, "invite_code": inviter.row["invite_code"] if inviter else None,
                  "level": None}
        self._remember(request_id, "member.register", mid, params)
        self._audit(sid, "member.register", "member", mid, request_id, phone=phone,
                    inviter=inviter.row["id"] if inviter else None)
        self._event("member.registered", {
            "member_id": mid, "phone": phone, "name": name, "member_code": row["member_code"],
            "invite_code": row["invite_code"], "inviter_id": row["inviter_id"], "store_code": self.st.store_code,
            "request_id": request_id})
        self.all.append(mem)
        self.index[mid] = mem
        if self.rng.random() < 0.05:
            mem.regular = True
            self.regulars.append(mem)
        if self.rng.random() < 0.6:
            self.pending.append(mem)

    def _moved(self, mem: _Member, what: str, before: int, after: int) -> dict[str, Any]:
        return {"what": what, "key": mem.row["id"], "before": before, "after": after, "phone": mem.row["phone"]}

    def _wallet(self, mem: _Member, kind: str, dp: int, db: int, staff_id: str, **ref: Any) -> dict[str, Any]:
        r = mem.row
        before = r["principal_fen"] + r["bonus_fen"]
        r["principal_fen"] += dp
        r["bonus_fen"] += db
        r["wallet_seq"] += 1
        self.day.touch(m.Member, r)
        self.day.add(m.WalletEntry, dict(
            id=self.new_id(), member_id=r["id"], seq=r["wallet_seq"], kind=kind, principal_delta_fen=dp,
            bonus_delta_fen=db, principal_after_fen=r["principal_fen"], bonus_after_fen=r["bonus_fen"],
            recharge_id=ref.get("recharge_id"), spend_id=ref.get("spend_id"), refund_id=None, staff_id=staff_id,
            created_at=self.clock.at, origin_store=None, origin_ref=None, origin_principal_after_fen=None,
            origin_bonus_after_fen=None))
        return self._moved(mem, "wallet", before, before + dp + db)

    def _points(self, mem: _Member, points: int, source: str, recharge_id: str | None, *, ref: str | None = None,
                reason: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        r = mem.row
        lot = self.day.add(m.PointsLot, dict(
            id=self.new_id(), member_id=r["id"], source=source, points=points, remaining=points,
            earned_at=self.clock.at, expires_on=add_months(self.today, self.campaign.points_expiry_months),
            recharge_id=recharge_id, ref=ref, reason=reason))
        self.lots_by_age.append((lot["expires_on"], lot["id"], points, mem))
        move = self._moved(mem, "points", r["points_balance"], r["points_balance"] + points)
        r["points_balance"] += points
        self.day.touch(m.Member, r)
        return lot, move

    def _expire_points(self) -> None:
        """Lots that expire today leave at opening, as the app's daily ``points.expire`` does (one use case)."""
        total = 0
        moves: dict[str, dict[str, Any]] = {}
        now = self.clock.at
        ages = self.lots_by_age
        while self.expired_upto < len(ages) and ages[self.expired_upto][0] <= self.today:
            _on, lot_id, left, mem = ages[self.expired_upto]
            ages[self.expired_upto] = (_on, lot_id, 0, mem)  # forget the member
            self.expired_upto += 1
            r = mem.row
            self.day.add(m.PointsEntry, dict(id=self.new_id(), member_id=r["id"], lot_id=lot_id, kind="expire",
                                             delta=-left, ref=None, created_at=now, reason=None))
            move = moves.setdefault(r["id"], self._moved(mem, "points", r["points_balance"], r["points_balance"]))
            r["points_balance"] -= left
            move["after"] = r["points_balance"]
            self.day.touch(m.PointsLot, {"id": lot_id, "remaining": 0})
            self.day.touch(m.Member, r)
            total += left
        if total:
            sid, _code = self.staff_of["manager"]
            self._audit(sid, "points.expire", "points", self.today.isoformat(), None, points=total,
                        moves=list(moves.values()))
            self._event("points.expired", {"date": self.today.isoformat(), "points": total})

    def _checkin(self) -> None:
        """A regular's daily check-in (services.points.checkin): the day's points, a streak bonus, tickets."""
        cfg = self.checkin_rules
        if cfg is None or not self.checking_in:
            return
        mem = self.checking_in.pop()
        sid, _code = self._cashier()
        r = mem.row
        out = pr.checkin(cfg, mem.last_checkin, mem.streak, self.today)
        mem.last_checkin, mem.streak = self.today, out.streak
        cid, request_id, now = self.new_id(), self.new_id(), self.clock.at
        self.day.add(mp.Checkin, dict(id=cid, request_id=request_id, member_id=r["id"], day=self.today,
                                      streak=out.streak, points=out.points, bonus_points=out.bonus_points,
                                      tickets=out.tickets, campaign_code=self.campaign.code, staff_id=sid,
                                      created_at=now))
        moves = []
        if out.points:
            moves.append(self._points(mem, out.points, "checkin", None, ref=cid)[1])
        if out.bonus_points:
            moves.append(self._points(mem, out.bonus_points, "checkin", None, ref=cid, reason=f"streak:{out.streak}")[1])
        for _ in range(out.tickets):
            self.day.add(mp.WheelTicket, dict(id=self.new_id(), member_id=r["id"], source="checkin", ref=cid,
                                              created_at=now, used_draw_id=None))
        if len(moves) == 2:  # one move per member and kind: the first before, the last after
            moves = [{**moves[0], "after": moves[1]["after"]}]
        self._remember(request_id, "points.checkin", cid, {"phone": r["phone"], "code": None, "member_id": None})
        self._audit(sid, "points.checkin", "member", r["id"], request_id, day=self.today.isoformat(),
                    streak=out.streak, points=out.total_points, tickets=out.tickets,
                    **({"moves": moves} if moves else {}))
        self._event("points.checked_in", {
            "checkin_id": cid, "member_id": r["id"], "day": self.today.isoformat(), "streak": out.streak,
            "points": out.points, "bonus_points": out.bonus_points, "tickets": out.tickets,
            "points_balance": r["points_balance"]})

    # ------------------------------------------------------------------ entitlements and coupons

    def _coupon(self, t: cr.Template, mem: _Member | None, source: str, name: str, staff_id: str) -> dict[str, Any]:
        start, end = cr.validity(t, self.today)
        return dict(
            id=self.new_id(), code=cr.new_code(self.rng.getrandbits), template_code=t.code or None, kind=t.kind,
            name=name or t.name, value_fen=t.value_fen, percent_bp=t.percent_bp, max_discount_fen=t.max_discount_fen,
            min_spend_fen=t.min_spend_fen, category=t.category, member_id=mem.row["id"] if mem else None, bearer=t.bearer,
            valid_from=start, valid_until=end, state=cr.ISSUED, source=source, entitlement_id=None,
            store_code=self.st.store_code, issued_at=self.clock.at, issued_by=staff_id, reason=None, batch_id=None,
            item_json=None, redeemed_at=None, redeemed_member_id=None, bill_fen=None, discount_fen=None,
            spend_id=None, voided_at=None, void_reason=None, pulled_at=None)

    def _grant(self, mem: _Member, items: Sequence[GrantedItem], staff_id: str, *, recharge_id: str | None,
               source: str | None, coupons: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What :func:`pos_app.services.grants.grant_items` and the coupon module write for these items: one
        entitlement per unit; coupons and vouchers issued at once (a recharge's: the coupon row is the
        entitlement's only row); gifts owed, due in the campaign's working days."""
        now = self.clock.at
        out: list[dict[str, Any]] = []
        r = mem.row
        gift_due = None
        for item in items:
            base = dict(member_id=r["id"], recharge_id=recharge_id, source=source or item.source, kind=item.kind,
                        ref=item.ref, name=item.name, created_at=now, updated_at=now)
            if item.kind == GRANT_MEMBER_PRICE:
                until = r["member_price_until"]
                start = until if until and until >= self.today else self.today
                r["member_price_until"] = add_months(start, item.quantity)
                self.day.touch(m.Member, r)
                out.append(self.day.add(m.Entitlement, dict(
                    id=self.new_id(), **base, value_fen=0, quantity=item.quantity, state=life.ISSUED, due_on=None,
                    issued_ref=r["member_price_until"].isoformat())))
                continue
            for _ in range(item.quantity):
                e = dict(id=self.new_id(), **base, value_fen=item.value_fen, quantity=1, state=life.OWED,
                         due_on=None, issued_ref=None)
                if item.kind == GRANT_GIFT:
                    if gift_due is None:
                        gift_due = add_working_days(self.today, self.campaign.gift_due_working_days)
                    e["due_on"] = gift_due
                    out.append(self.day.add(m.Entitlement, e))
                    if not mem.owed:
                        self.owing.append(mem)
                    mem.owed.append(e)
                    self.owed_by_sku[e["ref"]] = self.owed_by_sku.get(e["ref"], 0) + 1
                    continue
                if item.kind == GRANT_COUPON:
                    t = self.templates[item.ref]
                    if e["name"] == e["ref"]:
                        e["name"] = t.name
                    c = self._coupon(t, mem, e["source"], t.name, staff_id)
                else:  # a service voucher: its value from the entitlement, valid the store's voucher days
                    t = cr.Template(code=e["ref"][:32], name=e["name"], kind=cr.SERVICE_VOUCHER, value_fen=e["value_fen"],
                                    valid_days=self.voucher_days, category=e["ref"])
                    c = self._coupon(t, mem, e["source"], e["name"], staff_id)
                e["state"], e["issued_ref"] = life.ISSUED, c["id"]
                if recharge_id is not None:  # issued at once by a recharge: its coupon row is its only row
                    c["batch_id"] = recharge_id
                    c["item_json"] = grants.item_json(cast(m.Entitlement, SimpleNamespace(**e)))
                else:
                    c["entitlement_id"] = e["id"]
                    self.day.add(m.Entitlement, e)
                self.day.add(mc.Coupon, c)
                coupons.append(c)
                if c["kind"] == cr.AMOUNT_OFF:
                    mem.coupons.append(c)
                out.append(e)
        return out

    @staticmethod
    def _coupon_fact(c: dict[str, Any]) -> dict[str, Any]:
        return {"id": c["id"], "code": c["code"], "kind": c["kind"], "name": c["name"], "value_fen": c["value_fen"],
                "percent_bp": c["percent_bp"], "max_discount_fen": c["max_discount_fen"],
                "min_spend_fen": c["min_spend_fen"], "category": c["category"], "member_id": c["member_id"],
                "bearer": c["bearer"], "valid_from": c["valid_from"].isoformat(),
                "valid_until": c["valid_until"].isoformat(), "store_code": c["store_code"],
                "template": c["template_code"], "source": c["source"], "entitlement_id": grants.unit_id(c),
                "batch_id": c["batch_id"], "reason": c["reason"]}

    def _issue_bearer(self, count: int) -> None:
        """A manager prints a batch of bearer coupons (services.coupons.issue_coupons): the coupon rows are the
        issue; those nobody brings back in time expire."""
        t = self.templates[BEARER_TEMPLATE]
        sid, scode = self.staff_of["manager"]
        request_id, batch, reason = self.new_id(), self.new_id(), "社群派发"
        rows = []
        for _ in range(count):
            c = self._coupon(t, None, "manual", t.name, sid)
            c.update(reason=reason, batch_id=batch)
            rows.append(self.day.add(mc.Coupon, c))
        self.bearer_pool.extend(rows)
        params = {"template": t.code, "member": None, "count": count, "reason": reason}
        self._remember(request_id, "coupon.issue", batch, params)
        self._audit(sid, "coupon.issue", "coupon_batch", batch, request_id, template=t.code, count=count, reason=reason,
                    member_id=None)
        self._event("coupon.issued", {"batch_id": batch, "template": t.code, "member_id": None, "reason": reason,
                                      "staff": scode, "coupons": [self._coupon_fact(c) for c in rows]})

    # ------------------------------------------------------------------ wallet.recharge

    def _recharge(self) -> None:
        if self.pending:
            mem = self.pending.pop(0)
        elif self.all:
            mem = self.rng.choice(self.all)
        else:
            return
        sid, scode = self._cashier()
        r = mem.row
        roll = self.rng.random()
        tiers = self.campaign.tiers
        if roll < 0.15:
            amount, tier_code = self.rng.choice((100_00, 200_00, 300_00, 800_00)), None
        else:
            tier = tiers[0] if roll < 0.6 or len(tiers) < 2 else tiers[1] if roll < 0.88 or len(tiers) < 3 else tiers[2]
            amount, tier_code = tier.pay_fen, tier.code
        outcome = evaluate_recharge(self.campaign, amount, tier_code)
        if self.st.balance_cap_fen > 0 and (r["principal_fen"] + r["bonus_fen"] + outcome.amount_fen
                                            + outcome.bonus_fen) > self.st.balance_cap_fen:
            return  # the counter would refuse it: the member pays another way
        pay = self.rng.choice(PAY_METHODS)
        request_id = self.new_id()
        n = self._next_receipt("recharge")
        rid = self.new_id()
        rc = self.day.add(m.Recharge, dict(
            id=rid, request_id=request_id, member_id=r["id"], campaign_code=self.campaign.code,
            tier_code=outcome.tier_code, amount_fen=outcome.amount_fen, bonus_fen=outcome.bonus_fen,
            points=outcome.points, pay_method=pay, staff_id=sid, created_at=self.clock.at,
            principal_left_fen=outcome.amount_fen, bonus_left_fen=outcome.bonus_fen, state="active",
            items_count=grants.rows_for(outcome.items), receipt_no=f"{self.st.store_code}-{self.today:%Y%m%d}-{n:04d}",
            origin_store=None))
        moves = [self._wallet(mem, "recharge", outcome.amount_fen, outcome.bonus_fen, sid, recharge_id=rid)]
        p_after, b_after = r["principal_fen"], r["bonus_fen"]
        mem.lots.append(rc)
        lot = None
        if outcome.points > 0:
            lot, move = self._points(mem, outcome.points, "recharge", rid)
            moves.append(move)
        self._audit(sid, "wallet.recharge", "recharge", rid, request_id, member_id=r["id"], amount_fen=outcome.amount_fen,
                    bonus_fen=outcome.bonus_fen, tier=outcome.tier_code, pay=pay, moves=moves)
        coupons: list[dict[str, Any]] = []
        rows = self._grant(mem, outcome.items, sid, recharge_id=rid, source=None, coupons=coupons)
        facts: dict[str, Any] = {}
        if not mem.recharged and mem.referral is not None and mem.referral["state"] == rr.REGISTERED:
            facts["referral"] = [self._qualify(mem, rc, sid, request_id, coupons)]
        mem.recharged = True
        mem.referral = None  # qualified now, or never (a later recharge is not the first)
        self._remember(request_id, "wallet.recharge", rid, {"member_id": r["id"], "amount_fen": amount,
                                                            "tier": tier_code, "pay": pay})
        if coupons:
            facts["coupons"] = [self._coupon_fact(c) for c in coupons]
        self._event("wallet.recharged", {
            "recharge_id": rid, "receipt_no": rc["receipt_no"], "request_id": request_id, "member_id": r["id"],
            "phone": r["phone"], "campaign_code": self.campaign.code, "tier_code": outcome.tier_code,
            "amount_fen": outcome.amount_fen, "bonus_fen": outcome.bonus_fen, "points": outcome.points,
            "pay_method": pay, "principal_after_fen": p_after, "bonus_after_fen": b_after,
            "items": [{"id": e["id"], "kind": e["kind"], "ref": e["ref"], "value_fen": e["value_fen"],
                       "state": e["state"], "due_on": e["due_on"], "source": e["source"],
                       "issued_ref": e["issued_ref"]} for e in rows],
            "points_lot": None if lot is None else {"id": lot["id"], "points": lot["points"],
                                                    "expires_on": lot["expires_on"], "source": lot["source"]},
            "staff": scode, **facts})

    def _qualify(self, mem: _Member, rc: dict[str, Any], sid: str, request_id: str,
                 coupons: list[dict[str, Any]]) -> dict[str, Any]:
        """The invitee's first recharge qualifies the invitation (services.referrals.on_recharge)."""
        ref = mem.referral
        assert ref is not None
        ref.update(state=rr.QUALIFIED, qualified_at=self.clock.at, campaign_code=self.campaign.code,
                   qualifying_recharge_id=rc["id"], recharge_amount_fen=rc["amount_fen"])
        self.day.touch(mc.Referral, ref)
        granted: list[tuple[str, dict[str, Any]]] = []
        rules = self.referral_rules
        if rules is not None:
            inviter = self.by_id(ref["inviter_id"])
            got = rr.rewards_for_first_recharge(rules, rc["amount_fen"], inviter.successful + 1, inviter.milestone)
            inviter.successful += 1
            if got.milestone:
                inviter.milestone = True
            for who, items, source in ((inviter, got.inviter, rr.SOURCE_REFERRAL),
                                       (inviter, got.milestone, rr.SOURCE_MILESTONE),
                                       (mem, got.invitee, rr.SOURCE_NEW_MEMBER)):
                if items:
                    granted += [(source, e) for e in self._grant(who, items, sid, recharge_id=None, source=source,
                                                                  coupons=coupons)]
            details = json.dumps({"recharge_id": rc["id"]})
            for source, e in granted:
                self.day.add(mc.ReferralReward, dict(referral_id=ref["id"], entitlement_id=e["id"],
                                                     member_id=e["member_id"], role=source, details_json=details))
        self._audit(sid, "referral.qualified", "referral", ref["id"], request_id, inviter_id=ref["inviter_id"],
                    invitee_id=mem.row["id"], rewards=[e["id"] for _, e in granted], recharge_id=rc["id"])
        return {"referral_id": ref["id"], "inviter_id": ref["inviter_id"], "invitee_id": mem.row["id"],
                "recharge_id": rc["id"], "campaign_code": ref["campaign_code"], "amount_fen": rc["amount_fen"],
                "rewards": [{"id": e["id"], "member_id": e["member_id"], "source": src, "kind": e["kind"],
                             "ref": e["ref"], "state": e["state"], "due_on": e["due_on"]} for src, e in granted]}

    def by_id(self, member_id: str) -> _Member:
        return self.index[member_id]

    # ------------------------------------------------------------------ sale.ring_up

    def _sale(self) -> None:
        sid, scode = self._cashier()
        mem = self.rng.choice(self.all) if self.all and self.rng.random() < 0.8 else None
        r = mem.row if mem else None
        if mem is not None:  # what is used or past its validity is not kept
            mem.coupons = [c for c in mem.coupons if c["state"] == cr.ISSUED and self.today <= c["valid_until"]]
        usable = [c for c in mem.coupons if c["valid_from"] <= self.today] if mem else []
        coupon = usable[0] if usable and self.rng.random() < 0.7 else None
        if coupon is None and self.bearer_pool and self.rng.random() < 0.04:
            paper = self.bearer_pool.pop(self.rng.randrange(len(self.bearer_pool)))
            coupon = paper if paper["valid_until"] >= self.today else None  # an expired one stays unused
        picks = [self.rng.choice(self.products) for _ in range(self.rng.choice((1, 1, 2, 2, 3, 4)))]
        if coupon is not None:
            cat = [p for p in self.products if p["category"] == coupon["category"]]
            if cat:
                picks.append(self.rng.choice(cat))
        seen: dict[str, list[Any]] = {}
        for p in picks:
            seen.setdefault(p["sku"], [p, 0])[1] += 1
        items = [co.Item(p["sku"], p["barcode"], p["name"], p["category"], qty, p["price_fen"], p["member_price_fen"])
                 for p, qty in seen.values()]
        member_prices = bool(r and co.member_prices_on(r["member_price_until"], self.today))
        lines = co.price_lines(items, member_prices)
        used: list[tuple[dict[str, Any], int, int]] = []
        if coupon is not None:
            state = cr.CouponState(code=coupon["code"], kind=coupon["kind"], state=coupon["state"],
                                   member_id=coupon["member_id"], bearer=coupon["bearer"],
                                   valid_from=coupon["valid_from"], valid_until=coupon["valid_until"],
                                   value_fen=coupon["value_fen"], percent_bp=coupon["percent_bp"],
                                   max_discount_fen=coupon["max_discount_fen"], min_spend_fen=coupon["min_spend_fen"])
            covered = [ln for ln in lines if not coupon["category"] or ln.category == coupon["category"]]
            if covered and sum(ln.amount_fen for ln in covered) >= coupon["min_spend_fen"]:
                bill = sum(ln.amount_fen for ln in covered)
                lines = co.apply_coupons(lines, [co.CouponOnSale(state, coupon["category"])], member_id=r["id"] if r else None,
                                         today=self.today)
                used.append((coupon, bill, sum(ln.discount_fen for ln in lines)))
        t = co.totals(lines)
        payments: list[co.Payment] = []
        balance = (r["principal_fen"] + r["bonus_fen"]) if r else 0
        rest = t.total_fen
        if r and balance > 0 and self.rng.random() < 0.7:
            part = min(balance, rest)
            payments.append(co.Payment(co.BALANCE, part))
            rest -= part
        if rest > 0:
            method = self.rng.choice(("cash", "wechat", "wechat", "alipay", "card"))
            tendered = -(-rest // 10_00) * 10_00 if method == "cash" else None
            payments.append(co.Payment(method, rest, tendered))
        bal_now = w.Balance(r["principal_fen"], r["bonus_fen"]) if r else None
        paid = co.settle(t.total_fen, payments, bal_now, self.st.spend_order)
        actually = co.actually_paid(t.total_fen, paid)
        eligible = co.points_eligible(t.total_fen, paid, self.checkout_rules)
        points = co.points_for(eligible, self.checkout_rules) if mem else 0
        sale_id, request_id = self.new_id(), self.new_id()
        n = self._next_receipt("sale")
        receipt_no = f"{self.st.store_code}-S{self.today:%Y%m%d}-{n:04d}"
        moves: list[dict[str, Any]] = []
        spend = None
        now = self.clock.at
        bal = next((p for p in paid if p.method == co.BALANCE), None)
        if bal is not None:
            assert mem is not None and r is not None
            spend = self._spend(mem, bal.amount_fen, bal.principal_fen, bal.bonus_fen, sale_id,
                                message_ref("sale.spend_note", receipt=receipt_no), sid)
            moves.append(self._wallet(mem, "spend", -bal.principal_fen, -bal.bonus_fen, sid, spend_id=spend["id"]))
        lot = None
        if points > 0:
            assert mem is not None
            lot, move = self._points(mem, points, "sale", None)
            moves.append(move)
        change = sum(p.change_fen for p in paid)
        self.day.add(mk.Sale, dict(
            id=sale_id, receipt_no=receipt_no, member_id=r["id"] if r else None, staff_id=sid, created_at=now,
            campaign_code=self.campaign.code, subtotal_fen=t.subtotal_fen, saving_fen=t.saving_fen,
            discount_fen=t.discount_fen, total_fen=t.total_fen, paid_fen=actually, eligible_fen=eligible,
            change_fen=change, points=points, points_lot_id=lot["id"] if lot else None,
            coupon_id=used[0][0]["id"] if used else None, spend_id=spend["id"] if spend else None,
            lines_count=len(lines), state="complete"))
        line_rows = [dict(sale_id=sale_id, no=ln.no, sku=ln.sku, barcode=ln.barcode, name=ln.name, category=ln.category,
                          qty=ln.qty, list_unit_fen=ln.list_unit_fen, unit_fen=ln.unit_fen, discount_fen=ln.discount_fen,
                          amount_fen=ln.amount_fen) for ln in lines]
        pay_rows = [dict(sale_id=sale_id, no=i, method=p.method, amount_fen=p.amount_fen, principal_fen=p.principal_fen,
                         bonus_fen=p.bonus_fen, tendered_fen=p.tendered_fen, change_fen=p.change_fen)
                    for i, p in enumerate(paid, start=1)]
        for row in line_rows:
            self.day.add(mk.SaleLine, row)
        for row in pay_rows:
            self.day.add(mk.SalePayment, row)
        facts = []
        for c, bill, share in used:
            c.update(state=cr.REDEEMED, redeemed_at=now, redeemed_member_id=r["id"] if r else None, bill_fen=bill,
                     discount_fen=share)
            self.day.touch(mc.Coupon, c)
            self.day.add(mc.CouponEvent, dict(id=self.new_id(), coupon_id=c["id"], kind="redeem", at=now, staff_id=sid,
                                              member_id=r["id"] if r else None, amount_fen=bill, discount_fen=share,
                                              spend_id=None, reason=sale_id))
            facts.append({"coupon_id": c["id"], "code": c["code"], "bill_fen": bill, "discount_fen": share,
                          "category": c["category"]})
        self._audit(sid, "sale.ring_up", "sale", sale_id, request_id, receipt_no=receipt_no,
                    member_id=r["id"] if r else None, total_fen=t.total_fen, paid_fen=actually,
                    discount_fen=t.discount_fen, payments={p.method: p.amount_fen for p in paid}, points=points,
                    **({"moves": moves} if moves else {}))
        self._remember(request_id, "sale.ring_up", sale_id, {
            "member_id": r["id"] if r else None, "lines": [[ln.barcode, None, ln.qty, None, None] for ln in lines],
            "coupons": [c["code"] for c, _b, _s in used],
            "payments": [[p.method, p.amount_fen, p.tendered_fen] for p in payments]})
        self._event("sale.completed", {
            "sale_id": sale_id, "receipt_no": receipt_no, "request_id": request_id,
            "member_id": r["id"] if r else None, "campaign_code": self.campaign.code,
            "subtotal_fen": t.subtotal_fen, "saving_fen": t.saving_fen, "discount_fen": t.discount_fen,
            "total_fen": t.total_fen, "paid_fen": actually, "eligible_fen": eligible, "change_fen": change,
            "member_prices": member_prices,
            "lines": [{k: v for k, v in row.items() if k != "sale_id"} for row in line_rows],
            "payments": [{k: v for k, v in row.items() if k != "sale_id"} for row in pay_rows],
            "spend": None if spend is None else {
                "spend_id": spend["id"], "amount_fen": spend["amount_fen"], "principal_fen": spend["principal_fen"],
                "bonus_fen": spend["bonus_fen"], "principal_after_fen": r["principal_fen"] if r else None,
                "bonus_after_fen": r["bonus_fen"] if r else None},
            "coupons_redeemed": facts,
            "points_lot": None if lot is None else {"id": lot["id"], "points": lot["points"],
                                                    "expires_on": lot["expires_on"], "source": lot["source"]},
            "staff": scode})

    def _spend(self, mem: _Member, amount: int, principal: int, bonus: int, request_id: str, note: str,
               sid: str) -> dict[str, Any]:
        """The spend and its allocations over the recharge lots, oldest first (services.wallet.spend_in_uow)."""
        sp = self.day.add(m.Spend, dict(id=self.new_id(), request_id=request_id, member_id=mem.row["id"],
                                        amount_fen=amount, principal_fen=principal, bonus_fen=bonus, staff_id=sid,
                                        note=note, created_at=self.clock.at))
        lots = [x for x in mem.lots if x["principal_left_fen"] > 0 or x["bonus_left_fen"] > 0]
        by_id = {x["id"]: x for x in lots}
        for take in w.allocate([w.Lot(x["id"], x["principal_left_fen"], x["bonus_left_fen"]) for x in lots],
                               w.Split(principal, bonus)):
            lot = by_id[take.lot_id]
            lot["principal_left_fen"] -= take.principal_fen
            lot["bonus_left_fen"] -= take.bonus_fen
            self.day.touch(m.Recharge, lot)
            self.day.add(m.SpendAllocation, dict(spend_id=sp["id"], recharge_id=take.lot_id,
                                                 principal_fen=take.principal_fen, bonus_fen=take.bonus_fen))
        mem.lots = [x for x in mem.lots if x["principal_left_fen"] > 0 or x["bonus_left_fen"] > 0]
        return sp

    # ------------------------------------------------------------------ gift stock

    def _movement(self, sku: str, kind: str, delta: int, batch_id: str, staff_id: str, **fields: Any) -> dict[str, Any]:
        g = self.gifts[sku]
        g["on_hand"] += delta
        g["movement_seq"] += 1
        self.day.touch(mg.GiftItem, g)
        row = dict(id=self.new_id(), sku=sku, seq=g["movement_seq"], kind=kind, delta=delta, on_hand_after=g["on_hand"],
                   member_id=None, entitlement_id=None, reason=None, supplier=None, reference=None, other_store=None,
                   stocktake_id=None, batch_id=batch_id, staff_id=staff_id, created_at=self.clock.at)
        row.update(fields)
        return self.day.add(mg.StockMovement, row)

    def _movement_event(self, mv: dict[str, Any], staff_code: str, **extra: Any) -> dict[str, Any]:
        keys = ("sku", "seq", "kind", "delta", "on_hand_after", "member_id", "entitlement_id", "reason", "supplier",
                "reference", "other_store", "batch_id")
        return {"movement_id": mv["id"], **{k: mv[k] for k in keys}, "staff": staff_code, **extra}

    def _receive_stock(self) -> None:
        """At opening: stock arrives for the gifts members are owed beyond what is on the shelf."""
        sid, scode = self.staff_of["staff"]
        for sku in sorted(self.owed_by_sku):
            short = self.owed_by_sku[sku] - self.gifts[sku]["on_hand"] if sku in self.gifts else 0
            if short <= 0 or self.rng.random() < 0.3:  # not every delivery comes on time
                continue
            qty = short + self.rng.randrange(5, 20)
            request_id = self.new_id()
            supplier, reference = "礼品供应商", f"PO-{self.today:%Y%m%d}-{sku}"
            before = self.gifts[sku]["on_hand"]
            mv = self._movement(sku, "received", qty, request_id, sid, supplier=supplier, reference=reference)
            self._remember(request_id, "gift.receive", mv["id"], {"sku": sku, "kind": "received", "delta": qty,
                                                                  "supplier": supplier, "reference": reference})
            self._audit(sid, "gift.receive", "stock_movement", mv["id"], request_id, sku=sku, kind="received",
                        delta=qty, on_hand_after=mv["on_hand_after"], supplier=supplier, reference=reference,
                        moves=[{"what": "stock", "key": sku, "before": before, "after": mv["on_hand_after"]}])
            self._event("gift.movement", self._movement_event(mv, scode, request_id=request_id))

    def _handout(self) -> None:
        mem = None
        while self.owing:
            i = self.rng.randrange(len(self.owing))
            if self.owing[i].owed:
                mem = self.owing[i]
                break
            self.owing[i] = self.owing[-1]
            self.owing.pop()
        if mem is None:
            return
        give = []
        left: dict[str, int] = {}
        for e in mem.owed:
            sku = e["ref"]
            avail = left.get(sku, self.gifts[sku]["on_hand"] if sku in self.gifts else 0)
            if avail > 0:
                give.append(e)
                left[sku] = avail - 1
        if not give:
            return
        sid, scode = self.staff_of["staff"]
        request_id = self.new_id()
        before = {sku: self.gifts[sku]["on_hand"] for sku in left}
        handed = []
        for e in give:
            mv = self._movement(e["ref"], "handout", -1, request_id, sid, member_id=mem.row["id"],
                                entitlement_id=e["id"], reason=e["source"])
            e.update(state=life.HANDED_OUT, issued_ref=mv["id"], updated_at=self.clock.at)
            self.day.touch(m.Entitlement, e)
            self.owed_by_sku[e["ref"]] -= 1
            handed.append(mv)
        mem.owed = [e for e in mem.owed if e["state"] == life.OWED]
        params = {"member_id": mem.row["id"], "entitlement_ids": None}
        self._remember(request_id, "gift.handout", request_id, params)
        self._audit(sid, "gift.handout", "member", mem.row["id"], request_id,
                    handed_out=[mv["entitlement_id"] for mv in handed], skus=[mv["sku"] for mv in handed],
                    still_owed=[e["id"] for e in mem.owed],
                    moves=[{"what": "stock", "key": sku, "before": b, "after": self.gifts[sku]["on_hand"]}
                           for sku, b in before.items()])
        self._event("gift.handed_out", {"request_id": request_id, "member_id": mem.row["id"], "staff": scode,
                                        "movements": [self._movement_event(mv, scode) for mv in handed]})

    # ------------------------------------------------------------------ result

    def result(self, seconds: float, cpu_seconds: float) -> GenResult:
        with self.ctx.uow(read_only=True) as uow:
            tables = repo.bulk.row_counts(uow.session, COUNTED)
        return GenResult(store_code=self.st.store_code, members=len(self.all), days=self.days, seed=self.seed,
                         tables=tables, rows=sum(tables.values()), rows_inserted=self.inserted,
                         rows_updated=self.updated, seconds=round(seconds, 3), cpu_seconds=round(cpu_seconds, 3))


def generate(ctx: ServiceContext, actor: Actor | None = None, *, members: int, days: int, seed: int = 1,
             store_code_: str = "B001", store_name: str = "繁忙门店", today: date | None = None,
             clock: Callable[[], datetime] | None = None) -> GenResult:
    """Generate one busy store into ``ctx``'s (new or empty) database. ``actor``: the manager logged in to an
    existing empty store (None: a new store, whose manager is made here). ``today``: the store day the
    generated days end before (default: today in the store's time zone)."""
    check_size(members, days, 1)
    if not can_generate(ctx):
        actor = None  # a new store: its manager is made here
    elif actor is None:
        raise StateError("gen.needs_login")
    else:
        require(actor, "system.admin")
    t0, c0 = time.perf_counter(), time.process_time()
    if today is None:
        today = (clock or ctx.clock)().astimezone(ZoneInfo(DEFAULT_TZ)).date()
    gen = Generator(ctx, members=members, days=days, seed=seed, today=today)
    gen.set_up(actor, store_code_, store_name)
    collecting = gc.isenabled()
    gc.disable()  # the rows are plain dicts without cycles: the collector would only walk millions of them again
    try:
        with repo.bulk.bulk_load(ctx.db.engine, CACHE_MIB):
            gen.run()
    finally:
        if collecting:
            gc.enable()
    return gen.result(time.perf_counter() - t0, time.process_time() - c0)
