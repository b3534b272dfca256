"""Store side of sync (DESIGN.md "Sync", docs/sync-protocol.md): pair, one sync round, status, and the offline
limits at the counter.

A round pushes the outbox in seq order, in batches, and marks what central acknowledged (``acked_seq``: the
outbox is never deleted); then it pulls the change feed page by page, and applies each page in ONE local
transaction together with the new cursor (a crash mid-apply leaves the old cursor and nothing of the page, and
the page is served again). Network calls are never made inside a transaction: the database is held only for
the short writes between them.

Pulled changes land in the existing tables, so the counter's queries see them (``db/models_sync.py``): a member
registered elsewhere is found by phone; a wallet entry made elsewhere moves the member's balance here (a
recharge there becomes a lot a spend here can take from), keeping the balances-after its store recorded; a
coupon state from elsewhere blocks redeeming a coupon used elsewhere; central campaigns and gift catalogue
entries replace their central copies (a local one stays local); conflicts concerning this store are listed.

The counter shows the age of the oldest event central has not acknowledged, and warns once it is older than the
offline threshold below (``SyncStatus.oldest_pending_late``).

Offline limits (DOMAIN.md, store settings): once central has not been reached for ``offline_after_minutes``
(default 30), a spend is allowed only within the member's balance known here (the last one central gave, less
what this store spent since), ``offline_spend_cap_fen`` per transaction and ``offline_daily_cap_fen`` per
member and store day; a coupon issued by another store is redeemed only if its current state came from central
(``offline_foreign_coupons``: ``last_pull``, the default; ``refuse``; ``allow``). An unpaired store runs alone:
no limits."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import coupons as coupon_rules
from pos_app.domain import wallet as w
from pos_app.domain.campaign import campaign_from_dict
from pos_app.domain.errors import DomainError, InvalidInput, LimitExceeded, NotFound, StateError
from pos_app.domain.text import clean_text
from pos_app.domain.textparams import Count, Money
from pos_app.services.audit import note_move
from pos_app.services.common import audit, check_request_id, emit, remember, replayed, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result
from pos_app.services.registry import Feature, Registrar

# the store settings this module reads (settings_json keys): their defaults and checks live with the others
from pos_app.services.store_settings import (
    DEFAULT_OFFLINE_AFTER_MINUTES,
    DEFAULT_OFFLINE_DAILY_CAP_FEN,
    DEFAULT_OFFLINE_SPEND_CAP_FEN,
    FOREIGN_COUPON_POLICIES,
)
from pos_app.services.usecase import use_case
from pos_app.services.wallet import WalletLot, take_from_lots
from pos_app.sync import credentials, protocol
from pos_app.sync.client import CentralClient
from pos_app.sync.errors import NotPaired, SyncError

#: events per push (store setting ``sync_push_batch``, 1..PUSH_BATCH_MAX; the default is the most a push takes)
PUSH_BATCH = 1000
PUSH_BATCH_MAX = protocol.PUSH_MAX
#: changes per pulled page, each page one local transaction (store setting ``sync_pull_page``, 1..PULL_PAGE_MAX)
PULL_PAGE = 2000
PULL_PAGE_MAX = protocol.PULL_MAX

ClientFactory = Callable[[credentials.Credential], CentralClient]


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PairResult(Result):
    server_url: str
    device_id: str
    store_id: str
    store_code: str
    credential_file: str


@dataclass(frozen=True)
class RoundResult(Result):
    ok: bool
    pushed: int
    pulled: int
    conflicts: int
    rejected: int
    pending: int
    acked_seq: int
    cursor: str | None
    reset: bool
    server_time: str | None
    clock_skew_ms: int | None
    error: str | None = None
    error_key: str | None = None


@dataclass(frozen=True)
class SyncStatus:
    paired: bool
    server_url: str | None
    store_id: str | None
    online: bool
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_failure: str | None
    last_failure_key: str | None
    pending: int
    oldest_pending_at: datetime | None
    oldest_pending_age_s: int | None
    #: the oldest waiting event is older than the offline threshold (``offline_after_minutes``): the counter warns
    oldest_pending_late: bool
    #: that threshold, in minutes
    late_after_minutes: int
    acked_seq: int
    last_seq: int
    cursor: str | None
    clock_skew_ms: int | None
    reached_at: datetime | None


@dataclass(frozen=True)
class RoundLine:
    started_at: datetime
    finished_at: datetime
    ok: bool
    pushed: int
    pulled: int
    conflicts: int
    pending: int
    error: str | None


@dataclass(frozen=True)
class ConflictLine:
    id: str
    kind: str
    member_id: str | None
    coupon_code: str | None
    store_code: str | None
    amount_fen: int | None
    created_at: datetime | None
    resolved: bool
    detail: dict[str, Any]


# ----------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class OfflineLimits:
    after: timedelta
    spend_cap_fen: int
    daily_cap_fen: int
    foreign_coupons: str


def offline_limits(raw: Mapping[str, Any]) -> OfflineLimits:
    def whole(key: str, default: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput("sync.setting_invalid", setting=key, value=str(value))
        return value

    policy = str(raw.get("offline_foreign_coupons", "last_pull"))
    if policy not in FOREIGN_COUPON_POLICIES:
        raise InvalidInput("sync.setting_invalid", setting="offline_foreign_coupons", value=policy)
    return OfflineLimits(
        after=timedelta(minutes=whole("offline_after_minutes", DEFAULT_OFFLINE_AFTER_MINUTES)),
        spend_cap_fen=whole("offline_spend_cap_fen", DEFAULT_OFFLINE_SPEND_CAP_FEN),
        daily_cap_fen=whole("offline_daily_cap_fen", DEFAULT_OFFLINE_DAILY_CAP_FEN),
        foreign_coupons=policy,
    )


def round_sizes(raw: Mapping[str, Any]) -> tuple[int, int]:
    """(events per push, changes per pulled page) from the store settings."""
    out = []
    for key, default, top in (("sync_push_batch", PUSH_BATCH, PUSH_BATCH_MAX), ("sync_pull_page", PULL_PAGE, PULL_PAGE_MAX)):
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise InvalidInput("sync.setting_invalid", setting=key, value=str(value))
        out.append(value)
    return out[0], out[1]


def _offline_since(uow: UnitOfWork, ctx: ServiceContext, limits: OfflineLimits) -> datetime | None:
    """When central was last reached, if that is longer ago than the offline threshold (None: online, or not
    paired: a store that runs alone has no offline limits)."""
    link = repo.sync.link(uow.session)  # (server url, reached at, paired at)
    if link is None or not link[0]:
        return None
    reached = link[1] or link[2]
    if reached is not None and ctx.now() - reached <= limits.after:
        return None
    return reached or datetime.min.replace(tzinfo=UTC)


def check_offline_spend(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, amount_fen: int) -> None:
    """The registry's ``before_spend``: the offline limits (the refusal says which one applied)."""
    st = settings(uow)
    limits = offline_limits(st.raw)
    since = _offline_since(uow, ctx, limits)
    if since is None:
        return
    minutes = Count(int((ctx.now() - since).total_seconds() // 60)) if since.year > 1 else Count(0)
    known = member.principal_fen + member.bonus_fen
    if amount_fen > known:
        raise LimitExceeded("sync.offline_balance", amount=Money(amount_fen), balance=known, minutes=minutes)
    if amount_fen > limits.spend_cap_fen:
        raise LimitExceeded("sync.offline_tx_cap", amount=Money(amount_fen), cap=limits.spend_cap_fen, minutes=minutes)
    day_start = datetime.combine(ctx.now().astimezone(st.tz).date(), time.min, st.tz)
    spent = repo.sync.spent_here_since(uow.session, member.id, max(day_start, since))
    if spent + amount_fen > limits.daily_cap_fen:
        raise LimitExceeded("sync.offline_day_cap", amount=Money(amount_fen), cap=limits.daily_cap_fen,
                            room=max(0, limits.daily_cap_fen - spent), minutes=minutes)


def check_offline_coupon(uow: UnitOfWork, ctx: ServiceContext, coupon: mc.Coupon) -> None:
    """The registry's ``before_redeem``: offline, a coupon of another store needs its state from central."""
    st = settings(uow)
    if coupon.store_code == st.store_code:
        return
    limits = offline_limits(st.raw)
    if limits.foreign_coupons == "allow" or _offline_since(uow, ctx, limits) is None:
        return
    code = coupon_rules.group(coupon.code)
    if limits.foreign_coupons == "refuse":
        raise StateError("sync.offline_foreign_coupon", code=code, store=coupon.store_code)
    if coupon.pulled_at is None:
        raise StateError("sync.offline_coupon_unknown", code=code, store=coupon.store_code)


def register(reg: Registrar) -> None:
    reg.before_spend.append(check_offline_spend)
    reg.before_redeem.append(check_offline_coupon)


FEATURE = Feature("sync", register)


# ----------------------------------------------------------------------------- pairing
def _default_client(cred: credentials.Credential) -> CentralClient:
    return CentralClient(cred.server_url, device_id=cred.device_id, secret=cred.secret)


def _store_identity(ctx: ServiceContext) -> tuple[str, str, str]:
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        return st.device_id, st.store_code, st.name


@use_case("sync.pair", permission="sync.pair", event="sync.paired")
def pair(
    ctx: ServiceContext, actor: Actor, *, server_url: str, code: str, device_name: str | None = None,
    client: CentralClient | None = None,
) -> PairResult:
    """Pair this device once with central using a one-time code; the credential goes to the user config dir
    (mode 0600), the server and store to the sync state. Pairing again (a new code) replaces both; a new server
    starts the change feed from the beginning."""
    url = (server_url or "").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("sync.server_url_invalid", url=server_url)
    code = (code or "").strip()
    if not code:
        raise InvalidInput("sync.code_missing")
    device_id, store_code, store_name = _store_identity(ctx)
    own = client is None
    c = client or CentralClient(url)
    try:
        got = c.pair(code, device_id=device_id, store_code=store_code, device_name=device_name or store_name)
    finally:
        if own:
            c.close()
    cred = credentials.Credential(server_url=url, device_id=str(got.get("device_id") or device_id),
                                  store_id=str(got.get("store_id") or ""),
                                  store_code=str(got.get("store_code") or store_code), secret=str(got["secret"]))
    path = credentials.save(cred)
    with ctx.uow() as uow:
        state = repo.sync.state_for_update(uow.session)
        if state.server_url != url:
            state.cursor = None
            state.epoch = None
        state.server_url = url
        state.store_id = cred.store_id
        state.paired_at = ctx.now()
        state.reached_at = ctx.now()
        state.last_failure_at = None
        state.last_failure_reason = None
        state.last_failure_params = None
        audit(uow, ctx, actor, "sync.pair", "sync", cred.store_id, server_url=url, device_id=cred.device_id)
        emit(uow, ctx, "sync.paired", {"server_url": url, "store_id": cred.store_id, "device_id": cred.device_id,
                                       "staff": actor.code})
        uow.commit()
    return PairResult(url, cred.device_id, cred.store_id, cred.store_code, str(path))


# ----------------------------------------------------------------------------- one round
def _event_wire(row: m.Outbox) -> dict[str, Any]:
    at = row.occurred_at.astimezone(UTC)
    return {
        "event_id": row.event_id, "device_id": row.device_id, "seq": row.seq, "type": row.type,
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        "payload_json": row.payload_json, "payload_hash": row.payload_hash,
    }


def _iso(ms_value: int | None) -> str | None:
    if ms_value is None:
        return None
    at = datetime.fromtimestamp(ms_value / 1000, UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _acked(ctx: ServiceContext) -> tuple[int, str | None]:
    with ctx.uow(read_only=True) as uow:
        state = repo.sync.state(uow.session)
        return (state.acked_seq, state.cursor) if state else (0, None)


def _batch(ctx: ServiceContext, after: int, limit: int) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        return [_event_wire(r) for r in repo.sync.queued(uow.session, after, limit)]


def run_round(
    ctx: ServiceContext, *, client_factory: ClientFactory | None = None, push_batch: int | None = None,
    pull_page: int | None = None,
) -> RoundResult:
    """One sync round, headless: push everything queued, then pull until the feed has no more. Recorded in the
    sync state and the round log whether it succeeds or fails; a failure raises its SyncError after that.
    Batch and page sizes: the arguments, else the store settings (:func:`round_sizes`)."""
    device_id, _, _ = _store_identity(ctx)
    cred = credentials.load(device_id)
    with ctx.uow(read_only=True) as uow:
        state = repo.sync.state(uow.session)
        paired_url = state.server_url if state else None
        set_batch, set_page = round_sizes(settings(uow).raw)
    push_batch = push_batch or set_batch
    pull_page = pull_page or set_page
    if cred is None or not paired_url:
        raise NotPaired()
    started = ctx.now()
    client = (client_factory or _default_client)(cred)
    counts = {"pushed": 0, "pulled": 0, "conflicts": 0, "rejected": 0}
    reset = False
    try:
        acked, _ = _acked(ctx)
        while True:
            events = _batch(ctx, acked, push_batch)
            if not events:
                break
            got = client.push(events)
            for res in got.get("results", []):
                status = res.get("status")
                if status in (protocol.ACCEPTED, protocol.EXISTS):
                    counts["pushed"] += 1
                elif status == protocol.CONFLICT:
                    counts["conflicts"] += 1
                else:
                    counts["rejected"] += 1
            new_acked = int(got.get("acked_seq") or 0)
            record_push(ctx, acked_seq=new_acked, skew_ms=client.skew_ms)
            if new_acked <= acked:
                break  # central holds back (a rejected event): the rest waits for the next round, nothing lost
            acked = new_acked
        _, cursor = _acked(ctx)
        while True:
            page = client.pull(cursor, pull_page)
            applied = apply_page(ctx, page)
            counts["pulled"] += applied.pulled
            counts["conflicts"] += applied.conflicts
            reset = reset or applied.reset
            cursor = applied.cursor
            if not page.get("more"):
                break
    except SyncError as exc:
        record_round(ctx, started=started, ok=False, counts=counts, skew_ms=client.skew_ms, error=exc)
        raise
    finally:
        client.close()
    recorded = record_round(ctx, started=started, ok=True, counts=counts, skew_ms=client.skew_ms)
    pending, acked_seq = recorded.pending, recorded.acked_seq
    return RoundResult(
        ok=True, pushed=counts["pushed"], pulled=counts["pulled"], conflicts=counts["conflicts"],
        rejected=counts["rejected"], pending=pending, acked_seq=acked_seq, cursor=cursor, reset=reset,
        server_time=_iso(client.server_time_ms), clock_skew_ms=client.skew_ms,
    )


@use_case("sync.push_acked", permission=None, event=None, audited=False,
          permission_note="system: the sync round records how far central acknowledged the outbox")
def record_push(ctx: ServiceContext, *, acked_seq: int, skew_ms: int | None) -> None:
    with ctx.uow() as uow:
        state = repo.sync.state_for_update(uow.session)
        last = repo.outbox.last_seq(uow.session)
        state.acked_seq = max(state.acked_seq, min(acked_seq, last))
        state.reached_at = ctx.now()
        state.clock_skew_ms = skew_ms
        uow.commit()


@dataclass(frozen=True)
class Recorded(Result):
    pending: int
    acked_seq: int


@use_case("sync.round", permission=None, event=None, audited=False,
          permission_note="system: the sync round's outcome and its line in the round log")
def record_round(
    ctx: ServiceContext, *, started: datetime, ok: bool, counts: Mapping[str, int], skew_ms: int | None,
    error: DomainError | None = None,
) -> Recorded:
    now = ctx.now()
    with ctx.uow() as uow:
        s = uow.session
        state = repo.sync.state_for_update(s)
        pending, _, _ = repo.sync.pending(s, state.acked_seq)
        params = None if error is None else json.dumps({k: _jsonable(v) for k, v in error.params.items()},
                                                       ensure_ascii=False, default=str)
        if ok:
            state.last_success_at = now
            state.reached_at = now
        else:
            assert error is not None
            state.last_failure_at = now
            state.last_failure_reason = error.key
            state.last_failure_params = params
            if error.key not in ("sync.offline", "sync.server_error"):
                state.reached_at = now  # central answered (e.g. revoked, clock far off)
        if skew_ms is not None:
            state.clock_skew_ms = skew_ms
        repo.sync.add_round(s, dict(
            started_at=started, finished_at=now, ok=ok, pushed=counts.get("pushed", 0), pulled=counts.get("pulled", 0),
            conflicts=counts.get("conflicts", 0), pending=pending, error=None if error is None else error.key,
            error_params=params,
        ))
        acked = state.acked_seq
        uow.commit()
    return Recorded(pending=pending, acked_seq=acked)


def _jsonable(v: Any) -> Any:
    return v if isinstance(v, int | str | float | bool) or v is None else str(v)


# ----------------------------------------------------------------------------- applying a pulled page
@dataclass(frozen=True)
class Applied(Result):
    pulled: int
    conflicts: int
    skipped: int
    cursor: str | None
    reset: bool


@use_case("sync.apply", permission=None, event=None, audited=False,
          permission_note="system: a pulled page of central's changes, applied with its cursor in one transaction")
def apply_page(ctx: ServiceContext, page: Mapping[str, Any]) -> Applied:
    """Apply one pulled page and store its cursor, in ONE transaction: all of it with the new cursor, or
    nothing and the old cursor (the page is served again)."""
    changes = list(page.get("changes") or [])
    next_cursor = str(page.get("next_cursor") or "") or None
    parsed = protocol.Cursor.parse(next_cursor)
    epoch = str(page.get("epoch") or (parsed.epoch if parsed else "")) or None
    with ctx.uow() as uow:
        s = uow.session
        state = repo.sync.state_for_update(s)
        reset = bool(page.get("reset")) or (state.epoch is not None and epoch is not None and epoch != state.epoch)
        own = settings(uow).store_code
        applier = _Applier(uow, ctx, own)
        applier.prepare(changes)
        conflicts = skipped = 0
        for ch in changes:
            done = applier.apply(ch)
            if done == "conflict":
                conflicts += 1
            elif done == "skipped":
                skipped += 1
        applier.finish()
        if next_cursor is not None:
            state.cursor = next_cursor
        if epoch is not None:
            state.epoch = epoch
        now = ctx.now()
        state.last_pull_at = now
        state.reached_at = now
        cursor = state.cursor
        uow.commit()
    return Applied(pulled=len(changes), conflicts=conflicts, skipped=skipped, cursor=cursor, reset=reset)


def _int(v: Any, default: int = 0) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _at(v: Any, default: datetime) -> datetime:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, str) and v:
        try:
            got = datetime.fromisoformat(v.replace("Z", "+00:00"))
            return got if got.tzinfo else got.replace(tzinfo=UTC)
        except ValueError:
            return default
    return default


def _day(v: Any) -> date | None:
    if isinstance(v, str) and v:
        try:
            return date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


class _Applier:
    """Applies pulled changes inside the page's unit of work (one method per change kind).

    :meth:`prepare` reads up front, a few statements per page, what the page's changes will look up (the members
    they name, which wallet entries, recharge ids, receipt numbers, phones and codes are taken here, the coupons
    and the members' live lots); the lookups then answer from that and from what the page itself added. New
    members and lots go into the session (flushed once), wallet entries into one multi-row INSERT at the end
    (:meth:`finish`)."""

    def __init__(self, uow: UnitOfWork, ctx: ServiceContext, own_store: str) -> None:
        self.uow = uow
        self.s = uow.session
        self.ctx = ctx
        self.own = own_store
        self.now = ctx.now()
        self._staff: str | None = None
        self._members: dict[str, m.Member | None] = {}
        self._refs: set[str] = set()
        self._refs_checked: set[str] = set()
        self._recharges: set[str] = set()
        self._recharges_checked: set[str] = set()
        self._receipts: set[str] = set()
        self._receipts_checked: set[str] = set()
        self._taken: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        self._taken_checked: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        self._coupons: dict[str, mc.Coupon | None] = {}
        self._lots: dict[str, list[m.Recharge]] = {}
        self._entries: list[dict[str, Any]] = []

    def prepare(self, changes: Sequence[Mapping[str, Any]]) -> None:
        ids: set[str] = set()
        wallet_ids: set[str] = set()
        refs: set[str] = set()
        recharges: set[str] = set()
        receipts: set[str] = set()
        keys: tuple[set[str], set[str], set[str]] = (set(), set(), set())
        codes: set[str] = set()
        for ch in changes:
            data = ch.get("data")
            if not isinstance(data, Mapping):
                continue
            kind, key = ch.get("kind"), str(ch.get("key") or "")
            if kind == protocol.CHANGE_MEMBER:
                ids.add(str(data.get("member_id") or data.get("id") or key))
                for got, name in zip(keys, ("phone", "member_code", "invite_code"), strict=True):
                    got.add(str(data.get(name) or ""))
                if data.get("inviter_id"):
                    ids.add(str(data["inviter_id"]))
            elif kind == protocol.CHANGE_WALLET:
                ref = str(data.get("entry_id") or key)
                refs.add(ref)
                wallet_ids.add(str(data.get("member_id") or ""))
                recharges.add(str(data.get("recharge_id") or ref))
                if data.get("receipt_no"):
                    receipts.add(str(data["receipt_no"]))
            elif kind == protocol.CHANGE_COUPON:
                codes.add(str(data.get("code") or key))
                if data.get("member_id"):
                    ids.add(str(data["member_id"]))
        self._load_members(ids | wallet_ids)
        self._load_taken(keys)
        self._refs |= repo.sync.applied_refs(self.s, list(refs))
        self._refs_checked |= refs
        self._recharges |= repo.sync.existing_recharges(self.s, list(recharges))
        self._recharges_checked |= recharges
        self._receipts |= repo.sync.taken_receipts(self.s, list(receipts))
        self._receipts_checked |= receipts
        parsed = set()
        for code in codes:
            try:
                parsed.add(coupon_rules.parse_code(code))
            except DomainError:
                continue
        found = repo.sync.coupons_by_code(self.s, list(parsed))
        self._coupons.update({c: found.get(c) for c in parsed})
        known = [i for i in wallet_ids if self._members.get(i) is not None]
        self._lots.update({i: [] for i in wallet_ids})  # a member not stored here yet has no lot here yet
        self._lots.update(repo.sync.live_lots(self.s, known))

    def finish(self) -> None:
        repo.sync.add_wallet_entries(self.s, self._entries)
        self._entries = []

    # -------------------------------------------------------------- lookups (prepared, else read now)
    def _load_members(self, ids: set[str]) -> None:
        todo = [i for i in ids if i and i not in self._members]
        found = repo.sync.members_by_id(self.s, todo)
        self._members.update({i: found.get(i) for i in todo})

    def _load_taken(self, keys: tuple[set[str], set[str], set[str]]) -> None:
        todo = tuple(sorted(k - c) for k, c in zip(keys, self._taken_checked, strict=True))
        found = repo.sync.taken_member_keys(self.s, *todo)
        for got, checked, new, part in zip(self._taken, self._taken_checked, found, todo, strict=True):
            got |= new
            checked.update(part)

    def _member(self, member_id: str) -> m.Member | None:
        if member_id not in self._members:
            self._load_members({member_id})
        return self._members.get(member_id)

    def _entry_applied(self, ref: str) -> bool:
        if ref not in self._refs_checked:
            self._refs |= repo.sync.applied_refs(self.s, [ref])
            self._refs_checked.add(ref)
        return ref in self._refs

    def _recharge_exists(self, recharge_id: str) -> bool:
        if recharge_id not in self._recharges_checked:
            self._recharges |= repo.sync.existing_recharges(self.s, [recharge_id])
            self._recharges_checked.add(recharge_id)
        return recharge_id in self._recharges

    def _receipt_taken(self, receipt_no: str) -> bool:
        if receipt_no not in self._receipts_checked:
            self._receipts |= repo.sync.taken_receipts(self.s, [receipt_no])
            self._receipts_checked.add(receipt_no)
        return receipt_no in self._receipts

    def _clash(self, phone: str, member_code: str, invite_code: str) -> bool:
        self._load_taken(({phone}, {member_code}, {invite_code}))
        return phone in self._taken[0] or member_code in self._taken[1] or invite_code in self._taken[2]

    def _coupon(self, code: str) -> mc.Coupon | None:
        if code not in self._coupons:
            self._coupons[code] = repo.sync.coupon_by_code(self.s, code)
        return self._coupons[code]

    def _live_lots(self, member_id: str) -> list[m.Recharge]:
        if member_id not in self._lots:
            self._lots.update(repo.sync.live_lots(self.s, [member_id]))
        lots = [r for r in self._lots[member_id]
                if r.state == "active" and (r.principal_left_fen > 0 or r.bonus_left_fen > 0)]
        lots.sort(key=lambda r: (r.created_at, r.id))
        return lots

    def apply(self, ch: Mapping[str, Any]) -> str:
        kind = ch.get("kind")
        data = ch.get("data") or {}
        key = str(ch.get("key") or "")
        if not isinstance(data, Mapping):
            return "skipped"
        handler = {
            protocol.CHANGE_CAMPAIGN: self.campaign, protocol.CHANGE_GIFT: self.gift,
            protocol.CHANGE_MEMBER: self.member, protocol.CHANGE_WALLET: self.wallet_entry,
            protocol.CHANGE_COUPON: self.coupon_state, protocol.CHANGE_CONFLICT: self.conflict,
        }.get(str(kind))
        if handler is None:
            return "skipped"  # a kind this version does not know: nothing to store for it
        store = str(ch.get("store_code") or data.get("store_code") or "") or None
        return handler(key, data, store)

    def staff_id(self) -> str:
        """The account pulled rows are written under (created once, disabled: it never logs in)."""
        if self._staff is None:
            self._staff = repo.sync.central_staff_id(self.s)
            if self._staff is None:
                from pos_app.services.staff import hash_pin  # noqa: PLC0415

                self._staff = self.ctx.new_id()
                repo.sync.add_staff(self.s, dict(
                    id=self._staff, code=repo.sync.CENTRAL_STAFF_CODE, name="central", role="staff",
                    pin_hash=hash_pin(f"{secrets.randbelow(10**8):08d}"), active=False, created_at=self.now, failed_attempts=0,
                ))
        return self._staff

    # -------------------------------------------------------------- campaigns, gifts
    def campaign(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        rules = dict(data.get("rules") or data)
        try:
            c = campaign_from_dict(rules)
            for validate in self.ctx.registry.campaign_validate:
                validate(rules)
        except DomainError:
            return "skipped"  # central published what this version cannot run: the rest of the page goes on
        row = repo.sync.campaign_by_code(self.s, c.code)
        if row is not None and row.source != "central":
            return "skipped"  # a campaign made here stays local
        rules_json = json.dumps(rules, default=str, ensure_ascii=False, sort_keys=True)
        if row is None:
            repo.sync.add_campaign(self.s, dict(
                id=self.ctx.new_id(), code=c.code, name=c.name, starts_on=c.starts_on, ends_on=c.ends_on,
                rules_json=rules_json, source="central", version=_int(data.get("version"), 1), loaded_at=self.now))
        elif row.rules_json != rules_json:
            row.name, row.starts_on, row.ends_on, row.rules_json = c.name, c.starts_on, c.ends_on, rules_json
            row.version += 1
            row.loaded_at = self.now
        system = Actor(staff_id=self.staff_id(), code=repo.sync.CENTRAL_STAFF_CODE, name="central", role="manager")
        for loaded in self.ctx.registry.campaign_loaded:  # its coupon templates
            loaded(self.uow, self.ctx, system, rules)
        return "applied"

    def gift(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        sku = str(data.get("sku") or key)
        name = str(data.get("name") or sku)
        row = repo.sync.gift_by_sku(self.s, sku)
        if row is not None and row.source != "central":
            return "skipped"  # the store's own catalogue entry stays
        value = _int(data.get("unit_value_fen"))
        if row is None:
            repo.sync.add_gift(self.s, dict(
                id=self.ctx.new_id(), sku=sku, name=name, unit_value_fen=value, threshold=_int(data.get("threshold")),
                active=bool(data.get("active", True)), barcode=None, on_hand=0, movement_seq=0,
                created_at=self.now, updated_at=self.now, source="central"))
        else:
            row.name, row.unit_value_fen, row.active = name, value, bool(data.get("active", True))
            row.updated_at = self.now
        return "applied"

    # -------------------------------------------------------------- members
    def member(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        member_id = str(data.get("member_id") or data.get("id") or key)
        if store == self.own:
            return "skipped"
        found = self._member(member_id)
        if found is not None:
            if data.get("name") is not None:
                found.name = str(data["name"])
            if data.get("level") is not None:
                found.level = str(data["level"])
            return "applied"
        phone = str(data.get("phone") or "")
        member_code = str(data.get("member_code") or "")
        invite_code = str(data.get("invite_code") or "")
        if not phone or not member_code or not invite_code:
            return "skipped"
        if self._clash(phone, member_code, invite_code):
            return "skipped"  # the same phone registered here too: central flags it, nothing is merged here
        inviter = data.get("inviter_id")
        self._members[member_id] = repo.sync.new_member(self.s, dict(
            id=member_id, phone=phone, member_code=member_code, invite_code=invite_code,
            name=data.get("name"), level=data.get("level"),
            inviter_id=str(inviter) if inviter and self._member(str(inviter)) is not None else None,
            store_code=store or "", campaign_code=data.get("campaign_code"), principal_fen=0, bonus_fen=0,
            points_balance=0, wallet_seq=0, member_price_until=None,
            created_at=_at(data.get("registered_at") or data.get("created_at"), self.now),
        ))
        for taken, value in zip(self._taken, (phone, member_code, invite_code), strict=True):
            taken.add(value)
        return "applied"

    # -------------------------------------------------------------- wallet entries made elsewhere
    def wallet_entry(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        ref = str(data.get("entry_id") or key)
        if store == self.own or self._entry_applied(ref):
            return "skipped"
        mem = self._member(str(data.get("member_id") or ""))
        if mem is None:
            return "skipped"
        dp, db = _int(data.get("principal_delta_fen")), _int(data.get("bonus_delta_fen"))
        kind = str(data.get("kind") or ("recharge" if dp + db > 0 else "spend"))
        at = _at(data.get("occurred_at") or data.get("created_at"), self.now)
        recharge_id: str | None = None
        add_p, add_b = max(dp, 0), max(db, 0)  # an adjustment may raise one part and lower the other
        if add_p + add_b > 0:
            # central keys a recharge's entry by the recharge's id: the lot here keeps it
            recharge_id = str(data.get("recharge_id") or (ref if kind == "recharge" else "") or self.ctx.new_id())
            if self._recharge_exists(recharge_id):
                recharge_id = self.ctx.new_id()
            receipt = data.get("receipt_no")
            receipt_no = str(receipt) if receipt and not self._receipt_taken(str(receipt)) else None
            self._live_lots(mem.id)  # read (if not prepared) before the new lot is in the session
            lot = repo.sync.new_recharge(self.s, dict(
                id=recharge_id, request_id=f"sync:{ref}"[:64], member_id=mem.id,
                campaign_code=data.get("campaign_code"), tier_code=data.get("tier_code"),
                amount_fen=add_p, bonus_fen=add_b, points=0, pay_method=str(data.get("pay_method") or "other")[:16],
                staff_id=self.staff_id(), created_at=at, principal_left_fen=add_p, bonus_left_fen=add_b, state="active",
                items_count=0,
                receipt_no=receipt_no, origin_store=store or "?",
            ))
            self._recharges.add(recharge_id)
            self._recharges_checked.add(recharge_id)
            if receipt_no is not None:
                self._receipts.add(receipt_no)
                self._receipts_checked.add(receipt_no)
            self._lots[mem.id].append(lot)
        if dp < 0 or db < 0:
            self._take_from_lots(mem, -min(dp, 0), -min(db, 0), data.get("recharge_id"))
        note_move(self.uow, "wallet", mem.id, mem.principal_fen + mem.bonus_fen,
                  mem.principal_fen + mem.bonus_fen + dp + db, phone=mem.phone)
        mem.principal_fen += dp
        mem.bonus_fen += db
        mem.wallet_seq += 1
        self._refs.add(ref)
        self._refs_checked.add(ref)
        self._entries.append(dict(
            id=self.ctx.new_id(), member_id=mem.id, seq=mem.wallet_seq, kind=kind[:16],
            principal_delta_fen=dp, bonus_delta_fen=db, principal_after_fen=mem.principal_fen,
            bonus_after_fen=mem.bonus_fen, recharge_id=recharge_id, spend_id=None, refund_id=None,
            staff_id=self.staff_id(), created_at=at, origin_store=store or "?", origin_ref=ref,
            origin_principal_after_fen=data.get("principal_after_fen"),
            origin_bonus_after_fen=data.get("bonus_after_fen"),
        ))
        return "applied"

    def _take_from_lots(self, mem: m.Member, principal: int, bonus: int, recharge_id: Any) -> None:
        """What another store took from the member comes out of the lots here: its own recharge's lot first (a
        refund there), then oldest first. What no lot holds (an overdraft central flags) is not invented."""
        lots: list[WalletLot] = list(self._live_lots(mem.id))
        adjusted = repo.ledger.adjustment_lots(self.s, mem.id)  # what managers' adjustments added (rarely any)
        if adjusted:
            lots = sorted([*lots, *adjusted], key=lambda r: (r.created_at, r.id))
        if recharge_id:
            lots.sort(key=lambda r: r.id != recharge_id)
        need_p = min(principal, sum(r.principal_left_fen for r in lots))
        need_b = min(bonus, sum(r.bonus_left_fen for r in lots))
        take_from_lots(lots, w.Split(need_p, need_b))

    # -------------------------------------------------------------- coupon states
    def coupon_state(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        try:
            code = coupon_rules.parse_code(str(data.get("code") or key))
        except DomainError:
            return "skipped"
        state = str(data.get("state") or "")
        if state not in (coupon_rules.ISSUED, coupon_rules.REDEEMED, coupon_rules.VOIDED):
            return "skipped"
        c = self._coupon(code)
        at = _at(data.get("at"), self.now)
        if c is None:
            return self._new_coupon(code, state, data, store, at)
        if c.state != coupon_rules.ISSUED or state == coupon_rules.ISSUED:
            c.pulled_at = self.now  # a used or voided coupon never comes back; our own state stands
            return "applied"
        c.state = state
        if state == coupon_rules.REDEEMED:
            c.redeemed_at = at
            c.discount_fen = _int(data.get("discount_fen"), 0) if data.get("discount_fen") is not None else None
        else:
            c.voided_at = at
            c.void_reason = str(data.get("reason") or "")[:200] or None
        c.pulled_at = self.now
        return "applied"

    def _new_coupon(self, code: str, state: str, data: Mapping[str, Any], store: str | None, at: datetime) -> str:
        origin = str(data.get("issuer_store") or data.get("issued_store") or store or "")
        valid_from, valid_until = _day(data.get("valid_from")), _day(data.get("valid_until"))
        if not origin or origin == self.own or valid_from is None or valid_until is None or not data.get("kind"):
            return "skipped"
        member_id = data.get("member_id")
        if member_id and self._member(str(member_id)) is None:
            return "skipped"  # for a member not known here: nobody here can redeem it
        self._coupons.pop(code, None)  # read again if the page names it again
        repo.sync.add_coupon(self.s, dict(
            id=str(data.get("id") or self.ctx.new_id()), code=code, template_code=data.get("template"),
            kind=str(data["kind"]), name=str(data.get("name") or code)[:200], value_fen=_int(data.get("value_fen")),
            percent_bp=_int(data.get("percent_bp")), max_discount_fen=_int(data.get("max_discount_fen")),
            min_spend_fen=_int(data.get("min_spend_fen")), category=str(data.get("category") or ""),
            member_id=str(member_id) if member_id else None, bearer=bool(data.get("bearer")),
            valid_from=valid_from, valid_until=valid_until, state=state, source=str(data.get("source") or "central"),
            entitlement_id=None, store_code=origin, issued_at=_at(data.get("issued_at"), at), issued_by=None,
            reason=None, batch_id=None, item_json=None,
            redeemed_at=at if state == coupon_rules.REDEEMED else None, redeemed_member_id=None, bill_fen=None,
            discount_fen=None, spend_id=None, voided_at=at if state == coupon_rules.VOIDED else None,
            void_reason=None, pulled_at=self.now,
        ))
        return "applied"

    # -------------------------------------------------------------- conflicts
    def conflict(self, key: str, data: Mapping[str, Any], store: str | None) -> str:
        conflict_id = str(data.get("id") or key)
        found = repo.sync.conflict(self.s, conflict_id)
        if found is not None:
            found.resolved = bool(data.get("resolved"))
            found.detail_json = json.dumps(dict(data), ensure_ascii=False, default=str, sort_keys=True)
            return "conflict"
        repo.sync.add_conflicts(self.s, [dict(
            id=conflict_id, kind=str(data.get("kind") or "unknown")[:32],
            member_id=data.get("member_id"), coupon_code=data.get("coupon_code"), event_id=data.get("event_id"),
            store_code=data.get("store_code"), amount_fen=data.get("amount_fen"),
            detail_json=json.dumps(dict(data), ensure_ascii=False, default=str, sort_keys=True),
            resolved=bool(data.get("resolved")), created_at=_at(data.get("created_at"), self.now), pulled_at=self.now,
        )])
        return "conflict"


# ----------------------------------------------------------------------------- reading
def _failure_text(key: str | None, params_json: str | None) -> str | None:
    if not key:
        return None
    try:
        params = json.loads(params_json or "{}")
    except ValueError:
        params = {}
    if key in ("sync.clock_ahead", "sync.clock_behind"):
        params = {k: Count(v) if isinstance(v, int) else v for k, v in params.items()}
    return messages.translate(key, params)


def status(ctx: ServiceContext) -> SyncStatus:
    """Where sync stands (no staff needed: it shows no member data)."""
    now = ctx.now()
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        st = settings(uow)
        state = repo.sync.state(s)
        acked = state.acked_seq if state else 0
        pending, _, last_seq = repo.sync.pending(s, acked)
        oldest = repo.sync.oldest_pending_at(s, acked)
        limits = offline_limits(st.raw)
        online = _offline_since(uow, ctx, limits) is None and state is not None and bool(state.server_url)
        return SyncStatus(
            paired=bool(state and state.server_url) and credentials.load(st.device_id) is not None,
            server_url=state.server_url if state else None,
            store_id=state.store_id if state else None,
            online=online,
            last_success_at=state.last_success_at if state else None,
            last_failure_at=state.last_failure_at if state else None,
            last_failure=_failure_text(state.last_failure_reason, state.last_failure_params) if state else None,
            last_failure_key=state.last_failure_reason if state else None,
            pending=pending,
            oldest_pending_at=oldest,
            oldest_pending_age_s=int((now - oldest).total_seconds()) if oldest else None,
            oldest_pending_late=oldest is not None and now - oldest > limits.after,
            late_after_minutes=int(limits.after.total_seconds() // 60),
            acked_seq=acked,
            last_seq=last_seq,
            cursor=state.cursor if state else None,
            clock_skew_ms=state.clock_skew_ms if state else None,
            reached_at=state.reached_at if state else None,
        )


def recent_rounds(ctx: ServiceContext, limit: int = 50) -> list[RoundLine]:
    with ctx.uow(read_only=True) as uow:
        return [RoundLine(r.started_at, r.finished_at, r.ok, r.pushed, r.pulled, r.conflicts, r.pending,
                          _failure_text(r.error, r.error_params)) for r in repo.sync.rounds(uow.session, limit)]


def list_conflicts(ctx: ServiceContext, actor: Actor) -> list[ConflictLine]:
    """This store's conflicts as central reported them (manager)."""
    from pos_app.services.common import require  # noqa: PLC0415

    require(actor, "sync.conflicts")
    with ctx.uow(read_only=True) as uow:
        return [ConflictLine(c.id, c.kind, c.member_id, c.coupon_code, c.store_code, c.amount_fen, c.created_at,
                             c.resolved, json.loads(c.detail_json or "{}")) for c in repo.sync.conflicts(uow.session)]


#: a manager's note on a conflict, in characters (central keeps up to 2,000)
NOTE_MAX_CHARS = 500


@dataclass(frozen=True)
class ConflictNoted(Result):
    conflict_id: str
    note: str


@use_case("sync.conflict_note", permission="sync.conflicts", event="sync.conflict_noted", idempotent=True)
def note_conflict(
    ctx: ServiceContext, actor: Actor, *, conflict_id: str, note: str, request_id: str | None = None,
) -> ConflictNoted:
    """A manager's note on a conflict central reported for this store ("the customer was told", "refunded in
    cash"). Offline as online: the note is an event, pushed with the next round, and central adds it to the
    conflict's notes; until central's copy of the conflict comes back with it, the note shows here as pending."""
    text = clean_text(note, field="note", max_chars=NOTE_MAX_CHARS, required=True)
    assert text is not None
    request_id = check_request_id(request_id, ctx)
    cid = str(conflict_id or "").strip()
    params = {"conflict_id": cid, "note": text}
    with ctx.uow() as uow:
        if replayed(uow, request_id, "sync.conflict_note", params) is not None:
            return ConflictNoted(cid, text)
        c = repo.sync.conflict(uow.session, cid)
        if c is None:
            raise NotFound("sync.unknown_conflict", conflict=cid)
        at = ctx.now()
        detail = json.loads(c.detail_json or "{}")
        notes = [n for n in detail.get("notes") or [] if isinstance(n, dict)]
        notes.append({"author": f"{settings(uow).store_code}/{actor.code}", "staff": actor.code, "note": text,
                      "at": at.isoformat(), "pending": True})
        repo.sync.set_conflict_detail(uow.session, cid, json.dumps({**detail, "notes": notes}, ensure_ascii=False,
                                                                   default=str, sort_keys=True))
        remember(uow, ctx, request_id, "sync.conflict_note", cid, params)
        audit(uow, ctx, actor, "sync.conflict_note", "sync_conflict", cid, note=text)
        emit(uow, ctx, "sync.conflict_noted", {"conflict_id": cid, "note": text, "staff_code": actor.code})
        result = ConflictNoted(cid, text)
        uow.commit()
        return result


def pending_events(ctx: ServiceContext) -> Sequence[int]:
    """The seqs of the events central has not acknowledged (tests, the sync screen)."""
    with ctx.uow(read_only=True) as uow:
        state = repo.sync.state(uow.session)
        return [r.seq for r in repo.sync.queued(uow.session, state.acked_seq if state else 0, 1_000_000)]


__all__ = [
    "FEATURE", "Applied", "ConflictLine", "ConflictNoted", "OfflineLimits", "PairResult", "RoundLine", "RoundResult", "SyncStatus",
    "apply_page", "check_offline_coupon", "check_offline_spend", "list_conflicts", "note_conflict", "offline_limits", "pair",
    "pending_events", "recent_rounds", "run_round", "status",
]
