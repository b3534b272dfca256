"""SQLite store files below the ORM (pos_app/db/sqlitefile.py): the file a store address names, a file's own
integrity check, a checkpoint that leaves one self-contained file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pos_app.db.sqlitefile import checkpoint, integrity_check, sqlite_path


def test_a_store_address_names_its_file_or_none(tmp_path):
    assert sqlite_path(tmp_path / "store.db") == tmp_path / "store.db"
    assert sqlite_path(f"sqlite:///{tmp_path}/x.db") == Path(f"{tmp_path}/x.db")
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


def test_integrity_check_says_ok_for_a_whole_file_and_names_the_damage_otherwise(tmp_path):
    path = tmp_path / "a.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE INDEX t_v ON t (v)")
    conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"v{i:05d}" * 20,) for i in range(2000)])
    conn.commit()
    conn.close()
    assert integrity_check(path) == ["ok"]
    data = bytearray(path.read_bytes())
    page = 4096
    for off in range(page * 3, min(len(data), page * 6)):  # scribble over pages of the table and its index
        data[off] = 0x55
    path.write_bytes(bytes(data))
    try:
        result = integrity_check(path)
    except sqlite3.DatabaseError:
        result = ["malformed"]
    assert result != ["ok"]


def test_checkpoint_leaving_wal_leaves_one_file(store):
    path = store.ctx.db.path
    assert path is not None
    checkpoint(store.ctx.db.engine, leave_wal=True)
    store.ctx.db.dispose()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        conn.close()
