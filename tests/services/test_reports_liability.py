"""The prepaid liability report over a generated month: every figure recomputed here in plain Python over the
ledger rows (read with plain SQL) equals the service's; opening + movements == closing for random periods;
members above the named-card cap are flagged; the CSV, XLSX and PDF exports read back."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app import messages
from pos_app.domain.errors import InvalidInput, PermissionDenied
from pos_app.services import staff
from pos_app.services.reports import liability
from tests.services.reports_month import Month, build_month

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 11, 20)
LAST = date(2026, 12, 26)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    mo = build_month(tmp_path_factory.mktemp("liab") / "store.db")
    yield mo
    mo.store.ctx.db.dispose()


def _rows(mo: Month, sql: str) -> list[Any]:
    with mo.store.ctx.db.engine.connect() as conn:
        return list(conn.exec_driver_sql(sql))


def _at(text: Any) -> datetime:
    v = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
    return v.replace(tzinfo=UTC)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), TZ).astimezone(UTC)


def _recompute(mo: Month, a: date, b: date) -> dict[str, Any]:
    """The report's figures from the rows, in plain Python."""
    start, end = _start(a), _start(b + timedelta(days=1))
    sale_spends = {r[0] for r in _rows(mo, "SELECT spend_id FROM sale WHERE spend_id IS NOT NULL")}
    wallet = _rows(mo, "SELECT kind, principal_delta_fen, bonus_delta_fen, created_at, spend_id, member_id, seq, "
                       "principal_after_fen, bonus_after_fen FROM wallet_entry")
    out: dict[str, Any] = {"open": [0, 0], "close": [0, 0], "moves": defaultdict(lambda: [0, 0, 0])}
    last: dict[str, tuple[int, int, int]] = {}
    for kind, dp, db, at_, spend_id, member, seq, pa, ba in wallet:
        at = _at(at_)
        if at < start:
            out["open"][0] += dp
            out["open"][1] += db
        if at < end:
            out["close"][0] += dp
            out["close"][1] += db
            if member not in last or last[member][0] < seq:
                last[member] = (seq, pa, ba)
        if start <= at < end:
            k = "sale_payment" if kind == "spend" and spend_id in sale_spends else kind
            mv = out["moves"][k]
            mv[0] += 1
            mv[1] += dp
            mv[2] += db
    out["last"] = last
    pts_open = pts_close = 0
    earned: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for source, points, at_ in _rows(mo, "SELECT source, points, earned_at FROM points_lot"):
        at = _at(at_)
        pts_open += points if at < start else 0
        pts_close += points if at < end else 0
        if start <= at < end:
            earned[source][0] += 1
            earned[source][1] += points
    moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind, delta, at_ in _rows(mo, "SELECT kind, delta, created_at FROM points_entry"):
        at = _at(at_)
        pts_open += delta if at < start else 0
        pts_close += delta if at < end else 0
        if start <= at < end:
            moved[kind][0] += 1
            moved[kind][1] += delta
    out.update(pts_open=pts_open, pts_close=pts_close, earned=earned, moved=moved)
    return out


def test_every_figure_of_the_month_equals_its_recomputation(month: Month) -> None:
    mo = month
    a, b = date(2026, 11, 26), date(2026, 12, 12)
    r = liability.liability(mo.store.ctx, mo.store.manager, from_day=a, to_day=b)
    want = _recompute(mo, a, b)
    assert [r.opening_principal_fen, r.opening_bonus_fen] == want["open"]
    assert [r.closing_principal_fen, r.closing_bonus_fen] == want["close"]
    assert r.opening_principal_fen > 0 and r.closing_principal_fen > 0  # the month has activity on both sides
    got = {m.kind: [m.count, m.principal_fen, m.bonus_fen] for m in r.movements if m.count}
    assert got == dict(want["moves"])
    for kind in ("recharge", "spend", "sale_payment", "refund"):
        assert got[kind][0] > 0, kind  # every kind happened in the period
    assert r.points_opening == want["pts_open"] and r.points_closing == want["pts_close"]
    assert {m.kind: [m.count, m.points] for m in r.points_movements if m.kind.startswith("earn.")} == \
        {f"earn.{k}": v for k, v in want["earned"].items()}
    assert {m.kind: [m.count, m.points] for m in r.points_movements if not m.kind.startswith("earn.") and m.count} == \
        dict(want["moved"])
    holders = sum(1 for _s, p, bb in want["last"].values() if p or bb)
    assert r.members_with_balance == holders
    assert r.balanced


def test_the_whole_month_closes_on_the_members_cached_balances(month: Month) -> None:
    mo = month
    r = liability.liability(mo.store.ctx, mo.store.manager, from_day=FIRST, to_day=LAST)
    p, b, pts = _rows(mo, "SELECT sum(principal_fen), sum(bonus_fen), sum(points_balance) FROM member")[0]
    assert (r.opening_principal_fen, r.opening_bonus_fen, r.points_opening) == (0, 0, 0)
    assert (r.closing_principal_fen, r.closing_bonus_fen, r.points_closing) == (p, b, pts)
    assert r.outstanding_principal_fen == p and r.outstanding_bonus_fen == b
    sale_returns = next(m for m in r.movements if m.kind == "sale_return")
    assert sale_returns.count >= 1 and sale_returns.principal_fen >= 0


