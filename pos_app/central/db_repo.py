"""The central server's queries: every read and write of its tables goes through these functions (services
hold no SQL). Each takes the caller's session; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from pos_app.central.db import (
    Campaign,
    Change,
    Conflict,
    ConflictNote,
    Counter,
    Device,
    Event,
    GiftCatalogueItem,
    GiftStock,
    LevelChange,
    Member,
    Meta,
    Nonce,
    PairingCode,
    Store,
    TaskProgress,
    Wallet,
    WalletEntry,
)
from pos_app.central.db import Coupon as CouponRow

CHANGE_COUNTER = "change_no"


# ----------------------------------------------------------------------------- meta and counters
def get_meta(s: Session, key: str) -> str | None:
    row = s.get(Meta, key)
    return None if row is None else row.value


def set_meta(s: Session, key: str, value: str) -> None:
    row = s.get(Meta, key)
    if row is None:
        s.add(Meta(key=key, value=value))
    else:
        row.value = value
    s.flush()


def take_numbers(s: Session, count: int) -> int:
    """Take ``count`` change numbers with ``UPDATE ... RETURNING`` (the row stays locked until this
    transaction ends, so numbers are handed out in commit order). Returns the last number taken."""
    last = s.execute(update(Counter).where(Counter.name == CHANGE_COUNTER)
                     .values(value=Counter.value + count).returning(Counter.value)).scalar_one()
    return int(last)


def last_number(s: Session) -> int:
    return int(s.execute(select(Counter.value).where(Counter.name == CHANGE_COUNTER)).scalar_one())


# ----------------------------------------------------------------------------- stores, codes, devices
def add_store(s: Session, row: Store) -> None:
    s.add(row)
    s.flush()


def get_store(s: Session, store_id: str) -> Store | None:
    return s.get(Store, store_id)


def store_by_code(s: Session, code: str) -> Store | None:
    return s.scalars(select(Store).where(Store.code == code)).first()


def list_stores(s: Session) -> Sequence[Store]:
    return s.scalars(select(Store).order_by(Store.created_ms, Store.id)).all()


def device_counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(Device.store_id, func.count()).where(Device.revoked_ms.is_(None))
                     .group_by(Device.store_id)).all()
    return {str(r[0]): int(r[1]) for r in rows}


def add_pairing_code(s: Session, row: PairingCode) -> None:
    s.add(row)
    s.flush()


def use_pairing_code(s: Session, code_hash: str, now_ms: int, device_id: str) -> PairingCode | None:
    """Mark the code used, atomically: only one caller ever gets the row back."""
    result = s.execute(update(PairingCode)
                       .where(PairingCode.code_hash == code_hash, PairingCode.used_ms.is_(None),
                              PairingCode.expires_ms > now_ms)
                       .values(used_ms=now_ms, device_id=device_id).returning(PairingCode.id))
    found = result.scalar_one_or_none()
    return None if found is None else s.get(PairingCode, found)


def get_device(s: Session, device_id: str) -> Device | None:
    return s.get(Device, device_id)


def lock_device(s: Session, device_id: str) -> Device | None:
    return s.scalars(select(Device).where(Device.id == device_id).with_for_update()).first()


def add_device(s: Session, row: Device) -> None:
    s.add(row)
    s.flush()


def list_devices(s: Session) -> Sequence[tuple[Device, Store]]:
    rows = s.execute(select(Device, Store).join(Store, Store.id == Device.store_id)
                     .order_by(Device.created_ms, Device.id)).all()
    return [(r[0], r[1]) for r in rows]


def touch_device(s: Session, device_id: str, now_ms: int) -> None:
    s.execute(update(Device).where(Device.id == device_id).values(last_seen_ms=now_ms))


def add_nonce(s: Session, device_id: str, nonce: str, now_ms: int) -> None:
    """Raises IntegrityError when the device used the nonce before."""
    s.execute(insert(Nonce).values(device_id=device_id, nonce=nonce, seen_ms=now_ms))


def prune_nonces(s: Session, device_id: str, before_ms: int) -> None:
    s.execute(delete(Nonce).where(Nonce.device_id == device_id, Nonce.seen_ms < before_ms))


def set_acked_seq(s: Session, device_id: str, acked: int) -> None:
    s.execute(update(Device).where(Device.id == device_id, Device.acked_seq < acked).values(acked_seq=acked))


def seqs_after(s: Session, device_id: str, after: int, limit: int = 10_000) -> list[int]:
    return [int(x) for x in s.scalars(select(Event.seq).where(Event.device_id == device_id, Event.seq > after)
                                      .distinct().order_by(Event.seq).limit(limit)).all()]


# ----------------------------------------------------------------------------- events
def get_event(s: Session, event_id: str) -> Event | None:
    return s.get(Event, event_id)


def add_event(s: Session, row: Event) -> None:
    s.add(row)
    s.flush()


def event_keys(s: Session, event_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(payload hash, device id) of the stored events among ``event_ids``."""
    out: dict[str, tuple[str, str]] = {}
    for part in _chunks(event_ids):
        for eid, h, dev in s.execute(select(Event.event_id, Event.payload_hash, Event.device_id)
                                     .where(Event.event_id.in_(part))).all():
            out[str(eid)] = (str(h), str(dev))
    return out


