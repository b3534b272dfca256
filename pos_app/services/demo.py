"""The demo store: loaded the first time `make run` starts on an empty database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pos_app.db import models as m
from pos_app.domain.errors import Conflict, StateError
from pos_app.services import campaigns, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.common import local_date, require, settings
from pos_app.services.context import Actor, ServiceContext

DEMO_STORE_CODE = "DEMO01"
DEMO_STORE_NAME = "示范宠物店"

DEMO_STAFF = (
    # code, role, PIN, name
    ("admin", "manager", "8888", "王店长"),
    ("c01", "cashier", "1111", "李收银"),
    ("s01", "staff", "2222", "张店员"),
)

DEMO_MEMBERS: tuple[tuple[str, str | None, str | None, str | None], ...] = (
    # phone, name, inviter phone, recharge tier or amount
    ("13800138000", "陈一", None, "advanced"),
    ("13900139000", "林二", "13800138000", "basic"),
    ("15000150000", "周三", "13800138000", "luxury"),
    ("18600186000", "吴四", None, "300"),
    ("17700177000", "郑五", "15000150000", None),
    ("13600136000", None, None, None),
)


def demo_campaign_file() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "campaigns" / "demo.toml"


def has_data(ctx: ServiceContext) -> bool:
    """True when the store holds anything a person made: staff, members or campaigns."""
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        return any(
            s.scalar(select(col).limit(1)) is not None for col in (m.Staff.id, m.Member.id, m.Campaign.id)
        )


def load_demo(ctx: ServiceContext, actor: Actor | None = None) -> dict[str, Any]:
    """Create the demo store, staff, campaign (running today), members and a few recharges.

    Without ``actor`` only on a store with no data (a fresh store needs no login: nobody exists yet).
    On a store with data only when a manager asks for it (``actor``): everything is then done, and
    audited, as that manager; the demo campaign is moved to run today (replacing an overlapping one)
    and the demo staff, gifts, members and recharges that are missing are added."""
    if actor is None:
        if has_data(ctx):
            raise StateError("demo.has_data")
    else:
        require(actor, "system.admin")
    staff.init_store(
        ctx,
        store_name=DEMO_STORE_NAME,
        store_code=DEMO_STORE_CODE,
        manager_code=DEMO_STAFF[0][0],
        manager_pin=DEMO_STAFF[0][2],
        manager_name=DEMO_STAFF[0][3],
    )
    boss = actor or staff.login(ctx, DEMO_STAFF[0][0], DEMO_STAFF[0][2])
    existing = {s.code for s in staff.list_staff(ctx, boss)}
    for code, role, pin, name in DEMO_STAFF[1:]:
        if code not in existing:
            staff.add_staff(ctx, boss, code=code, role=role, pin=pin, name=name)
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
    data = read_campaign_file(demo_campaign_file())
    data["campaign"]["starts_on"] = (today - timedelta(days=30)).isoformat()
    data["campaign"]["ends_on"] = (today + timedelta(days=60)).isoformat()
    _extras(ctx, boss)  # the gift catalogue first: the campaign names its SKUs
    campaigns.load_campaign(ctx, boss, data, replace=actor is not None)
    _extras(ctx, boss)  # then what needs the campaign (coupons from its templates); each step runs once
    cashier = boss if actor is not None else staff.login(ctx, DEMO_STAFF[1][0], DEMO_STAFF[1][2])
    ours: set[str] = set()  # the demo's own members (new now, or made by an earlier demo load)
    for phone, mname, inviter, recharge in DEMO_MEMBERS:
        invite: str | None = None
        if inviter in ours:
            invite = members.get_member(ctx, cashier, phone=inviter).invite_code
        try:
            members.register_member(ctx, cashier, phone=phone, name=mname, invite_code=invite,
                                    request_id=f"demo-reg-{phone}")
        except Conflict:  # a real member has this number: never touch their wallet
            continue
        ours.add(phone)
        if recharge and recharge.isdigit():
            wallet.recharge(ctx, cashier, phone=phone, amount_fen=int(recharge) * 100, pay_method="wechat",
                            request_id=f"demo-rc-{phone}")
        elif recharge:
            wallet.recharge(ctx, cashier, phone=phone, tier_code=recharge, pay_method="cash", request_id=f"demo-rc-{phone}")
    if "13800138000" in ours:
        wallet.spend(ctx, cashier, phone="13800138000", amount_fen=128_00, request_id="demo-spend-1", note="狗粮")
    # a few days of sales at the counter (checkout), for the demo's own members and walk-ins
    from pos_app.services.checkout.demo import load_demo_sales  # noqa: PLC0415

    load_demo_sales(ctx, cashier, {p: members.get_member(ctx, cashier, phone=p).member_id for p in sorted(ours)})
    from pos_app.services.mall import load_demo_redemptions  # noqa: PLC0415

    load_demo_redemptions(ctx, boss, cashier, ours)
    return {"staff": [(c, r, p) for c, r, p, _ in DEMO_STAFF], "members": len(DEMO_MEMBERS)}


def _extras(ctx: ServiceContext, actor: Actor) -> None:
    """Feature modules add their demo data (gift catalogue, coupon templates): the registry's ``demo_data``."""
    for load in ctx.registry.demo_data:
        load(ctx, actor)
