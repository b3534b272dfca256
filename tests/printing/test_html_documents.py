"""The recharge receipt and the stocktake count sheet are built in printing/ from plain DTOs, without Qt: the
dialogs in ui/ only show and print them (issue 10, "a layout that shows the architecture")."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from pos_app import messages
from pos_app.printing.receipt_html import local_time, receipt_html, receipt_no
from pos_app.printing.stock_sheet import HEADERS, stocktake_html
from pos_app.services.dto import GrantedItemDTO, RechargeResult
from pos_app.services.gifts import CountLineDTO

AT = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 on 12-02 in Shanghai


def _result(**over: object) -> RechargeResult:
    items = (
        GrantedItemDTO("e1", "gift", "G1", "保温杯 <b>", 5900, "owed", date(2026, 12, 9), "tier"),
        GrantedItemDTO("e2", "coupon", "C1", "满100减10", 1000, "issued", None, "tier"),
        GrantedItemDTO("e3", "member_price", "MP", "会员价", 0, "issued", None, "tier", issued_ref="2027-06-02"),
        GrantedItemDTO("e4", "gift", "G2", "帆布袋", 0, "handed_out", date(2026, 12, 9), "tier"),
    )
    values: dict[str, object] = dict(
        recharge_id="r-0123456789", request_id="q1", member_id="m1", phone="13800000001", campaign_code=None,
        tier_code="luxury", pay_method="wechat", principal_fen=200_000, bonus_fen=40_000, points=2000,
        principal_balance_fen=200_000, bonus_balance_fen=40_050, balance_fen=240_050, points_balance=2100,
        state="active", created_at=AT, staff_code="cash1", items=items, receipt_no="T001-20261202-0007")
    values.update(over)
    return RechargeResult(**values)  # type: ignore[arg-type]


def test_the_documents_are_built_without_qt() -> None:
    code = ("import sys\n"
            "import pos_app.printing.receipt_html, pos_app.printing.stock_sheet\n"
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'pos_app.ui'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_receipt_from_a_recharge_result() -> None:
    html = receipt_html(_result(), "测试门店", "王小明", "豪华档", tz="Asia/Shanghai", families=("Noto Sans CJK SC", "X"))
    assert html.startswith("<html><body style=\"font-family: 'Noto Sans CJK SC', 'X'; font-size: 11pt\">")
    assert "<h2 align='center'>测试门店</h2>" in html and "<h3 align='center'>充值小票</h3>" in html
    for label, value in (("时间", "2026-12-02 00:30"), ("会员", "13800000001"), ("档位", "豪华档"), ("支付方式", "微信"),
                         ("实收本金", "¥2,000.00"), ("赠送金", "¥400.00"), ("积分", "+2000"), ("赠送金余额", "¥400.50"),
                         ("总余额", "¥2,400.50"), ("积分余额", "2100"), ("收银员", "王小明")):
        assert f"{label}</td><td align='right'><b>{value}</b></td>" in html, label
    # the items: names escaped, values in yuan, a due date only for a gift still owed
    assert "<li>礼品：保温杯 &lt;b&gt;（¥59.00） — 待发放，2026-12-09 前发放</li>" in html
    assert "<li>优惠券：满100减10（¥10.00） — 已发放</li>" in html
    assert "<li>会员价资格，有效至 2027-06-02</li>" in html
    assert "<li>礼品：帆布袋 — 已领取</li>" in html
    assert "单号 T001-20261202-0007" in html and "r-0123456789" not in html


def test_receipt_falls_back_to_codes_and_follows_the_store_clock_and_language() -> None:
    r = _result(receipt_no="", tier_code=None, items=())
    assert receipt_no(r) == "r-0123456789"
    html = receipt_html(r, tz="UTC")
    assert "2026-12-01 16:30" in html and "自定义金额" in html and "<b>cash1</b>" in html
    assert "单号 r-0123456789" in html and "<ul>" not in html and "font-family: ;" in html
    messages.set_language("en")
    html = receipt_html(_result(tier_code="basic"), tz="America/New_York")
    assert "Recharge receipt" in html and "2026-12-01 11:30" in html and "<b>basic</b>" in html
    assert "<li>gift：保温杯 &lt;b&gt;（¥59.00） — owed，due by 2026-12-09</li>" in html


def test_local_time() -> None:
    assert local_time(AT, "Asia/Shanghai") == "2026-12-02 00:30"
    assert local_time(datetime(2026, 12, 1, 8, 5), "Asia/Shanghai") == "2026-12-01 08:05"  # naive: as it is
    assert local_time(None) == ""


@pytest.mark.parametrize("lang,title,head,sign", [
    ("zh_CN", "礼品盘点表", "<th>礼品编码</th><th>名称</th><th>账面数量</th>", "盘点人签字"),
    ("en", "Gift stocktake sheet", "<th>SKU</th><th>Name</th><th>Expected</th>", "Counted by"),
])
def test_stocktake_sheet_from_count_lines(lang: str, title: str, head: str, sign: str) -> None:
    messages.set_language(lang)
    lines = [CountLineDTO("SKU1", "杯 & 碟", 10, 8, -2, 5900), CountLineDTO("SKU2", "袋", 3, None, None, 100),
             CountLineDTO("SKU3", "伞", 1, 4, 3, 2500, "690123")]
    html = stocktake_html(lines, "测试门店", "王小明", AT, tz="Asia/Shanghai")
    assert f"<h2>{title}</h2>" in html and head in html and sign in html
    assert html.count("<th>") == len(HEADERS) == 6
    assert "<p>测试门店 &nbsp; 2026-12-02 00:30 &nbsp; " in html and "王小明</p>" in html
    assert "<tr><td>SKU1</td><td>杯 &amp; 碟</td><td>10</td><td>8</td><td>-2</td><td>-¥118.00</td></tr>" in html
    assert "<tr><td>SKU2</td><td>袋</td><td>3</td><td></td><td></td><td></td></tr>" in html  # not counted yet
    assert "<tr><td>SKU3</td><td>伞</td><td>1</td><td>4</td><td>+3</td><td>¥75.00</td></tr>" in html


def test_stocktake_sheet_time_is_the_stores() -> None:
    assert "2026-12-01 16:30" in stocktake_html([], when=AT, tz="UTC")
    assert "<p> &nbsp;  &nbsp; " in stocktake_html([])  # no time given: none shown
