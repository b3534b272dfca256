"""The recharge receipt as HTML (QTextDocument's subset): what the receipt dialog shows, previews and prints.

Plain data in, text out: a ``services.dto.RechargeResult``, the store's name and time zone, the font families
to ask for. No Qt here (the dialog that shows and prints it is ``ui/receipt.py``); texts come from
``pos_app.messages`` in the app's language."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pos_app import messages
from pos_app.domain.money import format_fen

DEFAULT_TZ = "Asia/Shanghai"


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params or None)


def _esc(v: Any) -> str:
    return html.escape(str(v))


def _money(fen: int | None) -> str:
    return "—" if fen is None else format_fen(fen)


def local_time(dt: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """A stored time as the store's clock shows it (``2026-12-02 00:30``): an aware time in ``tz``, a naive
    one as it is, none as ""."""
    if dt is None:
        return ""
    if dt.tzinfo is not None:
        dt = dt.astimezone(ZoneInfo(tz))
    return dt.strftime("%Y-%m-%d %H:%M")


def _day(d: date | None) -> str:
    return d.isoformat() if d else ""


def receipt_no(result: Any) -> str:
    """The short receipt number (T001-20261202-0007); the internal id only for a result without one."""
    return str(getattr(result, "receipt_no", "") or result.recharge_id)


def _item(i: Any) -> str:
    if i.kind == "member_price":
        return f"<li>{_esc(_t('receipt.member_price', date=i.issued_ref or ''))}</li>"
    return (
        f"<li>{_esc(_t('item.kind.' + i.kind))}：{_esc(i.name)}"
        + (f"（{_esc(_money(i.value_fen))}）" if i.value_fen else "")
        + f" — {_esc(_t('item.state.' + i.state))}"
        + (f"，{_esc(_t('receipt.due', date=_day(i.due_on)))}" if i.due_on and i.state == "owed" else "")
        + "</li>"
    )


def receipt_html(
    result: Any,
    store_name: str = "",
    staff_name: str = "",
    tier_name: str | None = None,
    *,
    tz: str = DEFAULT_TZ,
    families: Sequence[str] = (),
) -> str:
    """The receipt for ``result`` (a ``services.dto.RechargeResult``): the time in the store's time zone
    ``tz``, the staff's name (else their code), the tier's name (else its code), the items granted, the
    receipt number. ``families``: the fonts the body asks for, in order (the UI's CJK families)."""
    font = ", ".join(f"'{f}'" for f in families)
    rows = [
        (_t("receipt.time"), local_time(result.created_at, tz)),
        (_t("receipt.member"), result.phone),
        (_t("receipt.tier"), tier_name or result.tier_code or _t("recharge.custom")),
        (_t("receipt.pay_method"), _t(f"pay.{result.pay_method}")),
        (_t("receipt.paid"), _money(result.principal_fen)),
        (_t("receipt.bonus"), _money(result.bonus_fen)),
        (_t("receipt.points"), f"+{result.points}"),
        (_t("receipt.principal_after"), _money(result.principal_balance_fen)),
        (_t("receipt.bonus_after"), _money(result.bonus_balance_fen)),
        (_t("receipt.balance_after"), _money(result.balance_fen)),
        (_t("receipt.points_after"), str(result.points_balance)),
        (_t("receipt.staff"), staff_name or result.staff_code),
    ]
    body = "".join(
        f"<tr><td style='padding:2px 12px 2px 0;color:#555'>{_esc(k)}</td><td align='right'><b>{_esc(v)}</b></td></tr>"
        for k, v in rows
    )
    items = ""
    if result.items:
        items = f"<h3>{_esc(_t('receipt.items'))}</h3><ul>{''.join(_item(i) for i in result.items)}</ul>"
    return (
        f"<html><body style=\"font-family: {font}; font-size: 11pt\">"
        f"<h2 align='center'>{_esc(store_name)}</h2>"
        f"<h3 align='center'>{_esc(_t('receipt.title'))}</h3>"
        f"<table width='100%'>{body}</table>{items}"
        f"<p style='color:#555;font-size:9pt'>{_esc(_t('receipt.no'))} {_esc(receipt_no(result))}</p>"
        f"<p align='center'>{_esc(_t('receipt.thanks'))}</p></body></html>"
    )
