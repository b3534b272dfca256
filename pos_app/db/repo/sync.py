"""Sync: the device's sync state, the round log, the outbox queue beyond what central acknowledged, and the
rows pulled changes land in (members, wallet entries and recharge lots of other stores, coupon states, central
campaigns and gift catalogue entries, conflicts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import models_gifts as mg
from pos_app.db import models_sync as ms
from pos_app.db.repo.base import append, run, table

_O = table(m.Outbox)
_R = table(ms.SyncRound)
_W = table(m.WalletEntry)
_S = table(m.Spend)

#: the staff code pulled rows are written under (an account that cannot log in: no PIN matches its hash)
CENTRAL_STAFF_CODE = "@central"
#: rounds kept in the log
ROUNDS_KEPT = 200


def state(session: Session) -> ms.SyncState | None:
    return session.get(ms.SyncState, 1)


_T = table(ms.SyncState)
_LINK = select(_T.c.server_url, _T.c.reached_at, _T.c.paired_at).where(_T.c.id == 1)
_LINK_TABLES = frozenset({"sync_state"})


def link(session: Session) -> tuple[str | None, datetime | None, datetime | None] | None:
    """(server url, when central last answered, when the store was paired), None before any sync state (a
    plain read on every spend's offline check; known on the connection until the sync state is written:
    :mod:`pos_app.db.memo`)."""
    known = memo.recall(session, "sync.link")
    if known is memo.UNKNOWN:
        row = run(session, _LINK).first()
        known = None if row is None else (row[0], row[1], row[2])
        memo.learn(session, "sync.link", known, _LINK_TABLES)
    return known  # type: ignore[no-any-return]


def state_for_update(session: Session) -> ms.SyncState:
    """The one sync state row, created when missing (in the caller's write transaction)."""
    row = session.get(ms.SyncState, 1)
    if row is None:
        row = ms.SyncState(id=1, acked_seq=0)
        session.add(row)
        session.flush()
    return row


def queued(session: Session, after_seq: int, limit: int) -> list[m.Outbox]:
    """Outbox events after ``after_seq``, in seq order (never deleted: acked_seq marks what central has)."""
    return list(session.scalars(select(m.Outbox).where(m.Outbox.seq > after_seq).order_by(m.Outbox.seq).limit(limit)))


def pending(session: Session, acked_seq: int) -> tuple[int, datetime | None, int]:
    """(events not yet acknowledged, when the oldest of them occurred, the highest seq)."""
    n, oldest = run(session, select(func.count(), func.min(_O.c.occurred_at)).where(_O.c.seq > acked_seq)).one()
    last = run(session, select(func.max(_O.c.seq))).scalar() or 0
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    return int(n), oldest, int(last)


def oldest_pending_at(session: Session, acked_seq: int) -> datetime | None:
    got = session.scalar(select(m.Outbox.occurred_at).where(m.Outbox.seq > acked_seq).order_by(m.Outbox.seq).limit(1))
    return got


def add_round(session: Session, values: Mapping[str, Any]) -> None:
    append(session, ms.SyncRound, [values])
    newest = run(session, select(func.max(_R.c.id))).scalar() or 0
    if newest > ROUNDS_KEPT:
        run(session, delete(_R).where(_R.c.id <= newest - ROUNDS_KEPT))


def rounds(session: Session, limit: int) -> list[ms.SyncRound]:
    return list(session.scalars(select(ms.SyncRound).order_by(ms.SyncRound.id.desc()).limit(limit)))


def conflicts(session: Session) -> list[ms.SyncConflict]:
    return list(session.scalars(select(ms.SyncConflict).order_by(ms.SyncConflict.created_at, ms.SyncConflict.id)))


def conflict(session: Session, conflict_id: str) -> ms.SyncConflict | None:
    return session.get(ms.SyncConflict, conflict_id)


def set_conflict_detail(session: Session, conflict_id: str, detail_json: str) -> None:
    session.execute(update(ms.SyncConflict).where(ms.SyncConflict.id == conflict_id).values(detail_json=detail_json))


def central_staff_id(session: Session) -> str | None:
    return session.scalar(select(m.Staff.id).where(m.Staff.code == CENTRAL_STAFF_CODE))


def add_staff(session: Session, values: Mapping[str, Any]) -> None:
    append(session, m.Staff, [values])


# ----------------------------------------------------------------------------- what pulled changes touch
def member(session: Session, member_id: str) -> m.Member | None:
    return session.get(m.Member, member_id)


def new_member(session: Session, values: Mapping[str, Any]) -> m.Member:
    """A member added to the session (written at the next flush, with its balances as they are then)."""
    row = m.Member(**values)
    session.add(row)
    return row


def members_by_id(session: Session, ids: Sequence[str]) -> dict[str, m.Member]:
    out: dict[str, m.Member] = {}
    for part in _chunks(ids):
        out.update((r.id, r) for r in session.scalars(select(m.Member).where(m.Member.id.in_(part))))
    return out


def taken_member_keys(session: Session, phones: Sequence[str], codes: Sequence[str],
                      invites: Sequence[str]) -> tuple[set[str], set[str], set[str]]:
    """(phones, member codes, invite codes) among those given that a member here already holds."""
    out: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for got, col, values in zip(out, (m.Member.phone, m.Member.member_code, m.Member.invite_code),
                                (phones, codes, invites), strict=True):
        for part in _chunks(values):
            got.update(str(x) for x in session.scalars(select(col).where(col.in_(part))))
    return out


def applied_refs(session: Session, origin_refs: Sequence[str]) -> set[str]:
    """The wallet entries among ``origin_refs`` applied here before."""
    out: set[str] = set()
    for part in _chunks(origin_refs):
        out.update(str(x) for x in session.scalars(select(m.WalletEntry.origin_ref)
                                                   .where(m.WalletEntry.origin_ref.in_(part))))
    return out


def existing_recharges(session: Session, ids: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for part in _chunks(ids):
        out.update(str(x) for x in session.scalars(select(m.Recharge.id).where(m.Recharge.id.in_(part))))
    return out


def taken_receipts(session: Session, receipt_nos: Sequence[str]) -> set[str]:
    out: set[str] = set()
    for part in _chunks(receipt_nos):
        out.update(str(x) for x in session.scalars(select(m.Recharge.receipt_no)
                                                   .where(m.Recharge.receipt_no.in_(part))))
    return out


def add_wallet_entry(session: Session, values: Mapping[str, Any]) -> None:
    append(session, m.WalletEntry, [values])


def new_recharge(session: Session, values: Mapping[str, Any]) -> m.Recharge:
    """A recharge lot added to the session (written at the next flush)."""
    row = m.Recharge(**values)
    session.add(row)
    return row


def _chunks(items: Sequence[str], size: int = 500) -> list[list[str]]:
    items = sorted(set(items))
    return [items[i:i + size] for i in range(0, len(items), size)]


def live_lots(session: Session, member_ids: Sequence[str]) -> dict[str, list[m.Recharge]]:
    """Each member's recharge lots with something left, oldest first (as a spend here takes them)."""
    out: dict[str, list[m.Recharge]] = {i: [] for i in member_ids}
    for part in _chunks(member_ids):
        for r in session.scalars(
            select(m.Recharge)
            .where(m.Recharge.member_id.in_(part), m.Recharge.state == "active")
            .where((m.Recharge.principal_left_fen > 0) | (m.Recharge.bonus_left_fen > 0))
            .order_by(m.Recharge.created_at, m.Recharge.id)
        ):
            out[r.member_id].append(r)
    return out


def add_wallet_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Wallet entry rows, one statement (the session's new members and lots are flushed first)."""
    append(session, m.WalletEntry, rows)


def spent_here_since(session: Session, member_id: str, since: datetime) -> int:
    """What this store took from the member's balance since ``since`` (its own spends)."""
    return int(run(session, select(func.coalesce(func.sum(_S.c.amount_fen), 0))
                   .where(_S.c.member_id == member_id, _S.c.created_at >= since)).scalar() or 0)


def coupon_by_code(session: Session, code: str) -> mc.Coupon | None:
    return session.scalar(select(mc.Coupon).where(mc.Coupon.code == code))


def coupons_by_code(session: Session, codes: Sequence[str]) -> dict[str, mc.Coupon]:
    out: dict[str, mc.Coupon] = {}
    for part in _chunks(codes):
        out.update((c.code, c) for c in session.scalars(select(mc.Coupon).where(mc.Coupon.code.in_(part))))
    return out


def add_coupon(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mc.Coupon, [values])


def campaign_by_code(session: Session, code: str) -> m.Campaign | None:
    return session.scalar(select(m.Campaign).where(m.Campaign.code == code))


def add_campaign(session: Session, values: Mapping[str, Any]) -> None:
    append(session, m.Campaign, [values])


def gift_by_sku(session: Session, sku: str) -> mg.GiftItem | None:
    return session.scalar(select(mg.GiftItem).where(mg.GiftItem.sku == sku))


def add_gift(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mg.GiftItem, [values])


def add_conflicts(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    append(session, ms.SyncConflict, rows)
