"""Members: register (with an invite code), look up by phone or code, search as you type."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pos_app.db import models as m
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import members as rules
from pos_app.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from pos_app.domain.ids import RandBits
from pos_app.domain.levels import check_birthday
from pos_app.domain.points import PointsLot, available_points, expiring_soon, pending_points
from pos_app.services.common import (
    audit,
    check_request_id,
    emit,
    local_date,
    remember,
    replayed,
    require,
    settings,
)
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import MemberDTO, MemberSummary
from pos_app.services.usecase import use_case

SEARCH_LIMIT = 50


def _summary(mm: m.Member) -> MemberSummary:
    return MemberSummary(
        member_id=mm.id,
        phone=mm.phone,
        name=mm.name,
        member_code=mm.member_code,
        principal_fen=mm.principal_fen,
        bonus_fen=mm.bonus_fen,
        balance_fen=mm.principal_fen + mm.bonus_fen,
        points=mm.points_balance,
    )


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class MemberFields(Protocol):
    """What the member view reads of a member: its ORM row (a use case that changed it) or the view row a
    read-only look-up fetched (``repo.members.view_row``)."""

    @property
    def id(self) -> str: ...
    @property
    def member_code(self) -> str: ...
    @property
    def invite_code(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def level(self) -> str | None: ...
    @property
    def principal_fen(self) -> int: ...
    @property
    def bonus_fen(self) -> int: ...
    @property
    def member_price_until(self) -> date | None: ...
    @property
    def inviter_id(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def birthday(self) -> date | None: ...


def member_dto(uow: UnitOfWork, ctx: ServiceContext, mm: MemberFields) -> MemberDTO:
    """The full member view. Plain reads (two small statements) so a look-up at the counter stays fast."""
    st = settings(uow)
    today = local_date(ctx, st)
    conn = uow.connection
    lots = [
        PointsLot(lot_id, _as_date(earned_at), _as_date(expires_on), remaining,
                  _as_date(available_on) if available_on is not None else None)
        for lot_id, earned_at, expires_on, remaining, available_on in repo.members.live_lots(conn, mm.id)
    ]
    inviter_phone, invites, owed_gifts, owed_coupons = repo.members.view_counts(conn, mm.id, mm.inviter_id)
    unused_coupons = _count_unused_coupons(uow, ctx, mm.id, today) + int(owed_coupons or 0)
    return MemberDTO(
        member_id=mm.id,
        member_code=mm.member_code,
        invite_code=mm.invite_code,
        phone=mm.phone,
        name=mm.name,
        level=mm.level,
        principal_fen=mm.principal_fen,
        bonus_fen=mm.bonus_fen,
        balance_fen=mm.principal_fen + mm.bonus_fen,
        points=available_points(lots, today),
        points_expiring_soon=expiring_soon(lots, today, 30),
        member_price_until=mm.member_price_until,
        member_price_active=bool(mm.member_price_until and mm.member_price_until >= today),
        inviter_id=mm.inviter_id,
        inviter_phone=inviter_phone,
        invites_made=int(invites or 0),
        owed_gifts=int(owed_gifts or 0),
        unused_coupons=unused_coupons,
        created_at=mm.created_at,
        points_pending=pending_points(lots, today),
        birthday=mm.birthday,
    )


def _count_unused_coupons(uow: UnitOfWork, ctx: ServiceContext, member_id: str, today: date) -> int:
    """Issued coupons not yet used and still valid on the store's ``today`` (the services' clock, never the
    machine's calendar). The coupon module answers (a required handler of the registry)."""
    return int(ctx.registry.count_unused_coupons(uow, member_id, today))


def _unique_code(uow: UnitOfWork, ctx: ServiceContext, column: Any, make: Callable[[RandBits], str]) -> str:
    for _ in range(20):
        code = make(ctx.randbits)
        if uow.session.scalar(select(m.Member.id).where(column == code)) is None:
            return code
    raise Conflict("member.code_exhausted")


