"""Head office's reports (issue 14) from what real stores synced: two store files do recharges, sales (one with a
coupon, one paid from the balance), a spend, a recharge refund and a sale return through the store's own
services, on two days; store B keeps New York time (its settings event tells central); both sync with a real
central server on 127.0.0.1. Then central's campaign and liability figures, per store, equal each store's own
reports (and the store's rows recomputed with plain SQL where the store has no report of them), the figures
across stores are the stores' sum, opening + movements == closing for random periods; the API (admin token)
answers the same, documents it in /openapi.json and refuses bad requests with a 4xx; the CLI writes XLSX, CSV
and PDF files that read back (Chinese text in the PDF)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app.central import services, services_reports
from pos_app.central.cli import main
from pos_app.central.db import CentralDatabase
from pos_app.domain.periods import period
from pos_app.services import checkout, members, staff, sync, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import liability, sales
from tests.central.conftest import BACKENDS, Server, make_db
from tests.conftest import Store
from tests.sync.helpers import make_store_as

DAY1, DAY2 = date(2026, 11, 23), date(2026, 11, 24)
NY = "America/New_York"
TZ = {"A001": "Asia/Shanghai", "B002": NY}
WINDOW = [DAY1 - timedelta(days=2) + timedelta(days=i) for i in range(5)]


@dataclass
class World:
    db: CentralDatabase
    server: Server
    token: str
    stores: dict[str, Store]


def _pair(srv: Server, store: Store, code: str) -> None:
    st = services.add_store(srv.db, f"门店{code}", code)
    sync.pair(store.ctx, store.manager, server_url=srv.url, code=services.device_code(srv.db, st["store_id"])["code"])


def _coupon_of(store: Store, member_id: str) -> str:
    con = sqlite3.connect(store.path)
    try:
        return str(con.execute("SELECT code FROM coupon WHERE member_id = ? AND state = 'issued' ORDER BY code",
                               (member_id,)).fetchone()[0])
    finally:
        con.close()


def _activity(a: Store, b: Store) -> None:
    """Two days of counter work in each store (day 1 at 10:00 Beijing = 21:00 the day before in New York)."""
    # store A, day 1
    m1 = members.register_member(a.ctx, a.cashier, phone="13800000001", name="甲")
    m2 = members.register_member(a.ctx, a.cashier, phone="13800000002", name="乙")
    wallet.recharge(a.ctx, a.cashier, member_id=m1.member_id, tier_code="luxury", pay_method="cash")
    r2 = wallet.recharge(a.ctx, a.cashier, member_id=m2.member_id, tier_code="basic", pay_method="wechat")
    s1 = checkout.ring_up(a.ctx, a.cashier, request_id=None, member_id=m1.member_id,
                          lines=[LineInput(category="宠物用品", amount_fen=150_00)],
                          coupon_code=_coupon_of(a, m1.member_id),
                          payments=[PaymentInput("balance", 80_00), PaymentInput("cash", 50_00)])
    checkout.ring_up(a.ctx, a.cashier, request_id=None, member_id=None,
                     lines=[LineInput(category="洗护美容", amount_fen=60_00)], coupon_code=None,
                     payments=[PaymentInput("alipay", 60_00)])
    # store B (New York time), day 1
    m3 = members.register_member(b.ctx, b.cashier, phone="13900000003", name="丙")
    wallet.recharge(b.ctx, b.cashier, member_id=m3.member_id, tier_code="advanced", pay_method="card")
    checkout.ring_up(b.ctx, b.cashier, request_id=None, member_id=m3.member_id,
                     lines=[LineInput(category="寄养", amount_fen=200_00)], coupon_code=None,
                     payments=[PaymentInput("wechat", 200_00)])
    for st in (a, b):
        st.clock.advance(days=1)
    # day 2: a refund, a return, a second recharge (not a new recharging member), a spend, a new member
    wallet.refund(a.ctx, a.manager, recharge_id=r2.recharge_id, method="cash")
    checkout.return_sale(a.ctx, a.manager, request_id=None, sale_id=s1.sale_id)
    wallet.recharge(a.ctx, a.cashier, member_id=m1.member_id, amount_fen=300_00, pay_method="cash")
    wallet.spend(b.ctx, b.cashier, member_id=m3.member_id, amount_fen=120_00)
    m4 = members.register_member(b.ctx, b.cashier, phone="13900000004")
    wallet.recharge(b.ctx, b.cashier, member_id=m4.member_id, tier_code="basic", pay_method="cash")
    # A lowers its named-card cap below what m1 now holds: central learns it from the settings event
    staff.update_settings(a.ctx, a.manager, balance_cap_fen=1000_00)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("hq")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POS_SYNC_CREDENTIALS", str(tmp / "creds"))
        db = make_db(request.param, tmp)
        token = services.new_admin_token(db)["admin_token"]
        srv = Server(db).start()
        a = make_store_as(tmp / "A001.db", "A001", seed=21)
        b = make_store_as(tmp / "B002.db", "B002", seed=22)
        staff.update_settings(b.ctx, b.manager, timezone=NY)
        _pair(srv, a, "A001")
        _pair(srv, b, "B002")
        _activity(a, b)
        for st in (a, b):
            done = sync.run_round(st.ctx)
            assert done.pending == 0, done
        assert services.list_conflicts(db) == []
    yield World(db, srv, token, {"A001": a, "B002": b})
    srv.stop()
    for st in (a, b):
        st.ctx.db.dispose()
    db.dispose()


# ----------------------------------------------------------------------------- the store's own figures
def _utc(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _local_day(text: str, tz: str) -> date:
    return _utc(text).astimezone(ZoneInfo(tz)).date()


def _store_rows(store: Store, code: str, tz: str) -> dict[str, Any]:
    """What the store's own tables say of its own work (not what it pulled from other stores), recomputed with
    plain SQL: recharges and first recharges per local day, refunds, coupons issued."""
    con = sqlite3.connect(store.path)
    try:
        out: dict[str, Any] = {"recharges": {}, "new": {}, "refunds": {}, "issued": {}}
        first: dict[str, str] = {}
        for member_id, at, amount, bonus in con.execute(
                "SELECT member_id, created_at, amount_fen, bonus_fen FROM recharge WHERE origin_store IS NULL "
                "ORDER BY created_at"):
            d = _local_day(at, tz)
            n, p, b = out["recharges"].get(d, (0, 0, 0))
            out["recharges"][d] = (n + 1, p + amount, b + bonus)
            first.setdefault(member_id, at)
        for at in first.values():
            d = _local_day(at, tz)
            out["new"][d] = out["new"].get(d, 0) + 1
        for at, principal, bonus in con.execute(
                "SELECT created_at, principal_refund_fen, bonus_revoke_fen FROM refund"):
            d = _local_day(at, tz)
            n, p, b = out["refunds"].get(d, (0, 0, 0))
            out["refunds"][d] = (n + 1, p + principal, b + bonus)
        for (at,) in con.execute("SELECT issued_at FROM coupon WHERE store_code = ?", (code,)):
            d = _local_day(at, tz)
            out["issued"][d] = out["issued"].get(d, 0) + 1
        return out
    finally:
        con.close()


def test_campaign_rows_equal_each_stores_own_figures_and_add_up(world: World) -> None:
    r = services_reports.campaign_report(world.db, from_day=WINDOW[0], to_day=WINDOW[-1])
    assert [s["store_code"] for s in r["stores"]] == ["A001", "B002"]
    assert {s["store_code"]: (s["timezone"], s["timezone_known"]) for s in r["stores"]} == \
        {"A001": ("Asia/Shanghai", True), "B002": (NY, True)}
    for st in r["stores"]:
        store = world.stores[st["store_code"]]
        own = sales.daily_sales(store.ctx, store.manager, from_day=WINDOW[0], to_day=WINDOW[-1])
        mine = _store_rows(store, st["store_code"], TZ[st["store_code"]])
        assert [d["date"] for d in st["days"]] == [x.isoformat() for x in WINDOW]
        for row, day in zip(st["days"], own, strict=True):
            assert (row["sales_count"], row["sales_fen"], row["sales_total_fen"], row["by_method_fen"],
                    row["by_category_fen"], row["returns_count"], row["returns_fen"]) == \
                (day.sales_count, day.paid_fen, day.sales_fen, day.by_method_fen, day.by_category_fen,
                 day.returns_count, day.returns_fen)
            d = day.day
            own, _rep = _store_liability(store, st["store_code"], d, d)
            assert (row["recharges"], row["principal_fen"], row["bonus_fen"]) == \
                own[2].get("recharge", (0, 0, 0)) == mine["recharges"].get(d, (0, 0, 0))
            assert row["new_recharging_members"] == mine["new"].get(d, 0)
            assert sum(row["paid_by_method_fen"].values()) == row["sales_fen"]
            assert (row["refunds_count"], row["refund_principal_fen"], row["refund_bonus_fen"]) == \
                mine["refunds"].get(d, (0, 0, 0))
            assert row["coupons_issued"] == mine["issued"].get(d, 0)
    # what happened where and when: B's day 1 is the 22nd in New York; A's coupon was used on its sale
    b_days = {d["date"]: d for d in r["stores"][1]["days"]}
    assert b_days["2026-11-22"]["recharges"] == 1 and b_days["2026-11-23"]["recharges"] == 1
    a_tot = r["stores"][0]["totals"]
    assert a_tot["paid_by_method_fen"]["balance"] < a_tot["by_method_fen"]["balance"] == 80_00  # its bonus part
    assert a_tot["coupons_redeemed"] == 1 and a_tot["discount_fen"] == 20_00
    assert a_tot["refunds_count"] == 1 and a_tot["returns_count"] == 1 and a_tot["new_recharging_members"] == 2
    assert a_tot["recharges"] == 3 and a_tot["principal_fen"] == 2000_00 + 500_00 + 300_00
    # across the stores: date by date, the stores' rows added up; the totals their sum
    for i, row in enumerate(r["days"]):
        for name in ("recharges", "principal_fen", "bonus_fen", "new_recharging_members", "sales_fen",
                     "refund_principal_fen", "coupons_issued", "returns_fen"):
            assert row[name] == sum(st["days"][i][name] for st in r["stores"])
        assert row["by_method_fen"] == _merged([st["days"][i]["by_method_fen"] for st in r["stores"]])
    for name, value in r["totals"].items():
        if isinstance(value, int):
            assert value == sum(d[name] for d in r["days"]) == sum(st["totals"][name] for st in r["stores"])
    one = services_reports.campaign_report(world.db, from_day=WINDOW[0], to_day=WINDOW[-1], store="B002")
    assert one["store"] == "B002" and one["stores"] == [r["stores"][1]] and one["totals"] == r["stores"][1]["totals"]


def _merged(maps: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for m in maps:
        for k, v in m.items():
            out[k] = out.get(k, 0) + v
    return dict(sorted(out.items()))


def test_the_campaign_filter_keeps_its_recharges_and_sales(world: World) -> None:
    every = services_reports.campaign_report(world.db, from_day=WINDOW[0], to_day=WINDOW[-1])
    demo = services_reports.campaign_report(world.db, from_day=WINDOW[0], to_day=WINDOW[-1],
                                            campaign="DEMO-RECHARGE")
    assert demo["campaign"] == "DEMO-RECHARGE"
    # every recharge and sale of these stores ran under the demo campaign
    for name in ("recharges", "principal_fen", "bonus_fen", "sales_fen", "refunds_count", "returns_fen",
                 "coupons_redeemed"):
        assert demo["totals"][name] == every["totals"][name]
    none = services_reports.campaign_report(world.db, from_day=WINDOW[0], to_day=WINDOW[-1], campaign="NOPE")
    assert all(v == 0 or v == {} for v in none["totals"].values())


def _as_store(part: dict[str, Any]) -> tuple[Any, ...]:
    moves = {m["kind"]: (m["count"], m["principal_fen"], m["bonus_fen"]) for m in part["movements"]}
    return (part["opening"]["principal_fen"], part["opening"]["bonus_fen"], moves, part["closing"]["principal_fen"],
            part["closing"]["bonus_fen"])


def _store_liability(store: Store, code: str, first: date,
                     last: date) -> tuple[tuple[Any, ...], liability.LiabilityReport]:
    """The store's own liability report for the period, less the wallet rows it pulled from other stores (plain
    SQL): what central counts as this store's. Kinds the store's report always shows stay; others only when
    something is left of them."""
    rep = liability.liability(store.ctx, store.manager, from_day=first, to_day=last)
    start, end = period(first, last, ZoneInfo(TZ[code]))
    con = sqlite3.connect(store.path)
    try:
        foreign = [(_utc(at), k, p, b) for at, k, p, b in con.execute(
            "SELECT created_at, kind, principal_delta_fen, bonus_delta_fen FROM wallet_entry "
            "WHERE origin_store IS NOT NULL")]
    finally:
        con.close()
    op = [sum(x[i] for x in foreign if x[0] < start) for i in (2, 3)]
    cl = [sum(x[i] for x in foreign if x[0] < end) for i in (2, 3)]
    moves = {m.kind: [m.count, m.principal_fen, m.bonus_fen] for m in rep.movements}
    for at, kind, p, b in foreign:
        if start <= at < end:
            n0, p0, b0 = moves[kind]
            moves[kind] = [n0 - 1, p0 - p, b0 - b]
    kept = {k: tuple(v) for k, v in moves.items() if k in services_reports.WALLET_KINDS or v != [0, 0, 0]}
    return (rep.opening_principal_fen - op[0], rep.opening_bonus_fen - op[1], kept,
            rep.closing_principal_fen - cl[0], rep.closing_bonus_fen - cl[1]), rep


def _own_members(store: Store, code: str) -> set[str]:
    con = sqlite3.connect(store.path)
    try:
        return {str(r[0]) for r in con.execute("SELECT id FROM member WHERE store_code = ?", (code,))}
    finally:
        con.close()


def test_liability_equals_each_stores_own_and_the_total_is_their_sum(world: World) -> None:
    r = services_reports.liability_report(world.db, from_day=DAY1, to_day=DAY2 + timedelta(days=3))
    for st in r["stores"]:
        store = world.stores[st["store_code"]]
        own, rep = _store_liability(store, st["store_code"], DAY1, DAY2 + timedelta(days=3))
        assert _as_store(st) == own and st["balanced"] and rep.balanced
        home = _own_members(store, st["store_code"])
        assert st["cap_fen"] == rep.cap_fen
        assert [(o["member_id"], o["principal_fen"], o["bonus_fen"]) for o in st["over_cap"]] == \
            [(o.member_id, o.principal_fen, o.bonus_fen) for o in rep.over_cap if o.member_id in home]
        con = sqlite3.connect(store.path)
        holding = {r[0] for r in con.execute("SELECT id FROM member WHERE principal_fen + bonus_fen != 0")}
        con.close()
        assert st["members_with_balance"] == len(holding & home)
    a, b = r["stores"]
    assert a["cap_fen"] == 1000_00 and [o["phone"] for o in a["over_cap"]] == ["13800000001"]
    assert b["cap_fen"] == 5000_00 and b["over_cap"] == []
    kinds = {m["kind"]: m for m in a["movements"]}
    assert kinds["refund"]["count"] == 1 and kinds["sale_return"]["count"] == 1 and kinds["recharge"]["count"] == 3
    assert kinds["sale_payment"]["count"] == 1 and kinds["spend"]["count"] == 0
    # B's first recharge was on the 22nd in New York, before the period: its opening; its spend on the 23rd
    assert {m["kind"]: m["count"] for m in b["movements"]}["spend"] == 1
    assert b["opening"]["principal_fen"] == 1000_00 and a["opening"]["principal_fen"] == 0
    total = r["total"]
    assert total["balanced"] and total["cap_fen"] is None  # the stores' caps differ
    for side in ("opening", "closing"):
        for f in ("principal_fen", "bonus_fen"):
            assert total[side][f] == a[side][f] + b[side][f]
    assert total["closing"]["principal_fen"] > 0 and total["over_cap"] == a["over_cap"]


@settings(max_examples=15)
@given(first=hs.sampled_from(WINDOW), length=hs.integers(0, 4))
def test_opening_plus_movements_is_closing_for_any_period(world: World, first: date, length: int) -> None:
    last = first + timedelta(days=length)
    r = services_reports.liability_report(world.db, from_day=first, to_day=last)
    for st in r["stores"]:
        own, _rep = _store_liability(world.stores[st["store_code"]], st["store_code"], first, last)
        assert _as_store(st) == own
    for part in [*r["stores"], r["total"]]:
        for f in ("principal_fen", "bonus_fen"):
            assert part["opening"][f] + sum(m[f] for m in part["movements"]) == part["closing"][f]
    whole = services_reports.liability_report(world.db, from_day=date(2026, 1, 1), to_day=last)
    assert whole["total"]["closing"] == r["total"]["closing"]


# ----------------------------------------------------------------------------- HTTP
def _get(world: World, path: str, token: str | None = "ok", **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {world.token if token == 'ok' else token}"} if token else {}
    return httpx.get(world.server.url + path, params=params, headers=headers, timeout=30)


def test_the_api_answers_the_reports_and_refuses_bad_requests(world: World) -> None:
    got = _get(world, "/v1/admin/reports/campaign", **{"from": "2026-11-21", "to": "2026-11-25"})
    assert got.status_code == 200, got.text
    assert got.json() == json.loads(json.dumps(services_reports.campaign_report(
        world.db, from_day="2026-11-21", to_day="2026-11-25")))
    one = _get(world, "/v1/admin/reports/liability", **{"from": "2026-11-24", "to": "2026-11-24", "store": "A001"})
    assert one.status_code == 200 and one.json()["store"] == "A001" and len(one.json()["stores"]) == 1
    assert one.json()["total"]["balanced"] is True
    bad = [
        ({"from": "2026-13-01", "to": "2026-12-31"}, 400, "is not a date"),
        ({"from": "2026-12-31", "to": "2026-12-01"}, 400, "is after"),
        ({"from": "2026-01-01", "to": "2026-01-02", "store": "NOPE"}, 404, "no store"),
        ({"from": "2026-01-01", "to": "2026-01-02", "tz": "Mars/Olympus"}, 400, "time zone"),
        ({"from": "0001-01-01", "to": "0001-01-02"}, 400, "outside"),
        ({"from": "2000-01-01", "to": "2026-01-02"}, 400, ""),
    ]
    for params, status, words in bad:
        for path in ("/v1/admin/reports/campaign", "/v1/admin/reports/liability"):
            r = _get(world, path, **params)
            assert r.status_code == status, (path, params, r.text)
            assert words in r.json()["message"]
    assert _get(world, "/v1/admin/reports/campaign", **{"to": "2026-12-01"}).status_code == 400  # no from
    assert _get(world, "/v1/admin/reports/liability", **{"to": "2026-12-01"}).status_code == 422
    assert _get(world, "/v1/admin/reports/liability", **{"from": "x" * 11, "to": "y"}).status_code == 422
    for token in (None, "wrong"):
        r = _get(world, "/v1/admin/reports/liability", token=token, **{"from": "2026-11-24", "to": "2026-11-24"})
        assert r.status_code == 401
    doc = httpx.get(world.server.url + "/openapi.json", timeout=30).json()
    assert {"/v1/admin/reports/campaign", "/v1/admin/reports/liability"} <= set(doc["paths"])
    schema = doc["paths"]["/v1/admin/reports/campaign"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["$ref"].endswith("/CampaignReportOut")
    assert "new_recharging_members" in doc["components"]["schemas"]["CampaignFigures"]["properties"]


# ----------------------------------------------------------------------------- the command line and its files
def _fen(cell: Any) -> int:
    """A spreadsheet's yuan cell as fen (openpyxl reads numbers back as floats: through their text, exactly)."""
    return int(Decimal(str(cell)).scaleb(2))


