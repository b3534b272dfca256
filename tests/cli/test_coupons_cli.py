"""`pos-app coupon ...` / `pos-app invite ...` run as real subprocesses on a real store file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import ZBarSymbol, decode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "store.db"
    r = _run(path, "demo")
    assert r.returncode == 0, r.stderr
    return path


def _run(db: Path, *args: str, staff: str = "admin", pin: str = "8888") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POS_DB": str(db), "POS_STAFF": staff, "POS_PIN": pin, "POS_LANG": "zh_CN",
           "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "pos_app", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def _json(db: Path, *args: str, **kw) -> object:
    r = _run(db, "--json", *args, **kw)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_template_add_list_issue_show_redeem_void(db, tmp_path):
    t = _json(db, "coupon", "template", "add", "--code", "CLI5", "--name", "五元券", "--kind", "amount_off",
              "--value", "5", "--min-spend", "20", "--valid-days", "10", "--bearer")
    assert t["value_fen"] == 500 and t["bearer"] is True
    assert "CLI5" in {x["code"] for x in _json(db, "coupon", "template", "list")}
    issued = _json(db, "coupon", "issue", "--template", "CLI5", "--count", "2", "--reason", "测试派发",
                   "--request-id", "cli-iss-1")
    assert len(issued) == 2
    code = issued[0]["code"]
    shown = _json(db, "coupon", "show", code.lower().replace("-", ""))
    for k in ("code", "state", "kind", "value_fen", "min_spend_fen", "valid_until", "member_id"):
        assert k in shown
    assert (shown["code"], shown["state"], shown["kind"], shown["value_fen"], shown["min_spend_fen"], shown["member_id"]) \
        == (code, "issued", "amount_off", 500, 2000, None)
    r = _json(db, "coupon", "redeem", code, "--amount", "30", staff="c01", pin="1111")
    assert (r["discount_fen"], r["payable_fen"]) == (500, 2500)
    again = _run(db, "coupon", "redeem", code, "--amount", "30", staff="c01", pin="1111")
    assert again.returncode == 2 and "已使用" in again.stderr
    v = _run(db, "coupon", "void", issued[1]["code"], "--reason", "测试", staff="c01", pin="1111")
    assert v.returncode == 3  # cashiers may not void
    assert _json(db, "coupon", "void", issued[1]["code"], "--reason", "测试")["state"] == "voided"
    hist = _json(db, "coupon", "history", issued[1]["code"])
    assert [h["kind"] for h in hist] == ["issue", "void"]


def test_typo_is_caught_and_redeem_from_balance(db):
    coupons = _json(db, "coupon", "list", "--phone", "13800138000", "--state", "issued")
    pet20 = [c for c in coupons if c["template_code"] == "PET20"][0]
    code = pet20["code"]
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    bad = _run(db, "coupon", "show", typo)
    assert bad.returncode == 2 and "校验位" in bad.stderr
    before = _json(db, "member", "show", "--phone", "13800138000")["balance_fen"]
    res = _json(db, "coupon", "redeem", code, "--amount", "150", "--phone", "13800138000", "--from-balance",
                "--request-id", "cli-pay-1", staff="c01", pin="1111")
    assert res["discount_fen"] == 2000 and res["spend"]["amount_fen"] == 13000
    assert _json(db, "member", "show", "--phone", "13800138000")["balance_fen"] == before - 13000


def test_print_pdf_layouts(db, tmp_path):
    codes = [c["code"] for c in _json(db, "coupon", "list", "--limit", "4")]
    for layout in ("a4", "58mm", "80mm"):
        out = tmp_path / f"c-{layout}.pdf"
        res = _json(db, "coupon", "print", *codes, "--out", str(out), "--layout", layout)
        assert res["codes"] == codes
        text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
        assert all(c in text for c in codes) and "示范宠物店" in text


def test_print_takes_the_configured_layout_unless_told(db, tmp_path, monkeypatch):
    """The config file's coupon_layout (env POS_COUPON_LAYOUT) is the layout `coupon print` uses by default; a bad
    one is refused naming the key (exit 2, nothing written); --layout still chooses."""
    codes = [c["code"] for c in _json(db, "coupon", "list", "--limit", "2")]
    widths = {}
    for layout in ("a4", "80mm"):
        out = tmp_path / f"by-config-{layout}.pdf"
        monkeypatch.setenv("POS_COUPON_LAYOUT", layout)
        res = _json(db, "coupon", "print", *codes, "--out", str(out))
        assert res["layout"] == layout
        widths[layout] = float(PdfReader(out).pages[0].mediabox.width)
    assert round(widths["80mm"] / 72 * 25.4) == 80 and round(widths["a4"] / 72 * 25.4) == 210
    out = tmp_path / "told.pdf"
    assert _json(db, "coupon", "print", *codes, "--out", str(out), "--layout", "58mm")["layout"] == "58mm"
    monkeypatch.setenv("POS_COUPON_LAYOUT", "a5")
    bad = _run(db, "coupon", "print", *codes, "--out", str(tmp_path / "bad.pdf"))
    assert bad.returncode == 2 and "coupon_layout" in bad.stderr and "a4, 58mm, 80mm" in bad.stderr
    assert not (tmp_path / "bad.pdf").exists()


def test_invite_card_leaderboard_issue_due_pending(db, tmp_path):
    png = tmp_path / "card.png"
    res = _json(db, "invite", "card", "--phone", "13800138000", "--out", str(png))
    found = {s.data.decode() for s in decode(Image.open(png), symbols=[ZBarSymbol.QRCODE])}
    assert found == {res["invite_code"]}
    pdf_out = tmp_path / "card.pdf"
    _json(db, "invite", "card", "--phone", "13800138000", "--out", str(pdf_out))
    assert res["invite_code"] in PdfReader(pdf_out).pages[0].extract_text()
    bad = _run(db, "invite", "card", "--phone", "13800138000", "--out", str(tmp_path / "card.txt"))
    assert bad.returncode == 2
    board = _json(db, "invite", "leaderboard")
    assert board[0]["phone"] == "13800138000" and board[0]["successful"] == 2 and board[0]["rank"] == 1
    human = _run(db, "invite", "leaderboard")
    assert "138****8000" in human.stdout
    assert _json(db, "invite", "issue-due", staff="s01", pin="2222")["issued"] == 0
    pending = _json(db, "invite", "pending")
    assert {p["source"] for p in pending} >= {"referral", "new_member"}
    doctor = _run(db, "doctor")
    assert doctor.returncode == 0, doctor.stdout
