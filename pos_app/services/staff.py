"""Store set-up, staff accounts and login. PINs are hashed with argon2."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.domain import roles
from pos_app.domain.errors import AuthenticationFailed, Conflict, InvalidInput
from pos_app.domain.members import MAX_NAME_LEN
from pos_app.domain.text import clean_text
from pos_app.services.common import audit, emit, require
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import StaffDTO

# Interactive-login cost: ~20 ms on the counter PC, still memory-hard.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
_PIN_RE = re.compile(r"^[0-9]{4,8}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{2,32}$")


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


def check_pin_format(pin: str) -> None:
    if not _PIN_RE.match(normalize_pin(pin)):
        raise InvalidInput("staff.pin_invalid")


def _dto(s: m.Staff) -> StaffDTO:
    return StaffDTO(s.id, s.code, s.name, s.role, s.active)


def is_initialised(ctx: ServiceContext) -> bool:
    with ctx.uow(read_only=True) as uow:
        return uow.session.get(m.StoreInfo, 1) is not None


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
        uow.commit()
        return created


def update_settings(ctx: ServiceContext, actor: Actor, **changes: Any) -> dict[str, Any]:
    require(actor, "system.admin")
    with ctx.uow() as uow:
        info = uow.session.get(m.StoreInfo, 1)
        assert info is not None
        raw = json.loads(info.settings_json or "{}")
        if "store_name" in changes:
            info.name = str(changes.pop("store_name"))
        raw.update(changes)
        info.settings_json = json.dumps(raw, ensure_ascii=False)
        audit(uow, ctx, actor, "settings.update", "store", str(info.store_code), **changes)
        uow.commit()
        return dict(raw)


def login(ctx: ServiceContext, code: str, pin: str) -> Actor:
    """Check a staff code and PIN. The same message for an unknown code and a wrong PIN."""
    with ctx.uow(read_only=True) as uow:
        staff = _find_staff(uow.session, code)
        hashed = staff.pin_hash if staff is not None and staff.active else _dummy_hash()
        typed = normalize_pin(pin)
        try:
            _HASHER.verify(hashed, typed)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("auth.failed") from None
        if staff is None or not staff.active:
            raise AuthenticationFailed("auth.failed")
        return Actor(staff.id, staff.code, staff.name, staff.role)


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


def add_staff(
    ctx: ServiceContext, actor: Actor, *, code: str, role: str, pin: str, name: str | None = None
) -> StaffDTO:
    require(actor, "staff.manage")
    if not _CODE_RE.match(code or ""):
        raise InvalidInput("staff.code_invalid", code=code)
    code = normalize_staff_code(code)
    if role not in roles.ROLES:
        raise InvalidInput("staff.role_invalid", role=role, allowed=", ".join(roles.ROLES))
    shown_name = clean_text(name, field="name", max_chars=MAX_NAME_LEN) or code
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


def set_staff_active(ctx: ServiceContext, actor: Actor, code: str, active: bool) -> StaffDTO:
    require(actor, "staff.manage")
    with ctx.uow() as uow:
        staff = _find_staff(uow.session, code)
        if staff is None:
            raise InvalidInput("staff.unknown", code=code)
        if staff.id == actor.staff_id and not active:
            raise InvalidInput("staff.cannot_disable_self")
        staff.active = active
        audit(uow, ctx, actor, "staff.active" if active else "staff.disable", "staff", staff.id, code=code)
        uow.commit()
        return _dto(staff)


def list_staff(ctx: ServiceContext, actor: Actor) -> list[StaffDTO]:
    require(actor, "staff.manage")
    with ctx.uow(read_only=True) as uow:
        return [_dto(s) for s in uow.session.scalars(select(m.Staff).order_by(m.Staff.code))]
