"""The Alembic migrations and the SQLAlchemy models agree (autogenerate finds no difference), on SQLite and,
when POS_TEST_PG_URL is set, on PostgreSQL; the use cases run on PostgreSQL too."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from pos_app import bootstrap
from pos_app.db import migrate
from pos_app.db.all_models import metadata
from pos_app.db.engine import Database
from pos_app.services import doctor, members, staff, wallet


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(ctx, metadata)


def test_sqlite_fresh_file_upgrades_to_heads_and_matches_the_models(tmp_path):
    db = Database(tmp_path / "fresh.db")
    assert migrate.current(db) == set()
    migrate.upgrade(db)
    assert migrate.is_current(db)
    assert migrate.current(db) == migrate.heads(db)
    assert _diff(db.engine) == []
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    migrate.upgrade(db)  # a second start is a no-op
    assert migrate.is_current(db)
    db.dispose()


def test_a_diff_is_detected_when_models_and_schema_disagree(tmp_path):
    """The comparison is real: a column the migrations do not create shows up."""
    db = Database(tmp_path / "drift.db")
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE member ADD COLUMN stray INTEGER")
    diff = _diff(db.engine)
    assert any(d[0] == "remove_column" and d[3].name == "stray" for d in diff)
    db.dispose()


PG_URL = os.environ.get("POS_TEST_PG_URL", "")


@pytest.fixture
def pg_schema_url():
    """A fresh schema per test (dropped after), so reruns and other tests never see each other's tables."""
    schema = f"pos_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.mark.pg
def test_postgres_upgrades_to_heads_and_matches_the_models(pg_schema_url):
    url, schema = pg_schema_url
    db = Database(url)
    migrate.upgrade(db)
    assert migrate.is_current(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar() == schema
        assert conn.execute(
            text("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = :s AND table_name = 'member'"),
            {"s": schema},
        ).scalar() == 1
    assert _diff(db.engine) == []
    db.dispose()


@pytest.mark.pg
def test_postgres_register_recharge_spend_refund_through_the_services(pg_schema_url):
    url, _ = pg_schema_url
    db = Database(url)
    migrate.upgrade(db)
    ctx = bootstrap.service_context(db, clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    staff.init_store(ctx, store_code="PG01", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, boss, code="c1", role="cashier", pin="1111")
    cashier = staff.login(ctx, "c1", "1111")
    from pos_app.services import campaigns
    from pos_app.services.campaigns import read_campaign_file
    from tests.conftest import DEMO_CAMPAIGN

    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    campaigns.load_campaign(ctx, boss, data)
    a = members.register_member(ctx, cashier, phone="13800138000")
    b = members.register_member(ctx, cashier, phone="13900139000", invite_code=a.invite_code)
    assert b.inviter_id == a.member_id
    r = wallet.recharge(ctx, cashier, member_id=a.member_id, tier_code="basic", request_id="pg-rc-1")
    assert (r.principal_fen, r.bonus_fen, r.balance_fen, r.points) == (500_00, 50_00, 550_00, 50)
    assert wallet.recharge(ctx, cashier, member_id=a.member_id, tier_code="basic", request_id="pg-rc-1") == r
    s = wallet.spend(ctx, cashier, phone="13800138000", amount_fen=100_00)
    assert (s.principal_fen, s.bonus_fen, s.balance_fen) == (90_91, 9_09, 450_00)
    rf = wallet.refund(ctx, boss, recharge_id=r.recharge_id)
    assert (rf.principal_refund_fen, rf.bonus_revoke_fen, rf.points_revoked, rf.balance_fen) == (409_09, 40_91, 50, 0)
    m = members.get_member(ctx, cashier, phone="13800138000")
    assert (m.balance_fen, m.points, m.invites_made) == (0, 0, 1)
    assert [x.phone for x in members.find_members(ctx, cashier, "139")] == ["13900139000"]
    rep = doctor.run_doctor(ctx)
    assert rep.ok, rep.problems
    db.dispose()
