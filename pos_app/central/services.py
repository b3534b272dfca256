"""Head-office use cases on the central database: initialise, stores, pairing codes, devices, campaigns,
conflicts, a member's merged view. The CLI and the HTTP admin endpoints both call these functions.

Each writing function is one transaction; the results are plain JSON-ready dicts (money in integer fen)."""

from __future__ import annotations

import hashlib
import json
import secrets
import tomllib
from pathlib import Path
from typing import Any

from pos_app.central import db_repo as repo
from pos_app.central.db import (
    Campaign,
    CentralDatabase,
    Conflict,
    ConflictNote,
    GiftCatalogueItem,
    PairingCode,
    Store,
)
from pos_app.central.services_common import CentralError, ChangeBuffer, dumps, iso, new_id, now_ms
from pos_app.domain.errors import DomainError
from pos_app.domain.ids import random_code
from pos_app.sync import protocol as p

#: how long a pairing code works unless ``--hours`` says otherwise
PAIRING_CODE_HOURS = 24
PAIRING_CODE_LEN = 12


def open_database(url: str, *, migrate: bool = True) -> CentralDatabase:
    """The central database at ``url``, brought to the newest schema (and given an epoch when it has none)."""
    from pos_app.central import db_migrate  # noqa: PLC0415

    db = CentralDatabase(url)
    if migrate:
        db_migrate.upgrade(db)
        with db.session() as s, s.begin():
            if repo.get_meta(s, "epoch") is None:
                repo.set_meta(s, "epoch", secrets.token_hex(8))
    return db


def init(db: CentralDatabase) -> dict[str, Any]:
    """(Re-)initialise: a new epoch, so every store re-pulls in full (run it after restoring a backup).
    Returns the admin token when one is created (the first init): it is shown once, stored hashed."""
    token: str | None = None
    with db.session() as s, s.begin():
        epoch = secrets.token_hex(8)
        repo.set_meta(s, "epoch", epoch)
        if repo.get_meta(s, "admin_token_hash") is None:
            token = secrets.token_urlsafe(32)
            repo.set_meta(s, "admin_token_hash", hashlib.sha256(token.encode()).hexdigest())
    return {"database": db.url, "epoch": epoch, "admin_token": token}


def new_admin_token(db: CentralDatabase) -> dict[str, Any]:
    token = secrets.token_urlsafe(32)
    with db.session() as s, s.begin():
        repo.set_meta(s, "admin_token_hash", hashlib.sha256(token.encode()).hexdigest())
    return {"admin_token": token}


def check_admin_token(db: CentralDatabase, token: str | None) -> None:
    with db.read_session() as s:
        stored = repo.get_meta(s, "admin_token_hash")
    given = hashlib.sha256((token or "").encode()).hexdigest()
    if not token or stored is None or not secrets.compare_digest(stored, given):
        raise CentralError(401, "admin_token", "a head-office request needs the admin token (Authorization: Bearer ...)")


def epoch(db: CentralDatabase) -> str:
    with db.read_session() as s:
        value = repo.get_meta(s, "epoch")
    if value is None:
        raise CentralError(503, "not_initialised", "the central database is not initialised: run pos-central init")
    return value


