"""Qt table models over lists of DTOs (each checked with pytest-qt's qtmodeltester)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from pos_app.domain.money import format_fen
from pos_app.ui.common import tr

_Index = QModelIndex | QPersistentModelIndex
_TZ = {"tz": ZoneInfo("Asia/Shanghai")}


def set_timezone(name: str) -> None:
    """Times are stored in UTC and shown in the store's time zone."""
    _TZ["tz"] = ZoneInfo(name)


def store_tz() -> ZoneInfo:
    """The store's time zone (set when the store is opened): the one clock every screen shows."""
    return _TZ["tz"]


def store_date(dt: datetime | date) -> date:
    """The store's calendar day of a stored (UTC) time; never the machine's time zone."""
    if not isinstance(dt, datetime):
        return dt
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(_TZ["tz"]).date()


def store_timezone() -> str:
    """The store's time zone name (what :func:`set_timezone` was given)."""
    return str(_TZ["tz"].key)


@dataclass(frozen=True)
class Column:
    header_key: str
    value: Callable[[Any], Any]
    money: bool = False
    #: right-align (numbers)
    numeric: bool = False


def fmt_dt(dt: datetime | None) -> str:
    if dt is None:
        return ""
    if dt.tzinfo is not None:
        dt = dt.astimezone(_TZ["tz"])
    return dt.strftime("%Y-%m-%d %H:%M")


def fmt_date(d: date | None) -> str:
    return d.isoformat() if d else ""


def signed_money(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_fen(fen)


class DtoTableModel(QAbstractTableModel):
    COLUMNS: Sequence[Column] = ()

    def __init__(self, rows: Sequence[Any] | None = None) -> None:
        super().__init__()
        self._rows: list[Any] = list(rows or [])

    @property
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row(self, i: int) -> Any:
        return self._rows[i]

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def value(self, column: int, row: Any) -> Any:
        """The value of ``column`` for ``row`` (a model that knows more than the row overrides this)."""
        return self.COLUMNS[column].value(row)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.COLUMNS):
            return None
        col = self.COLUMNS[index.column()]
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            v = self.value(index.column(), row)
            if col.money and isinstance(v, int):
                return format_fen(v)
            return "" if v is None else str(v)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.money or col.numeric:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self.foreground(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return self.value(index.column(), row)
        return None

    def foreground(self, row: Any, column: int) -> QColor | None:
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.COLUMNS):
            return tr(self.COLUMNS[section].header_key)
        return None


class MemberTableModel(DtoTableModel):
    COLUMNS = (
        Column("col.phone", lambda r: r.phone),
        Column("col.name", lambda r: r.name or ""),
        Column("col.member_code", lambda r: r.member_code),
        Column("col.balance", lambda r: r.balance_fen, money=True),
        Column("col.principal", lambda r: r.principal_fen, money=True),
        Column("col.bonus", lambda r: r.bonus_fen, money=True),
        Column("col.points", lambda r: r.points, numeric=True),
    )


class StatementModel(DtoTableModel):
    COLUMNS = (
        Column("col.time", lambda r: fmt_dt(r.created_at)),
        Column("col.kind", lambda r: tr(f"wallet.kind.{r.kind}")),
        Column("col.principal_delta", lambda r: signed_money(r.principal_delta_fen), numeric=True),
        Column("col.bonus_delta", lambda r: signed_money(r.bonus_delta_fen), numeric=True),
        Column("col.principal_after", lambda r: r.principal_after_fen, money=True),
        Column("col.bonus_after", lambda r: r.bonus_after_fen, money=True),
        Column("col.balance_after", lambda r: r.balance_after_fen, money=True),
        Column("col.staff", lambda r: r.staff_code or ""),
        Column("col.receipt_no", lambda r: getattr(r, "receipt_no", "") or ""),
        Column("col.reason", lambda r: getattr(r, "reason", "") or ""),
    )

    def foreground(self, row: Any, column: int) -> QColor | None:
        if column in (2, 3):
            delta = row.principal_delta_fen if column == 2 else row.bonus_delta_fen
            if delta < 0:
                return QColor("#b3261e")
            if delta > 0:
                return QColor("#137333")
        return None


class PointsLotModel(DtoTableModel):
    COLUMNS = (
        Column("col.earned_at", lambda r: fmt_dt(r.earned_at)),
        Column("col.source", lambda r: tr(f"points.source.{r.source}")),
        Column("col.points", lambda r: r.points, numeric=True),
        Column("col.remaining", lambda r: r.remaining, numeric=True),
        Column("col.expires_on", lambda r: fmt_date(r.expires_on)),
        Column("col.state", lambda r: tr("points.expired") if r.expired else (tr("points.used_up") if r.remaining == 0 else tr("points.valid"))),
    )