@use_case("member.register", permission="member.register", event="member.registered", idempotent=True)
def register_member(
    ctx: ServiceContext,
    actor: Actor,
    *,
    phone: str,
    name: str | None = None,
    invite_code: str | None = None,
    level: str | None = None,
    birthday: date | None = None,
    request_id: str | None = None,
) -> MemberDTO:
    """A new member: phone, optional name, invite code, level and birthday (a level's birthday gift: a
    real past date, not before 1900, in the store's calendar)."""
    phone_n = rules.normalize_phone(phone)
    name_n = rules.normalize_name(name)
    code_n = rules.normalize_invite_code(invite_code) if invite_code and invite_code.strip() else None
    request_id = check_request_id(request_id, ctx)
    params = {"phone": phone_n, "name": name_n, "invite_code": code_n, "level": level,
              "birthday": birthday.isoformat() if birthday else None}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "member.register", params)
        if done:
            mm = s.get(m.Member, done)
            assert mm is not None
            return member_dto(uow, ctx, mm)
        inviter = None
        if code_n:
            inviter = s.scalar(select(m.Member).where(m.Member.invite_code == code_n))
            if inviter is None:
                raise InvalidInput("member.invite_code_unknown", code=code_n)
            rules.check_inviter(inviter.phone, phone_n)  # before "phone taken": the clearer reason
        if s.scalar(select(m.Member.id).where(m.Member.phone == phone_n)) is not None:
            raise Conflict("member.phone_taken", phone=phone_n)
        st = settings(uow)
        if birthday is not None:
            check_birthday(birthday, local_date(ctx, st))
        from pos_app.services.campaigns import current_campaign  # noqa: PLC0415

        campaign = current_campaign(uow, ctx)
        mm = m.Member(
            id=ctx.new_id(),
            phone=phone_n,
            member_code=_unique_code(uow, ctx, m.Member.member_code, rules.new_member_code),
            invite_code=_unique_code(uow, ctx, m.Member.invite_code, rules.new_invite_code),
            name=name_n,
            level=level,
            birthday=birthday,
            inviter_id=inviter.id if inviter else None,
            store_code=st.store_code,
            campaign_code=campaign.code if campaign else None,
            principal_fen=0,
            bonus_fen=0,
            points_balance=0,
            wallet_seq=0,
            created_at=ctx.now(),
        )
        s.add(mm)
        try:
            s.flush()
        except IntegrityError:
            raise Conflict("member.phone_taken", phone=phone_n) from None
        _after_register(uow, ctx, actor, mm, inviter)
        remember(uow, ctx, request_id, "member.register", mm.id, params)
        audit(uow, ctx, actor, "member.register", "member", mm.id, phone=phone_n, inviter=inviter.id if inviter else None)
        emit(
            uow,
            ctx,
            "member.registered",
            {
                "member_id": mm.id,
                "phone": phone_n,
                "name": name_n,
                "member_code": mm.member_code,
                "invite_code": mm.invite_code,
                "inviter_id": mm.inviter_id,
                "store_code": st.store_code,
                "birthday": birthday.isoformat() if birthday else None,
                "request_id": request_id,
            },
        )
        dto = member_dto(uow, ctx, mm)
        uow.commit()
        return dto


def _after_register(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, inviter: m.Member | None) -> None:
    """Handlers of the referral module (new-member gift etc.), inside the same transaction."""
    for handler in ctx.registry.member_registered:
        handler(uow, ctx, actor, member, inviter)


def _find_one(uow: UnitOfWork, *, phone: str | None = None, code: str | None = None, member_id: str | None = None) -> m.Member:
    if member_id:
        mm = repo.members.get(uow.session, member_id=member_id)
        if mm is None:
            raise NotFound("member.unknown", query=member_id)
        return mm
    if phone:
        p = rules.normalize_phone(phone)
        mm = repo.members.get(uow.session, phone=p)
        if mm is None:
            raise NotFound("member.unknown", query=p)
        return mm
    if code:
        mc = rules.normalize_member_code(code)
        mm = repo.members.get(uow.session, member_code=mc)
        if mm is None:
            raise NotFound("member.unknown", query=mc)
        return mm
    raise InvalidInput("member.query_missing")


