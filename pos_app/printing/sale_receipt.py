"""The sale receipt (收银小票): an 80 mm or 58 mm roll slip or an A4 page, as a PDF (reportlab, the slip
drawing of printing/pdf.py) and as HTML for Qt's printer and print preview (printing/qtprint.blocks_html: the
same lines the PDF prints).

Plain data in: a ``services.checkout`` SaleDTO (lines, member-price savings, coupon, payments by method, change,
the balance after, points earned and the points balance, what was returned since). Texts come from
``pos_app.messages`` in the app's language; the time is shown in the store's time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.pdfgen.canvas import Canvas

from pos_app import messages
from pos_app.domain.money import format_fen
from pos_app.printing import pdf
from pos_app.printing.pdf import Block, Line, Rule

DEFAULT_TZ = "Asia/Shanghai"


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params or None)


def pay_name(method: str) -> str:
    """A payment method as the receipt prints it (the stored balance, cash, WeChat, Alipay, card, other)."""
    names = {
        "balance": _t("co.pay.balance"),
        "cash": _t("print.pay.cash"),
        "wechat": _t("print.pay.wechat"),
        "alipay": _t("print.pay.alipay"),
        "card": _t("print.pay.card"),
        "other": _t("print.pay.other"),
    }
    return names.get(method, method)


def _line_blocks(ln: Any, small: float) -> list[Block]:
    out: list[Block] = [Line(f"{ln.name}", small + 0.5, "left")]
    qty = f"{ln.qty} × {format_fen(ln.unit_fen)}"
    out.append(Line(f"  {qty}\t{format_fen(ln.amount_fen + ln.discount_fen)}", small, "pair"))
    if ln.saving_fen:
        out.append(Line(f"  {_t('co.rcpt.line_saving', list=format_fen(ln.list_unit_fen))}\t-{format_fen(ln.saving_fen)}",
                        small, "pair"))
    if ln.discount_fen:
        out.append(Line(f"  {_t('co.rcpt.line_coupon')}\t-{format_fen(ln.discount_fen)}", small, "pair"))
    if ln.returned_qty:
        out.append(Line(f"  {_t('co.rcpt.line_returned', qty=ln.returned_qty)}", small, "left"))
    return out


def sale_blocks(sale: Any, store: str = "", *, tz: str = DEFAULT_TZ, width_mm: float = 80) -> list[Block]:
    """The lines of the receipt for ``sale`` (a SaleDTO). ``store``: the store's name when the sale does not
    carry one."""
    small = 7.0 if width_mm < 80 else 7.5
    name = getattr(sale, "store_name", "") or store
    who = _t("co.rcpt.walk_in")
    if sale.member_id:
        who = " ".join(x for x in (sale.member_name or "", pdf.mask_phone(sale.member_phone)) if x)
    blocks: list[Block] = [
        Line(name, 11, "center"),
        Line(_t("co.rcpt.title"), 9, "center"),
        Line(f"{_t('print.receipt_no')}\t{sale.receipt_no or sale.sale_id[-12:]}", 8, "pair"),
        Rule(),
        Line(f"{_t('print.time')}\t{_local(sale.occurred_at, tz)}", small, "pair"),
        Line(f"{_t('print.member')}\t{who}", small, "pair"),
        Line(f"{_t('print.staff')}\t{sale.staff}", small, "pair"),
        Rule(),
    ]
    for ln in sale.lines:
        blocks += _line_blocks(ln, small)
    blocks.append(Rule())
    blocks.append(Line(f"{_t('co.rcpt.subtotal')}\t{format_fen(sale.subtotal_fen)}", 8, "pair"))
    if sale.saving_fen:
        blocks.append(Line(f"{_t('co.rcpt.saving')}\t-{format_fen(sale.saving_fen)}", 8, "pair"))
    if sale.discount_fen or sale.coupon_code:
        blocks.append(Line(f"{_t('co.rcpt.coupon')}\t-{format_fen(sale.discount_fen)}", 8, "pair"))
        if sale.coupon_code:
            blocks.append(Line(sale.coupon_code, 7, "center", mono=True))
    blocks.append(Line(f"{_t('co.rcpt.total')}\t{format_fen(sale.total_fen)}", 10, "pair"))
    blocks.append(Rule())
    for p in sale.payments:
        blocks.append(Line(f"{pay_name(p.method)}\t{format_fen(p.amount_fen)}", 8, "pair"))
        if p.method == "balance":
            blocks.append(Line(f"  {_t('print.principal')} {format_fen(p.principal_fen)} / "
                               f"{_t('print.bonus')} {format_fen(p.bonus_fen)}", small, "right"))
        if p.method == "cash" and p.tendered_fen:
            blocks.append(Line(f"  {_t('co.rcpt.tendered')}\t{format_fen(p.tendered_fen)}", small, "pair"))
        if p.refunded_fen:
            blocks.append(Line(f"  {_t('co.rcpt.refunded')}\t-{format_fen(p.refunded_fen)}", small, "pair"))
    blocks.append(Line(f"{_t('co.rcpt.paid')}\t{format_fen(sale.paid_fen)}", 8, "pair"))
    if sale.change_fen:
        blocks.append(Line(f"{_t('co.rcpt.change')}\t{format_fen(sale.change_fen)}", 9, "pair"))
    if sale.member_id:
        blocks.append(Rule())
        if sale.principal_after_fen is not None and sale.bonus_after_fen is not None:
            blocks.append(Line(f"{_t('print.balance')}\t{format_fen(sale.principal_after_fen + sale.bonus_after_fen)}",
                               8, "pair"))
            blocks.append(Line(f"{_t('print.principal')} {format_fen(sale.principal_after_fen)} / "
                               f"{_t('print.bonus')} {format_fen(sale.bonus_after_fen)}", small, "right"))
        blocks.append(Line(f"{_t('co.rcpt.points_earned')}\t+{sale.points_earned}", 8, "pair"))
        if sale.points_balance is not None:
            blocks.append(Line(f"{_t('co.rcpt.points_balance')}\t{sale.points_balance}", 8, "pair"))
    for r in getattr(sale, "returns", ()) or ():
        blocks.append(Rule())
        blocks.append(Line(f"{_t('co.rcpt.return_at')}\t{_local(r.occurred_at, tz)}", small, "pair"))
        for rf in r.refunds:
            blocks.append(Line(f"  {pay_name(rf.method)}\t-{format_fen(rf.amount_fen)}", small, "pair"))
        if r.points_taken_back:
            blocks.append(Line(f"  {_t('co.rcpt.points_back')}\t-{r.points_taken_back}", small, "pair"))
    blocks += [Rule(), Line(_t("co.rcpt.thanks"), 7, "center")]
    return blocks


def _local(at: Any, tz: str) -> str:
    """A stored (UTC) time on the store's clock; a naive one as it is."""
    when = at.astimezone(ZoneInfo(tz)) if isinstance(at, datetime) and at.tzinfo is not None else at
    return f"{when:%Y-%m-%d %H:%M}"


def sale_receipt_pdf(sale: Any, out: str | Path | Any, *, store: str = "", layout: str = "80mm",
                     tz: str = DEFAULT_TZ) -> None:
    """The receipt as a one-page PDF: ``layout`` ``80mm`` (default) or ``58mm`` (a roll page as tall as the
    content) or ``a4``."""
    width = pdf.SLIP_WIDTH_MM.get(layout, 80)
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(_t("co.rcpt.title"))
    c.setCreator("pos_app")
    pdf.draw_layout(c, sale_blocks(sale, store, tz=tz, width_mm=width), layout)
    c.save()


def sale_receipt_html(sale: Any, *, store: str = "", tz: str = DEFAULT_TZ, families: tuple[str, ...] = (),
                      width_mm: float = 80) -> str:
    """The receipt for Qt's text document (the screen, the print preview, the printer): the PDF's lines."""
    from pos_app.printing import qtprint  # noqa: PLC0415  (Qt GUI: only where a document is printed)

    return qtprint.blocks_html(sale_blocks(sale, store, tz=tz, width_mm=width_mm), families=families)
