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


def _wrap_blocks(blocks: Sequence[Block], inner: float) -> list[Block]:
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, Line) and b.align in ("left", "center") and not b.mono:
            out += [Line(t, b.size, b.align) for t in fonts.wrap(b.text, b.size, inner)] or [b]
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


def draw_slip(c: Canvas, blocks: Sequence[Block], width_mm: float) -> None:
    """One page, ``width_mm`` wide and as tall as its content."""
    margin = 3 * mm
    width = width_mm * mm
    inner = width - 2 * margin
    blocks = _wrap_blocks(blocks, inner)
    height = _slip_height(blocks, inner) + 2 * margin
    c.setPageSize((width, height))
    y = height - margin
    for b in blocks:
        if isinstance(b, Line):
            y -= b.size * 1.45
            base = y + b.size * 0.3
            if b.mono:
                c.setFont("Courier-Bold", b.size)
                c.drawCentredString(width / 2, base, b.text)
            elif b.align == "pair":
                label, _, value = b.text.partition("\t")
                fonts.draw(c, margin, base, label, b.size)
                fonts.draw(c, width - margin, base, value, b.size, align="right")
            elif b.align == "center":
                fonts.draw(c, width / 2, base, b.text, b.size, align="center")
            elif b.align == "right":
                fonts.draw(c, width - margin, base, b.text, b.size, align="right")
            else:
                fonts.draw(c, margin, base, b.text, b.size)
        elif isinstance(b, Qr):
            size = inner * b.width_ratio
            y -= size + 3 * mm
            qr.draw(c, b.text, (width - size) / 2, y, size)
            y -= 3 * mm
        else:
            y -= 3 * mm
            c.saveState()
            c.setDash(2, 2)
            c.setLineWidth(0.4)
            c.line(margin, y + 1.5 * mm, width - margin, y + 1.5 * mm)
            c.restoreState()
    c.showPage()


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


def receipt_blocks(r: Any, store: str, *, tz: str = "Asia/Shanghai", width_mm: float = 58) -> list[Block]:
    """A recharge receipt (``r``: services.dto.RechargeResult)."""
    when = r.created_at.astimezone(ZoneInfo(tz)) if isinstance(r.created_at, datetime) else r.created_at
    blocks: list[Block] = [
        Line(store, 11, "center"),
        Line(_t("print.receipt_title"), 9, "center"),
        Rule(),
        Line(f"{_t('print.time')}\t{when:%Y-%m-%d %H:%M}", 7.5, "pair"),
        Line(f"{_t('print.member')}\t{mask_phone(r.phone)}", 7.5, "pair"),
    ]
    if r.tier_code:
        blocks.append(Line(f"{_t('print.tier')}\t{r.tier_code}", 7.5, "pair"))
    blocks += [
        Line(f"{_t('print.paid')}\t{format_fen(r.principal_fen)}", 8, "pair"),
        Line(f"{_t('print.bonus')}\t{format_fen(r.bonus_fen)}", 8, "pair"),
        Line(f"{_t('print.points')}\t+{r.points}", 8, "pair"),
        Rule(),
    ]
    for item in r.items:
        blocks.append(Line(f"{item.name}\t{_t('state.' + item.state)}", 7.5, "pair"))
    if r.items:
        blocks.append(Rule())
    blocks += [
        Line(f"{_t('print.balance')}\t{format_fen(r.balance_fen)}", 9, "pair"),
        Line(f"{_t('print.principal')} {format_fen(r.principal_balance_fen)} / "
             f"{_t('print.bonus')} {format_fen(r.bonus_balance_fen)}", 7, "right"),
        Rule(),
        Line(f"{_t('print.staff')} {r.staff_code}   {r.recharge_id[-12:]}", 6.5, "center"),
        Line(_t("print.receipt_hint"), 7, "center"),
    ]
    return blocks


def recharge_receipt(r: Any, store: str, out: str | Path | Any, *, width_mm: float = 58, tz: str = "Asia/Shanghai") -> None:
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(_t("print.receipt_title"))
    draw_slip(c, receipt_blocks(r, store, tz=tz, width_mm=width_mm), width_mm)
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


messages.register("zh_CN", {
    "print.free": "免费",
    "print.min_spend": "满 {min_spend} 可用",
    "print.no_min": "无门槛",
    "print.max_discount": "最多减 {max_discount}",
    "print.category": "限{category}使用",
    "print.bearer": "不记名，凭券使用",
    "print.holder": "限本人使用：{phone}",
    "print.validity": "有效期 {start} 至 {end}",
    "print.coupon_sheet_title": "{store} 优惠券",
    "print.slip_hint": "结账时出示本券，扫码或输入券码",
    "print.receipt_title": "储值充值小票",
    "print.receipt_hint": "请妥善保管，谢谢惠顾",
    "print.time": "时间",
    "print.member": "会员",
    "print.tier": "档位",
    "print.paid": "充值本金",
    "print.bonus": "赠送金",
    "print.points": "积分",
    "print.balance": "当前余额",
    "print.principal": "本金",
    "print.staff": "收银员",
    "print.invite_title": "邀请有礼",
    "print.invite_from": "{who} 邀请您成为会员",
    "print.invite_code": "邀请码",
    "print.invite_hint": "注册会员时出示邀请码或扫码，首次充值即可获得新会员礼",
})
messages.register("en", {
    "print.free": "FREE",
    "print.min_spend": "Min. spend {min_spend}",
    "print.no_min": "No minimum spend",
    "print.max_discount": "Up to {max_discount} off",
    "print.category": "For {category}",
    "print.bearer": "Bearer coupon",
    "print.holder": "Named: {phone}",
    "print.validity": "Valid {start} to {end}",
    "print.coupon_sheet_title": "{store} coupons",
    "print.slip_hint": "Show at checkout: scan or type the code",
    "print.receipt_title": "Recharge receipt",
    "print.receipt_hint": "Thank you",
    "print.time": "Time",
    "print.member": "Member",
    "print.tier": "Tier",
    "print.paid": "Paid",
    "print.bonus": "Bonus",
    "print.points": "Points",
    "print.balance": "Balance",
    "print.principal": "Principal",
    "print.staff": "Cashier",
    "print.invite_title": "Invitation",
    "print.invite_from": "{who} invites you to join",
    "print.invite_code": "Invite code",
    "print.invite_hint": "Show this code when you register; your first recharge earns a welcome gift",
})
