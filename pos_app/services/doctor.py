"""`pos-app doctor`: prove the database is sound. Every check reads; nothing is written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from pos_app.db import migrate, repo
from pos_app.services import audit
from pos_app.services.context import ServiceContext


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class DoctorReport:
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[str]:
        return [f"{c.name}: {c.detail}" for c in self.checks if not c.ok]


def _first(rows: Sequence[object], n: int = 5) -> str:
    return ", ".join(str(r) for r in rows[:n]) + (f" (+{len(rows) - n} more)" if len(rows) > n else "")


def run_doctor(ctx: ServiceContext) -> DoctorReport:
    checks: list[Check] = []
    db = ctx.db
    if db.is_sqlite:
        res, fk = repo.checks.sqlite_file(db.engine)
        checks.append(Check("sqlite_integrity", res == ["ok"], _first(res)))
        checks.append(Check("foreign_keys", not fk, _first(fk)))
    cur, heads = migrate.current(db), migrate.heads(db)
    checks.append(Check("migrations_current", cur == heads, f"database at {sorted(cur)}, code at {sorted(heads)}"))
    if cur != heads:
        return DoctorReport(tuple(checks))
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        q = repo.checks
        bad = q.balance_not_ledger(s)
        checks.append(Check("balance_equals_ledger", not bad, _first(bad)))
        phones = q.last_entry_not_balance(s)
        checks.append(Check("last_entry_matches_balance", not phones, _first(phones)))
        ids = q.entries_not_chained(s)
        checks.append(Check("entries_chain", not ids, _first(ids)))
        neg = q.negative_balances(s)
        checks.append(Check("no_negative_balance", not neg, _first(neg)))
        phones = q.lots_not_balance(s)
        checks.append(Check("lots_equal_balance", not phones, _first(phones)))
        incomplete = q.incomplete_recharges(s)
        # each recharge has its outbox event (read once, not one LIKE scan per recharge)
        evented: set[str] = set()
        for payload in q.event_payloads(s, "wallet.recharged"):
            try:
                evented.add(str(json.loads(payload).get("recharge_id")))
            except (ValueError, AttributeError):
                continue
        no_event = q.recharge_ids(s) - evented
        bad_ids = sorted(set(incomplete) | no_event)
        checks.append(Check("recharges_complete", not bad_ids, _first(bad_ids)))
        # one ledger row per recharge/spend/refund, never more
        dup = q.duplicate_entries(s)
        n_rc, n_rc_entries = q.movement_counts(s)
        checks.append(
            Check(
                "one_entry_per_movement",
                not dup and n_rc == n_rc_entries,
                f"{n_rc} recharges, {n_rc_entries} recharge entries; " + _first(dup),
            )
        )
        ids = q.incomplete_spends(s)
        checks.append(Check("spends_complete", not ids, _first(ids)))
        ids = q.incomplete_adjustments(s)
        checks.append(Check("adjustments_complete", not ids, _first(ids)))
        phones = q.points_not_ledger(s)
        checks.append(Check("points_equal_ledger", not phones, _first(phones)))
        n, lo, hi = q.outbox_span(s)
        gapless = n == 0 or (lo == 1 and hi == n)
        checks.append(Check("outbox_sequence_gap_free", gapless, f"{n} events, seq {lo}..{hi}"))
        chain = audit.verify_chain(uow)
        checks.append(Check("audit_chain", chain.ok,
                            chain.problem.message() if chain.problem else f"{chain.rows} rows"))
        for extra in ctx.registry.doctor_checks:
            checks.extend(extra(uow))
    return DoctorReport(tuple(checks))