def insert_new_events(s: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the event rows that are not stored yet (one ``INSERT ... ON CONFLICT DO NOTHING``); the ids this
    statement inserted. On PostgreSQL a row another transaction is inserting makes this one wait for it and then
    skip the row (it is not in the answer); the rows come in by ``COPY`` into a temporary table first."""
    if not rows:
        return set()
    if _is_pg(s) and len(rows) >= COPY_FROM:
        cols = list(rows[0])
        conn = s.connection()
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {INCOMING} (LIKE events) ON COMMIT DELETE ROWS")
        _copy(s, INCOMING, cols, rows)
        got = conn.exec_driver_sql(f"INSERT INTO events ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {INCOMING} "
                                   "ON CONFLICT (event_id) DO NOTHING RETURNING event_id").all()
        conn.exec_driver_sql(f"DELETE FROM {INCOMING}")
        return {str(r[0]) for r in got}
    ins = (pg_insert(Event) if _is_pg(s) else sqlite_insert(Event)).on_conflict_do_nothing(
        index_elements=[Event.event_id]).returning(Event.event_id)
    return {str(r[0]) for r in s.connection().execute(ins, list(rows)).all()}


#: the temporary table (one per connection, emptied at commit) a batch's event rows are copied into
INCOMING = "incoming_events"
#: from how many rows PostgreSQL writes get ``COPY`` (below, a multi-row INSERT costs fewer round trips)
COPY_FROM = 50


def count_events(s: Session) -> int:
    return int(s.execute(select(func.count()).select_from(Event)).scalar_one())


# ----------------------------------------------------------------------------- members and wallets
def get_member(s: Session, member_id: str) -> Member | None:
    return s.get(Member, member_id)


def add_member(s: Session, row: Member) -> None:
    s.add(row)
    s.flush()


def existing_members(s: Session, member_ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for part in _chunks(member_ids):
        out.update(str(x) for x in s.scalars(select(Member.member_id).where(Member.member_id.in_(part))).all())
    return out


def existing_wallet_entries(s: Session, entry_ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for part in _chunks(entry_ids):
        out.update(str(x) for x in s.scalars(select(WalletEntry.entry_id).where(WalletEntry.entry_id.in_(part))).all())
    return out


def wallets_for_update(s: Session, member_ids: Sequence[str]) -> list[tuple[str, int, int]]:
    """(member id, principal, bonus) of the stored wallets among ``member_ids``, locked in member-id order."""
    out: list[tuple[str, int, int]] = []
    for part in _chunks(sorted(member_ids)):
        out += [(str(m), int(p), int(b)) for m, p, b in s.execute(
            select(Wallet.member_id, Wallet.principal_fen, Wallet.bonus_fen).where(Wallet.member_id.in_(part))
            .order_by(Wallet.member_id).with_for_update()).all()]
    return out


def members_by_phone(s: Session, phone: str) -> Sequence[Member]:
    return s.scalars(select(Member).where(Member.phone == phone).order_by(Member.registered_at)).all()


# ----------------------------------------------------------------------------- levels and tasks
def get_level_change(s: Session, change_id: str) -> LevelChange | None:
    return s.get(LevelChange, change_id)


def add_level_change(s: Session, row: LevelChange) -> None:
    s.add(row)
    s.flush()


def level_changes(s: Session, member_id: str) -> Sequence[LevelChange]:
    """The member's level changes, oldest first (by when they happened at the store, then as ingested)."""
    return s.scalars(select(LevelChange).where(LevelChange.member_id == member_id)
                     .order_by(LevelChange.occurred_at, LevelChange.received_ms, LevelChange.change_id)).all()


def task_progress_for_update(s: Session, progress_id: str) -> TaskProgress | None:
    return s.scalars(select(TaskProgress).where(TaskProgress.progress_id == progress_id).with_for_update()).first()


def add_task_progress(s: Session, row: TaskProgress) -> None:
    s.add(row)
    s.flush()


def task_progress(s: Session, member_id: str) -> Sequence[TaskProgress]:
    return s.scalars(select(TaskProgress).where(TaskProgress.member_id == member_id)
                     .order_by(TaskProgress.campaign_code, TaskProgress.task_code, TaskProgress.store_code)).all()


def wallet_for_update(s: Session, member_id: str) -> Wallet:
    row = s.scalars(select(Wallet).where(Wallet.member_id == member_id).with_for_update()).first()
    if row is None:
        row = Wallet(member_id=member_id, principal_fen=0, bonus_fen=0)
        s.add(row)
        s.flush()
    return row


def get_wallet(s: Session, member_id: str) -> Wallet | None:
    return s.get(Wallet, member_id)


def get_wallet_entry(s: Session, entry_id: str) -> WalletEntry | None:
    return s.get(WalletEntry, entry_id)


def add_wallet_entry(s: Session, row: WalletEntry) -> None:
    s.add(row)
    s.flush()


def wallet_entries(s: Session, member_id: str) -> Sequence[WalletEntry]:
    return s.scalars(select(WalletEntry).where(WalletEntry.member_id == member_id)
                     .order_by(WalletEntry.received_ms, WalletEntry.entry_id)).all()


def wallet_totals(s: Session) -> dict[str, int]:
    """Central's balances summed over every member."""
    row = s.execute(select(func.coalesce(func.sum(Wallet.principal_fen), 0),
                           func.coalesce(func.sum(Wallet.bonus_fen), 0))).one()
    return {"principal_fen": int(row[0]), "bonus_fen": int(row[1])}


def entry_totals_by_store(s: Session) -> dict[str, dict[str, int]]:
    rows = s.execute(select(WalletEntry.store_code, func.sum(WalletEntry.principal_delta_fen),
                            func.sum(WalletEntry.bonus_delta_fen)).group_by(WalletEntry.store_code)).all()
    return {str(r[0]): {"principal_fen": int(r[1] or 0), "bonus_fen": int(r[2] or 0)} for r in rows}


def all_wallets(s: Session) -> dict[str, tuple[int, int]]:
    return {w.member_id: (w.principal_fen, w.bonus_fen) for w in s.scalars(select(Wallet)).all()}


# ----------------------------------------------------------------------------- coupons and gifts
def coupon_for_update(s: Session, code: str) -> CouponRow | None:
    return s.scalars(select(CouponRow).where(CouponRow.code == code).with_for_update()).first()


def add_coupon(s: Session, row: CouponRow) -> None:
    s.add(row)
    s.flush()


def coupons_for_update(s: Session, codes: Sequence[str]) -> list[dict[str, Any]]:
    """The stored coupon rows (column values) among ``codes``, locked in code order."""
    out: list[dict[str, Any]] = []
    for part in _chunks(sorted(codes)):
        out += [dict(r) for r in s.execute(select(*CouponRow.__table__.columns).where(CouponRow.code.in_(part))
                                           .order_by(CouponRow.code).with_for_update()).mappings().all()]
    return out


def gift_stock_rows_for_update(s: Session, store_code: str, skus: Sequence[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in _chunks(sorted(skus)):
        out += [dict(r) for r in s.execute(select(*GiftStock.__table__.columns)
                                           .where(GiftStock.store_code == store_code, GiftStock.sku.in_(part))
                                           .order_by(GiftStock.sku).with_for_update()).mappings().all()]
    return out


def insert_rows(s: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT column-value dicts, all with the same keys: on PostgreSQL one ``COPY`` (from ``COPY_FROM``
    rows), else one multi-row INSERT / executemany."""
    if not rows:
        return
    if _is_pg(s) and len(rows) >= COPY_FROM:
        _copy(s, model.__table__.name, list(rows[0]), rows)
    else:
        s.connection().execute(insert(model), list(rows))


def update_rows(s: Session, model: type[Any], keys: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE each row (column-value dicts, all with the same keys) found by its ``keys`` columns: on
    PostgreSQL one ``UPDATE ... FROM unnest(...)``, on SQLite one executemany."""
    if not rows:
        return
    table = model.__table__
    cols = [c for c in rows[0] if c not in keys]
    if _is_pg(s):
        src = _unnest(table, list(rows[0]), rows)
        s.connection().execute(update(table).where(and_(*(table.c[k] == src.c[k] for k in keys)))
                               .values({c: src.c[c] for c in cols}))
        return
    stmt = (update(table).where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys)))
            .values({c: bindparam(f"v_{c}") for c in cols}))
    s.connection().execute(stmt, [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in cols}} for r in rows])


