"""The sale receipt (printing/sale_receipt.py): 80 mm and 58 mm roll slips and an A4 page, each one page, read
back with pypdf's text extractor: the lines, the member-price savings, the coupon, the payment split (balance
principal/bonus, cash tendered), the change, the balance after, the points earned and the points balance; the
HTML for Qt's printer carries the same figures. The sale is the checkout service's own SaleDTO."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from pos_app.printing import sale_receipt
from pos_app.services.checkout.dto import PaymentDTO, ReturnDTO, SaleDTO, SaleLineDTO

MM = 72 / 25.4


def a_sale(*, returns: tuple[ReturnDTO, ...] = ()) -> SaleDTO:
    lines = (
        SaleLineDTO(no=1, sku="FOOD-01", barcode="6900000000011", name="皇家猫粮 2kg", category="宠物食品", qty=2,
                    list_unit_fen=12800, unit_fen=11500, saving_fen=2600, discount_fen=1840, amount_fen=21160),
        SaleLineDTO(no=2, sku="TOY-02", barcode="6900000000028", name="逗猫棒", category="宠物用品", qty=1,
                    list_unit_fen=2500, unit_fen=2500, saving_fen=0, discount_fen=160, amount_fen=2340),
        SaleLineDTO(no=3, sku=None, barcode=None, name="洗护美容", category="洗护美容", qty=1,
                    list_unit_fen=8000, unit_fen=8000, saving_fen=0, discount_fen=0, amount_fen=8000,
                    returned_qty=returns and 1 or 0),
    )
    total = 21160 + 2340 + 8000
    return SaleDTO(
        sale_id="0193f0e2-aaaa-7bbb-8ccc-123456789abc", receipt_no="T001-20261202-0042",
        occurred_at=datetime(2026, 12, 2, 6, 30, tzinfo=UTC), staff="cash1", member_id="m-1", member_name="陈一",
        member_phone="13800000001", lines=lines, subtotal_fen=12800 * 2 + 2500 + 8000, saving_fen=2600,
        discount_fen=2000, coupon_code="7K3M-Q9RT-VX2C-8HND-4", total_fen=total,
        payments=(
            PaymentDTO(method="balance", amount_fen=20000, principal_fen=16667, bonus_fen=3333, tendered_fen=None,
                       change_fen=0),
            PaymentDTO(method="cash", amount_fen=total - 20000, principal_fen=0, bonus_fen=0, tendered_fen=20000,
                       change_fen=20000 - (total - 20000)),
        ),
        paid_fen=total - 3333, change_fen=20000 - (total - 20000), principal_after_fen=33333, bonus_after_fen=6667,
        points_earned=28, points_balance=428, returns=returns, store_name="测试门店",
    )


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages)


@pytest.mark.parametrize("layout,width_mm", [("80mm", 80), ("58mm", 58), ("a4", 210)])
def test_sale_receipt_pdf_has_every_figure(tmp_path: Path, layout: str, width_mm: int) -> None:
    sale = a_sale()
    out = tmp_path / f"sale-{layout}.pdf"
    sale_receipt.sale_receipt_pdf(sale, out, layout=layout)
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert abs(float(reader.pages[0].mediabox.width) - width_mm * MM) < 0.5
    text = _text(out)
    flat = text.replace("\n", " ")
    for s in ("测试门店", "销售小票", "T001-20261202-0042", "2026-12-02 14:30",  # store time (UTC+8)
              "陈一", "138****0001", "皇家猫粮", "逗猫棒", "洗护美容",
              "2 × ¥115.00", "¥230.00",  # two at the member price
              "会员价（原价 ¥128.00）", "-¥26.00",  # the member-price saving
              "原价合计 ¥361.00", "会员价优惠 -¥26.00", "优惠券抵扣 -¥20.00", "7K3M-Q9RT-VX2C-8HND-4",
              "应付 ¥315.00", "余额 ¥200.00", "本金 ¥166.67", "赠送金 ¥33.33",
              "现金 ¥115.00", "现金实收 ¥200.00", "找零 ¥85.00", "实际支付 ¥281.67",
              "当前余额 ¥400.00", "本次积分 +28", "积分余额 428"):
        assert s in flat, (s, text)
    assert "13800000001" not in flat  # the phone is masked


def test_receipt_reprinted_after_a_return_shows_it() -> None:
    ret = ReturnDTO(return_id="r-1", sale_id="s", occurred_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC), staff="cash1",
                    approver="boss", lines=((3, 1, 8000),),
                    refunds=(PaymentDTO(method="cash", amount_fen=8000, principal_fen=0, bonus_fen=0,
                                        tendered_fen=None, change_fen=0),),
                    points_taken_back=7, points_policy_note=None, coupon_reinstated=False)
    blocks = sale_receipt.sale_blocks(a_sale(returns=(ret,)), tz="Asia/Shanghai")
    texts = [b.text.replace("\t", " ") for b in blocks if hasattr(b, "text")]
    assert "已退 1" in " ".join(texts)
    assert "退货 2026-12-03 10:00" in texts and "现金 -¥80.00" in [t.strip() for t in texts]
    assert "扣回积分 -7" in [t.strip() for t in texts]


def test_walk_in_receipt_has_no_member_block() -> None:
    sale = a_sale()
    walk_in = SaleDTO(**{**{f: getattr(sale, f) for f in sale.__dataclass_fields__ if f != "changes"},
                         "member_id": None, "member_name": None, "member_phone": None, "principal_after_fen": None,
                         "bonus_after_fen": None, "points_earned": 0, "points_balance": None,
                         "payments": sale.payments[1:]})
    texts = " ".join(b.text.replace("\t", " ") for b in sale_receipt.sale_blocks(walk_in) if hasattr(b, "text"))
    assert "散客" in texts and "积分" not in texts and "当前余额" not in texts


def test_html_for_the_printer_carries_the_pdf_lines() -> None:
    html = sale_receipt.sale_receipt_html(a_sale(), families=("Noto Sans CJK SC",))
    for s in ("销售小票", "T001-20261202-0042", "¥315.00", "¥85.00", "7K3M-Q9RT-VX2C-8HND-4", "积分余额"):
        assert s in html, s
