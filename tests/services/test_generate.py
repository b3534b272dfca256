"""`pos-app gen` (services/generate.py) through the CLI in-process, on real SQLite files: two stores of a small
size pass the doctor, hold invite chains and rows in every table a busy store has, their balances are the sum
of their wallet entries (recomputed here with plain sqlite3), the same seed gives the same rows and another
seed other rows; a store with members, a paired store, a set-up store without a manager's login and sizes out
of range are refused in one line, with nothing written."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from pos_app.cli import main

FILLED = ("member", "referral", "recharge", "wallet_entry", "spend", "spend_allocation", "points_lot", "entitlement",
          "checkin", "coupon", "coupon_event", "referral_reward", "sale", "sale_line", "sale_payment", "stock_movement",
          "audit_log", "request_log", "outbox", "gift_item", "product", "campaign", "staff")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("POS_DB", "POS_STAFF", "POS_PIN", "POS_LANG"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("POS_CONFIG", "/nonexistent/pos_app.toml")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--lang", "en", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def dump(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a fixed order (a staff PIN hash is salted: left out)."""
    out = {}
    with closing(sqlite3.connect(db)) as c:
        for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            cols = [r[1] for r in c.execute(f"PRAGMA table_info({name})") if not (name == "staff" and r[1] == "pin_hash")]
            sel = ", ".join(f'"{x}"' for x in cols)
            out[name] = c.execute(f"SELECT {sel} FROM {name} ORDER BY {sel}").fetchall()
    return out


