"""The store's indexes: none is a prefix of another on the same table (it would be written on every insert
and never needed), the ones dropped by migration 0007 are gone, and the state indexes kept are the ones
the app's queries use (EXPLAIN QUERY PLAN on the migrated schema)."""

from __future__ import annotations

import sqlite3

from tests.test_migration_0007 import DROPPED


def _indexes(con: sqlite3.Connection) -> dict[str, list[tuple[str, list[str], bool]]]:
    out: dict[str, list[tuple[str, list[str], bool]]] = {}
    for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        out[table] = [
            (idx[1], [r[2] for r in con.execute(f"PRAGMA index_info('{idx[1]}')")], bool(idx[2]))
            for idx in con.execute(f"PRAGMA index_list('{table}')")
        ]
    return out


def test_no_index_is_a_prefix_of_another_and_the_dropped_ones_are_gone(store):
    con = sqlite3.connect(store.path)
    found = _indexes(con)
    con.close()
    names = {name for idx in found.values() for name, _cols, _u in idx}
    assert not DROPPED & names
    redundant = [
        (table, name, other)
        for table, idx in found.items()
        for name, cols, unique in idx
        for other, other_cols, _ in idx
        if not unique and other != name and other_cols[: len(cols)] == cols
    ]
    assert redundant == []


def _plan(con: sqlite3.Connection, sql: str, *args) -> str:
    return " | ".join(r[3] for r in con.execute(f"EXPLAIN QUERY PLAN {sql}", args))


def test_the_state_indexes_kept_are_the_ones_the_queries_use(store):
    con = sqlite3.connect(store.path)
    try:
        # owed gifts per SKU (stock screen, tier buttons): from the index alone
        owed = _plan(con, "SELECT ref, COUNT(*) FROM entitlement WHERE state = 'owed' AND kind = 'gift' GROUP BY ref")
        assert "ix_entitlement_state_kind_ref" in owed
        # a member's items (member_items, the hand-out list)
        mine = _plan(con, "SELECT * FROM entitlement WHERE member_id = ? ORDER BY created_at DESC", "m")
        assert "ix_entitlement_member_state" in mine
        # a member's unused coupons (the member view): from the (member_id, state) index, never a walk of
        # every issued coupon through the state index
        unused = _plan(con, "SELECT COUNT(*) FROM coupon WHERE member_id = ? AND state = ? AND valid_until >= ?",
                       "m", "issued", "2026-12-02")
        assert "ix_coupon_member_state" in unused
        # coupon figures by state (coupon_stats)
        stats = _plan(con, "SELECT state, COUNT(*) FROM coupon GROUP BY state")
        assert "ix_coupon_state" in stats
    finally:
        con.close()
