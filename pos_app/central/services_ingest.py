"""Ingest a pushed batch and derive its business effects.

Choice (issue 11): a pushed batch is applied in ONE transaction (:func:`ingest_batch`): its new event rows
(unique key: the event id), their projections (members, wallets, coupon states, gift stock), the conflicts they
reveal and their change-feed rows commit together or not at all. When that transaction fails it is rolled back
whole and the batch is applied event by event, each in its own transaction (the path every batch took before):
one event's failure never undoes the events before it, and a retried batch finds those stored and answers
``exists``. Two pushes of the same event racing each other: the second insert waits for the first to commit
(PostgreSQL; SQLite has one writer at a time) and skips the row, or hits the unique key, is rolled back and
tried again; either way it answers ``exists``.

A business problem (a spend beyond central's balance, a coupon redeemed twice) is recorded as a conflict and the
event is still ``accepted``: the fact happened at the counter and is never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from pos_app.central import db_repo as repo
from pos_app.central.db import CentralDatabase, Conflict, ConflictNote, Event, LevelChange, TaskProgress
from pos_app.central.db import Coupon as CouponRow
from pos_app.central.services_common import ChangeBuffer, dumps, iso, new_id, now_ms
from pos_app.central.services_writes import BatchWrites, SessionWrites, Writes
from pos_app.sync import protocol as p

OVERDRAFT = "overdraft"
COUPON_REUSED = "coupon_reused"
HASH_MISMATCH = "hash_mismatch"
UNAPPLIED = "unapplied"

#: tries of one event's transaction when it races another on a new row or deadlocks
ATTEMPTS = 5

REQUIRED = (("event_id", str), ("device_id", str), ("seq", int), ("type", str), ("occurred_at", str),
            ("payload_json", str), ("payload_hash", str))


def check_shape(ev: Mapping[str, Any]) -> str | None:
    for name, kind in REQUIRED:
        value = ev.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"malformed: {name}"
    if not 0 < len(ev["event_id"]) <= 36 or len(ev["type"]) > 64 or len(ev["occurred_at"]) > 40:
        return "malformed: field length"
    if ev["seq"] < 1 or ev["seq"] > 2**62:
        return "malformed: seq"
    return None


def _checked(ev: Mapping[str, Any], device_id: str) -> tuple[str, str] | dict[str, Any]:
    """The event's payload, or the (status, reason) that rejects it."""
    bad = check_shape(ev)
    if bad:
        return p.REJECTED, bad
    if ev["device_id"] != device_id:
        return p.REJECTED, "other_device"
    if p.payload_hash(ev["payload_json"]) != ev["payload_hash"]:
        return p.REJECTED, "bad_hash"
    try:
        payload = json.loads(ev["payload_json"])
    except ValueError:
        return p.REJECTED, "malformed: payload_json"
    if not isinstance(payload, dict):
        return p.REJECTED, "malformed: payload_json"
    return payload


def _ingest_one(db: CentralDatabase, device_id: str, store_id: str, store_code: str, ev: Mapping[str, Any],
                payload: dict[str, Any]) -> tuple[str, str | None]:
    stored = _apply(db, device_id, store_id, store_code, ev, payload)
    if stored is None:
        return p.ACCEPTED, None
    return _repeat(db, device_id, store_code, ev, stored)


def _repeat(db: CentralDatabase, device_id: str, store_code: str, ev: Mapping[str, Any],
            stored: tuple[str, str]) -> tuple[str, str | None]:
    """The answer for an event already stored: ``exists`` for the same hash, else a recorded conflict."""
    old_hash, old_device = stored
    if old_hash == ev["payload_hash"] and old_device == device_id:
        return p.EXISTS, None
    record_conflict(db, HASH_MISMATCH, f"{HASH_MISMATCH}:{ev['event_id']}:{ev['payload_hash']}",
                    store_code=store_code, event_id=ev["event_id"],
                    detail=f"event {ev['event_id']} ({ev['type']}) was pushed again with a different payload "
                           f"(stored hash {old_hash[:12]}, now {ev['payload_hash'][:12]}); the stored one is kept")
    return p.CONFLICT, "hash_mismatch"