def count(db: Path, sql: str) -> int:
    with closing(sqlite3.connect(db)) as c:
        return int(c.execute(sql).fetchone()[0])


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two runs of the same seed (two stores each) and one of another seed."""
    mp = pytest.MonkeyPatch()
    mp.setenv("POS_CONFIG", "/nonexistent/pos_app.toml")
    out: dict[str, Any] = {}
    for key, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        d = tmp_path_factory.mktemp(key)
        code = main(["--db", str(d / "busy.db"), "--json", "gen", "--members", "300", "--days", "10", "--stores", "2",
                     "--seed", seed])
        assert code == 0
        out[key] = d
    mp.undo()
    return out


def test_each_store_passes_the_doctor_and_is_full(made: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    d = made["a"]
    assert not (d / "busy.db").exists()  # two stores: the files beside it
    for i, path in enumerate((d / "busy-B001.db", d / "busy-B002.db"), start=1):
        code, out, _err = cli(capsys, "--db", str(path), "--json", "doctor")
        report = json.loads(out)
        assert code == 0 and report["ok"], [c for c in report["checks"] if not c["ok"]]
        assert len(report["checks"]) >= 20
        with closing(sqlite3.connect(path)) as c:
            assert c.execute("SELECT store_code FROM store_info").fetchone()[0] == f"B00{i}"
            empty = [t for t in FILLED if c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] == 0]
            assert not empty
            assert c.execute("SELECT COUNT(*) FROM member").fetchone()[0] == 300
            # invite chains: a member invited by a member who was invited too
            assert c.execute("SELECT COUNT(*) FROM member a JOIN member b ON b.id = a.inviter_id"
                             " WHERE b.inviter_id IS NOT NULL").fetchone()[0] > 0
            assert c.execute("SELECT COUNT(*) FROM referral WHERE state = 'qualified'").fetchone()[0] > 0
            states = dict(c.execute("SELECT state, COUNT(*) FROM coupon GROUP BY state").fetchall())
            assert states.get("redeemed", 0) > 0 and states.get("issued", 0) > 0
            kinds = dict(c.execute("SELECT kind, COUNT(*) FROM stock_movement GROUP BY kind").fetchall())
            assert kinds.get("received", 0) > 0 and kinds.get("handout", 0) > 0
            assert c.execute("SELECT COUNT(*) FROM sale_payment WHERE method = 'balance'").fetchone()[0] > 0
            assert c.execute("SELECT COUNT(*) FROM points_lot WHERE source = 'sale'").fetchone()[0] > 0
            assert c.execute("SELECT COUNT(DISTINCT tier_code) FROM recharge").fetchone()[0] >= 3
            # the balances, recomputed from the ledger with plain SQL
            bad = c.execute(
                "SELECT m.id FROM member m LEFT JOIN (SELECT member_id, SUM(principal_delta_fen) p,"
                " SUM(bonus_delta_fen) b FROM wallet_entry GROUP BY member_id) w ON w.member_id = m.id"
                " WHERE m.principal_fen != COALESCE(w.p, 0) OR m.bonus_fen != COALESCE(w.b, 0)").fetchall()
            assert not bad
            assert c.execute("SELECT SUM(principal_fen + bonus_fen) FROM member").fetchone()[0] > 0
            n, lo, hi = c.execute("SELECT COUNT(*), MIN(seq), MAX(seq) FROM outbox").fetchone()
            assert (lo, hi) == (1, n)


def test_the_same_seed_gives_the_same_store_and_another_seed_another(made: dict[str, Any]) -> None:
    a1, b1, c1 = (made[k] / "busy-B001.db" for k in ("a", "b", "c"))
    first = dump(a1)
    assert first == dump(b1)
    assert dump(made["a"] / "busy-B002.db") == dump(made["b"] / "busy-B002.db")
    other = dump(c1)
    assert other["member"] != first["member"] and other["sale"] != first["sale"]
    # the two stores of one run differ too (each its own seed and store code)
    assert dump(made["a"] / "busy-B002.db")["member"] != first["member"]


def test_a_store_with_members_is_refused_and_nothing_is_written(made: dict[str, Any],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = made["c"] / "busy-B001.db"
    before = dump(path)
    code, out, err = cli(capsys, "--db", str(path), "gen", "--members", "10", "--days", "2")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["This store already has members: pos-app gen only fills a new or empty store"
                                        " (use a new database file)"]
    assert dump(path) == before
    # several stores: one with members refuses them all before any is written
    code, _out, err = cli(capsys, "--db", str(made["c"] / "busy.db"), "gen", "--members", "10", "--stores", "3")
    assert code == 2 and "already has members" in err
    assert not (made["c"] / "busy-B003.db").exists()


def test_points_lots_expire_after_their_months(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.db"
    code, out, _err = cli(capsys, "--db", str(path), "--json", "gen", "--members", "20", "--days", "380")
    assert code == 0 and json.loads(out)["tables"]["points_entry"] > 0
    code, out, _err = cli(capsys, "--db", str(path), "--json", "doctor")
    assert code == 0 and json.loads(out)["ok"]
    with closing(sqlite3.connect(path)) as c:
        # a lot expires 12 months after it was earned (the demo campaign): every expired lot is one expiry row
        assert c.execute("SELECT COUNT(*) FROM points_lot WHERE remaining = 0").fetchone()[0] == \
            c.execute("SELECT COUNT(*) FROM points_entry WHERE kind = 'expire'").fetchone()[0] > 0
        assert c.execute("SELECT COUNT(*) FROM points_entry e JOIN points_lot l ON l.id = e.lot_id"
                         " WHERE e.delta != -l.points OR date(e.created_at) < l.expires_on").fetchone()[0] == 0
        assert c.execute("SELECT COUNT(*) FROM outbox WHERE type = 'points.expired'").fetchone()[0] > 0


@pytest.mark.parametrize("args, message", [
    (("--members", "-1"), "The number of members must be a whole number from 1 to 1000000 (given: -1)"),
    (("--members", str(10**9)), "The number of members must be a whole number from 1 to 1000000 (given: 1000000000)"),
    (("--members", "abc"), "The number of members must be a whole number from 1 to 1000000 (given: abc)"),
    (("--members", "10", "--days", "0"), "The number of days must be a whole number from 1 to 3650 (given: 0)"),
    (("--members", "10", "--stores", "100"), "The number of stores must be a whole number from 1 to 99 (given: 100)"),
    (("--members", "10", "--seed", "x1"), "The seed must be a whole number (given: x1)"),
])
def test_bad_numbers_are_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             args: tuple[str, ...], message: str) -> None:
    code, out, err = cli(capsys, "--db", str(tmp_path / "new.db"), "gen", *args)
    assert (code, out, err.strip()) == (2, "", message)
    assert list(tmp_path.iterdir()) == []  # no database was made


def test_a_set_up_store_needs_a_manager_and_a_paired_one_is_refused(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "store.db"
    assert cli(capsys, "--db", str(path), "init", "--manager", "boss", "--manager-pin", "8888")[0] == 0
    before = dump(path)
    code, _out, err = cli(capsys, "--db", str(path), "gen", "--members", "20", "--days", "2")
    assert code == 3 and "log in as a manager" in err
    assert dump(path) == before
    assert cli(capsys, "--db", str(path), "--staff", "boss", "--pin", "8888", "staff", "add", "--code", "c09",
               "--role", "cashier", "--pin", "1234")[0] == 0
    before = dump(path)
    code, _out, err = cli(capsys, "--db", str(path), "--staff", "c09", "--pin", "1234", "gen", "--members", "20")
    assert code == 3 and err.count("\n") == 1
    assert {k: v for k, v in dump(path).items() if k != "staff"} == {k: v for k, v in before.items() if k != "staff"}
    code, out, _err = cli(capsys, "--db", str(path), "--staff", "boss", "--pin", "8888", "--json", "gen",
                          "--members", "40", "--days", "3")
    doc = json.loads(out)
    assert code == 0 and doc["tables"]["member"] == 40 and doc["rows"] == sum(doc["tables"].values())
    assert doc["rows_per_s"] > 0 and doc["stores"][0]["store_code"] == "S001"  # the store's own code is kept
    code, out, _err = cli(capsys, "--db", str(path), "--json", "doctor")
    assert code == 0 and json.loads(out)["ok"]
    paired = tmp_path / "paired.db"
    assert cli(capsys, "--db", str(paired), "init")[0] == 0
    with closing(sqlite3.connect(paired)) as c:
        c.execute("INSERT INTO sync_state (id, server_url, acked_seq) VALUES (1, 'http://127.0.0.1:8700', 0)")
        c.commit()
    before = dump(paired)
    code, _out, err = cli(capsys, "--db", str(paired), "gen", "--members", "20")
    assert code == 2 and "paired with a central server" in err
    assert dump(paired) == before


def test_the_load_settings_last_for_the_load_only(tmp_path: Path) -> None:
    """During the days SQLite does not wait for the disk and has a big page cache; afterwards every connection
    of the store is back to the app's settings (synchronous=FULL, the default cache), the write-ahead log is
    checkpointed, and the file is whole."""
    from datetime import date

    from sqlalchemy import event

    from pos_app.app import open_store
    from pos_app.services import generate

    ctx = open_store(tmp_path / "busy.db", owner="command")
    seen: list[tuple[int, int]] = []

    def during(conn: Any) -> None:  # each day's transaction, once it has begun
        raw = conn.connection.driver_connection
        seen.append((raw.execute("PRAGMA synchronous").fetchone()[0], raw.execute("PRAGMA cache_size").fetchone()[0]))

    try:
        event.listen(ctx.db.engine, "begin", during)
        r = generate.generate(ctx, members=60, days=3, seed=3, today=date(2026, 12, 1))
        event.remove(ctx.db.engine, "begin", during)
        assert r.members == 60
        assert (0, -generate.CACHE_MIB * 1024) in seen  # the days' transactions
        with ctx.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000  # SQLite's default
    finally:
        ctx.db.dispose()
    with closing(sqlite3.connect(tmp_path / "busy.db")) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []


def test_bulk_rows_are_stored_as_the_core_insert_stores_them(tmp_path: Path) -> None:
    """The bulk repository's rows (tuples through each column type's processor) are byte for byte what
    ``session.execute(insert(Model), rows)`` stores: UTC instants given in another zone, dates, booleans,
    None, and a column left to its scalar default."""
    from datetime import UTC, date, datetime, timedelta, timezone

    from sqlalchemy import insert

    from pos_app.app import open_store
    from pos_app.db import models_coupons as mc
    from pos_app.db import models_gifts as mg
    from pos_app.db.repo import bulk
    from pos_app.db.repo.base import table
    from pos_app.services import staff

    def rows(prefix: str, sid: str) -> list[dict[str, Any]]:
        east = timezone(timedelta(hours=8))
        return [dict(id=f"{prefix}{i}", sku="G1", seq=i, kind="received", delta=i, on_hand_after=i, member_id=None,
                     entitlement_id=None, reason="因为" if i % 2 else None, supplier=None, reference=None,
                     other_store=None, stocktake_id=None, batch_id=f"b{i % 2}", staff_id=sid,
                     created_at=datetime(2026, 12, 1, 10, 0, i, 1234 * i, tzinfo=east if i % 2 else UTC))
                for i in range(5)]

    stored = {}
    for how in ("core", "bulk"):
        ctx = open_store(tmp_path / f"{how}.db")
        staff.init_store(ctx, store_name="店", store_code="S1", manager_code="boss", manager_pin="9999")
        db = ctx.db
        with db.session() as s, s.begin():
            sid = bulk.staff_ids(s)["boss"]
            s.execute(insert(table(mg.GiftItem)), [dict(id="g", sku="G1", name="礼品", unit_value_fen=1, threshold=0,
                                                       active=True, barcode=None, on_hand=0, movement_seq=0,
                                                       created_at=datetime(2026, 1, 1, tzinfo=UTC),
                                                       updated_at=datetime(2026, 1, 1, tzinfo=UTC))])
            coupon = [dict(id=f"c{i}", code=f"C{i}", kind="amount_off", name="券", value_fen=100, percent_bp=0,
                           max_discount_fen=0, min_spend_fen=0, category="", member_id=None, bearer=bool(i),
                           valid_from=date(2026, 12, i + 1), valid_until=date(2027, 1, 1 + i),
                           state="issued", source="manual", store_code="S1", issued_by=sid,
                           issued_at=datetime(2026, 12, 1, 9, i, tzinfo=UTC)) for i in range(2)]
            if how == "core":
                s.execute(insert(table(mg.StockMovement)), rows("m", sid))
                s.execute(insert(table(mc.Coupon)), coupon)
            else:
                bulk.insert_rows(s, mg.StockMovement, rows("m", sid))
                bulk.insert_rows(s, mc.Coupon, coupon)
        db.dispose()
        with closing(sqlite3.connect(tmp_path / f"{how}.db")) as c:
            stored[how] = [[tuple("SID" if v == sid else v for v in r) for r in c.execute(f"SELECT * FROM {t} ORDER BY id")]
                           for t in ("stock_movement", "coupon")]  # each store's manager has its own id
    assert stored["bulk"] == stored["core"] and len(stored["core"][0]) == 5 and len(stored["core"][1]) == 2
