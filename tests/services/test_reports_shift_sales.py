"""Shifts (交班) and daily sales over a generated month with two cashiers: every shift's figures and the daily
sales rows recomputed here in plain Python over the rows equal the services'; the till difference; a closed
shift refusing changes; two cashiers' shifts apart; the shift PDF on 80 mm and A4."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app.domain.errors import InvalidInput, PermissionDenied, StateError
from pos_app.domain.money import format_fen
from pos_app.printing.reports_pdf import shift_pdf
from pos_app.services import staff, wallet
from pos_app.services.reports import sales, shift
from tests.conftest import Store
from tests.services.reports_month import Month, build_month

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    mo = build_month(tmp_path_factory.mktemp("shift") / "store.db", days=20, seed=11)
    yield mo
    mo.store.ctx.db.dispose()


def _rows(mo: Month, sql: str) -> list[Any]:
    with mo.store.ctx.db.engine.connect() as conn:
        return list(conn.exec_driver_sql(sql))


def _at(v: Any) -> datetime:
    return (v if isinstance(v, datetime) else datetime.fromisoformat(str(v))).replace(tzinfo=UTC)


def _shift_figures(mo: Month, staff_id: str, start: datetime, end: datetime) -> dict[str, dict[str, list[int]]]:
    out: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in shift.SECTIONS}

    def add(kind: str, method: str, amount: int) -> None:
        out[kind][method][0] += 1
        out[kind][method][1] += amount

    for sid, method, amount, at in _rows(mo, "SELECT staff_id, pay_method, amount_fen, created_at FROM recharge"):
        if sid == staff_id and start <= _at(at) < end:
            add("recharges", method, amount)
    for sid, rmethod, pay, amount, at in _rows(mo, "SELECT staff_id, refund_method, pay_method, principal_refund_fen, "
                                                   "created_at FROM refund"):
        if sid == staff_id and start <= _at(at) < end:
            add("refunds", "cash" if rmethod == "cash" else pay, amount)
    for sid, method, amount, at in _rows(mo, "SELECT s.staff_id, p.method, p.amount_fen, s.created_at FROM sale_payment p "
                                             "JOIN sale s ON s.id = p.sale_id"):
        if sid == staff_id and start <= _at(at) < end:
            add("sales", method, amount)
    for sid, method, amount, at in _rows(mo, "SELECT r.staff_id, p.method, p.amount_fen, r.created_at FROM return_payment p "
                                             "JOIN sale_return r ON r.id = p.return_id"):
        if sid == staff_id and start <= _at(at) < end:
            add("returns", method, amount)
    return {k: dict(v) for k, v in out.items()}


def test_every_shift_of_the_month_equals_its_recomputation(month: Month) -> None:
    mo = month
    reps = shift.shifts(mo.store.ctx, mo.store.manager, from_day=date(2026, 11, 1), to_day=date(2026, 12, 31))
    assert len(reps) == 40  # two cashiers, twenty days
    assert {r.staff_code for r in reps} == {"cash1", "cash2"}
    rows = {sid: (fl, cnt, exp, diff, opened, closed) for sid, fl, cnt, exp, diff, opened, closed in _rows(
        mo, "SELECT id, float_fen, counted_fen, expected_fen, difference_fen, opened_at, closed_at FROM shift")}
    some_cash = some_diff = 0
    for r in reps:
        fl, counted, expected, diff, opened, closed = rows[r.shift_id]
        assert r.state == "closed" and r.closed_at is not None
        want = _shift_figures(mo, r.staff_id, _at(opened), _at(closed))
        got = {s.kind: {row.method: [row.count, row.amount_fen] for row in s.rows} for s in r.sections}
        assert got == want
        cash_in = sum(want[k].get("cash", [0, 0])[1] for k in ("recharges", "sales"))
        cash_out = sum(want[k].get("cash", [0, 0])[1] for k in ("refunds", "returns"))
        assert (r.cash_in_fen, r.cash_out_fen) == (cash_in, cash_out)
        assert r.expected_fen == expected == fl + cash_in - cash_out
        assert r.counted_fen == counted and r.difference_fen == diff == counted - expected
        some_cash += cash_in > 0
        some_diff += diff != 0
    assert some_cash > 5 and some_diff > 3
    # the shifts of a day cover every recharge and sale of the cashiers, apart from each other
    n_recharges = sum(s.count for r in reps for s in r.sections if s.kind == "recharges")
    assert n_recharges == _rows(mo, "SELECT count(*) FROM recharge")[0][0]
    sale_ids = _rows(mo, "SELECT count(*) FROM sale_payment")[0][0]
    assert sum(s.count for r in reps for s in r.sections if s.kind == "sales") == sale_ids


def test_two_cashiers_shifts_are_apart(store: Store) -> None:
    ctx, c1, boss = store.ctx, store.cashier, store.manager
    staff.add_staff(ctx, boss, code="cash2", role="cashier", pin="3333", name="收银二")
    c2 = staff.login(ctx, "cash2", "3333")
    from pos_app.services import members

    mid = members.register_member(ctx, c1, phone="13912340001").member_id
    s1 = shift.open_shift(ctx, c1, float_fen=10_000)
    s2 = shift.open_shift(ctx, c2, float_fen=5_000)
    wallet.recharge(ctx, c1, member_id=mid, amount_fen=30_000, pay_method="cash")
    wallet.recharge(ctx, c2, member_id=mid, amount_fen=20_000, pay_method="wechat")
    wallet.recharge(ctx, c2, member_id=mid, amount_fen=10_000, pay_method="cash")
    r1 = shift.current_shift(ctx, c1)
    r2 = shift.current_shift(ctx, c2)
    assert r1 is not None and r2 is not None
    assert (r1.shift_id, r2.shift_id) == (s1.shift_id, s2.shift_id)
    assert [(x.method, x.count, x.amount_fen) for x in r1.section("recharges").rows] == [("cash", 1, 30_000)]
    assert [(x.method, x.count, x.amount_fen) for x in r2.section("recharges").rows] == \
        [("cash", 1, 10_000), ("wechat", 1, 20_000)]
    assert r1.expected_fen == 40_000 and r2.expected_fen == 15_000
    closed = shift.close_shift(ctx, c1, counted_fen=39_900)
    assert closed.difference_fen == -100 and closed.expected_fen == 40_000
    # a manager sees a cashier's shift; a cashier sees only their own
    seen = shift.current_shift(ctx, boss, staff_code="cash2")
    assert seen is not None and seen.shift_id == s2.shift_id
    with pytest.raises(PermissionDenied):
        shift.current_shift(ctx, c1, staff_code="cash2")
    with pytest.raises(PermissionDenied):
        shift.shifts(ctx, c1, from_day=date(2026, 11, 1), to_day=date(2026, 11, 30))
    assert shift.previous_float(ctx, c1) == 39_900


def test_a_closed_shift_refuses_changes_and_keeps_its_figures(store: Store) -> None:
    ctx, c1 = store.ctx, store.cashier
    from pos_app.services import members

    mid = members.register_member(ctx, c1, phone="13912340002").member_id
    with pytest.raises(StateError) as exc:
        shift.close_shift(ctx, c1, counted_fen=0)
    assert exc.value.key == "shift.none_open"
    shift.open_shift(ctx, c1, float_fen=0, request_id="open-1")
    wallet.recharge(ctx, c1, member_id=mid, amount_fen=50_000, pay_method="cash")
    closed = shift.close_shift(ctx, c1, counted_fen=50_000, request_id="close-1")
    assert closed.difference_fen == 0 and closed.state == "closed"
    assert shift.close_shift(ctx, c1, counted_fen=50_000, request_id="close-1") == closed  # a repeat: the same
    with pytest.raises(StateError) as exc:
        shift.close_shift(ctx, c1, counted_fen=1)
    assert exc.value.key == "shift.already_closed"
    wallet.recharge(ctx, c1, member_id=mid, amount_fen=10_000, pay_method="cash")  # after the close
    again = shift.get_shift(ctx, c1, closed.shift_id)
    assert again == closed  # frozen at the close
    # the next shift opens with its own float and sees only what came after it
    nxt = shift.open_shift(ctx, c1, float_fen=50_000)
    assert nxt.shift_id != closed.shift_id and nxt.expected_fen == 50_000
    with pytest.raises(StateError) as exc:
        shift.open_shift(ctx, c1, float_fen=1)
    assert exc.value.key == "shift.still_open"
    with pytest.raises(InvalidInput):
        shift.open_shift(ctx, c1, float_fen=-1)
    with pytest.raises(PermissionDenied):
        shift.open_shift(ctx, store.staff, float_fen=0)
    with store.ctx.db.engine.connect() as conn:
        acts = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_log WHERE entity = 'shift' ORDER BY seq")]
        evs = [(t, json.loads(p)) for t, p in conn.exec_driver_sql(
            "SELECT type, payload_json FROM outbox WHERE type LIKE 'shift.%' ORDER BY seq")]
    assert acts == ["shift.open", "shift.close", "shift.open"]
    assert [t for t, _p in evs] == ["shift.opened", "shift.closed", "shift.opened"]
    assert evs[1][1]["difference_fen"] == 0 and evs[1][1]["figures"]["recharges"] == [["cash", 1, 50_000]]


def test_when_not_required_the_next_open_closes_the_open_shift_uncounted(store: Store) -> None:
    ctx, c1 = store.ctx, store.cashier
    staff.update_settings(ctx, store.manager, shift_close_required=False)
    first = shift.open_shift(ctx, c1, float_fen=100)
    second = shift.open_shift(ctx, c1, float_fen=200)
    old = shift.get_shift(ctx, c1, first.shift_id)
    assert old.state == "closed" and old.counted_fen is None and old.difference_fen is None
    assert second.state == "open" and second.float_fen == 200


def test_the_shift_prints_on_80mm_and_a4(store: Store, tmp_path: Path) -> None:
    ctx, c1 = store.ctx, store.cashier
    from pos_app.services import members

    mid = members.register_member(ctx, c1, phone="13912340003").member_id
    shift.open_shift(ctx, c1, float_fen=20_000)
    wallet.recharge(ctx, c1, member_id=mid, amount_fen=30_000, pay_method="cash")
    rep = shift.close_shift(ctx, c1, counted_fen=49_000)
    for layout, width in (("80mm", 80), ("a4", 210)):
        out = tmp_path / f"s-{layout}.pdf"
        shift_pdf(rep, "测试门店", out, layout=layout)
        page = PdfReader(str(out)).pages[0]
        assert round(float(page.mediabox.width) / 72 * 25.4) == width
        text = page.extract_text().replace(" ", "")
        for word in ("交班报表", "测试门店", "备用金", "应有现金", "实点现金", "差额", "现金",
                     format_fen(50_000), format_fen(49_000), format_fen(-1_000)):
            assert word in text, (layout, word)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ).astimezone(UTC)


def test_daily_sales_equal_their_recomputation(month: Month, tmp_path: Path) -> None:
    mo = month
    a, b = date(2026, 11, 23), date(2026, 12, 14)
    rows = sales.daily_sales(mo.store.ctx, mo.store.manager, from_day=a, to_day=b)
    assert [d.day for d in rows] == [a + timedelta(days=i) for i in range((b - a).days + 1)]
    want: dict[date, dict[str, Any]] = defaultdict(lambda: {"n": 0, "total": 0, "paid": 0, "m": defaultdict(int),
                                                            "c": defaultdict(int), "rn": 0, "r": 0})
    start, end = _start(a), _start(b + timedelta(days=1))

    def day(at: Any) -> date | None:
        t = _at(at)
        return t.astimezone(TZ).date() if start <= t < end else None

    for at, total, paid in _rows(mo, "SELECT created_at, total_fen, paid_fen FROM sale"):
        if (d := day(at)) is not None:
            want[d]["n"] += 1
            want[d]["total"] += total
            want[d]["paid"] += paid
    for at, method, amount in _rows(mo, "SELECT s.created_at, p.method, p.amount_fen FROM sale_payment p "
                                        "JOIN sale s ON s.id = p.sale_id"):
        if (d := day(at)) is not None:
            want[d]["m"][method] += amount
    for at, cat, amount in _rows(mo, "SELECT s.created_at, l.category, l.amount_fen FROM sale_line l "
                                     "JOIN sale s ON s.id = l.sale_id"):
        if (d := day(at)) is not None:
            want[d]["c"][cat] += amount
    for at, amount in _rows(mo, "SELECT created_at, amount_fen FROM sale_return"):
        if (d := day(at)) is not None:
            want[d]["rn"] += 1
            want[d]["r"] += amount
    for d in rows:
        w = want[d.day]
        assert (d.sales_count, d.sales_fen, d.paid_fen, d.returns_count, d.returns_fen) == \
            (w["n"], w["total"], w["paid"], w["rn"], w["r"]), d.day
        assert d.by_method_fen == dict(w["m"]) and d.by_category_fen == dict(w["c"])
        assert sum(d.by_method_fen.values()) == d.sales_fen == sum(d.by_category_fen.values())
    assert sum(d.sales_count for d in rows) > 20 and any(d.returns_fen for d in rows)
    assert any(d.paid_fen < d.sales_fen for d in rows)  # a bonus part paid from the balance is not "actually paid"
    path = sales.export(mo.store.ctx, mo.store.manager, tmp_path / "s.xlsx", from_day=a, to_day=b)
    ws = load_workbook(path).active
    got = list(ws.iter_rows(values_only=True))
    assert len(got) == len(rows) + 1
    for d, row in zip(rows, got[1:], strict=True):
        assert row[0] == d.day.isoformat() and row[1] == d.sales_count
        assert round(float(row[2]) * 100) == d.sales_fen and round(float(row[-1]) * 100) == d.net_fen