def ingest_batch(db: CentralDatabase, device_id: str, store_id: str, store_code: str,
                 events: Sequence[Mapping[str, Any]],
                 ack: Callable[[Session, str], int] | None = None) -> tuple[list[tuple[str, str | None]], int | None]:
    """(status, reason) for each event of a pushed batch, in order; and, when ``ack`` is given and the batch
    went in one transaction, what ``ack(session, device_id)`` answered in that transaction before it committed
    (the device's acknowledged seq), else None.

    The batch's new events, their effects and their change rows are written in ONE transaction: one read of
    which ids are stored, one ``INSERT ... ON CONFLICT DO NOTHING`` of the event rows (what it did not insert
    was stored by another push, perhaps one committing just now, and answers ``exists`` or ``conflict``), the
    effects of exactly the rows it inserted, derived in order from rows read and locked up front
    (:class:`BatchWrites`) and written one statement per table, and one take of the change counter. If that
    transaction fails (a unique key raced by a concurrent push, a deadlock, a payload whose effects cannot be
    derived), it is rolled back whole and the batch is ingested event by event, each in its own transaction,
    which gives every event its exact answer."""
    results: list[tuple[str, str | None] | None] = [None] * len(events)
    todo: list[tuple[int, Mapping[str, Any], dict[str, Any]]] = []
    for i, ev in enumerate(events):
        got = _checked(ev, device_id)
        if isinstance(got, tuple):
            results[i] = got
        else:
            todo.append((i, ev, got))
    acked: int | None = None
    if not todo and ack is not None:
        with db.session() as s, s.begin():
            acked = ack(s, device_id)
    if todo:
        try:
            together, acked = _ingest_together(db, device_id, store_id, todo, store_code, ack)
        except (IntegrityError, OperationalError, ValueError, TypeError, KeyError, AttributeError,
                ArithmeticError):
            together, acked = None, None
        if together is None:
            for i, ev, payload in todo:
                results[i] = _ingest_one(db, device_id, store_id, store_code, ev, payload)
        else:
            for i, ev, _payload in todo:
                stored = together.get(i)
                results[i] = (p.ACCEPTED, None) if stored is None else _repeat(db, device_id, store_code, ev, stored)
    return [r if r is not None else (p.REJECTED, "malformed") for r in results], acked


def _ingest_together(db: CentralDatabase, device_id: str, store_id: str,
                     todo: Sequence[tuple[int, Mapping[str, Any], dict[str, Any]]], store_code: str,
                     ack: Callable[[Session, str], int] | None) -> tuple[dict[int, tuple[str, str]], int | None]:
    """The batch in one transaction; for each position whose event was stored before (by an earlier push, a
    concurrent one, or earlier in this batch), the stored (hash, device). Raises when the transaction fails."""
    with db.session() as s, s.begin():
        stored = repo.event_keys(s, sorted({ev["event_id"] for _, ev, _ in todo}))
        rows: list[dict[str, Any]] = []
        first: dict[str, int] = {}  # event id -> position of its first occurrence among the new ones
        stamp = now_ms()
        for i, ev, _payload in todo:
            eid = ev["event_id"]
            if eid in stored or eid in first:
                continue
            first[eid] = i
            rows.append(dict(event_id=eid, device_id=device_id, store_id=store_id, seq=ev["seq"], type=ev["type"],
                             occurred_at=ev["occurred_at"], payload_json=ev["payload_json"],
                             payload_hash=ev["payload_hash"], received_ms=stamp))
        inserted = repo.insert_new_events(s, rows)
        raced = [eid for eid in first if eid not in inserted]
        if raced:  # committed by a concurrent push meanwhile
            stored.update(repo.event_keys(s, raced))
        w = BatchWrites(s, store_code)
        w.preload((payload for i, ev, payload in todo if first.get(ev["event_id"]) == i), inserted)
        changes = ChangeBuffer()
        answers: dict[int, tuple[str, str]] = {}
        for i, ev, payload in todo:
            eid = ev["event_id"]
            if eid in inserted and first[eid] == i:
                apply_effects(w, ev, payload, store_code, changes)
                stored[eid] = (ev["payload_hash"], device_id)
            else:
                answers[i] = stored[eid]
        w.flush()
        acked = ack(s, device_id) if ack is not None else None
        changes.flush(s)  # the counter row last: its lock is held only for the end of the transaction
    return answers, acked


