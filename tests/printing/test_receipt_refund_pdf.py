"""Issue 9: the recharge receipt PDF is one page on an 80 mm roll (or A4), with its short receipt number and
no word broken across lines; the refund slip shows the breakdown. Read back with pypdf, rendered by
pdftoppm."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from pos_app.printing import fonts, pdf
from pos_app.services import coupons, gifts, members, wallet

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")

MM = 72 / 25.4


def _lines(path: Path) -> list[str]:
    return [ln.strip() for p in PdfReader(path).pages for ln in p.extract_text().splitlines()]


@pytest.fixture
def luxury(store):
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    return store, m, wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="luxury", pay_method="wechat")


@pytest.mark.parametrize("layout,width_mm", [("80mm", 80), ("58mm", 58)])
def test_receipt_is_one_roll_page_with_its_number_and_whole_words(luxury, tmp_path, layout, width_mm):
    _store, _m, rc = luxury
    assert re.fullmatch(r"T001-20261123-\d{4}", rc.receipt_no)
    out = tmp_path / f"receipt-{layout}.pdf"
    pdf.recharge_receipt(rc, "测试门店", out, layout=layout, tier_name="豪华档")
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert abs(float(reader.pages[0].mediabox.width) - width_mm * MM) < 0.5
    lines = _lines(out)
    text = "\n".join(lines)
    for s in ("储值充值小票", rc.receipt_no, "豪华档", "微信", "充值本金 ¥2,000.00", "赠送金 ¥400.00",
              "当前余额 ¥2,400.00", "宠物食品礼盒", "138****0001", "会员价资格 12 个月"):
        assert s in text, s
    assert rc.recharge_id not in text  # the long internal id is not the receipt number any more
    # every state word is whole on one line ("已发放", never "已发" + "放")
    states = {"已发放", "待发放", "已领取"}
    for ln in lines:
        for w in states:
            for cut in range(1, len(w)):
                assert not ln.endswith(w[:cut]) or ln.endswith(w), (ln, w)
    assert sum(ln.count("已发放") for ln in lines) == sum(1 for i in rc.items if i.state == "issued")
    for i in rc.items:
        if i.code:
            assert i.code in text  # each coupon's code is printed


def test_receipt_a4_is_one_page(luxury, tmp_path):
    _store, _m, rc = luxury
    out = tmp_path / "receipt-a4.pdf"
    pdf.recharge_receipt(rc, "测试门店", out, layout="a4")
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert abs(float(reader.pages[0].mediabox.width) - 210 * MM) < 0.5
    assert rc.receipt_no in reader.pages[0].extract_text()


def test_wrap_keeps_latin_words_numbers_and_short_cjk_words_whole():
    size = 8
    text = "新会员礼：宠物玩具（价值 39 元）已发放 Grooming voucher ¥1,234.50 for members"
    for width in (40, 60, 90, 140):
        lines = pdf.wrap_text(text, size, width)
        assert all(fonts.string_width(ln, size) <= width + 0.01 for ln in lines)
        joined = " ".join(lines)
        for word in ("Grooming", "voucher", "¥1,234.50", "members", "已发放", "宠物玩具"):
            assert word in joined, (width, lines)
        assert not any(ln[0] in "，。）：" for ln in lines)  # no line starts with closing punctuation
    assert "".join(pdf.wrap_text("这是一个非常长的中文句子没有标点符号", size, 30)) == "这是一个非常长的中文句子没有标点符号"


def test_refund_slip_shows_the_breakdown_and_the_method(store, tmp_path):
    m = members.register_member(store.ctx, store.cashier, phone="13800000002")
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=2, supplier="厂家", reference="PO-1")
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced", pay_method="alipay")
    voucher = next(i for i in r.items if i.kind == "voucher")
    coupons.redeem_coupon(store.ctx, store.cashier, code=voucher.code, amount_fen=200_00, member_id=m.member_id)
    gifts.handout(store.ctx, store.staff, member_id=m.member_id)
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, reason="搬家")
    out = tmp_path / "refund.pdf"
    pdf.refund_slip(rf, "测试门店", out)
    reader = PdfReader(out)
    assert len(reader.pages) == 1 and abs(float(reader.pages[0].mediabox.width) - 80 * MM) < 0.5
    text = reader.pages[0].extract_text()
    for s in ("储值退款凭证", r.receipt_no, "未消费本金 ¥1,000.00", "-¥50.00", "-¥39.00", "扣除合计 -¥89.00",
              "实退金额 ¥911.00", "原路退回（支付宝）", "原因：搬家", "会员签字"):
        assert s in text, s
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(tmp_path / "refund")], check=True)
    assert list(tmp_path.glob("refund*.png"))
