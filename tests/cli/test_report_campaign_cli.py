"""`pos-app report campaign`, run in-process (``pos_app.cli.main``) on a real SQLite store with a few days of
activity: --json carries the service's figures (daily rows with ``date``, ``principal_fen``, ``bonus_fen``,
``sales_fen``, ``new_recharging_members``... and the evaluation), --out writes XLSX/CSV/PDF, bad input exits 2
with one line, a cashier exits 3."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app.cli import main
from pos_app.services import checkout, mall, members, points, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import campaign as cr
from tests.conftest import make_store

SPAN = ["--from", "2026-11-20", "--to", "2026-11-26"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    st = make_store(tmp_path / "store.db")
    ctx = st.ctx
    for i in range(3):
        mid = members.register_member(ctx, st.cashier, phone=f"1390000000{i}").member_id
        wallet.recharge(ctx, st.cashier, member_id=mid, tier_code="basic", pay_method="cash")
        st.clock.advance(days=1)
        checkout.ring_up(ctx, st.cashier, request_id=None, member_id=mid if i else None,
                         lines=[LineInput(category="宠物食品", amount_fen=88_00)], coupon_code=None,
                         payments=[PaymentInput("wechat", 88_00)])
    points.adjust(ctx, st.manager, phone="13900000001", points=200, reason="测试")
    mall.redeem(ctx, st.cashier, item="M-PET20", phone="13900000001")
    expected = cr.campaign_report(ctx, st.manager, from_day=date(2026, 11, 20), to_day=date(2026, 11, 26))
    (tmp_path / "expected.json").write_text(json.dumps(cr.json_dict(expected), default=str))
    ctx.db.dispose()
    return tmp_path / "store.db"


def _run(capsys: Any, db: Path, *args: str, who: tuple[str, str] = ("boss", "9999")) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--staff", who[0], "--pin", who[1], *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_carries_the_service_figures(db: Path, capsys: Any) -> None:
    code, out, err = _run(capsys, db, "--json", "report", "campaign", *SPAN)
    assert code == 0, err
    got = json.loads(out)
    want = json.loads((db.parent / "expected.json").read_text())
    assert got["days"] == want["days"] and got["evaluation"] == want["evaluation"]
    assert got["campaign"]["code"] == "DEMO-RECHARGE" and got["previous"] == {"from": "2026-11-13", "to": "2026-11-19"}
    day = next(d for d in got["days"] if d["date"] == "2026-11-23")
    assert day["principal_fen"] == 50_000 and day["bonus_fen"] == 5_000 and day["new_recharging_members"] == 1
    assert sum(d["sales_fen"] for d in got["days"]) == 3 * 88_00
    assert got["sections"]["recharge"]["figures"]["recharge.principal"]["value"] == 150_000
    assert got["sections"]["tasks"]["available"] is False and got["sections"]["tasks"]["note"] == "dashboard.tasks_none"
    red = got["sections"]["redemptions"]
    assert red["available"] is True and red == want["sections"]["redemptions"]
    assert red["figures"]["redemptions.mall"]["value"] == 1 and red["figures"]["redemptions.mall_points"]["value"] == 150
    assert [p["label"] for p in red["breakdowns"]["mall_by_item"]] == ["宠物用品 20 元券"]
    assert sum(d["mall_redemptions"] for d in got["days"]) == 1
    assert got["sections"]["wheel"]["available"] is False  # no wheel published in this store
    assert {e["key"] for e in got["evaluation"]} >= {"recharge_growth", "new_recharging_members", "invitee_conversion",
                                                     "points_spent", "coupon_redemptions", "mall_redemptions",
                                                     "premium_redemptions"}
    code, out, _ = _run(capsys, db, "report", "campaign", "--campaign", "DEMO-RECHARGE", *SPAN)
    assert code == 0 and "充值本金" in out and "¥1,500.00" in out and "活动评估" in out
    assert "积分商城兑换" in out and "兑换申请待审核" in out


def test_files_are_written_and_read_back(db: Path, capsys: Any, tmp_path: Path) -> None:
    for name in ("c.xlsx", "c.csv", "c.pdf"):
        code, _out, err = _run(capsys, db, "report", "campaign", *SPAN, "--out", str(tmp_path / name))
        assert code == 0, err
    ws = load_workbook(tmp_path / "c.xlsx").active
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, max_row=8, values_only=True))
    assert [r[0] for r in rows] == [f"2026-11-{d}" for d in range(20, 27)]
    assert sum(float(r[header.index("本金")]) for r in rows) == 1500.0
    assert "新增充值会员" in (tmp_path / "c.csv").read_text(encoding="utf-8-sig")
    text = "".join(p.extract_text() for p in PdfReader(str(tmp_path / "c.pdf")).pages).replace(" ", "")
    assert "活动报表" in text and "冬季储值回馈活动" in text and "¥1,500.00" in text


def test_bad_input_and_a_cashier_are_refused(db: Path, capsys: Any, tmp_path: Path) -> None:
    code, out, err = _run(capsys, db, "report", "campaign", "--from", "2026-11-26", "--to", "2026-11-20")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "2026-11-26" in err and "Traceback" not in err
    code, _out, err = _run(capsys, db, "report", "campaign", "--campaign", "NOPE", *SPAN)
    assert code == 2 and "NOPE" in err
    code, _out, err = _run(capsys, db, "report", "campaign", "--from", "2026-11-20")
    assert code == 2 and err.strip()
    code, _out, err = _run(capsys, db, "report", "campaign", *SPAN, "--out", str(tmp_path / "c.txt"))
    assert code == 2 and not (tmp_path / "c.txt").exists()
    code, _out, err = _run(capsys, db, "report", "campaign", *SPAN, who=("cash1", "1111"))
    assert code == 3 and err.strip()