def _apply(db: CentralDatabase, device_id: str, store_id: str, store_code: str, ev: Mapping[str, Any],
           payload: dict[str, Any]) -> tuple[str, str] | None:
    """Store and apply the event in one transaction; None when this call stored it, else the stored event's
    (hash, device). Two transactions racing on a new row (a member's first wallet row, a coupon, a stock line)
    or deadlocking: the loser is rolled back and the event tried again from the start."""
    why = "integrity error"
    for _attempt in range(ATTEMPTS):
        try:
            with db.session() as s, s.begin():
                old = repo.get_event(s, ev["event_id"])
                if old is not None:
                    return old.payload_hash, old.device_id
                repo.add_event(s, Event(event_id=ev["event_id"], device_id=device_id, store_id=store_id, seq=ev["seq"],
                                        type=ev["type"], occurred_at=ev["occurred_at"], payload_json=ev["payload_json"],
                                        payload_hash=ev["payload_hash"], received_ms=now_ms()))
                changes = ChangeBuffer()
                apply_effects(SessionWrites(s), ev, payload, store_code, changes)
                changes.flush(s)
                return None
        except (IntegrityError, OperationalError) as exc:
            why = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            with db.read_session() as s:
                found = repo.get_event(s, ev["event_id"])
            if found is not None:
                return found.payload_hash, found.device_id
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            break
    # a payload this server cannot apply: the fact is still stored (never lost, never blocking the queue) and
    # head office is told
    status, _ = _store_unapplied(db, device_id, store_id, store_code, ev, why)
    if status == p.ACCEPTED:
        return None
    with db.read_session() as s:
        found = repo.get_event(s, ev["event_id"])
    assert found is not None
    return found.payload_hash, found.device_id


def _store_unapplied(db: CentralDatabase, device_id: str, store_id: str, store_code: str, ev: Mapping[str, Any],
                     why: str) -> tuple[str, str | None]:
    try:
        with db.session() as s, s.begin():
            if repo.get_event(s, ev["event_id"]) is not None:
                return p.EXISTS, None
            repo.add_event(s, Event(event_id=ev["event_id"], device_id=device_id, store_id=store_id, seq=ev["seq"],
                                    type=ev["type"], occurred_at=ev["occurred_at"], payload_json=ev["payload_json"],
                                    payload_hash=ev["payload_hash"], received_ms=now_ms()))
            changes = ChangeBuffer()
            add_conflict(s, changes, UNAPPLIED, f"{UNAPPLIED}:{ev['event_id']}", store_code=store_code,
                         event_id=ev["event_id"],
                         detail=f"event {ev['event_id']} ({ev['type']}) is stored but its effects could not be "
                                f"derived ({why[:300]})")
            changes.flush(s)
    except IntegrityError:
        return p.EXISTS, None  # stored by a concurrent push meanwhile
    return p.ACCEPTED, None


def record_conflict(db: CentralDatabase, kind: str, key: str, **fields: Any) -> None:
    """A conflict in its own transaction, once per key (a repeat finds it and does nothing)."""
    try:
        with db.session() as s, s.begin():
            if repo.conflict_by_key(s, key) is None:
                changes = ChangeBuffer()
                add_conflict(s, changes, kind, key, **fields)
                changes.flush(s)
    except IntegrityError:
        pass  # recorded by a concurrent request: once is what we want


