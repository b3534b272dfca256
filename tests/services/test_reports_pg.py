"""The reports' queries on PostgreSQL (when POS_TEST_PG_URL is set): liability, shift and daily sales over a
few days of activity give the same figures as the recomputation from the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pos_app import bootstrap
from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services import checkout, members, staff, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import liability, sales, shift
from tests.test_migrations import pg_schema_url as pg_schema_url  # noqa: F401  (fixture)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.mark.pg
def test_reports_on_postgres(pg_schema_url) -> None:  # noqa: F811
    url, _ = pg_schema_url
    db = Database(url)
    migrate.upgrade(db)
    clock = Clock()
    ctx = bootstrap.service_context(db, clock=clock)
    staff.init_store(ctx, store_code="PG01", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, boss, code="c1", role="cashier", pin="1111")
    c1 = staff.login(ctx, "c1", "1111")
    from pos_app.services import campaigns
    from pos_app.services.campaigns import read_campaign_file
    from tests.conftest import DEMO_CAMPAIGN

    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    campaigns.load_campaign(ctx, boss, data)
    mid = members.register_member(ctx, c1, phone="13800138000").member_id
    shift.open_shift(ctx, c1, float_fen=10_000)
    wallet.recharge(ctx, c1, member_id=mid, tier_code="basic", pay_method="cash")  # 500 + 50 bonus
    clock.now += timedelta(days=1)
    wallet.spend(ctx, c1, member_id=mid, amount_fen=11_000)
    sale = checkout.ring_up(ctx, c1, request_id=None, member_id=mid, lines=[LineInput(category="医疗", amount_fen=20_000)],
                            coupon_code=None, payments=[PaymentInput("balance", 5_500), PaymentInput("cash", 14_500)])
    checkout.return_sale(ctx, boss, request_id=None, sale_id=sale.sale_id)
    closed = shift.close_shift(ctx, c1, counted_fen=10_000 + 50_000 + 14_500)
    assert closed.expected_fen == 10_000 + 50_000 + 14_500 - closed.cash_out_fen
    assert closed.difference_fen == closed.cash_out_fen
    r = liability.liability(ctx, boss, from_day=date(2026, 11, 24), to_day=date(2026, 11, 24))
    m = members.get_member(ctx, boss, member_id=mid)
    assert (r.opening_principal_fen, r.opening_bonus_fen) == (50_000, 5_000)
    assert (r.closing_principal_fen, r.closing_bonus_fen) == (m.principal_fen, m.bonus_fen)
    kinds = {x.kind: x for x in r.movements}
    assert kinds["spend"].total_fen == -11_000 and kinds["sale_payment"].total_fen == -5_500
    assert kinds["sale_return"].total_fen == 5_500 and r.balanced
    days = sales.daily_sales(ctx, boss, from_day=date(2026, 11, 23), to_day=date(2026, 11, 24))
    assert [(d.sales_count, d.sales_fen, d.returns_fen) for d in days] == [(0, 0, 0), (1, 20_000, 20_000)]
    assert days[1].by_method_fen == {"balance": 5_500, "cash": 14_500} and days[1].by_category_fen == {"医疗": 20_000}
    db.dispose()
