"""A generated month of store activity for the report tests: members register, recharge (tiers and custom
amounts, several pay methods), pay from the balance, buy at the counter (balance, cash, WeChat... and
mixes), return sales, get recharges refunded; two cashiers and a manager work shifts. Seeded, so every
run builds the same month."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pos_app.domain.errors import DomainError
from pos_app.services import checkout, members, staff, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.context import Actor
from pos_app.services.reports import shift
from tests.conftest import Store, make_store

CATEGORIES = ("宠物食品", "宠物用品", "洗护美容", "寄养", "医疗")
METHODS = ("cash", "wechat", "alipay", "card")


@dataclass
class Month:
    store: Store
    cashier2: Actor
    member_ids: list[str] = field(default_factory=list)
    sales: list[str] = field(default_factory=list)
    refused: int = 0


def build_month(path: Path, *, days: int = 30, seed: int = 7, shifts: bool = True,
                daily: Callable[[Month, int], None] | None = None) -> Month:
    """``daily(month, day)``, if given, runs at the end of each day (a test's own activity beside it)."""
    st = make_store(path)
    staff.add_staff(st.ctx, st.manager, code="cash2", role="cashier", pin="3333", name="收银二")
    mo = Month(st, staff.login(st.ctx, "cash2", "3333"))
    rnd = random.Random(seed)
    ctx = st.ctx
    for i in range(8):
        mo.member_ids.append(members.register_member(ctx, st.cashier, phone=f"1391234{i:04d}", name=f"会员{i}").member_id)
    recharges: list[str] = []
    for day in range(days):
        st.clock.advance(days=1) if day else None
        who = [st.cashier, mo.cashier2]
        if shifts:
            for n, c in enumerate(who):
                st.clock.advance(minutes=1)
                shift.open_shift(ctx, c, float_fen=20_000 + 1_000 * n)
        for _ in range(rnd.randint(3, 7)):
            st.clock.advance(minutes=rnd.randint(1, 40))
            actor = rnd.choice(who)
            mid = rnd.choice(mo.member_ids)
            op = rnd.random()
            try:
                if op < 0.3:
                    if rnd.random() < 0.5:
                        r = wallet.recharge(ctx, actor, member_id=mid, tier_code=rnd.choice(["basic", "advanced"]),
                                            pay_method=rnd.choice(METHODS))
                    else:
                        r = wallet.recharge(ctx, actor, member_id=mid, amount_fen=rnd.randint(1, 400) * 100,
                                            pay_method=rnd.choice(METHODS))
                    recharges.append(r.recharge_id)
                elif op < 0.45:
                    wallet.spend(ctx, actor, member_id=mid, amount_fen=rnd.randint(1, 20_000))
                elif op < 0.85:
                    _sale(mo, rnd, actor, None if rnd.random() < 0.25 else mid)
                elif op < 0.93 and mo.sales:
                    sale_id = rnd.choice(mo.sales)
                    checkout.return_sale(ctx, st.manager, request_id=None, sale_id=sale_id,
                                         lines=None if rnd.random() < 0.5 else [(1, 1)])
                elif recharges:
                    wallet.refund(ctx, st.manager, recharge_id=recharges.pop(rnd.randrange(len(recharges))),
                                  method=rnd.choice(["cash", "original"]))
            except DomainError:
                mo.refused += 1  # not enough balance, already returned, over the cap: refused, nothing written
        if shifts:
            for c in who:
                st.clock.advance(minutes=1)
                cur = shift.current_shift(ctx, c)
                assert cur is not None
                shift.close_shift(ctx, c, counted_fen=max(0, cur.expected_fen + rnd.choice([0, 0, -500, 300])))
        if daily is not None:
            daily(mo, day)
        if day % 10 == 9:
            wallet.expire_points(ctx, st.manager)
        st.clock.advance(hours=1)
    st.clock.advance(minutes=5)
    return mo


def _sale(mo: Month, rnd: random.Random, actor: Actor, member_id: str | None) -> None:
    ctx = mo.store.ctx
    lines = [LineInput(category=rnd.choice(CATEGORIES), amount_fen=rnd.randint(5, 300) * 100 + rnd.choice([0, 50, 99]))
             for _ in range(rnd.randint(1, 3))]
    total = sum(ln.amount_fen or 0 for ln in lines)
    pays: list[PaymentInput] = []
    if member_id is not None and rnd.random() < 0.5:
        bal = members.get_member(ctx, actor, member_id=member_id).balance_fen
        part = min(bal, total if rnd.random() < 0.5 else total // 2)
        if part > 0:
            pays.append(PaymentInput("balance", part))
    rest = total - sum(p.amount_fen for p in pays)
    if rest > 0:
        method = rnd.choice(METHODS)
        pays.append(PaymentInput(method, rest, tendered_fen=rest + rnd.choice([0, 50, 1000]) if method == "cash" else None))
    sale = checkout.ring_up(ctx, actor, request_id=None, member_id=member_id, lines=lines, coupon_code=None,
                            payments=pays)
    mo.sales.append(sale.sale_id)