def add_conflict(s: Session, changes: ChangeBuffer, kind: str, key: str, **fields: Any) -> None:
    from pos_app.central.services import publish_conflict  # noqa: PLC0415

    c = Conflict(id=new_id(), kind=kind, dedupe_key=key, created_ms=now_ms(), resolved=False, **fields)
    repo.add_conflict(s, c)
    publish_conflict(s, c, changes, notes=[])  # a new conflict has no notes yet


# ----------------------------------------------------------------------------- effects
def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def apply_effects(w: Writes, ev: Mapping[str, Any], payload: dict[str, Any], store_code: str,
                  changes: ChangeBuffer) -> None:
    kind = ev["type"]
    at = ev["occurred_at"]
    if kind == "member.registered":
        _member(w, ev, payload, store_code, changes)
    elif kind == "wallet.recharged":
        _wallet(w, ev, payload, store_code, changes, "recharge", _str(payload.get("recharge_id")),
                _int(payload.get("amount_fen")), _int(payload.get("amount_fen")), _int(payload.get("bonus_fen")))
    elif kind == "wallet.spent":
        _wallet(w, ev, payload, store_code, changes, "spend", _str(payload.get("spend_id")),
                _int(payload.get("amount_fen")), -_int(payload.get("principal_fen")), -_int(payload.get("bonus_fen")))
    elif kind == "wallet.refunded":
        _wallet(w, ev, payload, store_code, changes, "refund", _str(payload.get("refund_id")),
                _int(payload.get("principal_refund_fen")), -_int(payload.get("principal_unspent_fen")),
                -_int(payload.get("bonus_revoke_fen")))
    elif kind == "wallet.adjusted":  # a manager's correction: each part up or down (signed deltas)
        d_principal, d_bonus = _int(payload.get("principal_delta_fen")), _int(payload.get("bonus_delta_fen"))
        _wallet(w, ev, payload, store_code, changes, "adjust", _str(payload.get("adjustment_id")),
                abs(d_principal) + abs(d_bonus), d_principal, d_bonus)
    elif kind == "coupon.redeemed":
        _redeem(w, ev, payload, store_code, changes)
        spend = payload.get("spend")
        if isinstance(spend, dict):
            merged = {**spend, "member_id": payload.get("member_id")}
            _wallet(w, ev, merged, store_code, changes, "spend", _str(spend.get("spend_id")),
                    _int(spend.get("amount_fen")), -_int(spend.get("principal_fen")), -_int(spend.get("bonus_fen")))
    elif kind == "sale.completed":
        spend = payload.get("spend")
        if isinstance(spend, dict):  # the part paid from the stored balance
            merged = {**spend, "member_id": payload.get("member_id")}
            _wallet(w, ev, merged, store_code, changes, "spend", _str(spend.get("spend_id")),
                    _int(spend.get("amount_fen")), -_int(spend.get("principal_fen")), -_int(spend.get("bonus_fen")))
        for used in payload.get("coupons_redeemed") or []:
            if isinstance(used, dict):
                _redeem(w, ev, {"code": used.get("code"), "member_id": payload.get("member_id"),
                                "discount_fen": used.get("discount_fen")}, store_code, changes)
    elif kind == "sale.returned":
        back = [r for r in payload.get("refunds") or [] if isinstance(r, dict) and r.get("method") == "balance"]
        if back:  # what went back to the stored balance
            d_principal = sum(_int(r.get("principal_fen")) for r in back)
            d_bonus = sum(_int(r.get("bonus_fen")) for r in back)
            _wallet(w, ev, payload, store_code, changes, "return", _str(payload.get("return_id")),
                    d_principal + d_bonus, d_principal, d_bonus)
        coupon = payload.get("coupon")
        if isinstance(coupon, dict):
            for code in coupon.get("codes") or []:
                _reinstate(w, ev, _str(code), store_code, changes)
    elif kind == "coupon.voided":
        _void(w, ev, _str(payload.get("code")), store_code, changes)
    elif kind == "gift.movement":
        _gift(w, payload, store_code)
    elif kind == "sync.conflict_noted":
        _conflict_note(w.s, payload, store_code, changes)
    if kind in ("gift.handed_out", "gift.stocktake", "mall.picked_up"):
        for mv in payload.get("movements") or []:
            if isinstance(mv, dict):
                _gift(w, mv, store_code)
    for c in payload.get("coupons") or []:
        if isinstance(c, dict):
            _issue(w, ev, c, store_code, changes, at)
    _levels_and_tasks(w.s, ev, payload, store_code)  # their own tables, written through the session on both paths
    for v in payload.get("coupons_voided") or []:
        if isinstance(v, dict):
            _void(w, ev, _str(v.get("code")), store_code, changes)


