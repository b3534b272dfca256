"""What store devices ask of central (docs/sync-protocol.md): pair, signed-request checks, ping, push, pull,
their store's conflicts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pos_app.central import db_repo as repo
from pos_app.central import services
from pos_app.central.db import CentralDatabase, Device
from pos_app.central.services_common import CentralError, iso, now_ms
from pos_app.central.services_ingest import ingest_batch
from pos_app.sync import protocol as p

PULL_LIMIT_DEFAULT = 500
PULL_LIMIT_MAX = p.PULL_MAX
PUSH_BATCH_MAX = p.PUSH_MAX


@dataclass(frozen=True)
class DeviceAuth:
    device_id: str
    store_id: str
    store_code: str


def _refuse(status: int, code: str, message: str) -> CentralError:
    return CentralError(status, code, message, server_time=iso(now_ms()))


# ----------------------------------------------------------------------------- pairing
def pair(db: CentralDatabase, code: str, device_id: str, store_code: str, device_name: str | None) -> dict[str, Any]:
    """Use a one-time code: the device gets its secret. A used, unknown or expired code: 403 ``pairing_code``."""
    device_id = " ".join(str(device_id or "").split())
    if not device_id or len(device_id) > 64:
        raise _refuse(400, "bad_input", "device_id is required (at most 64 characters)")
    store_code = services.store_code_rule(store_code)
    name = " ".join(str(device_name or "").split())[:200] or device_id
    now = now_ms()
    secret = p.new_secret()
    with db.session() as s, s.begin():
        used = repo.use_pairing_code(s, services.code_hash(code), now, device_id)
        if used is None:
            raise _refuse(403, "pairing_code", "the pairing code is unknown, used or expired")
        st = repo.get_store(s, used.store_id)
        assert st is not None
        if st.code is None:
            other = repo.store_by_code(s, store_code)
            if other is not None:
                raise _refuse(409, "store_code", f"store code {store_code} belongs to another store on central")
            st.code = store_code
        elif st.code != store_code:
            raise _refuse(409, "store_code", f"this code pairs a device of store {st.code}, not {store_code}")
        d = repo.lock_device(s, device_id)
        if d is not None and d.store_id != st.id:
            raise _refuse(409, "device_exists", "this device id is paired with another store")
        if d is not None and d.revoked_ms is not None:
            raise _refuse(403, "revoked", "this device was revoked by head office")
        if d is None:
            repo.add_device(s, Device(id=device_id, store_id=st.id, name=name, secret=secret, created_ms=now,
                                      acked_seq=0))
        else:
            d.secret = secret  # pairing again rotates the secret
            d.name = name
        epoch = repo.get_meta(s, "epoch")
        return {"device_id": device_id, "store_id": st.id, "store_code": st.code, "store_name": st.name,
                "secret": secret, "epoch": epoch, "server_time": iso(now)}


# ----------------------------------------------------------------------------- signed requests
def authenticate(db: CentralDatabase, method: str, path: str, headers: Mapping[str, str], body: bytes) -> DeviceAuth:
    """Check a signed request; the nonce is recorded so it never works twice."""
    device_id = headers.get(p.H_DEVICE.lower()) or headers.get(p.H_DEVICE)
    stamp = headers.get(p.H_TIMESTAMP.lower()) or headers.get(p.H_TIMESTAMP)
    nonce = headers.get(p.H_NONCE.lower()) or headers.get(p.H_NONCE)
    signature = headers.get(p.H_SIGNATURE.lower()) or headers.get(p.H_SIGNATURE)
    if not (device_id and stamp and nonce and signature):
        raise _refuse(401, "unsigned", "the request is not signed (X-POS-Device, -Timestamp, -Nonce, -Signature)")
    if not stamp.isdigit() or len(stamp) > 16 or len(nonce) > 64 or len(device_id) > 64:
        raise _refuse(401, "bad_signature", "malformed signature headers")
    now = now_ms()
    with db.read_session() as s:
        d = repo.get_device(s, device_id)
        st = repo.get_store(s, d.store_id) if d is not None else None
    if d is None or st is None:
        raise _refuse(401, "unknown_device", "this device is not paired with central")
    if not p.verify(d.secret, signature, method, path, int(stamp), nonce, body):
        raise _refuse(401, "bad_signature", "the request's signature does not match")
    if d.revoked_ms is not None:
        raise _refuse(403, "revoked", "this device was revoked by head office")
    if abs(now - int(stamp)) > p.MAX_SKEW_MS:
        raise _refuse(401, "clock_skew", "the request's timestamp is more than 5 minutes off the server's clock")
    try:
        with db.session() as s, s.begin():
            repo.add_nonce(s, d.id, nonce, now)
            repo.prune_nonces(s, d.id, now - 2 * p.MAX_SKEW_MS)
            repo.touch_device(s, d.id, now)
    except IntegrityError:
        raise _refuse(401, "replayed", "this request was seen before (nonce reused)") from None
    return DeviceAuth(d.id, st.id, st.code or st.id)


def ping(db: CentralDatabase, auth: DeviceAuth) -> dict[str, Any]:
    with db.read_session() as s:
        d = repo.get_device(s, auth.device_id)
        epoch = repo.get_meta(s, "epoch")
    assert d is not None
    return {"device_id": d.id, "store_id": auth.store_id, "store_code": auth.store_code, "epoch": epoch,
            "acked_seq": d.acked_seq, "revoked": d.revoked_ms is not None, "protocol": p.PROTOCOL_VERSION,
            "server_time": iso(now_ms())}


# ----------------------------------------------------------------------------- push
def push(db: CentralDatabase, auth: DeviceAuth, events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Ingest a batch in order: its new events in one transaction, event by event if that fails (one event's
    trouble never undoes or blocks another's; a retried batch finds the ones stored before and answers
    ``exists``; services_ingest.ingest_batch)."""
    if len(events) > PUSH_BATCH_MAX:
        raise _refuse(413, "batch_too_large", f"at most {PUSH_BATCH_MAX} events per push")
    results = []
    answers, acked = ingest_batch(db, auth.device_id, auth.store_id, auth.store_code, events, ack=advance_acked_in)
    for ev, (status, reason) in zip(events, answers, strict=True):
        results.append({"event_id": str(ev.get("event_id")), "seq": ev.get("seq") if isinstance(ev.get("seq"), int) else None,
                        "status": status, "reason": reason})
    if acked is None:  # the batch went event by event
        acked = advance_acked(db, auth.device_id)
    return {"results": results, "acked_seq": acked, "server_time": iso(now_ms())}