@settings(max_examples=25)
@given(st.integers(0, 40), st.integers(0, 40))
def test_opening_plus_movements_is_closing_for_any_period(month: Month, x: int, y: int) -> None:
    a, b = sorted((FIRST + timedelta(days=x), FIRST + timedelta(days=y)))
    r = liability.liability(month.store.ctx, month.store.manager, from_day=a, to_day=b)
    assert r.opening_principal_fen + sum(m.principal_fen for m in r.movements) == r.closing_principal_fen
    assert r.opening_bonus_fen + sum(m.bonus_fen for m in r.movements) == r.closing_bonus_fen
    assert r.points_opening + sum(m.points for m in r.points_movements) == r.points_closing
    assert r.balanced
    want = _recompute(month, a, b)
    assert [r.closing_principal_fen, r.closing_bonus_fen] == want["close"]
    # consecutive periods chain: this period's opening is the previous day's closing
    prev = liability.liability(month.store.ctx, month.store.manager, from_day=a - timedelta(days=1),
                               to_day=a - timedelta(days=1))
    assert (prev.closing_principal_fen, prev.closing_bonus_fen, prev.points_closing) == \
        (r.opening_principal_fen, r.opening_bonus_fen, r.points_opening)


def test_members_above_the_cap_are_flagged_and_points_valued(month: Month, tmp_path: Path) -> None:
    mo = month
    before = liability.liability(mo.store.ctx, mo.store.manager, from_day=FIRST, to_day=LAST)
    assert before.cap_fen == 500_000 and before.over_cap == () and before.point_value_fen is None
    balances = sorted(((p + b, phone) for phone, p, b in _rows(mo, "SELECT phone, principal_fen, bonus_fen FROM member")),
                      reverse=True)
    cap = balances[2][0]  # two members hold more than this
    staff.update_settings(mo.store.ctx, mo.store.manager, balance_cap_fen=cap, point_value_fen=10)
    try:
        r = liability.liability(mo.store.ctx, mo.store.manager, from_day=FIRST, to_day=LAST)
        assert r.cap_fen == cap
        assert [o.phone for o in r.over_cap] == [phone for total, phone in balances if total > cap]
        assert all(o.balance_fen > cap for o in r.over_cap) and len(r.over_cap) >= 1
        assert r.points_value_fen == r.points_closing * 10
        # exports carry the flagged members too
        out = liability.export(mo.store.ctx, mo.store.manager, tmp_path / "l.csv", from_day=FIRST, to_day=LAST)
        text = out.read_text(encoding="utf-8-sig")
        assert all(o.phone in text for o in r.over_cap)
    finally:
        staff.update_settings(mo.store.ctx, mo.store.manager, balance_cap_fen=500_000, point_value_fen=None)


def _table(r: liability.LiabilityReport) -> list[list[Any]]:
    return [[label, count, p, b, pts] for label, count, p, b, pts in liability.lines(r)]


def test_csv_and_xlsx_read_back_equal_the_report(month: Month, tmp_path: Path) -> None:
    mo = month
    a, b = date(2026, 11, 28), date(2026, 12, 9)
    r = liability.liability(mo.store.ctx, mo.store.manager, from_day=a, to_day=b)
    lines = liability.lines(r)
    path = liability.export(mo.store.ctx, mo.store.manager, tmp_path / "l.xlsx", from_day=a, to_day=b)
    ws = load_workbook(path).active
    got = [list(row) for row in ws.iter_rows(values_only=True)]
    assert got[0] == [messages.translate(h) for h in liability.HEADERS]
    for (label, count, p, b_, pts), row in zip(lines, got[1:], strict=False):
        assert row[0] == label and row[1] == count and row[5] == pts
        if p is not None and b_ is not None:
            assert Decimal(str(row[2])) == Decimal(p) / 100 and Decimal(str(row[3])) == Decimal(b_) / 100
            assert Decimal(str(row[4])) == Decimal(p + b_) / 100
    cpath = liability.export(mo.store.ctx, mo.store.manager, tmp_path / "l.csv", from_day=a, to_day=b)
    with cpath.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    opening, closing = rows[1], rows[len(lines)]
    assert opening[0] == messages.translate("report.liability.opening")
    assert Decimal(opening[2]) * 100 == r.opening_principal_fen and Decimal(closing[3]) * 100 == r.closing_bonus_fen
    moves = rows[2:2 + len(r.movements)]
    assert sum(Decimal(x[2]) * 100 for x in moves) + Decimal(opening[2]) * 100 == Decimal(closing[2]) * 100


def test_the_pdf_prints_the_figures_in_chinese(month: Month, tmp_path: Path) -> None:
    mo = month
    a, b = date(2026, 11, 28), date(2026, 12, 9)
    r = liability.liability(mo.store.ctx, mo.store.manager, from_day=a, to_day=b)
    path = liability.export(mo.store.ctx, mo.store.manager, tmp_path / "l.pdf", from_day=a, to_day=b)
    text = "".join(page.extract_text() for page in PdfReader(str(path)).pages)
    flat = text.replace(" ", "").replace("\n", "")
    for word in ("预付卡负债报表", "期初余额", "期末余额", "充值", "收银余额支付", "应付会员本金", "测试门店"):
        assert word in flat, word
    from pos_app.domain.money import format_fen

    assert format_fen(r.closing_principal_fen) in flat and format_fen(r.opening_bonus_fen) in flat


def test_only_managers_and_a_reversed_period_is_refused(month: Month) -> None:
    with pytest.raises(PermissionDenied):
        liability.liability(month.store.ctx, month.store.cashier, from_day=FIRST, to_day=LAST)
    with pytest.raises(InvalidInput) as exc:
        liability.liability(month.store.ctx, month.store.manager, from_day=LAST, to_day=FIRST)
    assert exc.value.key == "report.range_invalid"