def _facts(payload: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    found = payload.get(key)
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def _levels_and_tasks(s: Session, ev: Mapping[str, Any], payload: Mapping[str, Any], store_code: str) -> None:
    """Members' level changes and task progress, from the facts any event may carry (docs/sync-protocol.md):
    ``level_changes`` (one row each, once), ``task_progress`` (the store row as it stands after the event),
    ``tasks`` (a completion and its reward's points) and ``tasks_reversed`` (a return took it back)."""
    at = ev["occurred_at"]
    for f in _facts(payload, "level_changes"):
        cid, member_id, to_level = _str(f.get("change_id")), _str(f.get("member_id")), _str(f.get("to_level"))
        if cid is None or member_id is None or to_level is None or repo.get_level_change(s, cid) is not None:
            continue
        repo.add_level_change(s, LevelChange(
            change_id=cid, member_id=member_id, from_level=_str(f.get("from_level")), to_level=to_level,
            reason=_str(f.get("reason")) or "", ref=_str(f.get("ref")), until=_str(f.get("until")),
            store_code=store_code, event_id=ev["event_id"], occurred_at=at, received_ms=now_ms()))
    for key in ("task_progress", "tasks", "tasks_reversed"):
        for f in _facts(payload, key):
            pid, member_id, task = _str(f.get("progress_id")), _str(f.get("member_id")), _str(f.get("task_id"))
            if pid is None or member_id is None or task is None:
                continue
            row = repo.task_progress_for_update(s, pid)
            if row is None:
                row = TaskProgress(progress_id=pid, member_id=member_id, campaign_code=_str(f.get("campaign_code")),
                                   task_code=task, progress=None, target=None, state="open", points=0,
                                   completed_at=None, completions=0, reversals=0, store_code=store_code,
                                   event_id=ev["event_id"], updated_at=at)
                repo.add_task_progress(s, row)
            row.event_id, row.updated_at = ev["event_id"], at
            if key == "task_progress":
                row.progress, row.target = _int(f.get("progress")), _int(f.get("target"))
                row.state = _str(f.get("state")) or row.state
            elif key == "tasks":
                row.state, row.completed_at, row.points = "completed", at, _int(f.get("points"))
                row.completions += 1
            else:
                row.state, row.completed_at, row.points = "open", None, 0
                row.reversals += 1


def _conflict_note(s: Session, payload: dict[str, Any], store_code: str, changes: ChangeBuffer) -> None:
    """A store manager's note on a conflict that concerns the store (written offline or online): added to the
    conflict's notes, which go back to every store it concerns. A note on another store's conflict, or on one
    this server does not have, is not applied (the event is kept and head office is told)."""
    from pos_app.central.services import publish_conflict  # noqa: PLC0415

    c = repo.get_conflict(s, _str(payload.get("conflict_id")) or "")
    if c is None or store_code not in (c.store_code, c.other_store_code):
        raise ValueError(f"no conflict {payload.get('conflict_id')!r} concerning store {store_code}")
    text = _str(payload.get("note"))
    if text is None:
        raise ValueError("a conflict note without text")
    staff = _str(payload.get("staff_code"))
    repo.add_conflict_note(s, ConflictNote(conflict_id=c.id, author=f"{store_code}/{staff}" if staff else store_code,
                                           note=text[:2000], created_ms=now_ms()))
    publish_conflict(s, c, changes)


def _member(w: Writes, ev: Mapping[str, Any], payload: dict[str, Any], store_code: str, changes: ChangeBuffer) -> None:
    member_id = _str(payload.get("member_id"))
    if member_id is None or w.member_exists(member_id):
        return
    origin = _str(payload.get("store_code")) or store_code
    data = {k: payload.get(k) for k in ("member_id", "phone", "name", "member_code", "invite_code", "inviter_id")}
    data.update(store_code=origin, registered_at=ev["occurred_at"])
    w.add_member(dict(member_id=member_id, phone=_str(payload.get("phone")), name=_str(payload.get("name")),
                      member_code=_str(payload.get("member_code")), store_code=origin, data_json=dumps(data),
                      event_id=ev["event_id"], registered_at=ev["occurred_at"]))
    changes.add(p.CHANGE_MEMBER, member_id, data, store_code=origin, skip_store=store_code)


def _wallet(w: Writes, ev: Mapping[str, Any], payload: Mapping[str, Any], store_code: str, changes: ChangeBuffer,
            kind: str, entry_id: str | None, amount: int, d_principal: int, d_bonus: int) -> None:
    member_id = _str(payload.get("member_id"))
    if member_id is None:
        return
    entry_id = entry_id or ev["event_id"]
    if w.entry_exists(entry_id):  # one event id per entry: never one entry twice
        entry_id = f"{ev['event_id']}:{kind}"
    wal = w.wallet(member_id)
    before_p, before_b = wal.principal_fen, wal.bonus_fen
    wal.principal_fen += d_principal
    wal.bonus_fen += d_bonus
    p_after = payload.get("principal_after_fen")
    b_after = payload.get("bonus_after_fen")
    p_after = p_after if isinstance(p_after, int) else None
    b_after = b_after if isinstance(b_after, int) else None
    received = now_ms()
    w.add_wallet_entry(dict(entry_id=entry_id, event_id=ev["event_id"], member_id=member_id, store_code=store_code,
                            kind=kind, amount_fen=amount, principal_delta_fen=d_principal, bonus_delta_fen=d_bonus,
                            principal_after_fen=p_after, bonus_after_fen=b_after,
                            central_principal_after_fen=wal.principal_fen, central_bonus_after_fen=wal.bonus_fen,
                            occurred_at=ev["occurred_at"], received_ms=received))
    data = {"entry_id": entry_id, "member_id": member_id, "kind": kind, "store_code": store_code, "amount_fen": amount,
            "principal_delta_fen": d_principal, "bonus_delta_fen": d_bonus,
            "principal_after_fen": p_after, "bonus_after_fen": b_after,
            "central_principal_after_fen": wal.principal_fen, "central_bonus_after_fen": wal.bonus_fen,
            "event_id": ev["event_id"], "occurred_at": ev["occurred_at"], "received_at": iso(received)}
    changes.add(p.CHANGE_WALLET, entry_id, data, store_code=store_code, skip_store=store_code)
    if kind != "recharge" and (wal.principal_fen < 0 or wal.bonus_fen < 0):
        short = max(0, -wal.principal_fen) + max(0, -wal.bonus_fen) - max(0, -before_p) - max(0, -before_b)
        add_conflict(w.s, changes, OVERDRAFT, f"{OVERDRAFT}:{ev['event_id']}", store_code=store_code,
                     member_id=member_id, event_id=ev["event_id"], amount_fen=max(short, 0),
                     detail=f"{kind} {entry_id} of {amount} fen at store {store_code} goes beyond the member's central "
                            f"balance (principal {before_p}, bonus {before_b} fen before; "
                            f"{wal.principal_fen} and {wal.bonus_fen} after)")


def _coupon_data(row: CouponRow) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(row.data_json)
    data.update(code=row.code, state=row.state, store_code=row.state_store, issuer_store=row.issuer_store,
                at=row.state_at, redemptions=row.redemptions)
    return data


def _issue(w: Writes, ev: Mapping[str, Any], c: dict[str, Any], store_code: str, changes: ChangeBuffer, at: str) -> None:
    code = _str(c.get("code"))
    if code is None or len(code) > 32:
        return
    row = w.coupon(code)
    issuer = _str(c.get("store_code")) or store_code
    if row is None:
        row = CouponRow(code=code, coupon_id=_str(c.get("id")), member_id=_str(c.get("member_id")), issuer_store=issuer,
                        state="issued", state_store=issuer, state_event_id=ev["event_id"], state_at=at, redemptions=0,
                        data_json=dumps(c))
        w.add_coupon(row)
    else:  # its redemption or void reached central first: keep that state, learn what it is
        row.coupon_id = row.coupon_id or _str(c.get("id"))
        row.member_id = row.member_id or _str(c.get("member_id"))
        row.issuer_store = issuer
        row.data_json = dumps(c)
    changes.add(p.CHANGE_COUPON, code, _coupon_data(row), store_code=store_code)


def _placeholder(w: Writes, ev: Mapping[str, Any], code: str, store_code: str) -> CouponRow:
    row = CouponRow(code=code, coupon_id=None, member_id=None, issuer_store=None, state="issued", state_store=None,
                    state_event_id=ev["event_id"], state_at=ev["occurred_at"], redemptions=0, data_json="{}")
    w.add_coupon(row)
    return row


def _redeem(w: Writes, ev: Mapping[str, Any], payload: dict[str, Any], store_code: str, changes: ChangeBuffer) -> None:
    code = _str(payload.get("code"))
    if code is None or len(code) > 32:
        return
    row = w.coupon(code) or _placeholder(w, ev, code, store_code)
    row.redemptions += 1
    if row.state == "redeemed" or row.state == "voided":
        first_store = row.state_store
        add_conflict(w.s, changes, COUPON_REUSED, f"{COUPON_REUSED}:{code}:{ev['event_id']}", store_code=store_code,
                     other_store_code=first_store if first_store != store_code else None,
                     member_id=_str(payload.get("member_id")), coupon_code=code, event_id=ev["event_id"],
                     amount_fen=_int(payload.get("discount_fen")),
                     detail=f"coupon {code} redeemed at store {store_code} was already {row.state} at store "
                            f"{first_store} ({row.state_at}); both redemptions are kept")
    else:
        row.state = "redeemed"
        row.state_store = store_code
        row.state_event_id = ev["event_id"]
        row.state_at = ev["occurred_at"]
    w.coupon_changed(row)
    changes.add(p.CHANGE_COUPON, code, _coupon_data(row), store_code=store_code)


def _reinstate(w: Writes, ev: Mapping[str, Any], code: str | None, store_code: str, changes: ChangeBuffer) -> None:
    """A coupon redeemed on a sale returned in full at the same store is usable again."""
    if code is None or len(code) > 32:
        return
    row = w.coupon(code)
    if row is not None and row.state == "redeemed" and row.state_store == store_code:
        row.state = "issued"
        row.state_store = store_code
        row.state_event_id = ev["event_id"]
        row.state_at = ev["occurred_at"]
        w.coupon_changed(row)
        changes.add(p.CHANGE_COUPON, code, _coupon_data(row), store_code=store_code)


def _void(w: Writes, ev: Mapping[str, Any], code: str | None, store_code: str, changes: ChangeBuffer) -> None:
    if code is None or len(code) > 32:
        return
    row = w.coupon(code) or _placeholder(w, ev, code, store_code)
    if row.state == "issued":
        row.state = "voided"
        row.state_store = store_code
        row.state_event_id = ev["event_id"]
        row.state_at = ev["occurred_at"]
        w.coupon_changed(row)
        changes.add(p.CHANGE_COUPON, code, _coupon_data(row), store_code=store_code)


def _gift(w: Writes, mv: Mapping[str, Any], store_code: str) -> None:
    sku = _str(mv.get("sku"))
    if sku is None or len(sku) > 64:
        return
    row = w.gift_stock(store_code, sku)
    row.on_hand += _int(mv.get("delta"))
    after = mv.get("on_hand_after")
    row.store_on_hand_after = after if isinstance(after, int) else row.store_on_hand_after
    row.movements += 1
