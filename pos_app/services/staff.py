"""Store set-up, staff accounts and login. PINs are hashed with argon2."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.db.uow import UnitOfWork
from pos_app.domain import roles
from pos_app.domain.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, StateError
from pos_app.domain.members import MAX_NAME_LEN
from pos_app.domain.text import clean_text
from pos_app.services.common import audit, emit, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import StaffDTO, StaffRow
from pos_app.services.usecase import use_case

# Interactive-login cost: ~20 ms on the counter PC, still memory-hard.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_PIN_RE = re.compile(r"^[0-9]{4,8}$")
PIN_MAX_LENGTH = 8
_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{2,32}$")
_STORE_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,16}$")


def normalize_pin(pin: str | None) -> str:
    """A PIN as typed: full-width digits (a Chinese IME's １２３４) are the same keys as 1234 (NFKC), in
    both the set and the check path, so a PIN that was accepted can always be typed back."""
    return unicodedata.normalize("NFKC", str(pin or "")).strip()


def normalize_staff_code(code: str | None) -> str:
    """Staff codes are case-insensitive: stored and looked up in lower case (``C01`` is ``c01``)."""
    return unicodedata.normalize("NFKC", str(code or "")).strip().lower()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the staff code is unknown, so timing does not reveal which codes
    exist. Made on first need (hashing costs as much as a login; not at import)."""
    return str(_HASHER.hash("00000000"))

SYSTEM = Actor(staff_id="", code="system", name="system", role=roles.MANAGER)


def hash_pin(pin: str) -> str:
    check_pin_format(pin)
    return str(_HASHER.hash(normalize_pin(pin)))


def check_pin_format(pin: str, min_length: int = 4) -> None:
    typed = normalize_pin(pin)
    if not _PIN_RE.match(typed) or len(typed) < min_length:
        raise InvalidInput("staff.pin_invalid" if min_length <= 4 else "staff.pin_too_short", min=min_length)


# ----------------------------------------------------------------------------- PIN policy


@dataclass(frozen=True)
class PinPolicy:
    """Store settings ``pin_min_length`` (4-8), ``lockout_attempts`` (wrong PINs in a row before the
    account locks) and ``lockout_minutes`` (how long it stays locked)."""

    min_length: int = 4
    max_attempts: int = 5
    lock_minutes: int = 15


#: setting key -> (PinPolicy field, smallest, largest)
POLICY_KEYS: dict[str, tuple[str, int, int]] = {
    "pin_min_length": ("min_length", 4, PIN_MAX_LENGTH),
    "lockout_attempts": ("max_attempts", 1, 100),
    "lockout_minutes": ("lock_minutes", 1, 24 * 60),
}


def check_policy_setting(key: str, value: Any) -> int:
    _field, lo, hi = POLICY_KEYS[key]
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise InvalidInput("settings.range", setting=key, low=lo, high=hi)
    n = int(str(value).strip())
    if not lo <= n <= hi:
        raise InvalidInput("settings.range", setting=key, low=lo, high=hi)
    return n


def _policy(uow: UnitOfWork) -> PinPolicy:
    try:
        raw = settings(uow).raw
    except NotFound:
        return PinPolicy()
    values: dict[str, int] = {}
    for key, (field_name, _lo, _hi) in POLICY_KEYS.items():
        if key in raw:
            try:
                values[field_name] = check_policy_setting(key, raw[key])
            except InvalidInput:
                continue  # a bad stored value: the default, never a crash at the login screen
    return PinPolicy(**values)


def pin_policy(ctx: ServiceContext) -> PinPolicy:
    with ctx.uow(read_only=True) as uow:
        return _policy(uow)


def _dto(s: m.Staff) -> StaffDTO:
    return StaffDTO(s.id, s.code, s.name, s.role, s.active)


def _row(s: m.Staff, now: datetime) -> StaffRow:
    locked = s.locked_until if s.locked_until is not None and s.locked_until > now else None
    return StaffRow(s.id, s.code, s.name, s.role, s.active, s.last_login_at, locked, s.failed_attempts or 0)


def is_initialised(ctx: ServiceContext) -> bool:
    with ctx.uow(read_only=True) as uow:
        return uow.session.get(m.StoreInfo, 1) is not None


@use_case("store.init", permission=None, event="store.initialised",
          permission_note="creates the store and its first manager: there is no staff yet")
def init_store(
    ctx: ServiceContext,
    *,
    store_name: str = "门店",
    store_code: str = "S001",
    timezone: str = "Asia/Shanghai",
    manager_code: str | None = None,
    manager_pin: str | None = None,
    manager_name: str = "店长",
    settings: dict[str, Any] | None = None,
) -> bool:
    """Create the store row (once) and, on an empty database, the first manager. True if created."""
    store_name = clean_text(store_name, field="name", max_chars=MAX_NAME_LEN) or "门店"
    if not _STORE_CODE_RE.match(store_code or ""):
        raise InvalidInput("first_run.store_code_invalid", code=str(store_code)[:40])
    from pos_app.services.store_settings import check_store_setting  # noqa: PLC0415

    timezone = str(check_store_setting("timezone", timezone))
    if manager_code is not None:
        if not _CODE_RE.match(manager_code):
            raise InvalidInput("staff.code_invalid", code=manager_code)
        manager_code = normalize_staff_code(manager_code)
        check_pin_format(manager_pin or "")
    with ctx.uow() as uow:
        s = uow.session
        created = False
        if s.get(m.StoreInfo, 1) is None:
            s.add(
                m.StoreInfo(
                    id=1,
                    store_code=store_code,
                    name=store_name,
                    device_id=ctx.new_id(),
                    timezone=timezone,
                    settings_json=json.dumps(settings or {}, ensure_ascii=False),
                    created_at=ctx.now(),
                )
            )
            s.flush()
            audit(uow, ctx, None, "store.init", "store", store_code, name=store_name, timezone=timezone)
            created = True
        if manager_code is not None and s.scalar(select(m.Staff.id).limit(1)) is None:
            staff = m.Staff(
                id=ctx.new_id(),
                code=manager_code,
                name=manager_name,
                role=roles.MANAGER,
                pin_hash=hash_pin(manager_pin or ""),
                active=True,
                created_at=ctx.now(),
            )
            s.add(staff)
            s.flush()
            audit(uow, ctx, None, "staff.add", "staff", staff.id, code=manager_code, role=roles.MANAGER)
            created = True
        if created:
            info = s.get(m.StoreInfo, 1)
            assert info is not None
            emit(uow, ctx, "store.initialised", {"store_code": info.store_code, "name": info.name,
                                                 "timezone": info.timezone, "manager": manager_code})
        uow.commit()
        return created


@use_case("settings.update", permission="system.admin", event="settings.updated")
def update_settings(ctx: ServiceContext, actor: Actor, **changes: Any) -> dict[str, Any]:
    """Change store settings (``services.store_settings.STORE_KEYS``): every value is checked first (a bad
    one is refused naming its key, nothing written); None or "" clears an optional key (its default
    applies). ``actor`` may be a manager approving for the cashier at the counter (``Actor.approving``)."""
    from pos_app.services.store_settings import check_store_settings  # noqa: PLC0415

    changes = dict(check_store_settings(changes))
    asked = dict(changes)
    with ctx.uow() as uow:
        info = uow.session.get(m.StoreInfo, 1)
        if info is None:
            raise NotFound("store.not_initialised")
        raw = json.loads(info.settings_json or "{}")
        if "store_name" in changes:
            info.name = str(changes.pop("store_name"))
        if "timezone" in changes:
            info.timezone = str(changes.pop("timezone"))
        for key, value in changes.items():
            if value is None:
                raw.pop(key, None)
            else:
                raw[key] = value
        info.settings_json = json.dumps(raw, ensure_ascii=False)
        audit(uow, ctx, actor, "settings.update", "store", str(info.store_code), **asked)
        emit(uow, ctx, "settings.updated", {"changes": asked, "staff": actor.code})
        uow.commit()
        return dict(raw)


def login(ctx: ServiceContext, code: str, pin: str) -> Actor:
    """Check a staff code and PIN: every path (login window, manager approval, CLI) comes here.

    The same message and the same work (an argon2 verify) for an unknown code, a disabled account and a
    wrong PIN. After ``lockout_attempts`` wrong PINs in a row the account is locked for
    ``lockout_minutes``: refused even with the right PIN, with the time it opens again (store time).
    Each failure and each lock is audited in its own committed transaction before the refusal.

    The check itself is a read (a command that only reads never waits for a writer, and no lock is held
    during the argon2 verify); a good login then notes its time when the store is not busy."""
    typed = normalize_pin(pin)
    typed_code = normalize_staff_code(code)[:32]
    with ctx.uow(read_only=True) as uow:
        now = ctx.now()
        staff = _find_staff(uow.session, code)
        usable = staff is not None and staff.active
        staff_id = staff.id if staff is not None else ""
        hashed = staff.pin_hash if staff is not None and usable else _dummy_hash()
        locked = staff is not None and staff.locked_until is not None and staff.locked_until > now
        actor = Actor(staff.id, staff.code, staff.name, staff.role) if staff is not None else None
    try:
        _HASHER.verify(hashed, typed)
        good = usable
    except (VerificationError, InvalidHashError):
        good = False
    if good and not locked and actor is not None:
        _note_login(ctx, staff_id)
        return actor
    raise _refuse(ctx, staff_id if staff is not None else None, typed_code, usable=usable)


@use_case("staff.login", permission=None, event=None, audited=False,
          permission_note="the login itself: the PIN was just checked; notes its time and clears the count")
def _note_login(ctx: ServiceContext, staff_id: str) -> None:
    """A good login clears the wrong-attempt count and records its time; skipped (not an error) when
    another program holds the write lock, so a login never waits on a writer to read, and when the store
    cannot be written now (a read-only file or folder, a full disk), so reading still works."""
    from pos_app.db.engine import CANNOT_WRITE  # noqa: PLC0415

    try:
        with ctx.uow() as uow:
            staff = uow.session.get(m.Staff, staff_id)
            if staff is not None:
                staff.failed_attempts = 0
                staff.locked_until = None
                staff.last_login_at = ctx.now()
                uow.commit()
    except CANNOT_WRITE:
        pass


@use_case("staff.login_refused", permission=None, event=None,
          permission_note="a refused login: nobody is logged in; counts the attempt, may lock the account")
def _refuse(ctx: ServiceContext, staff_id: str | None, typed_code: str, *, usable: bool) -> AuthenticationFailed:
    """Record a refused login (audit row; the count and the lock) in its own transaction; the error to raise."""
    with ctx.uow() as uow:
        policy = _policy(uow)
        now = ctx.now()
        staff = uow.session.get(m.Staff, staff_id) if staff_id else None
        if staff is None or not usable:
            audit(uow, ctx, None, "staff.login_failed", "staff", staff_id or "",
                  code=typed_code, reason="unknown" if staff is None else "disabled")
            uow.commit()
            return AuthenticationFailed("auth.failed")
        if staff.locked_until is not None and staff.locked_until > now:
            audit(uow, ctx, None, "staff.login_locked", "staff", staff.id, code=staff.code,
                  until=staff.locked_until.isoformat())
            refusal = _locked(uow, staff.locked_until)
            uow.commit()
            return refusal
        attempts = (staff.failed_attempts or 0) + 1
        audit(uow, ctx, None, "staff.login_failed", "staff", staff.id, code=staff.code, reason="pin",
              attempts=attempts)
        if attempts >= policy.max_attempts:
            until = _next_minute(now + timedelta(minutes=policy.lock_minutes))
            staff.failed_attempts = 0
            staff.locked_until = until
            audit(uow, ctx, None, "staff.locked", "staff", staff.id, code=staff.code, attempts=attempts,
                  until=until.isoformat())
            refusal = _locked(uow, until)
        else:
            staff.failed_attempts = attempts
            refusal = AuthenticationFailed("auth.failed")
        uow.commit()
        return refusal


def _next_minute(at: datetime) -> datetime:
    """``at`` rounded up to a whole minute: the lock ends when the time shown says (never a minute early)."""
    whole = at.replace(second=0, microsecond=0)
    return whole if whole == at else whole + timedelta(minutes=1)


def _locked(uow: UnitOfWork, until: datetime) -> AuthenticationFailed:
    """The lock message: locked until ``until`` in the store's time."""
    shown = _next_minute(until)
    try:
        local = shown.astimezone(settings(uow).tz)
    except NotFound:
        local = shown
    return AuthenticationFailed("auth.locked", until=local.strftime("%Y-%m-%d %H:%M"))


def _find_staff(s: Any, code: str | None) -> m.Staff | None:
    """The account for a typed code, without case. Should the data already hold two codes that differ
    only in case (made before codes were normalised), the exact spelling wins, else the oldest."""
    key = normalize_staff_code(code)
    if not key:
        return None
    rows = list(s.scalars(select(m.Staff).where(func.lower(m.Staff.code) == key).order_by(m.Staff.created_at)))
    exact = [r for r in rows if r.code == str(code or "").strip()]
    found: m.Staff | None = (exact or rows or [None])[0]
    return found


@use_case("staff.add", permission="staff.manage", event="staff.added")
def add_staff(
    ctx: ServiceContext, actor: Actor, *, code: str, role: str, pin: str, name: str | None = None
) -> StaffDTO:
    if not _CODE_RE.match(code or ""):
        raise InvalidInput("staff.code_invalid", code=code)
    code = normalize_staff_code(code)
    if role not in roles.ROLES:
        raise InvalidInput("staff.role_invalid", role=role, allowed=", ".join(roles.ROLES))
    shown_name = clean_text(name, field="name", max_chars=MAX_NAME_LEN) or code
    check_pin_format(pin, pin_policy(ctx).min_length)
    pin_hash = hash_pin(pin)
    with ctx.uow() as uow:
        s = uow.session
        if _find_staff(s, code) is not None:
            raise Conflict("staff.code_taken", code=code)
        staff = m.Staff(
            id=ctx.new_id(),
            code=code,
            name=shown_name,
            role=role,
            pin_hash=pin_hash,
            active=True,
            created_at=ctx.now(),
        )
        s.add(staff)
        s.flush()
        audit(uow, ctx, actor, "staff.add", "staff", staff.id, code=code, role=role)
        emit(uow, ctx, "staff.added", {"staff_id": staff.id, "code": code, "role": role, "name": staff.name})
        uow.commit()
        return _dto(staff)


def _staff_or_refuse(uow: UnitOfWork, code: str) -> m.Staff:
    staff = _find_staff(uow.session, code)
    if staff is None:
        raise InvalidInput("staff.unknown", code=code)
    return staff


def _other_active_managers(uow: UnitOfWork, staff: m.Staff) -> int:
    return int(uow.session.scalar(
        select(func.count()).select_from(m.Staff).where(
            m.Staff.role == roles.MANAGER, m.Staff.active.is_(True), m.Staff.id != staff.id)
    ) or 0)


def _keep_a_manager(uow: UnitOfWork, staff: m.Staff) -> None:
    """Refused when ``staff`` is the store's last active manager (the store would be left unmanaged)."""
    if staff.role == roles.MANAGER and staff.active and _other_active_managers(uow, staff) == 0:
        raise StateError("staff.last_manager", code=staff.code)


@use_case("staff.set_active", permission="staff.manage", event="staff.active_set")
def set_staff_active(ctx: ServiceContext, actor: Actor, code: str, active: bool) -> StaffDTO:
    """Disable or re-enable an account (manager). The last active manager cannot be disabled."""
    with ctx.uow() as uow:
        staff = _staff_or_refuse(uow, code)
        if not active:
            if staff.id == actor.staff_id:
                raise InvalidInput("staff.cannot_disable_self")
            _keep_a_manager(uow, staff)
        staff.active = active
        audit(uow, ctx, actor, "staff.enable" if active else "staff.disable", "staff", staff.id, code=staff.code)
        emit(uow, ctx, "staff.active_set", {"staff_id": staff.id, "code": staff.code, "active": active,
                                            "staff": actor.code})
        uow.commit()
        return _dto(staff)


@use_case("staff.change_role", permission="staff.manage", event="staff.role_changed")
def change_role(ctx: ServiceContext, actor: Actor, code: str, role: str) -> StaffDTO:
    """Change an account's role (manager). The last active manager cannot be demoted."""
    if role not in roles.ROLES:
        raise InvalidInput("staff.role_invalid", role=role, allowed=", ".join(roles.ROLES))
    with ctx.uow() as uow:
        staff = _staff_or_refuse(uow, code)
        if role != roles.MANAGER:
            _keep_a_manager(uow, staff)
        before = staff.role
        staff.role = role
        audit(uow, ctx, actor, "staff.role", "staff", staff.id, code=staff.code, before=before, after=role)
        emit(uow, ctx, "staff.role_changed", {"staff_id": staff.id, "code": staff.code, "before": before,
                                              "role": role, "staff": actor.code})
        uow.commit()
        return _dto(staff)


def _is_demo_pin(uow: UnitOfWork, staff: m.Staff, pin: str) -> bool:
    from pos_app.services import demo  # noqa: PLC0415 - demo imports this module

    demo_pins = {c: p for c, _r, p, _n in demo.DEMO_STAFF}
    return demo_pins.get(staff.code) == normalize_pin(pin) and not _is_demo_store(uow)


def _is_demo_store(uow: UnitOfWork) -> bool:
    from pos_app.services import demo  # noqa: PLC0415

    try:
        st = settings(uow)
    except NotFound:
        return False
    return st.store_code == demo.DEMO_STORE_CODE and st.name == demo.DEMO_STORE_NAME


def _set_pin(uow: UnitOfWork, staff: m.Staff, new_pin: str) -> None:
    check_pin_format(new_pin, _policy(uow).min_length)
    if _is_demo_pin(uow, staff, new_pin):
        raise InvalidInput("staff.pin_is_demo")
    staff.pin_hash = hash_pin(new_pin)
    staff.failed_attempts = 0
    staff.locked_until = None


@use_case("staff.reset_pin", permission=None, event="staff.pin_reset",
          permission_note="one's own PIN (any role) or another's (staff.manage): decided from the account")
def reset_pin(ctx: ServiceContext, actor: Actor, code: str, new_pin: str) -> StaffDTO:
    """Set another account's PIN (manager), or one's own (any role). Clears a lock."""
    if normalize_staff_code(code) != normalize_staff_code(actor.code):
        require(actor, "staff.manage")
    with ctx.uow() as uow:
        staff = _staff_or_refuse(uow, code)
        if staff.id != actor.staff_id:
            require(actor, "staff.manage")
        _set_pin(uow, staff, new_pin)
        audit(uow, ctx, actor, "staff.reset_pin", "staff", staff.id, code=staff.code)
        emit(uow, ctx, "staff.pin_reset", {"staff_id": staff.id, "code": staff.code, "staff": actor.code})
        uow.commit()
        return _dto(staff)


@use_case("staff.unlock", permission="staff.manage", event="staff.unlocked")
def unlock(ctx: ServiceContext, actor: Actor, code: str) -> StaffDTO:
    """Lift a PIN lock and clear the wrong-attempt count (manager)."""
    with ctx.uow() as uow:
        staff = _staff_or_refuse(uow, code)
        was = staff.locked_until
        staff.locked_until = None
        staff.failed_attempts = 0
        audit(uow, ctx, actor, "staff.unlock", "staff", staff.id, code=staff.code,
              was_locked_until=was.isoformat() if was is not None else None)
        emit(uow, ctx, "staff.unlocked", {"staff_id": staff.id, "code": staff.code, "staff": actor.code})
        uow.commit()
        return _dto(staff)


def demo_pin_in_use(ctx: ServiceContext, actor: Actor) -> bool:
    """True when ``actor`` is a demo account (admin, c01, s01) still on its published demo PIN on a store
    that is not the demo store: the app then asks for a new PIN after login."""
    from pos_app.services import demo  # noqa: PLC0415

    demo_pins = {c: p for c, _r, p, _n in demo.DEMO_STAFF}
    with ctx.uow(read_only=True) as uow:
        staff = uow.session.get(m.Staff, actor.staff_id)
        if staff is None or staff.code not in demo_pins or _is_demo_store(uow):
            return False
        hashed, demo_pin = staff.pin_hash, demo_pins[staff.code]
    try:
        return bool(_HASHER.verify(hashed, demo_pin))
    except (VerificationError, InvalidHashError):
        return False


def list_staff(ctx: ServiceContext, actor: Actor) -> list[StaffDTO]:
    require(actor, "staff.manage")
    with ctx.uow(read_only=True) as uow:
        return [_dto(s) for s in uow.session.scalars(select(m.Staff).order_by(m.Staff.code))]


def staff_rows(ctx: ServiceContext, actor: Actor) -> list[StaffRow]:
    """Every account with its last login and the end of its lock (None when not locked), by code."""
    require(actor, "staff.manage")
    now = ctx.now()
    with ctx.uow(read_only=True) as uow:
        return [_row(s, now) for s in uow.session.scalars(select(m.Staff).order_by(m.Staff.code))]
