"""`pos-app doctor`: prove the database is sound. Every check reads; nothing is written."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from pos_app.db import migrate
from pos_app.db import models as m
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
        with db.engine.connect() as conn:
            res = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            conn.rollback()
        checks.append(Check("sqlite_integrity", res == ["ok"], _first(res)))
        checks.append(Check("foreign_keys", not fk, _first(fk)))
    cur, heads = migrate.current(db), migrate.heads(db)
    checks.append(Check("migrations_current", cur == heads, f"database at {sorted(cur)}, code at {sorted(heads)}"))
    if cur != heads:
        return DoctorReport(tuple(checks))
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        bad = s.execute(
            text(
                """
                SELECT mb.phone, mb.principal_fen, mb.bonus_fen, COALESCE(SUM(w.principal_delta_fen),0),
                       COALESCE(SUM(w.bonus_delta_fen),0)
                FROM member mb LEFT JOIN wallet_entry w ON w.member_id = mb.id
                GROUP BY mb.id
                HAVING mb.principal_fen != COALESCE(SUM(w.principal_delta_fen),0)
                    OR mb.bonus_fen != COALESCE(SUM(w.bonus_delta_fen),0)
                """
            )
        ).all()
        checks.append(Check("balance_equals_ledger", not bad, _first([tuple(r) for r in bad])))
        bad = s.execute(
            text(
                """
                SELECT mb.phone FROM member mb
                JOIN wallet_entry w ON w.member_id = mb.id AND w.seq = mb.wallet_seq
                WHERE w.principal_after_fen != mb.principal_fen OR w.bonus_after_fen != mb.bonus_fen
                """
            )
        ).all()
        checks.append(Check("last_entry_matches_balance", not bad, _first([r[0] for r in bad])))
        bad = s.execute(
            text(
                """
                SELECT w.id FROM wallet_entry w JOIN wallet_entry p
                  ON p.member_id = w.member_id AND p.seq = w.seq - 1
                WHERE w.principal_after_fen != p.principal_after_fen + w.principal_delta_fen
                   OR w.bonus_after_fen != p.bonus_after_fen + w.bonus_delta_fen
                """
            )
        ).all()
        checks.append(Check("entries_chain", not bad, _first([r[0] for r in bad])))
        neg = s.scalars(select(m.Member.phone).where((m.Member.principal_fen < 0) | (m.Member.bonus_fen < 0))).all()
        neg_e = s.scalars(
            select(m.WalletEntry.id).where((m.WalletEntry.principal_after_fen < 0) | (m.WalletEntry.bonus_after_fen < 0))
        ).all()
        checks.append(Check("no_negative_balance", not neg and not neg_e, _first(list(neg) + list(neg_e))))
        bad = s.execute(
            text(
                """
                SELECT mb.phone FROM member mb LEFT JOIN recharge r ON r.member_id = mb.id
                GROUP BY mb.id
                HAVING mb.principal_fen != COALESCE(SUM(r.principal_left_fen),0)
                    OR mb.bonus_fen != COALESCE(SUM(r.bonus_left_fen),0)
                """
            )
        ).all()
        checks.append(Check("lots_equal_balance", not bad, _first([r[0] for r in bad])))
        bad = s.execute(
            text(
                """
                SELECT r.id FROM recharge r
                WHERE NOT EXISTS (SELECT 1 FROM wallet_entry w WHERE w.recharge_id = r.id AND w.kind = 'recharge'
                                  AND w.principal_delta_fen = r.amount_fen AND w.bonus_delta_fen = r.bonus_fen)
                   OR (r.points > 0 AND NOT EXISTS (SELECT 1 FROM points_lot l WHERE l.recharge_id = r.id
                                                    AND l.points = r.points))
                   OR r.items_count != (SELECT COUNT(*) FROM entitlement e WHERE e.recharge_id = r.id)
                   OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.entity = 'recharge' AND a.entity_id = r.id)
                   OR NOT EXISTS (SELECT 1 FROM request_log q WHERE q.ref_id = r.id AND q.request_id = r.request_id)
                   OR (r.state = 'refunded' AND NOT EXISTS (SELECT 1 FROM refund f WHERE f.recharge_id = r.id))
                   OR r.principal_left_fen < 0 OR r.bonus_left_fen < 0
                   OR r.principal_left_fen > r.amount_fen OR r.bonus_left_fen > r.bonus_fen
                """
            )
        ).all()
        # each recharge has its outbox event (read once, not one LIKE scan per recharge)
        evented: set[str] = set()
        for (payload,) in s.execute(select(m.Outbox.payload_json).where(m.Outbox.type == "wallet.recharged")):
            try:
                evented.add(str(json.loads(payload).get("recharge_id")))
            except (ValueError, AttributeError):
                continue
        no_event = sorted(set(s.scalars(select(m.Recharge.id))) - evented)
        bad_ids = sorted({r[0] for r in bad} | set(no_event))
        checks.append(Check("recharges_complete", not bad_ids, _first(bad_ids)))
        # one ledger row per recharge/spend/refund, never more
        dup = s.execute(
            text(
                """
                SELECT kind, COALESCE(recharge_id, spend_id, refund_id) AS ref, COUNT(*) FROM wallet_entry
                GROUP BY kind, COALESCE(recharge_id, spend_id, refund_id) HAVING COUNT(*) > 1
                   OR COALESCE(recharge_id, spend_id, refund_id) IS NULL
                """
            )
        ).all()
        n_rc = s.scalar(select(func.count()).select_from(m.Recharge)) or 0
        n_rc_entries = s.scalar(
            select(func.count()).select_from(m.WalletEntry).where(m.WalletEntry.kind == "recharge")
        ) or 0
        checks.append(
            Check(
                "one_entry_per_movement",
                not dup and n_rc == n_rc_entries,
                f"{n_rc} recharges, {n_rc_entries} recharge entries; " + _first([tuple(r) for r in dup]),
            )
        )
        bad = s.execute(
            text(
                """
                SELECT sp.id FROM spend sp
                WHERE NOT EXISTS (SELECT 1 FROM wallet_entry w WHERE w.spend_id = sp.id
                                  AND -w.principal_delta_fen = sp.principal_fen AND -w.bonus_delta_fen = sp.bonus_fen)
                   OR sp.principal_fen + sp.bonus_fen != sp.amount_fen
                   OR sp.principal_fen != (SELECT COALESCE(SUM(a.principal_fen),0) FROM spend_allocation a WHERE a.spend_id = sp.id)
                   OR sp.bonus_fen != (SELECT COALESCE(SUM(a.bonus_fen),0) FROM spend_allocation a WHERE a.spend_id = sp.id)
                """
            )
        ).all()
        checks.append(Check("spends_complete", not bad, _first([r[0] for r in bad])))
        bad = s.execute(
            text(
                """
                SELECT mb.phone FROM member mb
                WHERE mb.points_balance != (SELECT COALESCE(SUM(e.delta),0) FROM points_entry e WHERE e.member_id = mb.id)
                   OR mb.points_balance != (SELECT COALESCE(SUM(l.remaining),0) FROM points_lot l WHERE l.member_id = mb.id)
                   OR mb.points_balance < 0
                """
            )
        ).all()
        checks.append(Check("points_equal_ledger", not bad, _first([r[0] for r in bad])))
        n, lo, hi = s.execute(select(func.count(), func.min(m.Outbox.seq), func.max(m.Outbox.seq))).one()
        gapless = n == 0 or (lo == 1 and hi == n)
        checks.append(Check("outbox_sequence_gap_free", gapless, f"{n} events, seq {lo}..{hi}"))
        chain = audit.verify_chain(uow)
        checks.append(Check("audit_chain", chain.ok,
                            chain.problem.message() if chain.problem else f"{chain.rows} rows"))
        for extra in ctx.registry.doctor_checks:
            checks.extend(extra(uow))
    return DoctorReport(tuple(checks))