# ----------------------------------------------------------------------------- stores
def _text(value: Any, field: str, max_len: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise CentralError(400, "bad_input", f"{field} is required")
    if len(text) > max_len:
        raise CentralError(400, "bad_input", f"{field} is longer than {max_len} characters")
    return text


def store_code_rule(value: Any) -> str:
    code = _text(value, "store code", 32)
    if not all(c.isalnum() or c in "-_" for c in code):
        raise CentralError(400, "bad_input", f"store code {code!r}: letters, digits, '-' and '_' only")
    return code


def store_dict(st: Store, devices: int = 0) -> dict[str, Any]:
    return {"store_id": st.id, "code": st.code, "name": st.name, "created_at": iso(st.created_ms), "devices": devices}


def add_store(db: CentralDatabase, name: str, code: str | None = None) -> dict[str, Any]:
    name = _text(name, "store name", 200)
    code = store_code_rule(code) if code is not None else None
    with db.session() as s, s.begin():
        if code is not None and repo.store_by_code(s, code) is not None:
            raise CentralError(409, "store_exists", f"a store with code {code} exists already")
        st = Store(id=new_id(), code=code, name=name, created_ms=now_ms())
        repo.add_store(s, st)
        return store_dict(st)


def list_stores(db: CentralDatabase) -> list[dict[str, Any]]:
    with db.read_session() as s:
        counts = repo.device_counts(s)
        return [store_dict(st, counts.get(st.id, 0)) for st in repo.list_stores(s)]


def find_store(db: CentralDatabase, ref: str) -> Store:
    """A store by its id or its code."""
    with db.read_session() as s:
        st = repo.get_store(s, ref) or repo.store_by_code(s, ref)
    if st is None:
        raise CentralError(404, "unknown_store", f"no store {ref!r} (store list shows them)")
    return st


# ----------------------------------------------------------------------------- pairing codes and devices
def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(str(code or "").split()).replace("-", "").upper()


def device_code(db: CentralDatabase, store_ref: str, hours: float = PAIRING_CODE_HOURS) -> dict[str, Any]:
    """A one-time pairing code for a device of the store; only its hash is stored."""
    if not 0 < hours <= 24 * 30:
        raise CentralError(400, "bad_input", "hours must be more than 0 and at most 720")
    st = find_store(db, store_ref)
    raw = random_code(PAIRING_CODE_LEN)
    code = "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))
    now = now_ms()
    expires = now + int(hours * 3600 * 1000)
    with db.session() as s, s.begin():
        repo.add_pairing_code(s, PairingCode(id=new_id(), store_id=st.id, code_hash=code_hash(code),
                                             created_ms=now, expires_ms=expires))
    return {"code": code, "store_id": st.id, "store_code": st.code, "expires_at": iso(expires)}


def list_devices(db: CentralDatabase) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [{"device_id": d.id, "name": d.name, "store_id": st.id, "store_code": st.code,
                 "paired_at": iso(d.created_ms), "revoked_at": iso(d.revoked_ms), "last_seen_at": iso(d.last_seen_ms),
                 "acked_seq": d.acked_seq} for d, st in repo.list_devices(s)]


def revoke_device(db: CentralDatabase, device_id: str) -> dict[str, Any]:
    with db.session() as s, s.begin():
        d = repo.lock_device(s, device_id)
        if d is None:
            raise CentralError(404, "unknown_device", f"no device {device_id!r} (device list shows them)")
        if d.revoked_ms is None:
            d.revoked_ms = now_ms()
        return {"device_id": d.id, "revoked_at": iso(d.revoked_ms)}


# ----------------------------------------------------------------------------- campaigns
def read_campaign_file(path: str | Path) -> dict[str, Any]:
    p_ = Path(path)
    try:
        with p_.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CentralError(400, "bad_input", f"no file {p_}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CentralError(400, "bad_input", f"{p_} is not a campaign TOML file: {exc}") from None
    except (OSError, RecursionError) as exc:
        raise CentralError(400, "bad_input", f"cannot read {p_}: {exc}") from None


def publish_campaign(db: CentralDatabase, rules: dict[str, Any], stores: list[str] | None = None) -> dict[str, Any]:
    """Publish (or re-publish) a campaign, validated by the store's own parser, to the given stores (codes or
    ids; default: the campaign's ``stores``, ``*`` for all). Every store concerned pulls it."""
    from pos_app import messages  # noqa: PLC0415
    from pos_app.domain.campaign import campaign_from_dict  # noqa: PLC0415

    try:
        parsed = campaign_from_dict(rules)
    except DomainError as err:
        raise CentralError(400, "bad_campaign", f"campaign refused: {messages.tr_error(err, 'en')}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CentralError(400, "bad_campaign", f"campaign refused: {exc}") from None
    targets = _targets(db, stores) if stores else (None if "*" in parsed.stores else sorted(set(parsed.stores)))
    with db.session() as s, s.begin():
        row = repo.get_campaign(s, parsed.code)
        version = 1 if row is None else row.version + 1
        if row is None:
            row = Campaign(code=parsed.code, name=parsed.name, rules_json=dumps(rules), stores_json=None,
                           version=1, published_ms=now_ms())
            repo.add_campaign(s, row)
        row.name = parsed.name
        row.rules_json = dumps(rules)
        row.stores_json = None if targets is None else json.dumps(targets)
        row.version = version
        row.published_ms = now_ms()
        data = {"code": parsed.code, "name": parsed.name, "version": version, "stores": targets or ["*"],
                "rules": rules, "published_at": iso(row.published_ms)}
        changes = ChangeBuffer()
        audiences: list[str | None] = list(targets) if targets else [None]
        for audience in audiences:
            changes.add(p.CHANGE_CAMPAIGN, parsed.code, data, store_code=None, audience=audience)
        changes.flush(s)
    return {"code": parsed.code, "name": parsed.name, "version": version, "stores": targets or ["*"]}


def list_campaigns(db: CentralDatabase) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [{"code": c.code, "name": c.name, "version": c.version,
                 "stores": json.loads(c.stores_json) if c.stores_json else ["*"], "published_at": iso(c.published_ms)}
                for c in repo.list_campaigns(s)]


# ----------------------------------------------------------------------------- gift catalogue
def _targets(db: CentralDatabase, stores: list[str] | None) -> list[str] | None:
    """Store codes for the given ids or codes; None (every store) when none are given."""
    if not stores:
        return None
    out = []
    for ref in stores:
        st = find_store(db, ref)
        if st.code is None:
            raise CentralError(400, "bad_input", f"store {st.id} has no code yet (pair a device or add it with --code)")
        out.append(st.code)
    return sorted(set(out))


def read_gift_file(path: str | Path) -> list[dict[str, Any]]:
    """A gift catalogue TOML file: ``[[gifts]]`` tables with ``sku``, ``name``, ``unit_value`` (yuan),
    ``threshold``, optional ``barcode`` and ``active``."""
    data = read_campaign_file(path)
    gifts = data.get("gifts")
    if not isinstance(gifts, list) or not gifts or not all(isinstance(g, dict) for g in gifts):
        raise CentralError(400, "bad_input", f"{path}: no [[gifts]] tables")
    return gifts


def publish_gifts(db: CentralDatabase, gifts: list[dict[str, Any]], stores: list[str] | None = None) -> dict[str, Any]:
    """Publish gift catalogue entries (checked by the store's own gift rules) to some or all stores."""
    from pos_app import messages  # noqa: PLC0415
    from pos_app.domain import gifts as rules  # noqa: PLC0415
    from pos_app.domain.money import parse_yuan  # noqa: PLC0415

    items: list[dict[str, Any]] = []
    try:
        for g in gifts:
            value = g.get("unit_value", 0)
            fen = parse_yuan(value, allow_zero=True, field="unit_value") if not isinstance(value, float) else -1
            barcode = g.get("barcode")
            if barcode is not None and (not isinstance(barcode, str) or len(barcode) > 64):
                raise CentralError(400, "bad_gift", f"gift {g.get('sku')}: barcode must be text of at most 64 characters")
            active = g.get("active", True)
            if not isinstance(active, bool):
                raise CentralError(400, "bad_gift", f"gift {g.get('sku')}: active must be true or false")
            items.append({"sku": rules.normalize_sku(str(g.get("sku") or "")), "name": rules.check_name(str(g.get("name") or "")),
                          "unit_value_fen": rules.check_unit_value(fen), "threshold": rules.check_threshold(g.get("threshold", 0)),
                          "barcode": barcode or None, "active": active})
    except DomainError as err:
        raise CentralError(400, "bad_gift", f"gift catalogue refused: {messages.tr_error(err, 'en')}") from None
    if len({i["sku"] for i in items}) != len(items):
        raise CentralError(400, "bad_gift", "gift catalogue refused: a sku appears twice")
    targets = _targets(db, stores)
    audiences: list[str | None] = list(targets) if targets else [None]
    out = []
    with db.session() as s, s.begin():
        changes = ChangeBuffer()
        now = now_ms()
        for item in items:
            row = repo.get_gift(s, item["sku"])
            if row is None:
                row = GiftCatalogueItem(**item, stores_json=None, version=0, published_ms=now)
                repo.add_gift(s, row)
            for k, v in item.items():
                setattr(row, k, v)
            row.version += 1
            row.stores_json = None if targets is None else json.dumps(targets)
            row.published_ms = now
            data = {**item, "version": row.version, "stores": targets or ["*"], "published_at": iso(now)}
            for audience in audiences:
                changes.add(p.CHANGE_GIFT, item["sku"], data, store_code=None, audience=audience)
            out.append(data)
        changes.flush(s)
    return {"gifts": out, "stores": targets or ["*"]}


def list_gifts(db: CentralDatabase) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [{"sku": g.sku, "name": g.name, "unit_value_fen": g.unit_value_fen, "threshold": g.threshold,
                 "barcode": g.barcode, "active": g.active, "version": g.version,
                 "stores": json.loads(g.stores_json) if g.stores_json else ["*"], "published_at": iso(g.published_ms)}
                for g in repo.list_gifts(s)]


# ----------------------------------------------------------------------------- conflicts
def conflict_dict(c: Conflict, notes: list[ConflictNote]) -> dict[str, Any]:
    return {"id": c.id, "kind": c.kind, "member_id": c.member_id, "coupon_code": c.coupon_code, "event_id": c.event_id,
            "store_code": c.store_code, "other_store_code": c.other_store_code, "detail": c.detail,
            "amount_fen": c.amount_fen, "created_at": iso(c.created_ms), "resolved": c.resolved,
            "resolved_at": iso(c.resolved_ms),
            "notes": [{"author": n.author, "note": n.note, "at": iso(n.created_ms)} for n in notes]}


def conflict_audience(c: Conflict) -> list[str | None]:
    stores = sorted({x for x in (c.store_code, c.other_store_code) if x})
    return list(stores) or [None]


def publish_conflict(s: Any, c: Conflict, changes: ChangeBuffer, notes: list[ConflictNote] | None = None) -> None:
    """The conflict as a change for every store it concerns (``notes``: its notes when the caller knows them)."""
    data = conflict_dict(c, repo.conflict_notes(s, [c.id])[c.id] if notes is None else notes)
    for audience in conflict_audience(c):
        changes.add(p.CHANGE_CONFLICT, c.id, data, store_code=c.store_code, audience=audience)


def list_conflicts(db: CentralDatabase, store_ref: str | None = None) -> list[dict[str, Any]]:
    code = None
    if store_ref is not None:
        st = find_store(db, store_ref)
        code = st.code or st.id
    with db.read_session() as s:
        rows = repo.list_conflicts(s, code)
        notes = repo.conflict_notes(s, [c.id for c in rows])
        return [conflict_dict(c, notes[c.id]) for c in rows]


def note_conflict(db: CentralDatabase, conflict_id: str, note: str, *, author: str, resolve: bool,
                  store_code: str | None = None) -> dict[str, Any]:
    """Add a note (a store's manager, or head office); head office's ``resolve`` marks it resolved.
    A store may note only a conflict that concerns it."""
    text = _text(note, "note", 2000)
    with db.session() as s, s.begin():
        c = repo.get_conflict(s, conflict_id)
        if c is None or (store_code is not None and store_code not in (c.store_code, c.other_store_code)):
            raise CentralError(404, "unknown_conflict", f"no conflict {conflict_id!r}")
        now = now_ms()
        repo.add_conflict_note(s, ConflictNote(conflict_id=c.id, author=author, note=text, created_ms=now))
        if resolve and not c.resolved:
            c.resolved = True
            c.resolved_ms = now
        s.flush()
        changes = ChangeBuffer()
        publish_conflict(s, c, changes)
        changes.flush(s)
        return conflict_dict(c, repo.conflict_notes(s, [c.id])[c.id])


# ----------------------------------------------------------------------------- members
def member_show(db: CentralDatabase, phone: str) -> dict[str, Any]:
    """A member's merged view across stores: central balances, every store's wallet entries, coupons, the
    member's level (and its change log) and task progress and completions."""
    phone = "".join(str(phone or "").split())
    if not (len(phone) == 11 and phone.isdigit() and phone[0] == "1"):
        raise CentralError(400, "bad_input", f"{phone!r} is not a mainland mobile number (11 digits, 1...)")
    with db.read_session() as s:
        members = repo.members_by_phone(s, phone)
        if not members:
            raise CentralError(404, "unknown_member", f"no member with phone {phone}")
        out = []
        for mem in members:
            w = repo.get_wallet(s, mem.member_id)
            entries = repo.wallet_entries(s, mem.member_id)
            coupons = repo.coupons_of_members(s, [mem.member_id])
            out.append({
                "member_id": mem.member_id, "phone": mem.phone, "name": mem.name, "member_code": mem.member_code,
                "store_code": mem.store_code, "registered_at": mem.registered_at,
                "principal_fen": w.principal_fen if w else 0, "bonus_fen": w.bonus_fen if w else 0,
                "balance_fen": (w.principal_fen + w.bonus_fen) if w else 0,
                "stores": sorted({e.store_code for e in entries if e.store_code} | ({mem.store_code} if mem.store_code else set())),
                "history": [{"entry_id": e.entry_id, "kind": e.kind, "store_code": e.store_code, "amount_fen": e.amount_fen,
                             "principal_delta_fen": e.principal_delta_fen, "bonus_delta_fen": e.bonus_delta_fen,
                             "principal_after_fen": e.principal_after_fen, "bonus_after_fen": e.bonus_after_fen,
                             "central_principal_after_fen": e.central_principal_after_fen,
                             "central_bonus_after_fen": e.central_bonus_after_fen,
                             "occurred_at": e.occurred_at, "received_at": iso(e.received_ms)} for e in entries],
                "coupons": [{"code": c.code, "state": c.state, "issuer_store": c.issuer_store, "state_store": c.state_store,
                             "at": c.state_at} for c in coupons],
                **_levels_and_tasks(s, mem.member_id),
            })
        return {"phone": phone, "members": out}


def _levels_and_tasks(s: Any, member_id: str) -> dict[str, Any]:
    """The member's level now (the last change logged at any store), its change log, and each store's progress
    on each task, as derived from the synced events (docs/sync-protocol.md: Levels and tasks)."""
    log = repo.level_changes(s, member_id)
    last = log[-1] if log else None
    return {
        "level": None if last is None else {"level": last.to_level, "since": last.occurred_at, "reason": last.reason,
                                            "until": last.until, "store_code": last.store_code},
        "level_changes": [{"change_id": c.change_id, "from_level": c.from_level, "to_level": c.to_level,
                           "reason": c.reason, "ref": c.ref, "until": c.until, "store_code": c.store_code,
                           "occurred_at": c.occurred_at} for c in log],
        "tasks": [{"progress_id": t.progress_id, "campaign_code": t.campaign_code, "task_id": t.task_code,
                   "store_code": t.store_code, "progress": t.progress, "target": t.target, "state": t.state,
                   "points": t.points, "completed_at": t.completed_at, "completions": t.completions,
                   "reversals": t.reversals, "updated_at": t.updated_at} for t in repo.task_progress(s, member_id)],
    }


def totals(db: CentralDatabase) -> dict[str, Any]:
    """Central's totals: balances summed over members, and the wallet movements each store pushed."""
    with db.read_session() as s:
        return {"wallets": repo.wallet_totals(s), "by_store": repo.entry_totals_by_store(s), "events": repo.count_events(s)}