def _find_view(uow: UnitOfWork, *, phone: str | None = None, code: str | None = None,
               member_id: str | None = None) -> MemberFields:
    """As :func:`_find_one`, for a read: the member's view row (one Core statement on the read-only unit of
    work's connection: no session, no ORM object)."""
    conn = uow.connection
    if member_id:
        row = repo.members.view_row(conn, member_id=member_id)
        query = member_id
    elif phone:
        query = rules.normalize_phone(phone)
        row = repo.members.view_row(conn, phone=query)
    elif code:
        query = rules.normalize_member_code(code)
        row = repo.members.view_row(conn, member_code=query)
    else:
        raise InvalidInput("member.query_missing")
    if row is None:
        raise NotFound("member.unknown", query=query)
    return row  # a Row has the columns it selected as attributes


def load_member(uow: UnitOfWork, *, phone: str | None = None, code: str | None = None, member_id: str | None = None) -> m.Member:
    """For other services: the member ORM row inside their own unit of work."""
    return _find_one(uow, phone=phone, code=code, member_id=member_id)


def get_member(
    ctx: ServiceContext,
    actor: Actor,
    *,
    phone: str | None = None,
    code: str | None = None,
    member_id: str | None = None,
) -> MemberDTO:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        return member_dto(uow, ctx, _find_view(uow, phone=phone, code=code, member_id=member_id))


def resolve_scan(ctx: ServiceContext, actor: Actor, text: str) -> MemberDTO:
    """A scanned or typed string: a phone number or a member code."""
    require(actor, "member.read")
    raw = (text or "").strip()
    with ctx.uow(read_only=True) as uow:
        try:
            mm = _find_view(uow, phone=rules.normalize_phone(raw))
        except DomainError:
            try:
                mc = rules.normalize_member_code(raw)
            except InvalidInput:
                raise NotFound("member.unknown", query=raw) from None
            mm = _find_view(uow, code=mc)
        return member_dto(uow, ctx, mm)


def find_members(ctx: ServiceContext, actor: Actor, query: str, limit: int = SEARCH_LIMIT) -> list[MemberSummary]:
    """Search as you type: a phone prefix (index range scan), a member code prefix, or a name."""
    require(actor, "member.read")
    query = unicodedata.normalize("NFKC", query or "")
    q = query.strip().replace(" ", "").replace("-", "")
    limit = max(1, min(limit, 500))
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        if not q:
            stmt = select(m.Member).order_by(m.Member.created_at.desc()).limit(limit)
        elif q.isascii() and q.isdigit():
            upper = q[:-1] + chr(ord(q[-1]) + 1)
            stmt = (
                select(m.Member)
                .where(m.Member.phone >= q, m.Member.phone < upper)
                .order_by(m.Member.phone)
                .limit(limit)
            )
        elif q.upper().startswith(rules.MEMBER_CODE_PREFIX) and len(q) >= 3 and q[1:].isalnum():
            code = q.upper()
            upper = code[:-1] + chr(ord(code[-1]) + 1)
            stmt = (
                select(m.Member)
                .where(m.Member.member_code >= code, m.Member.member_code < upper)
                .order_by(m.Member.member_code)
                .limit(limit)
            )
        else:
            # a name part is literal text: % and _ are not wildcards (autoescape adds an ESCAPE clause)
            stmt = (
                select(m.Member)
                .where(m.Member.name.contains(query.strip(), autoescape=True))
                .order_by(m.Member.phone)
                .limit(limit)
            )
        return [_summary(mm) for mm in s.scalars(stmt)]


def list_members(ctx: ServiceContext, actor: Actor, limit: int = 200, offset: int = 0) -> list[MemberSummary]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        stmt = select(m.Member).order_by(m.Member.created_at.desc()).limit(limit).offset(offset)
        return [_summary(mm) for mm in uow.session.scalars(stmt)]


def count_members(ctx: ServiceContext, actor: Actor) -> int:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(m.Member)) or 0


