"""The redemption slip: the item, the member (masked), what it cost, and the 核销 code as text and as a QR
code that an independent decoder (zbar) reads back as the code the counter scans."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

from pos_app import messages
from pos_app.domain import coupons as codes
from pos_app.printing.redemption_slip import write_redemption_slip
from pos_app.services.mall import RedemptionView


def _view(state: str = "reserved", program: str = "mall", issued: str | None = None) -> RedemptionView:
    import random

    code = codes.group(codes.new_code(random.Random(5).getrandbits))
    at = datetime(2026, 11, 23, 2, tzinfo=UTC)
    return RedemptionView(
        redemption_id="r1", program=program, item_id="i1", item_code="M-TOY", item_name="宠物玩具", kind="gift",
        member_id="m1", phone="13800000001", member_name=None, state=state, points=300, cash_fen=5_00, code=code,
        contact=None, ship_to=None, carrier=None, tracking=None, issued_code=issued, reason=None, created_at=at,
        reviewed_at=None, fulfilled_at=None, received_at=None)


def test_the_slip_carries_the_code_as_text_and_qr(tmp_path: Path) -> None:
    r = _view()
    out = write_redemption_slip(r, tmp_path / "slip.pdf", store="示范宠物店")
    text = PdfReader(str(out)).pages[0].extract_text()
    for want in ("示范宠物店", "积分兑换单", "宠物玩具", "138****0001", "300", "¥5.00", r.code, "凭此核销码到店领取礼品"):
        assert want in text
    assert "13800000001" not in text
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler) not installed")
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(out), str(tmp_path / "slip")], check=True)
    img = Image.open(sorted(tmp_path.glob("slip-*.png"))[0])
    assert {x.data.decode() for x in decode(img, symbols=[ZBarSymbol.QRCODE])} == {r.code.replace("-", "")}


def test_a_premium_request_slip_in_english(tmp_path: Path) -> None:
    messages.set_language("en")
    out = write_redemption_slip(_view("requested", "premium"), tmp_path / "req.pdf")
    text = PdfReader(str(out)).pages[0].extract_text()
    assert "Redemption request" in text and "Once approved" in text
