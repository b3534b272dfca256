"""Where ingest's business effects read and write the rows they touch (members, wallets and their entries,
coupons, gift stock): :class:`SessionWrites` goes straight to the session (one event, its own transaction),
:class:`BatchWrites` serves a whole pushed batch from rows loaded (and locked) up front and writes what changed
at the end with one multi-row statement per table. Both give the effects the same answers, so one set of
effect rules (services_ingest) serves both paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from pos_app.central import db_repo as repo
from pos_app.central.db import Coupon as CouponRow
from pos_app.central.db import GiftStock, Member, Wallet, WalletEntry


class Balance(Protocol):
    """A member's central balances as the effects move them."""

    principal_fen: int
    bonus_fen: int


@dataclass(slots=True)
class _Balance:
    member_id: str
    principal_fen: int
    bonus_fen: int


class SessionWrites:
    """Effects of one event, through the session (its transaction is the event's)."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def member_exists(self, member_id: str) -> bool:
        return repo.get_member(self.s, member_id) is not None

    def add_member(self, values: dict[str, Any]) -> None:
        repo.add_member(self.s, Member(**values))

    def entry_exists(self, entry_id: str) -> bool:
        return repo.get_wallet_entry(self.s, entry_id) is not None

    def wallet(self, member_id: str) -> Balance:
        return repo.wallet_for_update(self.s, member_id)

    def add_wallet_entry(self, values: dict[str, Any]) -> None:
        repo.add_wallet_entry(self.s, WalletEntry(**values))

    def coupon(self, code: str) -> CouponRow | None:
        return repo.coupon_for_update(self.s, code)

    def add_coupon(self, row: CouponRow) -> None:
        repo.add_coupon(self.s, row)

    def coupon_changed(self, row: CouponRow) -> None:
        self.s.flush()

    def gift_stock(self, store_code: str, sku: str) -> GiftStock:
        return repo.gift_stock_for_update(self.s, store_code, sku)

    def flush(self) -> None:
        self.s.flush()


def _values(row: Any, columns: Iterable[str]) -> dict[str, Any]:
    return {c: getattr(row, c) for c in columns}


_WALLET_COLS = tuple(c.key for c in Wallet.__table__.columns)
_ENTRY_COLS = tuple(c.key for c in WalletEntry.__table__.columns)
_MEMBER_COLS = tuple(c.key for c in Member.__table__.columns)
_COUPON_COLS = tuple(c.key for c in CouponRow.__table__.columns)
_STOCK_COLS = tuple(c.key for c in GiftStock.__table__.columns)


class BatchWrites:
    """Effects of a batch of events in one transaction. :meth:`preload` reads (and on PostgreSQL locks, in key
    order: wallets, then coupons, then gift stock, so two batches never deadlock) every row the batch's payloads
    name; a row not preloaded is read when first asked for. The rows are plain objects here (not in the
    session); :meth:`flush` inserts the new ones and updates the changed ones, one statement per table."""

    def __init__(self, s: Session, store_code: str) -> None:
        self.s = s
        self.store_code = store_code
        self._members: set[str] = set()  # known to exist (stored or added here)
        self._members_checked: set[str] = set()
        self._new_members: list[dict[str, Any]] = []
        self._entries: set[str] = set()
        self._entries_checked: set[str] = set()
        self._new_entries: list[dict[str, Any]] = []
        self._wallets: dict[str, _Balance] = {}
        self._wallet_was: dict[str, tuple[int, int]] = {}  # stored balances of the wallets read
        self._wallets_checked: set[str] = set()
        self._coupons: dict[str, CouponRow | None] = {}
        self._coupon_was: dict[str, dict[str, Any]] = {}
        self._new_coupons: dict[str, CouponRow] = {}
        self._stock: dict[tuple[str, str], GiftStock] = {}
        self._stock_was: dict[tuple[str, str], dict[str, Any]] = {}

    # ------------------------------------------------------------------ reading up front
    def preload(self, payloads: Iterable[Mapping[str, Any]], event_ids: Iterable[str]) -> None:
        members: set[str] = set()
        ids: set[str] = set(event_ids)
        codes: set[str] = set()
        skus: set[str] = set()
        for payload in payloads:
            _collect(payload, members, ids, codes, skus)
        self._load_members(members)
        self._load_entries(ids)
        self._load_wallets(members)
        self._load_coupons(codes)
        self._load_stock(skus)

    def _load_members(self, ids: set[str]) -> None:
        todo = ids - self._members_checked
        self._members |= repo.existing_members(self.s, sorted(todo))
        self._members_checked |= todo

    def _load_entries(self, ids: set[str]) -> None:
        todo = ids - self._entries_checked
        self._entries |= repo.existing_wallet_entries(self.s, sorted(todo))
        self._entries_checked |= todo

    def _load_wallets(self, ids: set[str]) -> None:
        todo = sorted(i for i in ids if i not in self._wallets and i not in self._wallets_checked)
        self._wallets_checked.update(todo)
        for member_id, principal, bonus in repo.wallets_for_update(self.s, todo):
            self._wallets[member_id] = _Balance(member_id, principal, bonus)
            self._wallet_was[member_id] = (principal, bonus)

    def _load_coupons(self, codes: set[str]) -> None:
        todo = sorted(c for c in codes if c not in self._coupons and len(c) <= 32)
        found = {r["code"]: r for r in repo.coupons_for_update(self.s, todo)}
        for code in todo:
            got = found.get(code)
            self._coupons[code] = None if got is None else CouponRow(**got)
            if got is not None:
                self._coupon_was[code] = dict(got)

    def _load_stock(self, skus: set[str]) -> None:
        todo = sorted(k for k in skus if (self.store_code, k) not in self._stock and len(k) <= 64)
        for got in repo.gift_stock_rows_for_update(self.s, self.store_code, todo):
            key = (got["store_code"], got["sku"])
            self._stock[key] = GiftStock(**got)
            self._stock_was[key] = dict(got)

    # ------------------------------------------------------------------ what the effects ask
    def member_exists(self, member_id: str) -> bool:
        if member_id not in self._members_checked:
            self._load_members({member_id})
        return member_id in self._members

    def add_member(self, values: dict[str, Any]) -> None:
        self._members.add(values["member_id"])
        self._members_checked.add(values["member_id"])
        self._new_members.append(values)

    def entry_exists(self, entry_id: str) -> bool:
        if entry_id not in self._entries_checked:
            self._load_entries({entry_id})
        return entry_id in self._entries

    def wallet(self, member_id: str) -> Balance:
        w = self._wallets.get(member_id)
        if w is None and member_id not in self._wallets_checked:
            self._load_wallets({member_id})
            w = self._wallets.get(member_id)
        if w is None:
            w = _Balance(member_id, 0, 0)
            self._wallets[member_id] = w
        return w

    def add_wallet_entry(self, values: dict[str, Any]) -> None:
        self._entries.add(values["entry_id"])
        self._entries_checked.add(values["entry_id"])
        self._new_entries.append(values)

    def coupon(self, code: str) -> CouponRow | None:
        if code not in self._coupons:
            self._load_coupons({code})
        return self._coupons.get(code)

    def add_coupon(self, row: CouponRow) -> None:
        self._coupons[row.code] = row
        self._new_coupons[row.code] = row

    def coupon_changed(self, row: CouponRow) -> None:
        pass  # compared with what was read at flush

    def gift_stock(self, store_code: str, sku: str) -> GiftStock:
        key = (store_code, sku)
        row = self._stock.get(key)
        if row is None and store_code == self.store_code:
            self._load_stock({sku})
            row = self._stock.get(key)
        if row is None:
            row = GiftStock(store_code=store_code, sku=sku, on_hand=0, movements=0, store_on_hand_after=None)
            self._stock[key] = row
        return row

    # ------------------------------------------------------------------ writing at the end
    def flush(self) -> None:
        repo.insert_rows(self.s, Member, [{c: r.get(c) for c in _MEMBER_COLS} for r in self._new_members])
        new_wallets, moved = [], []
        for member_id, w in self._wallets.items():
            was = self._wallet_was.get(member_id)
            if was is None:
                new_wallets.append(_values(w, _WALLET_COLS))
            elif was != (w.principal_fen, w.bonus_fen):
                moved.append(_values(w, _WALLET_COLS))
        repo.insert_rows(self.s, Wallet, new_wallets)
        repo.update_rows(self.s, Wallet, ("member_id",), moved)
        repo.insert_rows(self.s, WalletEntry, self._new_entries)
        repo.insert_rows(self.s, CouponRow, [_values(r, _COUPON_COLS) for r in self._new_coupons.values()])
        changed = []
        for code, before in self._coupon_was.items():
            coupon = self._coupons[code]
            assert coupon is not None
            after = _values(coupon, _COUPON_COLS)
            if after != before:
                changed.append(after)
        repo.update_rows(self.s, CouponRow, ("code",), changed)
        new_stock, stock_changed = [], []
        for key, stock in self._stock.items():
            values = _values(stock, _STOCK_COLS)
            was_stock = self._stock_was.get(key)
            if was_stock is None:
                new_stock.append(values)
            elif values != was_stock:
                stock_changed.append(values)
        repo.insert_rows(self.s, GiftStock, new_stock)
        repo.update_rows(self.s, GiftStock, ("store_code", "sku"), stock_changed)


#: what the effect rules write through
Writes = SessionWrites | BatchWrites


#: the payload keys whose values central keys wallet entries by (else the event id)
ENTRY_KEYS = frozenset(("recharge_id", "spend_id", "refund_id", "return_id", "adjustment_id"))


def _collect(value: Any, members: set[str], ids: set[str], codes: set[str], skus: set[str]) -> None:
    """The keys a payload may make the effects ask for: member ids, entry ids, coupon codes and gift skus,
    wherever they sit in it (a key it misses is read when asked for)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str):
                if k == "member_id":
                    members.add(v)
                elif k == "code":
                    codes.add(v)
                elif k == "sku":
                    skus.add(v)
                elif k in ENTRY_KEYS:
                    ids.add(v)
            elif isinstance(v, dict | list):
                if k == "codes" and isinstance(v, list):
                    codes.update(c for c in v if isinstance(c, str))
                else:
                    _collect(v, members, ids, codes, skus)
    elif isinstance(value, list):
        for v in value:
            _collect(v, members, ids, codes, skus)