def _copy(s: Session, table: str, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """``COPY table (cols) FROM STDIN`` of the rows, on the session's connection (PostgreSQL). The driver's
    errors come out as SQLAlchemy's (a unique key raced by a concurrent transaction: ``IntegrityError``; a
    deadlock: ``OperationalError``), as the statements' do."""
    import psycopg  # noqa: PLC0415  (PostgreSQL only)

    sql = f"COPY {table} ({', '.join(cols)}) FROM STDIN"
    driver = s.connection().connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cur, cur.copy(sql) as copy:
            for r in rows:
                copy.write_row([r[c] for c in cols])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc
    except psycopg.DataError as exc:
        raise DataError(sql, None, exc) from exc
    except psycopg.OperationalError as exc:
        raise OperationalError(sql, None, exc) from exc


def _is_pg(s: Session) -> bool:
    return s.get_bind().dialect.name == "postgresql"


def _unnest(table: Any, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> Any:
    """``unnest(:a1, :a2, ...) AS anon(col1, col2, ...)``: the rows as one typed array per column."""
    arrays = [bindparam(f"a_{c}", [r[c] for r in rows], type_=ARRAY(table.c[c].type)) for c in cols]
    return func.unnest(*arrays).table_valued(*cols).render_derived()


def _chunks(items: Sequence[str], size: int = 2000) -> list[Sequence[str]]:
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def coupons_of_members(s: Session, member_ids: Sequence[str]) -> Sequence[CouponRow]:
    if not member_ids:
        return []
    return s.scalars(select(CouponRow).where(CouponRow.member_id.in_(member_ids)).order_by(CouponRow.code)).all()


def gift_stock_for_update(s: Session, store_code: str, sku: str) -> GiftStock:
    row = s.scalars(select(GiftStock).where(GiftStock.store_code == store_code, GiftStock.sku == sku)
                    .with_for_update()).first()
    if row is None:
        row = GiftStock(store_code=store_code, sku=sku, on_hand=0, movements=0)
        s.add(row)
        s.flush()
    return row


def gift_stock(s: Session, store_code: str | None = None) -> Sequence[GiftStock]:
    stmt = select(GiftStock).order_by(GiftStock.store_code, GiftStock.sku)
    if store_code is not None:
        stmt = stmt.where(GiftStock.store_code == store_code)
    return s.scalars(stmt).all()


# ----------------------------------------------------------------------------- campaigns
def get_campaign(s: Session, code: str) -> Campaign | None:
    return s.get(Campaign, code)


def add_campaign(s: Session, row: Campaign) -> None:
    s.add(row)
    s.flush()


def list_campaigns(s: Session) -> Sequence[Campaign]:
    return s.scalars(select(Campaign).order_by(Campaign.code)).all()


def get_gift(s: Session, sku: str) -> GiftCatalogueItem | None:
    return s.get(GiftCatalogueItem, sku)


def add_gift(s: Session, row: GiftCatalogueItem) -> None:
    s.add(row)
    s.flush()


def list_gifts(s: Session) -> Sequence[GiftCatalogueItem]:
    return s.scalars(select(GiftCatalogueItem).order_by(GiftCatalogueItem.sku)).all()


# ----------------------------------------------------------------------------- conflicts
def conflict_by_key(s: Session, dedupe_key: str) -> Conflict | None:
    return s.scalars(select(Conflict).where(Conflict.dedupe_key == dedupe_key)).first()


def add_conflict(s: Session, row: Conflict) -> None:
    s.add(row)
    s.flush()


def get_conflict(s: Session, conflict_id: str) -> Conflict | None:
    return s.get(Conflict, conflict_id)


def list_conflicts(s: Session, store_code: str | None = None) -> Sequence[Conflict]:
    stmt = select(Conflict).order_by(Conflict.created_ms, Conflict.id)
    if store_code is not None:
        stmt = stmt.where(or_(Conflict.store_code == store_code, Conflict.other_store_code == store_code))
    return s.scalars(stmt).all()


def add_conflict_note(s: Session, row: ConflictNote) -> None:
    s.add(row)
    s.flush()


def conflict_notes(s: Session, conflict_ids: Sequence[str]) -> dict[str, list[ConflictNote]]:
    out: dict[str, list[ConflictNote]] = {i: [] for i in conflict_ids}
    if not conflict_ids:
        return out
    for n in s.scalars(select(ConflictNote).where(ConflictNote.conflict_id.in_(conflict_ids))
                       .order_by(ConflictNote.created_ms, ConflictNote.id)).all():
        out[n.conflict_id].append(n)
    return out


# ----------------------------------------------------------------------------- change feed
def add_changes(s: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(s, Change, rows)


def changes_after(s: Session, after: int, store_code: str, limit: int) -> Sequence[Change]:
    """The changes a store is served after ``after``: everyone's and its own audience's, less what it made
    itself (its own members and wallet entries)."""
    stmt = (select(Change).where(Change.change_no > after,
                                 or_(Change.audience.is_(None), Change.audience == store_code),
                                 or_(Change.skip_store.is_(None), Change.skip_store != store_code))
            .order_by(Change.change_no).limit(limit))
    return s.scalars(stmt).all()


# ----------------------------------------------------------------------------- head office's reports
#: the wallet movement kinds as the store's liability report names them: a spend whose event is a sale is the
#: sale's balance payment, central's ``return`` is the store's ``sale_return``
SALE_PAYMENT = "sale_payment"
SALE_RETURN = "sale_return"

#: how many ids one ``IN (...)`` carries
CHUNK = 500


def store_events(s: Session, store_id: str, start: str, end: str) -> list[tuple[str, str, str, str]]:
    """(event id, type, occurred at, payload JSON) of the store's events with ``start <= occurred_at < end``
    (the protocol's UTC text, which sorts as time does), in the order the store made them."""
    stmt = (select(Event.event_id, Event.type, Event.occurred_at, Event.payload_json)
            .where(Event.store_id == store_id, Event.occurred_at >= start, Event.occurred_at < end)
            .order_by(Event.occurred_at, Event.device_id, Event.seq))
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in s.execute(stmt).all()]


def store_events_of_types(s: Session, store_id: str, types: Sequence[str],
                          end: str | None = None) -> list[tuple[str, str, str]]:
    """(type, occurred at, payload JSON) of the store's events of the given types (before ``end`` when given),
    oldest first."""
    stmt = select(Event.type, Event.occurred_at, Event.payload_json).where(Event.store_id == store_id,
                                                                           Event.type.in_(list(types)))
    if end is not None:
        stmt = stmt.where(Event.occurred_at < end)
    stmt = stmt.order_by(Event.occurred_at, Event.device_id, Event.seq)
    return [(str(a), str(b), str(c)) for a, b, c in s.execute(stmt).all()]


def _kind_column() -> Any:
    return case((and_(WalletEntry.kind == "spend", Event.type == "sale.completed"), SALE_PAYMENT),
                (WalletEntry.kind == "return", SALE_RETURN), else_=WalletEntry.kind)


def wallet_sums_before(s: Session, store_code: str, at: str) -> tuple[int, int]:
    """(principal, bonus) of every wallet movement made at the store before ``at``."""
    row = s.execute(select(func.coalesce(func.sum(WalletEntry.principal_delta_fen), 0),
                           func.coalesce(func.sum(WalletEntry.bonus_delta_fen), 0))
                    .where(WalletEntry.store_code == store_code, WalletEntry.occurred_at < at)).one()
    return int(row[0]), int(row[1])


def wallet_movements_between(s: Session, store_code: str, start: str, end: str) -> list[tuple[str, int, int, int]]:
    """(kind, movements, principal, bonus) of the wallet movements made at the store in ``[start, end)``."""
    kind = _kind_column().label("k")
    stmt = (select(kind, func.count(), func.coalesce(func.sum(WalletEntry.principal_delta_fen), 0),
                   func.coalesce(func.sum(WalletEntry.bonus_delta_fen), 0))
            .join(Event, Event.event_id == WalletEntry.event_id)
            .where(WalletEntry.store_code == store_code, WalletEntry.occurred_at >= start,
                   WalletEntry.occurred_at < end)
            .group_by(kind))
    return [(str(k), int(n), int(p), int(b)) for k, n, p, b in s.execute(stmt).all()]


def _balances_before(at: str) -> Any:
    return (select(WalletEntry.member_id.label("member_id"),
                   func.sum(WalletEntry.principal_delta_fen).label("p"),
                   func.sum(WalletEntry.bonus_delta_fen).label("b"))
            .where(WalletEntry.occurred_at < at).group_by(WalletEntry.member_id).subquery())


def members_above(s: Session, at: str,
                  above_fen: int) -> list[tuple[str, str | None, str | None, str | None, int, int]]:
    """(member id, phone, name, registering store, principal, bonus) of the members whose balance, from every
    store's movements before ``at``, is above ``above_fen``; largest first."""
    bal = _balances_before(at)
    total = bal.c.p + bal.c.b
    stmt = (select(bal.c.member_id, Member.phone, Member.name, Member.store_code, bal.c.p, bal.c.b)
            .join(Member, Member.member_id == bal.c.member_id)
            .where(total > above_fen).order_by(total.desc(), Member.phone))
    return [(str(i), ph, nm, st, int(p), int(b)) for i, ph, nm, st, p, b in s.execute(stmt).all()]


def members_holding(s: Session, at: str) -> dict[str, int]:
    """Registering store -> how many of its members hold a balance (principal or bonus) before ``at``."""
    bal = _balances_before(at)
    stmt = (select(Member.store_code, func.count()).select_from(bal).join(Member, Member.member_id == bal.c.member_id)
            .where(or_(bal.c.p != 0, bal.c.b != 0)).group_by(Member.store_code))
    return {str(k): int(n) for k, n in s.execute(stmt).all()}


def recharge_times(s: Session, member_ids: Sequence[str], before: str) -> list[tuple[str, str, str]]:
    """(member id, occurred at, event id) of every recharge of these members before ``before``, at any store."""
    out: list[tuple[str, str, str]] = []
    ids = sorted(set(member_ids))
    for i in range(0, len(ids), CHUNK):
        stmt = select(WalletEntry.member_id, WalletEntry.occurred_at, WalletEntry.event_id).where(
            WalletEntry.kind == "recharge", WalletEntry.occurred_at < before,
            WalletEntry.member_id.in_(ids[i:i + CHUNK]))
        out += [(str(m), str(at), str(e)) for m, at, e in s.execute(stmt).all()]
    return out