@dataclass(frozen=True)
class ItemRow:
    """A granted item (``GrantedItemDTO``) with the coupon it became, when it is a coupon or voucher issued
    as one (``CouponDTO``): its code and state are the coupon's, as the coupon tab shows them."""

    item: Any
    coupon: Any = None

    @property
    def state_text(self) -> str:
        if self.coupon is not None:
            return tr(f"coupon.state.{self.coupon.state}")
        return tr(f"item.state.{self.item.state}")

    @property
    def ref_text(self) -> str:
        if self.coupon is not None:
            return str(self.coupon.code)  # grouped, as printed
        if self.item.kind == "member_price" and self.item.issued_ref:
            return tr("item.member_price_until", date=self.item.issued_ref)
        return ""  # a stock movement id or another internal id means nothing to a cashier


def item_rows(items: Sequence[Any], coupons: Sequence[Any] = ()) -> list[ItemRow]:
    """Pair each granted item with its coupon (by the entitlement's ``issued_ref`` = coupon id, or the
    coupon's ``entitlement_id``)."""
    by_id = {c.coupon_id: c for c in coupons}
    by_entitlement = {c.entitlement_id: c for c in coupons if getattr(c, "entitlement_id", None)}
    out = []
    for it in items:
        if isinstance(it, ItemRow):
            out.append(it)
            continue
        c = None
        if it.kind in ("coupon", "voucher"):
            c = by_id.get(it.issued_ref) if it.issued_ref else None
            c = c or by_entitlement.get(it.entitlement_id)
        out.append(ItemRow(it, c))
    return out


class ItemModel(DtoTableModel):
    """The member's coupons, gifts and vouchers (券与礼品). Rows are ``GrantedItemDTO``; with the member's
    coupons given, a coupon's code and state are shown instead of internal ids and grant states."""

    COLUMNS = (
        Column("col.kind", lambda r: tr(f"item.kind.{r.item.kind}")),
        Column("col.item", lambda r: r.item.name),
        Column("col.value", lambda r: r.item.value_fen, money=True),
        Column("col.state", lambda r: r.state_text),
        Column("col.due_on", lambda r: fmt_date(r.item.due_on)),
        Column("col.ref", lambda r: r.ref_text),
    )

    def __init__(self, rows: Sequence[Any] | None = None, coupons: Sequence[Any] = ()) -> None:
        super().__init__(item_rows(rows or [], coupons))

    def set_rows(self, rows: Sequence[Any], coupons: Sequence[Any] = ()) -> None:
        super().set_rows(item_rows(rows, coupons))


class RechargeModel(DtoTableModel):
    """Recharges (``RechargeSummary``); the tier column shows the campaign's tier name when the names are
    given (``set_rows(rows, tier_names={recharge_id: name})``), else the code."""

    TIER_COLUMN = 1
    COLUMNS = (
        Column("col.time", lambda r: fmt_dt(r.created_at)),
        Column("col.tier", lambda r: r.tier_code or tr("recharge.custom")),
        Column("col.principal", lambda r: r.principal_fen, money=True),
        Column("col.bonus", lambda r: r.bonus_fen, money=True),
        Column("col.points", lambda r: r.points, numeric=True),
        Column("col.pay", lambda r: tr(f"pay.{r.pay_method}")),
        Column("col.principal_left", lambda r: r.principal_left_fen, money=True),
        Column("col.state", lambda r: tr(f"recharge.state.{r.state}")),
        Column("col.receipt_no", lambda r: getattr(r, "receipt_no", "") or ""),
    )

    def __init__(self, rows: Sequence[Any] | None = None, tier_names: dict[str, str] | None = None) -> None:
        super().__init__(rows)
        self.tier_names: dict[str, str] = dict(tier_names or {})

    def set_rows(self, rows: Sequence[Any], tier_names: dict[str, str] | None = None) -> None:
        self.tier_names = dict(tier_names or {})
        super().set_rows(rows)

    def value(self, column: int, row: Any) -> Any:
        if column == self.TIER_COLUMN and row.tier_code:
            return self.tier_names.get(row.recharge_id) or row.tier_code
        return super().value(column, row)


class OwedItemModel(DtoTableModel):
    COLUMNS = (
        Column("col.kind", lambda r: tr(f"item.kind.{r.kind}")),
        Column("col.item", lambda r: r.name),
        Column("col.state", lambda r: tr(f"item.state.{r.state}")),
        Column("col.due_on", lambda r: fmt_date(r.due_on)),
    )


def _coupon_value(r: Any) -> str:
    if r.kind == "percent_off" and r.percent_bp:
        return f"{r.percent_bp / 100:g}%"
    return format_fen(r.value_fen)


class CouponModel(DtoTableModel):
    """The member's coupons from the coupon module (code, value, state, validity). The state names
    (``coupon.state.*``) are the coupon module's messages."""

    COLUMNS = (
        Column("col.code", lambda r: r.code),
        Column("col.item", lambda r: r.name),
        Column("col.value", _coupon_value, numeric=True),
        Column("col.min_spend", lambda r: r.min_spend_fen, money=True),
        Column("col.state", lambda r: tr(f"coupon.state.{r.state}")),
        Column("col.valid_until", lambda r: fmt_date(r.valid_until)),
        Column("col.issued_at", lambda r: fmt_dt(r.issued_at)),
    )