def advance_acked(db: CentralDatabase, device_id: str) -> int:
    """The highest seq such that every event 1..seq of the device is stored (in a transaction of its own)."""
    with db.session() as s, s.begin():
        return advance_acked_in(s, device_id)


def advance_acked_in(s: Session, device_id: str) -> int:
    """:func:`advance_acked` in the caller's transaction (a batch's own, before it commits)."""
    d = repo.lock_device(s, device_id)
    assert d is not None
    acked = d.acked_seq
    while True:
        seqs = repo.seqs_after(s, device_id, acked)
        if not seqs:
            break
        moved = False
        for seq in seqs:
            if seq != acked + 1:
                break
            acked = seq
            moved = True
        if not moved or len(seqs) < 10_000:
            break
    if acked > d.acked_seq:
        repo.set_acked_seq(s, device_id, acked)
    return acked


# ----------------------------------------------------------------------------- pull
def pull(db: CentralDatabase, auth: DeviceAuth, cursor_text: str | None, limit: int | None) -> dict[str, Any]:
    """Changes after the cursor for this store, in change-number order. A missing cursor, another epoch's, or
    one past the feed's end (a server restored from an older backup) serves from the start (``reset``)."""
    got = _pull(db, auth, cursor_text, limit)
    rows = got.pop("rows")
    return {**got, "changes": [{"change_no": r.change_no, "kind": r.kind, "key": r.key, "store_code": r.store_code,
                                "data": json.loads(r.data_json)} for r in rows]}


def _pull(db: CentralDatabase, auth: DeviceAuth, cursor_text: str | None, limit: int | None) -> dict[str, Any]:
    n = PULL_LIMIT_DEFAULT if limit is None else limit
    if not 1 <= n <= PULL_LIMIT_MAX:
        raise _refuse(400, "bad_input", f"limit must be 1..{PULL_LIMIT_MAX}")
    cursor = p.Cursor.parse(cursor_text)
    with db.read_session() as s:
        epoch = repo.get_meta(s, "epoch") or ""
        last = repo.last_number(s)
        reset = cursor is None or cursor.epoch != epoch or cursor.change_no > last
        after = 0 if reset or cursor is None else cursor.change_no
        rows = list(repo.changes_after(s, after, auth.store_code, n + 1))
    more = len(rows) > n
    rows = rows[:n]
    next_no = rows[-1].change_no if rows else after
    return {"epoch": epoch, "reset": reset, "rows": rows, "next_cursor": str(p.Cursor(epoch, next_no)), "more": more,
            "server_time": iso(now_ms())}


def pull_json(db: CentralDatabase, auth: DeviceAuth, cursor_text: str | None, limit: int | None) -> bytes:
    """:func:`pull`'s answer as JSON, each change's ``data`` spliced in as stored (its JSON text is written once,
    at ingest, and never parsed again to be served)."""
    got = _pull(db, auth, cursor_text, limit)
    rows = got.pop("rows")
    head = json.dumps(got, ensure_ascii=False, separators=(",", ":"))
    changes = ",".join(
        '{"change_no":%d,"kind":%s,"key":%s,"store_code":%s,"data":%s}' % (  # noqa: UP031
            r.change_no, json.dumps(r.kind), json.dumps(r.key, ensure_ascii=False),
            json.dumps(r.store_code, ensure_ascii=False), r.data_json) for r in rows)
    return (head[:-1] + ',"changes":[' + changes + "]}").encode()


# ----------------------------------------------------------------------------- conflicts
def store_conflicts(db: CentralDatabase, auth: DeviceAuth) -> list[dict[str, Any]]:
    return services.list_conflicts(db, auth.store_id)


def store_note(db: CentralDatabase, auth: DeviceAuth, conflict_id: str, note: str) -> dict[str, Any]:
    return services.note_conflict(db, conflict_id, note, author=auth.store_code, resolve=False,
                                  store_code=auth.store_code)
