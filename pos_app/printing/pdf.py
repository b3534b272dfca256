"""reportlab PDFs: an A4 sheet of coupons with cut marks, 58/80 mm receipt-printer slips (coupons and the
recharge receipt) and the invite card. Fonts: see printing/fonts.py. QR codes are vector (printing/qr.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pos_app import messages
from pos_app.domain.coupons import PERCENT_OFF
from pos_app.domain.money import format_fen
from pos_app.printing import fonts, qr
from pos_app.services import referrals as _referrals  # noqa: F401  (registers the entitlement state names)

Progress = Callable[[int, int], None]
LAYOUTS = ("a4", "58mm", "80mm")
SLIP_WIDTH_MM = {"58mm": 58, "80mm": 80}


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params)


def _yuan(fen: int) -> str:
    text = format_fen(fen)
    return text[:-3] if text.endswith(".00") else text


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def value_text(c: Any) -> str:
    if c.kind == PERCENT_OFF:
        if messages.language() == "zh_CN":
            tenth = (10_000 - c.percent_bp) / 1000
            return f"{tenth:g}折"
        return f"{c.percent_bp / 100:g}% off"
    if c.value_fen <= 0:
        return _t("print.free")
    return _yuan(c.value_fen)


def condition_lines(c: Any) -> list[str]:
    out = [_t("print.min_spend", min_spend=_yuan(c.min_spend_fen)) if c.min_spend_fen else _t("print.no_min")]
    if c.kind == PERCENT_OFF and c.max_discount_fen:
        out.append(_t("print.max_discount", max_discount=_yuan(c.max_discount_fen)))
    if c.category:
        out.append(_t("print.category", category=c.category))
    return out


def holder_text(c: Any) -> str:
    return _t("print.bearer") if c.bearer or not c.member_id else _t("print.holder", phone=mask_phone(c.member_phone))


def validity_text(c: Any) -> str:
    return _t("print.validity", start=c.valid_from.isoformat(), end=c.valid_until.isoformat())


# ----------------------------------------------------------------------------- A4 sheet


@dataclass(frozen=True)
class SheetLayout:
    cols: int = 2
    rows: int = 5
    margin: float = 10 * mm

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


def _cut_marks(c: Canvas, xs: Sequence[float], ys: Sequence[float]) -> None:
    c.saveState()
    c.setStrokeColorRGB(0.5, 0.5, 0.5)
    c.setLineWidth(0.3)
    arm = 2.5 * mm
    for x in xs:
        for y in ys:
            c.line(x - arm, y, x + arm, y)
            c.line(x, y - arm, x, y + arm)
    c.restoreState()


def _coupon_cell(c: Canvas, cp: Any, store: str, x: float, y: float, w: float, h: float) -> None:
    pad = 4 * mm
    qr_size = min(26 * mm, h - 2 * pad - 8 * mm)
    text_w = w - 3 * pad - qr_size
    left = x + pad
    top = y + h - pad
    c.setFillColorRGB(0.4, 0.4, 0.4)
    fonts.draw(c, left, top - 8, fonts.fit(store, 8, text_w), 8)
    c.setFillColorRGB(0, 0, 0)
    fonts.draw(c, left, top - 21, fonts.fit(cp.name, 11, text_w), 11)
    c.setFillColorRGB(0.75, 0.1, 0.1)
    fonts.draw(c, left, top - 44, value_text(cp), 22)
    c.setFillColorRGB(0, 0, 0)
    line_y = top - 56
    for line in condition_lines(cp) + [validity_text(cp), holder_text(cp)]:
        fonts.draw(c, left, line_y, fonts.fit(line, 7.5, text_w), 7.5)
        line_y -= 9.5
    qx = x + w - pad - qr_size
    qy = y + pad + 10
    qr.draw(c, cp.raw_code, qx, qy, qr_size)
    c.setFont("Courier-Bold", 8.5)
    c.drawCentredString(x + w / 2, y + pad - 2, cp.code)


def coupons_a4(
    coupons: Sequence[Any], store: str, out: str | Path | Any, *, layout: SheetLayout | None = None,
    progress: Progress | None = None,
) -> int:
    """An A4 sheet of coupons (``layout.per_page`` per page) with cut marks. Returns the page count.
    ``out``: a path or a binary file object."""
    lay = layout or SheetLayout()
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pagesize=A4, pageCompression=1)
    c.setTitle(_t("print.coupon_sheet_title", store=store))
    c.setCreator("pos_app")
    page_w, page_h = A4
    cell_w = (page_w - 2 * lay.margin) / lay.cols
    cell_h = (page_h - 2 * lay.margin) / lay.rows
    xs = [lay.margin + i * cell_w for i in range(lay.cols + 1)]
    ys = [lay.margin + j * cell_h for j in range(lay.rows + 1)]
    pages = 0
    total = len(coupons)
    for i, cp in enumerate(coupons):
        slot = i % lay.per_page
        if slot == 0:
            if i:
                c.showPage()
            pages += 1
            _cut_marks(c, xs, ys)
        col, row = slot % lay.cols, slot // lay.cols
        _coupon_cell(c, cp, store, xs[col], page_h - lay.margin - (row + 1) * cell_h, cell_w, cell_h)
        if progress is not None and (i + 1) % 20 == 0:
            progress(i + 1, total)
    if not coupons:
        pages = 1
        _cut_marks(c, xs, ys)
    c.save()
    if progress is not None:
        progress(total, total)
    return pages


# ----------------------------------------------------------------------------- slips (58 / 80 mm)


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 8.0
    align: str = "left"  # left | center | right | pair ("label\tvalue")
    mono: bool = False


@dataclass(frozen=True)
class Qr:
    text: str
    width_ratio: float = 0.55


@dataclass(frozen=True)
class Rule:
    pass


Block = Line | Qr | Rule

#: a line may not start with these (closing punctuation) nor end with the openers (kinsoku shori)
_NO_START = set("，。、：；！？）」』】》〉”’,.:;!?)]}%…·")
_NO_END = set("（「『【《〈“‘([{¥$")


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


#: a run of CJK characters up to this long is kept on one line (a word or short phrase: 已发放, 宠物玩具);
#: a longer run may break between any two of its characters, as CJK typesetting does
CJK_RUN_KEPT = 6


def _is_run(word: str) -> bool:
    core = word.lstrip("".join(_NO_END))
    return bool(core) and all(_is_cjk(x) and x not in _NO_START for x in core)


def _tokens(text: str) -> list[str]:
    """Break opportunities: a Latin word (letters, digits and what is glued to them, e.g. ``¥1,234.50``)
    stays whole, with the spaces after it; a short run of CJK characters stays whole, a long one may break
    between characters; punctuation sticks to the character before it (closing) or after it (opening)."""
    out: list[str] = []
    word = ""

    def close() -> None:
        nonlocal word
        if not word:
            return
        core = word.rstrip("".join(_NO_START))
        if _is_run(core) and len(core.lstrip("".join(_NO_END))) > CJK_RUN_KEPT:
            lead = len(core) - len(core.lstrip("".join(_NO_END)))
            pieces = [core[: lead + 1], *core[lead + 1 :]]
            pieces[-1] += word[len(core):]
            out.extend(pieces)
        else:
            out.append(word)
        word = ""

    for ch in text:
        if ch.isspace():
            word += ch
            close()
        elif ch in _NO_START:
            if word:
                word += ch
            elif out:
                out[-1] += ch
            else:
                word = ch
        elif ch in _NO_END:
            if word and any(x not in _NO_END for x in word):
                close()
            word += ch
        elif _is_cjk(ch):
            ends_sentence = bool(word) and word[-1] in _NO_START
            if word and (ends_sentence or not (_is_run(word) or all(x in _NO_END for x in word))):
                close()
            word += ch
        else:
            if word and _is_cjk(word[-1]):
                close()
            word += ch
    close()
    return out


def wrap_text(text: str, size: float, max_width: float) -> list[str]:
    """Lines no wider than ``max_width`` (measured in the font that draws them), broken only between
    words and between CJK characters, never inside a Latin word or number, never before closing or after
    opening punctuation. A single word wider than the line is cut (the only case that breaks a word)."""
    if fonts.string_width(text, size) <= max_width:
        return [text]
    lines: list[str] = []
    line = ""
    for tok in _tokens(text):
        if line and fonts.string_width((line + tok).rstrip(), size) > max_width:
            lines.append(line.rstrip())
            line = tok.lstrip()
        else:
            line += tok
        while fonts.string_width(line.rstrip(), size) > max_width and len(line) > 1:  # one word too wide
            cut = len(line) - 1
            while cut > 1 and fonts.string_width(line[:cut], size) > max_width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _wrap_blocks(blocks: Sequence[Block], inner: float) -> list[Block]:
    out: list[Block] = []
    gap = 2 * mm
    for b in blocks:
        if isinstance(b, Line) and b.align in ("left", "center", "right") and not b.mono:
            out += [Line(t, b.size, b.align) for t in wrap_text(b.text, b.size, inner)] or [b]
        elif isinstance(b, Line) and b.align == "pair":
            label, _, value = b.text.partition("\t")
            vw = fonts.string_width(value, b.size)
            if vw > inner * 0.6:  # a long value gets its own right-aligned line(s)
                out += [Line(t, b.size, "left") for t in wrap_text(label, b.size, inner)]
                out += [Line(t, b.size, "right") for t in wrap_text(value, b.size, inner)]
                continue
            parts = wrap_text(label, b.size, inner - vw - gap) or [""]
            out.append(Line(f"{parts[0]}\t{value}", b.size, "pair"))
            out += [Line(t, b.size, "left") for t in parts[1:]]
        else:
            out.append(b)
    return out


def _slip_height(blocks: Sequence[Block], inner: float) -> float:
    h = 0.0
    for b in blocks:
        if isinstance(b, Line):
            h += b.size * 1.45
        elif isinstance(b, Qr):
            h += inner * b.width_ratio + 6 * mm
        else:
            h += 3 * mm
    return h


def _draw_blocks(c: Canvas, blocks: Sequence[Block], left: float, top: float, inner: float) -> float:
    """Draw already wrapped blocks in the column [left, left + inner] from ``top`` down; returns the y reached."""
    right = left + inner
    y = top
    for b in blocks:
        if isinstance(b, Line):
            y -= b.size * 1.45
            base = y + b.size * 0.3
            if b.mono:
                c.setFont("Courier-Bold", b.size)
                c.drawCentredString(left + inner / 2, base, b.text)
            elif b.align == "pair":
                label, _, value = b.text.partition("\t")
                fonts.draw(c, left, base, label, b.size)
                fonts.draw(c, right, base, value, b.size, align="right")
            elif b.align == "center":
                fonts.draw(c, left + inner / 2, base, b.text, b.size, align="center")
            elif b.align == "right":
                fonts.draw(c, right, base, b.text, b.size, align="right")
            else:
                fonts.draw(c, left, base, b.text, b.size)
        elif isinstance(b, Qr):
            size = inner * b.width_ratio
            y -= size + 3 * mm
            qr.draw(c, b.text, left + (inner - size) / 2, y, size)
            y -= 3 * mm
        else:
            y -= 3 * mm
            c.saveState()
            c.setDash(2, 2)
            c.setLineWidth(0.4)
            c.line(left, y + 1.5 * mm, right, y + 1.5 * mm)
            c.restoreState()
    return y


def draw_slip(c: Canvas, blocks: Sequence[Block], width_mm: float) -> None:
    """One page, ``width_mm`` wide and as tall as its content (a receipt-printer roll)."""
    margin = 3 * mm
    width = width_mm * mm
    inner = width - 2 * margin
    blocks = _wrap_blocks(blocks, inner)
    height = _slip_height(blocks, inner) + 2 * margin
    c.setPageSize((width, height))
    _draw_blocks(c, blocks, margin, height - margin, inner)
    c.showPage()


#: an A4 page holds the slip in a column this wide, at the top, centred
A4_COLUMN_MM = 110


def draw_a4(c: Canvas, blocks: Sequence[Block]) -> None:
    """One A4 page: the slip's blocks in a centred column (a receipt kept on file, or no roll printer).
    The size grows one step at a time until the content fits the page (it always fits one page)."""
    page_w, page_h = A4
    inner = A4_COLUMN_MM * mm
    margin = 15 * mm
    scale = 1.25
    while True:
        sized = [Line(b.text, b.size * scale, b.align, b.mono) if isinstance(b, Line) else b for b in blocks]
        wrapped = _wrap_blocks(sized, inner)
        if _slip_height(wrapped, inner) <= page_h - 2 * margin or scale <= 0.5:
            break
        scale -= 0.05
    c.setPageSize(A4)
    _draw_blocks(c, wrapped, (page_w - inner) / 2, page_h - margin, inner)
    c.showPage()


def draw_layout(c: Canvas, blocks: Sequence[Block], layout: str) -> None:
    """``layout``: ``80mm`` or ``58mm`` (a roll, one page as tall as the content) or ``a4`` (one page)."""
    if layout == "a4":
        draw_a4(c, blocks)
    elif layout in SLIP_WIDTH_MM:
        draw_slip(c, blocks, SLIP_WIDTH_MM[layout])
    else:
        raise ValueError(f"unknown layout {layout!r}")


def coupon_blocks(cp: Any, store: str, width_mm: float) -> list[Block]:
    big = 20 if width_mm >= 80 else 16
    return [
        Line(store, 11, "center"),
        Rule(),
        Line(cp.name, 10, "center"),
        Line(value_text(cp), big, "center"),
        *[Line(t, 8, "center") for t in condition_lines(cp)],
        Line(validity_text(cp), 7.5, "center"),
        Line(holder_text(cp), 7.5, "center"),
        Qr(cp.raw_code, 0.6 if width_mm < 80 else 0.5),
        Line(cp.code, 9 if width_mm >= 80 else 7.5, "center", mono=True),
        Rule(),
        Line(_t("print.slip_hint"), 7, "center"),
    ]


def coupon_slips(
    coupons: Sequence[Any], store: str, out: str | Path | Any, *, width_mm: float = 58, progress: Progress | None = None
) -> int:
    """One coupon per receipt-printer slip (58 or 80 mm wide)."""
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(_t("print.coupon_sheet_title", store=store))
    for i, cp in enumerate(coupons):
        draw_slip(c, coupon_blocks(cp, store, width_mm), width_mm)
        if progress is not None:
            progress(i + 1, len(coupons))
    c.save()
    return len(coupons)


def coupons_pdf(
    coupons: Sequence[Any], store: str, out: str | Path | Any, *, layout: str = "a4", progress: Progress | None = None
) -> int:
    if layout == "a4":
        return coupons_a4(coupons, store, out, progress=progress)
    if layout in SLIP_WIDTH_MM:
        return coupon_slips(coupons, store, out, width_mm=SLIP_WIDTH_MM[layout], progress=progress)
    raise ValueError(f"unknown layout {layout!r}")


def _local(at: Any, tz: str) -> str:
    when = at.astimezone(ZoneInfo(tz)) if isinstance(at, datetime) else at
    return f"{when:%Y-%m-%d %H:%M}"


def _pay(method: str) -> str:
    return _t(f"print.pay.{method}") if method in PAY_NAMES else method


PAY_NAMES = ("cash", "wechat", "alipay", "card", "other")


def _item_lines(items: Sequence[Any]) -> list[Block]:
    out: list[Block] = []
    for item in items:
        name = item.name
        if item.kind == "member_price" and getattr(item, "issued_ref", None):
            name = _t("print.member_price_until", name=item.name, date=item.issued_ref)
        elif item.value_fen:
            name = f"{name} {_yuan(item.value_fen)}"
        out.append(Line(f"{name}\t{_t('state.' + item.state)}", 7.5, "pair"))
        code = getattr(item, "code", None)
        if code:
            out.append(Line(code, 7, "center", mono=True))
    return out


def receipt_blocks(
    r: Any, store: str, *, tz: str = "Asia/Shanghai", width_mm: float = 80, tier_name: str | None = None
) -> list[Block]:
    """A recharge receipt (``r``: services.dto.RechargeResult): its number, what was paid and granted,
    the gifts to hand over now, the balance after."""
    receipt_no = getattr(r, "receipt_no", "") or r.recharge_id[-12:]
    blocks: list[Block] = [
        Line(store, 11, "center"),
        Line(_t("print.receipt_title"), 9, "center"),
        Line(f"{_t('print.receipt_no')}\t{receipt_no}", 8, "pair"),
        Rule(),
        Line(f"{_t('print.time')}\t{_local(r.created_at, tz)}", 7.5, "pair"),
        Line(f"{_t('print.member')}\t{mask_phone(r.phone)}", 7.5, "pair"),
    ]
    if r.tier_code:
        blocks.append(Line(f"{_t('print.tier')}\t{tier_name or r.tier_code}", 7.5, "pair"))
    blocks += [
        Line(f"{_t('print.pay_method')}\t{_pay(r.pay_method)}", 7.5, "pair"),
        Line(f"{_t('print.paid')}\t{format_fen(r.principal_fen)}", 8, "pair"),
        Line(f"{_t('print.bonus')}\t{format_fen(r.bonus_fen)}", 8, "pair"),
        Line(f"{_t('print.points')}\t+{r.points}", 8, "pair"),
        Rule(),
    ]
    if r.items:
        blocks.append(Line(_t("print.items"), 8, "left"))
        blocks += _item_lines(r.items)
        owed = [i for i in r.items if i.kind == "gift" and i.state == "owed"]
        if owed:
            blocks.append(Line(_t("print.hand_over", n=len(owed)), 7.5, "left"))
            blocks += [Line(f"· {i.name}", 7.5, "left") for i in owed]
        blocks.append(Rule())
    blocks += [
        Line(f"{_t('print.balance')}\t{format_fen(r.balance_fen)}", 9, "pair"),
        Line(f"{_t('print.principal')} {format_fen(r.principal_balance_fen)} / "
             f"{_t('print.bonus')} {format_fen(r.bonus_balance_fen)}", 7, "right"),
        Rule(),
        Line(f"{_t('print.staff')} {r.staff_code}", 6.5, "center"),
        Line(_t("print.receipt_hint"), 7, "center"),
    ]
    return blocks


def _canvas(out: str | Path | Any, title: str) -> Canvas:
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(title)
    c.setCreator("pos_app")
    return c


def recharge_receipt(
    r: Any, store: str, out: str | Path | Any, *, width_mm: float | None = None, tz: str = "Asia/Shanghai",
    layout: str = "80mm", tier_name: str | None = None,
) -> None:
    """The recharge receipt as a one-page PDF: an 80 mm (default) or 58 mm roll, or an A4 page."""
    if width_mm is not None:
        layout = f"{int(width_mm)}mm"
    c = _canvas(out, _t("print.receipt_title"))
    draw_layout(c, receipt_blocks(r, store, tz=tz, width_mm=SLIP_WIDTH_MM.get(layout, 80), tier_name=tier_name), layout)
    c.save()


def refund_blocks(rf: Any, store: str, *, tz: str = "Asia/Shanghai") -> list[Block]:
    """A refund slip (``rf``: services.dto.RefundResult): the unspent principal, each deduction for a perk
    used or kept, the net refund and how it is paid back, what was taken back; a line for the signature."""
    method = _t("print.refund_cash") if rf.method == "cash" else _t("print.refund_original", pay=_pay(rf.pay_method))
    blocks: list[Block] = [
        Line(store, 11, "center"),
        Line(_t("print.refund_title"), 9, "center"),
        Line(f"{_t('print.receipt_no')}\t{rf.receipt_no or rf.recharge_id[-12:]}", 8, "pair"),
        Rule(),
        Line(f"{_t('print.time')}\t{_local(rf.created_at, tz)}", 7.5, "pair"),
        Line(f"{_t('print.member')}\t{mask_phone(rf.phone)}", 7.5, "pair"),
        Line(f"{_t('print.refundable')}\t{format_fen(rf.principal_refundable_fen)}", 8, "pair"),
    ]
    if rf.deductions:
        blocks.append(Line(_t("print.deductions"), 8, "left"))
        for d in rf.deductions:
            blocks.append(Line(f"{_t('print.perk_line', kind=_t('print.perk.' + d.kind), name=d.name)}\t-{format_fen(d.value_fen)}",
                               7.5, "pair"))
        blocks.append(Line(f"{_t('print.deductions_total')}\t-{format_fen(rf.deductions_fen)}", 8, "pair"))
    blocks += [
        Rule(),
        Line(f"{_t('print.net_refund')}\t{format_fen(rf.principal_refund_fen)}", 10, "pair"),
        Line(f"{_t('print.refund_method')}\t{method}", 8, "pair"),
        Line(f"{_t('print.bonus_revoked')}\t{format_fen(rf.bonus_revoke_fen)}", 7.5, "pair"),
        Line(f"{_t('print.points_revoked')}\t{rf.points_revoked}", 7.5, "pair"),
    ]
    if rf.reason:
        blocks.append(Line(_t("print.reason", reason=rf.reason), 7.5, "left"))
    blocks += [
        Line(f"{_t('print.balance')}\t{format_fen(rf.balance_fen)}", 8, "pair"),
        Rule(),
        Line(f"{_t('print.manager')} {rf.staff_code}", 7, "left"),
        Line(f"{_t('print.signature')} ____________", 8, "left"),
    ]
    return blocks


def refund_slip(rf: Any, store: str, out: str | Path | Any, *, tz: str = "Asia/Shanghai", layout: str = "80mm") -> None:
    """The refund slip as a one-page PDF (80 mm roll by default; 58mm or a4)."""
    c = _canvas(out, _t("print.refund_title"))
    draw_layout(c, refund_blocks(rf, store, tz=tz), layout)
    c.save()


# ----------------------------------------------------------------------------- invite card


def invite_blocks(card: Any) -> list[Block]:
    who = card.name or card.phone_masked
    return [
        Line(card.store_name, 14, "center"),
        Line(_t("print.invite_title"), 11, "center"),
        Rule(),
        Line(_t("print.invite_from", who=who), 9, "center"),
        Qr(card.qr_text, 0.62),
        Line(_t("print.invite_code"), 8, "center"),
        Line(card.invite_code, 18, "center", mono=True),
        Line(_t("print.invite_hint"), 7.5, "center"),
    ]


def invite_card_pdf(card: Any, out: str | Path | Any) -> None:
    """The member's invite card (``card``: services.referrals.InviteCard), 90 mm wide."""
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(_t("print.invite_title"))
    draw_slip(c, invite_blocks(card), 90)
    c.save()