def _yuan(fen: int) -> str:
    return str(Decimal(fen).scaleb(-2))


def _cli(capsys: pytest.CaptureFixture[str], world: World, *args: str) -> tuple[int, str, str]:
    try:
        code = main([*args, "--db", world.db.url])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_writes_xlsx_csv_and_pdf(world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    period = ("--from", "2026-11-21", "--to", "2026-11-25")
    want = services_reports.campaign_report(world.db, from_day="2026-11-21", to_day="2026-11-25")
    code, out, err = _cli(capsys, world, "report", "campaign", *period, "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(json.dumps(want))
    code, out, err = _cli(capsys, world, "report", "campaign", *period)
    assert code == 0 and "A001" in out and "B002" in out and "ALL" in out

    xlsx = tmp_path / "campaign.xlsx"
    code, out, err = _cli(capsys, world, "report", "campaign", *period, "--out", str(xlsx))
    assert code == 0, err
    ws = load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:3] == ["门店", "日期", "充值笔数"] and "支付方式 现金" in head and "品类 寄养" in head
    everyone = [r for r in rows[1:] if r[0] == "全部门店"]
    assert [r[1] for r in everyone] == [d["date"] for d in want["days"]] + ["合计"]
    total = everyone[-1]
    assert _fen(total[head.index("充值本金")]) == want["totals"]["principal_fen"]
    assert total[head.index("新充值会员")] == want["totals"]["new_recharging_members"]
    assert _fen(total[head.index("实际支付")]) == want["totals"]["sales_fen"]

    path = tmp_path / "liability.csv"
    code, out, err = _cli(capsys, world, "report", "liability", "--from", "2026-11-24", "--to", "2026-11-24",
                          "--out", str(path))
    assert code == 0, err
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    liab = services_reports.liability_report(world.db, from_day="2026-11-24", to_day="2026-11-24")
    closing = [r for r in table if r[:2] == ["全部门店", "期末余额"]]
    closed = liab["total"]["closing"]
    assert closing == [["全部门店", "期末余额", "", _yuan(closed["principal_fen"]), _yuan(closed["bonus_fen"]),
                        _yuan(closed["principal_fen"] + closed["bonus_fen"])]]
    assert [r for r in table if "13800000001" in r][0][:2] == ["A001", "13800000001"]

    pdf = tmp_path / "campaign.pdf"
    assert _cli(capsys, world, "report", "campaign", *period, "--out", str(pdf))[0] == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "总部活动报表" in text and "全部门店" in text and "门店B002 (B002)" in text
    assert "America/New_York" in text
    pdf2 = tmp_path / "liability.pdf"
    assert _cli(capsys, world, "report", "liability", "--from", "2026-11-24", "--to", "2026-11-24",
                "--store", "A001", "--out", str(pdf2))[0] == 0
    text = "".join(page.extract_text() for page in PdfReader(pdf2).pages)
    assert "总部预付卡负债报表" in text and "期初余额" in text and "13800000001" in text

    # bad input: exit 2, one line, no file
    for args in (("report", "campaign", "--from", "2026-11-99", "--to", "2026-11-25"),
                 ("report", "liability", "--from", "2026-11-21", "--to", "2026-11-25", "--out", str(tmp_path / "x.doc")),
                 ("report", "liability", "--from", "2026-11-21"),
                 ("report", "campaign", *period, "--store", "NOPE")):
        code, out, err = _cli(capsys, world, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1, (args, err)
    assert not (tmp_path / "x.doc").exists()


def test_a_published_campaigns_window_and_a_store_that_never_told_its_zone(sqlite_db: CentralDatabase) -> None:
    """No dates: the published campaign's window; a store whose events never said its zone takes ``tz``."""
    from tests.conftest import DEMO_CAMPAIGN

    services.add_store(sqlite_db, "三号店", "C003")
    services.publish_campaign(sqlite_db, services.read_campaign_file(DEMO_CAMPAIGN), ["C003"])
    r = services_reports.campaign_report(sqlite_db, campaign="DEMO-RECHARGE", tz="Europe/London")
    assert (r["from"], r["to"]) == ("2026-11-01", "2027-01-31") and len(r["days"]) == 92
    assert [(s["store_code"], s["timezone"], s["timezone_known"]) for s in r["stores"]] == \
        [("C003", "Europe/London", False)]
    assert r["totals"]["recharges"] == 0
    liab = services_reports.liability_report(sqlite_db, from_day="2026-11-01", to_day="2026-11-30")
    assert liab["stores"][0]["timezone"] == "Asia/Shanghai" and liab["stores"][0]["cap_fen"] is None
    assert liab["total"]["balanced"] and liab["total"]["over_cap"] == []
    with pytest.raises(services_reports.CentralError, match="from is required"):
        services_reports.campaign_report(sqlite_db, to_day="2026-11-30")


def test_odd_payloads_never_break_a_report(sqlite_db: CentralDatabase) -> None:
    """Events central stored whatever their payload (a store of another version, a bug): the reports read what
    they can and skip the rest, never an error."""
    from pos_app.central import services_sync
    from pos_app.sync import protocol as p

    st = services.add_store(sqlite_db, "四号店", "D004")
    dev = services_sync.pair(sqlite_db, services.device_code(sqlite_db, st["store_id"])["code"], "dev-d4", "D004", "t")
    auth = services_sync.DeviceAuth("dev-d4", dev["store_id"], "D004")
    odd: list[tuple[str, Any]] = [
        ("store.initialised", {"timezone": "Not/AZone"}),
        ("settings.updated", {"changes": {"balance_cap_fen": "lots", "timezone": 7}}),
        ("wallet.recharged", {"member_id": ["x"], "amount_fen": "500", "bonus_fen": None, "campaign_code": "C1",
                              "recharge_id": {"a": 1}, "coupons": "none"}),
        ("sale.completed", {"sale_id": ["s"], "paid_fen": 1.5, "total_fen": True, "payments": [1, {"method": None}],
                            "lines": {"category": "x"}, "coupons_redeemed": [{"discount_fen": "2"}],
                            "campaign_code": "C1"}),
        ("sale.returned", {"sale_id": ["s"], "amount_fen": 10}),
        ("wallet.refunded", {"recharge_id": {"r": 1}, "principal_refund_fen": 5}),
        ("coupon.issued", {"coupons": [{"code": 1}, "x"]}),
        ("wallet.spent", [1, 2, 3]),
    ]
    events = []
    for i, (kind, payload) in enumerate(odd, start=1):
        text = json.dumps(payload)
        events.append({"event_id": f"odd-{i}", "device_id": "dev-d4", "seq": i, "type": kind,
                       "occurred_at": "garbage" if kind == "coupon.issued" else "2026-11-23T02:00:00.000Z", "payload_json": text,
                       "payload_hash": p.payload_hash(text)})
    services_sync.push(sqlite_db, auth, events)
    for campaign in (None, "C1"):
        r = services_reports.campaign_report(sqlite_db, from_day="2026-11-20", to_day="2026-11-30", campaign=campaign)
        assert r["stores"][0]["timezone"] == "Asia/Shanghai" and not r["stores"][0]["timezone_known"]
    assert r["totals"]["recharges"] == 1 and r["totals"]["principal_fen"] == 0
    liab = services_reports.liability_report(sqlite_db, from_day="2026-11-20", to_day="2026-11-30")
    assert liab["total"]["balanced"] and liab["stores"][0]["cap_fen"] == 500_000
