"""Printed output read back by independent tools: pypdf for text, zbar (pyzbar) for QR codes, pdftoppm
to render PDF pages, python-escpos's Dummy printer for the ESC/POS bytes."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

from pos_app.domain.coupons import parse_code
from pos_app.printing import card, escpos, fonts, pdf, qr
from pos_app.services import coupons, members, referrals, wallet

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")


def _decode(img: Image.Image, grid: tuple[int, int] | None = None) -> set[str]:
    """All QR codes zbar finds on the image; with ``grid`` also in each cell (zbar may skip one of many)."""
    found = {s.data.decode() for s in decode(img, symbols=[ZBarSymbol.QRCODE])}
    if grid:
        cols, rows = grid
        w, h = img.size
        for i in range(cols):
            for j in range(rows):
                cell = img.crop((i * w // cols, j * h // rows, (i + 1) * w // cols, (j + 1) * h // rows))
                found |= {s.data.decode() for s in decode(cell, symbols=[ZBarSymbol.QRCODE])}
    return found


def _render(pdf_path: Path, tmp: Path) -> list[Image.Image]:
    prefix = tmp / pdf_path.stem
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf_path), str(prefix)], check=True)
    return [Image.open(p) for p in sorted(tmp.glob(f"{pdf_path.stem}-*.png"))]


@pytest.fixture
def issued(store):
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    rc = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="luxury")
    rows = coupons.list_coupons(store.ctx, store.cashier, member_id=m.member_id)
    t = coupons.list_templates(store.ctx, store.manager)
    assert {x.code for x in t} >= {"PET20", "GROOM85"}
    rows += coupons.issue_coupons(store.ctx, store.manager, template_code="GROOM85", count=8, reason="派发")
    return store, m, rc, rows


def test_a4_sheet_qr_and_text(issued, tmp_path):
    store, _m, _rc, rows = issued
    assert len(rows) == 13  # 3 PET20 + 2 vouchers + 8 bearer: two pages of 10
    out = tmp_path / "sheet.pdf"
    seen: list[tuple[int, int]] = []
    pages = pdf.coupons_pdf(rows, "测试门店", out, layout="a4", progress=lambda d, t: seen.append((d, t)))
    assert pages == 2 and seen[-1] == (13, 13)
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    text = "\n".join(p.extract_text() for p in reader.pages)
    for s in ("测试门店", "宠物用品 20 元券", "洗护美容 85 折券", "8.5折", "满 ¥100 可用", "限宠物用品使用", "不记名，凭券使用",
              "有效期 2026-11-23 至 2027-02-20", "限本人使用：138****0001"):
        assert s in text, s
    for c in rows:
        assert c.code in text
    decoded: set[str] = set()
    for img in _render(out, tmp_path):
        decoded |= _decode(img, grid=(2, 5))
    assert decoded == {c.raw_code for c in rows}
    assert {parse_code(x) for x in decoded} == decoded  # what the scanner reads is a valid code


@pytest.mark.parametrize("layout,width_mm", [("58mm", 58), ("80mm", 80)])
def test_receipt_printer_slips(issued, tmp_path, layout, width_mm):
    _store, _m, _rc, rows = issued
    out = tmp_path / f"slips{width_mm}.pdf"
    assert pdf.coupons_pdf(rows[:3], "测试门店", out, layout=layout) == 3
    reader = PdfReader(out)
    assert len(reader.pages) == 3
    for page, c in zip(reader.pages, rows[:3], strict=True):
        assert abs(float(page.mediabox.width) - width_mm * 72 / 25.4) < 0.5
        t = page.extract_text()
        assert "测试门店" in t and c.code in t and c.name in t
    imgs = _render(out, tmp_path)
    assert [_decode(i) for i in imgs] == [{c.raw_code} for c in rows[:3]]


def test_recharge_receipt(issued, tmp_path):
    _store, _m, rc, _rows = issued
    out = tmp_path / "receipt.pdf"
    pdf.recharge_receipt(rc, "测试门店", out, width_mm=80)
    t = PdfReader(out).pages[0].extract_text()
    for s in ("储值充值小票", "充值本金 ¥2,000.00", "赠送金 ¥400.00", "当前余额 ¥2,400.00", "宠物食品礼盒", "138****0001"):
        assert s in t, s


def test_invite_card_png_and_pdf(issued, tmp_path):
    store, m, _rc, _rows = issued
    info = referrals.invite_card(store.ctx, store.cashier, member_id=m.member_id)
    png = tmp_path / "card.png"
    card.invite_card_png(info, png)
    assert _decode(Image.open(png)) == {info.invite_code}
    out = tmp_path / "card.pdf"
    pdf.invite_card_pdf(info, out)
    t = PdfReader(out).pages[0].extract_text()
    assert "测试门店" in t and "邀请有礼" in t and info.invite_code in t and "陈一 邀请您成为会员" in t
    assert _decode(_render(out, tmp_path)[0]) == {info.invite_code}


def test_invite_card_url_template(store, tmp_path):
    import json

    from pos_app.db import models as mdb

    with store.ctx.uow() as uow:
        info_row = uow.session.get(mdb.StoreInfo, 1)
        info_row.settings_json = json.dumps({"invite_url_template": "https://shop.example/join?c={code}"})
        uow.commit()
    m = members.register_member(store.ctx, store.cashier, phone="13800000005")
    info = referrals.invite_card(store.ctx, store.cashier, member_id=m.member_id)
    assert info.qr_text == f"https://shop.example/join?c={m.invite_code}"
    png = tmp_path / "u.png"
    card.invite_card_png(info, png)
    assert _decode(Image.open(png)) == {info.qr_text}


def test_escpos_bytes(issued):
    _store, _m, rc, rows = issued
    p = escpos.open_printer("dummy")
    escpos.print_coupons(p, rows[:2], "测试门店", width_mm=58)
    out = p.output
    assert out.startswith(b"\x1b@\x1c&")  # init, Chinese mode
    assert "测试门店".encode("gb18030") in out and rows[0].name.encode("gb18030") in out
    for c in rows[:2]:
        assert c.code.encode() in out
        assert c.raw_code.encode() in out  # inside the native QR store-data command
    assert out.count(b"\x1d(k") >= 2 * 4  # GS ( k: model, size, ecc, store, print per QR
    assert out.count(b"\x1dV") == 2  # one cut per slip
    p2 = escpos.open_printer("dummy")
    escpos.print_receipt(p2, rc, "测试门店", width_mm=80)
    assert "当前余额".encode("gb18030") in p2.output and b"2,400.00" in p2.output


def test_escpos_file_printer(issued, tmp_path):
    _store, _m, _rc, rows = issued
    dev = tmp_path / "lp0"
    dev.touch()
    p = escpos.open_printer(f"file:{dev}")
    escpos.print_coupons(p, rows[:1], "测试门店")
    p.close()
    assert rows[0].raw_code.encode() in dev.read_bytes()


def test_font_choice_and_mixed_runs():
    f = fonts.pdf_font()
    assert f.name in ("PosCJK", fonts.CID_FALLBACK)
    runs = fonts.runs("满 ¥100 可用")
    assert "".join(p for _n, p in runs) == "满 ¥100 可用"
    if f.embedded:
        assert runs[0] == (f.name, "满") and runs[1][0] == fonts.LATIN
    assert fonts.fit("很长很长很长很长的名字", 10, 30).endswith("…")


def test_qr_matrix_cached_and_image_decodes():
    assert qr.matrix("ABC123") is qr.matrix("ABC123")
    buf = io.BytesIO()
    qr.image("HELLO-123", box=6).save(buf, "PNG")
    assert _decode(Image.open(io.BytesIO(buf.getvalue()))) == {"HELLO-123"}
