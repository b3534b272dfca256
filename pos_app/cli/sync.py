"""`pos-app pair` and `pos-app sync`: this store with the central server.

    pair --server URL --code CODE   pair this device once (manager; the code from `pos-central device code`)
    sync                            one sync round now: push what is queued, pull what is new
    sync status                     last success, last failure and why, events waiting, the oldest one's age
    sync rounds                     the recent rounds
    sync conflicts                  this store's conflicts as central reported them (manager)
    sync note ID --note TEXT        a manager's note on one of them (pushed to central with the next round)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from pos_app import messages
from pos_app.cli.base import UsageParser
from pos_app.domain.textparams import Count


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params)


def cmd_pair(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    res = sync.pair(cli.ctx, cli.actor(), server_url=a.server, code=a.code, device_name=a.name)
    return int(cli.emit(res, lambda: _t("sync.paired", server=res.server_url, store=res.store_code,
                                        path=res.credential_file)))


def cmd_sync(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    res = sync.run_round(cli.ctx)
    return int(cli.emit(res, lambda: _t("sync.round_done", pushed=Count(res.pushed), pulled=Count(res.pulled),
                                        conflicts=Count(res.conflicts), pending=Count(res.pending))))


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def cmd_status(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    st = sync.status(cli.ctx)

    def human() -> str:
        never = _t("sync.never")
        lines = [
            _t("sync.status_server", server=st.server_url or "-") if st.paired else _t("sync.status_not_paired"),
            _t("sync.status_online") if st.online else _t("sync.status_offline"),
            _t("sync.status_success", at=cli.local(st.last_success_at) if st.last_success_at else never),
            _t("sync.status_failure", at=cli.local(st.last_failure_at) if st.last_failure_at else never,
               reason=st.last_failure or "-"),
            _t("sync.status_pending", pending=Count(st.pending), age=_age(st.oldest_pending_age_s)),
        ]
        if st.oldest_pending_late:
            lines.append(_t("sync.pending_late", minutes=Count(st.late_after_minutes)))
        if st.clock_skew_ms is not None:
            lines.append(_t("sync.status_skew", ms=Count(st.clock_skew_ms)))
        return "\n".join(lines)

    return int(cli.emit(st, human))


def cmd_rounds(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    rows = sync.recent_rounds(cli.ctx, a.limit)
    return int(cli.emit(rows, lambda: "\n".join(
        f"{cli.local(r.started_at, '%Y-%m-%d %H:%M:%S')}  {'ok' if r.ok else 'FAIL'}  push {r.pushed}  pull {r.pulled}"
        f"  conflicts {r.conflicts}  pending {r.pending}{'  ' + r.error if r.error else ''}" for r in rows)))


def cmd_conflicts(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    rows = sync.list_conflicts(cli.ctx, cli.actor())
    return int(cli.emit(rows, lambda: "\n".join(
        f"{r.id}  {r.kind}  {r.store_code or '-'}  {r.member_id or r.coupon_code or '-'}"
        f"{'  (resolved)' if r.resolved else ''}" for r in rows) or _t("sync.no_conflicts")))


def cmd_note(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import sync  # noqa: PLC0415

    res = sync.note_conflict(cli.ctx, cli.actor(), conflict_id=a.conflict_id, note=a.note, request_id=a.request_id)
    return int(cli.emit(res, lambda: _t("sync.noted", conflict=res.conflict_id)))


def register(sub: Any, common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    sp = add("pair", cmd_pair, "pair this device with the central server (manager)")
    sp.add_argument("--server", required=True, help="the central server's URL, e.g. http://127.0.0.1:8700")
    sp.add_argument("--code", required=True, help="the one-time pairing code from head office")
    sp.add_argument("--name", help="this device's name as central lists it (default: the store's name)")
    sp = add("sync", cmd_sync, "one sync round with the central server now (status, rounds, conflicts)")
    subs = sp.add_subparsers(dest="sync_command", metavar="[status|rounds|conflicts|note]", parser_class=UsageParser)
    subs.required = False
    add("status", cmd_status, "last success, last failure and why, events waiting", parent=subs)
    rp = add("rounds", cmd_rounds, "the recent sync rounds", parent=subs)
    rp.add_argument("--limit", type=int, default=20)
    add("conflicts", cmd_conflicts, "this store's conflicts as central reported them (manager)", parent=subs)
    np_ = add("note", cmd_note, "a note on one of this store's conflicts, for head office (manager)", parent=subs)
    np_.add_argument("conflict_id", metavar="ID", help="the conflict's id (`pos-app sync conflicts`)")
    np_.add_argument("--note", required=True, help="what was done or agreed, up to 500 characters")
    np_.add_argument("--request-id", dest="request_id")
