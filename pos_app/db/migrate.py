"""Apply the Alembic migrations in ``migrations/`` to a store database."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError

from pos_app.db.engine import Database
from pos_app.domain.errors import DomainError

if TYPE_CHECKING:
    from alembic.config import Config


def migrations_dir() -> Path:
    env = os.environ.get("POS_MIGRATIONS_DIR")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "migrations"
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(db: Database) -> Config:
    from alembic.config import Config  # noqa: PLC0415  (alembic is imported only when needed)

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database) -> None:
    """Bring the database to the newest revision of every branch ("heads"). Cheap when it already is:
    the version table is compared with the heads read from the revision files, and Alembic itself is
    only loaded when there is something to do (every CLI call starts here)."""
    quick = _quick_heads()
    stored = _read_version_table(db)
    if quick is not None and quick == stored:
        return
    known = _known_revisions()
    if stored and known is not None and not stored <= known:
        # written by a newer pos_app: an older one must not touch it (Alembic would fail half-way)
        raise StoreTooNew(db=db.url.removeprefix("sqlite:///"), version=", ".join(sorted(stored - known)),
                          known=", ".join(sorted(quick or known)))
    from alembic import command  # noqa: PLC0415

    cfg = alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
        conn.commit()


class StoreTooNew(DomainError):
    """The store's schema version is one this program does not know: a newer pos_app wrote it."""

    key = "store.too_new"


def _known_revisions() -> set[str] | None:
    parsed = _parse_revisions()
    return None if parsed is None else parsed[0]


def _quick_heads() -> set[str] | None:
    """Heads from the revision files' ``revision``/``down_revision`` assignments (no imports); None when
    a file does not say them plainly, so the caller asks Alembic instead."""
    parsed = _parse_revisions()
    if parsed is None:
        return None
    revisions, parents = parsed
    return (revisions - parents) or None


#: what _parse_revisions found, for the revision files as they were (names, sizes, modification times)
_PARSED: dict[tuple[tuple[str, int, int], ...], tuple[set[str], set[str]] | None] = {}


def _parse_revisions() -> tuple[set[str], set[str]] | None:
    """(revisions, their parents) from the revision files, parsed once per process while the files stay as
    they are (a process that opens many stores reads them once)."""
    try:
        files = sorted(migrations_dir().joinpath("versions").glob("*.py"))
        sig = tuple((str(f), st.st_size, st.st_mtime_ns) for f in files for st in (f.stat(),))
    except OSError:
        return None
    if sig not in _PARSED:
        _PARSED.clear()
        _PARSED[sig] = _parse_files(files)
    got = _PARSED[sig]
    return None if got is None else (set(got[0]), set(got[1]))


def _parse_files(files: list[Path]) -> tuple[set[str], set[str]] | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in files:
            found: dict[str, object] = {}
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                target = None
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value = node.targets[0], node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    target, value = node.target, node.value
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(value)
            rev, down = found.get("revision"), found.get("down_revision")
            if not isinstance(rev, str):
                return None
            revisions.add(rev)
            if isinstance(down, str):
                parents.add(down)
            elif isinstance(down, tuple | list):
                parents.update(str(d) for d in down)
            elif down is not None:
                return None
    except (OSError, SyntaxError, ValueError):
        return None
    return revisions, parents


def _read_version_table(db: Database) -> set[str] | None:
    """The stored revisions, read without the write lock (WAL readers never wait for a writer)."""
    try:
        with db.read_engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except (OperationalError, ProgrammingError):
        return None


def heads(db: Database) -> set[str]:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return set(ScriptDirectory.from_config(alembic_config(db)).get_heads())


def current(db: Database) -> set[str]:
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def is_current(db: Database) -> bool:
    return current(db) == heads(db)
