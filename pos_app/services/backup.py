"""Backup and restore of the store database.

Backup (:func:`backup_now`, :func:`daily_backup`) is online: SQLite's backup API copies the database from a
connection SQLAlchemy gives us, while the app goes on recharging on its other connections (WAL: the copy is
one consistent snapshot, writers do not wait). The store file itself is never opened outside SQLite (closing
any descriptor on it would drop the process's POSIX locks, docs/store-file-safety.md). The copy is written to
a hidden temp file in the backup folder, made a single self-contained file (rollback journal mode, no WAL),
synced, checked with ``PRAGMA integrity_check`` on a fresh connection, and only then renamed to its name
(``<store code>-<store-local YYYYmmdd-HHMMSS>.db``): a backup that is there is whole. The folder keeps the
last ``backup_keep``; files are 0600, the folder 0700.

Restore (:func:`restore`) takes the store exclusively (refused while the counter app or a command has it),
copies the backup into a temp file beside the store, checks it (a SQLite database, integrity ok, a pos_app
store whose schema revision this program knows), migrates the copy to the current schema and runs the doctor
on it, checkpoints and closes the current store, keeps it aside (``store.db.before-restore-<ts>``, with its
WAL if one was left), and renames the copy into place. Until that rename nothing of the current store is
changed; after it, the restored file is complete and no stale ``-wal``/``-shm`` is beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pos_app import config
from pos_app.db.sqlitefile import checkpoint as _checkpoint
from pos_app.db.sqlitefile import copy_file, copy_live
from pos_app.db.sqlitefile import integrity_check as _integrity
from pos_app.db.storelock import StoreBusy, StoreLock, read_owner
from pos_app.domain.errors import AuthenticationFailed, DomainError, InvalidInput, PermissionDenied
from pos_app.services.common import audit, emit, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result
from pos_app.services.usecase import use_case

try:  # POSIX; see pos_app/db/storelock.py
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupFailed(DomainError):
    """The backup could not be written or did not pass its check; no backup file was left behind."""

    key = "backup.failed"


class BackupInvalid(DomainError):
    """The file given to restore is not a whole, sound pos_app store database; nothing was changed."""

    key = "backup.invalid"


class BackupTooNew(DomainError):
    key = "backup.too_new"


@dataclass(frozen=True)
class BackupResult(Result):
    path: str
    size_bytes: int
    store_code: str
    #: when the copy was taken (UTC) and the same in the store's time zone
    taken_at: datetime
    local_time: str
    integrity: str
    #: older backups removed to keep the last ``keep``
    pruned: tuple[str, ...] = ()
    keep: int | None = None


@dataclass(frozen=True)
class RestoreResult:
    db: str
    restored_from: str
    #: where the store that was there is kept (None when there was none)
    kept_aside: str | None
    revisions_before: tuple[str, ...]
    revisions_after: tuple[str, ...]
    restored_by: str


# ------------------------------------------------------------------------------------------ backup
@use_case("backup.create", permission="backup.create", event="backup.created")
def backup_now(ctx: ServiceContext, actor: Actor, *, out: str | Path | None = None) -> BackupResult:
    """A backup now (a manager): into the backup folder (keeping the last ``backup_keep``), or to ``out``."""
    cfg = config.load_backup()
    return _take(ctx, actor, cfg, out=Path(out) if out is not None and str(out).strip() else None, kind="manual")


@use_case("backup.daily", permission="backup.daily", event="backup.created")
def daily_backup(ctx: ServiceContext, actor: Actor, day: str) -> BackupResult | None:
    """The scheduled backup of store day ``day``, in the name of whoever is logged in: only from
    ``backup_at`` on, and only once that day (None when it is not time yet or one was already taken), so a
    restart, or a cashier, cannot push the older backups out of the folder."""
    cfg = config.load_backup()
    code, tz = _store(ctx)
    local = ctx.now().astimezone(tz)
    if local.date().isoformat() != day or (local.hour, local.minute) < cfg.at:
        return None
    since = f"{day.replace('-', '')}-{cfg.at[0]:02d}{cfg.at[1]:02d}00"
    if any(f"{d}-{t}" >= since for d, t, _n, _p in _backups(cfg.dir, code) if d == since[:8]):
        return None
    return _take(ctx, actor, cfg, out=None, kind="daily")


def list_backups(folder: Path, store_code: str) -> list[Path]:
    """The backups of ``store_code`` in ``folder``, oldest first."""
    return [p for *_k, p in _backups(folder, store_code)]


def _safe_code(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code or "store")


def _backups(folder: Path, code: str) -> list[tuple[str, str, int, Path]]:
    pattern = re.compile(rf"^{re.escape(_safe_code(code))}-(\d{{8}})-(\d{{6}})(?:-(\d+))?\.db$")
    found: list[tuple[str, str, int, Path]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for e in entries:
        mt = pattern.match(e.name)
        if mt and e.is_file(follow_symlinks=False):
            found.append((mt.group(1), mt.group(2), int(mt.group(3) or 1), Path(e.path)))
    found.sort(key=lambda t: t[:3])
    return found


_PART = re.compile(r"^\..+\.db\.(\d+)\.part(?:-journal)?$")


def _remove_stale_parts(folder: Path) -> None:
    """Temp files of backups whose process is gone (it crashed or was killed while writing)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        mt = _PART.match(e.name)
        if not mt or int(mt.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(mt.group(1)), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.unlink(e.path)
        except (PermissionError, OverflowError, OSError):
            pass


def _store(ctx: ServiceContext) -> tuple[str, ZoneInfo]:
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        return st.store_code, st.tz


def _owner_only_dir(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise BackupFailed("backup.dir_failed", path=str(folder), detail=exc.strerror or str(exc)) from None
    if not folder.is_dir():
        raise InvalidInput("config.invalid", setting="backup_dir", value=str(folder), allowed="a folder path")


def _fsync(path: Path, directory: bool = False) -> None:
    """Flush a file we wrote (a backup or a restore copy: never the live store) or a folder to disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return  # some platforms cannot open a folder; the rename is still atomic
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def _remove(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _take(ctx: ServiceContext, actor: Actor, cfg: config.BackupSettings, *, out: Path | None,
          kind: str) -> BackupResult:
    if not ctx.db.is_sqlite or ctx.db.path is None:
        raise BackupFailed("backup.not_sqlite_store")
    code, tz = _store(ctx)
    store_path = ctx.db.path.resolve()
    if out is not None:
        target = out.expanduser().resolve()
        folder = target.parent
        if not folder.is_dir():
            raise InvalidInput("backup.out_folder_missing", path=str(target))
        if target.exists() or target.name.startswith(store_path.name) and folder == store_path.parent:
            raise InvalidInput("backup.out_exists", path=str(target))
    else:
        folder = cfg.dir.expanduser().resolve()
        _owner_only_dir(folder)
    taken = ctx.now()
    local = taken.astimezone(tz)
    if out is None:
        base = f"{_safe_code(code)}-{local:%Y%m%d-%H%M%S}"
        target, n = folder / f"{base}.db", 1
        while target.exists():
            n += 1
            target = folder / f"{base}-{n}.db"
    tmp = folder / f".{target.name}.{os.getpid()}.part"
    _remove(tmp, Path(f"{tmp}-journal"))
    try:
        # the destination, made owner-only before SQLite writes a byte into it
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        copy_live(ctx.db.engine, tmp)
        os.chmod(tmp, 0o600)
        _fsync(tmp)
        result = _integrity(tmp)
        if result != ["ok"]:
            raise BackupFailed("backup.check_failed", path=str(target), detail="; ".join(result[:3]))
        os.replace(tmp, target)
        _fsync(folder, directory=True)
    except sqlite3.Error as exc:
        _remove(tmp, Path(f"{tmp}-journal"))
        raise BackupFailed("backup.failed", path=str(target), detail=str(exc)) from None
    except OSError as exc:
        _remove(tmp, Path(f"{tmp}-journal"))
        raise BackupFailed("backup.failed", path=str(target), detail=exc.strerror or str(exc)) from None
    except BaseException:
        _remove(tmp, Path(f"{tmp}-journal"))
        raise
    pruned: list[str] = []
    if out is None:
        _remove_stale_parts(folder)
        kept = _backups(folder, code)
        for *_k, old in kept[: max(0, len(kept) - cfg.keep)]:
            with contextlib.suppress(OSError):
                old.unlink()
                pruned.append(old.name)
    size = target.stat().st_size
    with ctx.uow() as uow:
        audit(uow, ctx, actor, "backup.create", "backup", target.name, kind=kind, path=str(target),
              size_bytes=size, pruned=len(pruned))
        emit(uow, ctx, "backup.created", {"file": target.name, "kind": kind, "size_bytes": size,
                                          "taken_at": taken.isoformat(), "staff": actor.code})
        uow.commit()
    return BackupResult(
        path=str(target), size_bytes=size, store_code=code, taken_at=taken,
        local_time=local.strftime("%Y-%m-%d %H:%M:%S"), integrity="ok", pruned=tuple(pruned),
        keep=None if out is not None else cfg.keep,
    )


# ------------------------------------------------------------------------------------------ restore
#: how long restore waits for running commands to finish before it says the store is in use
RESTORE_WAIT_S = 2.0

Login = Callable[[ServiceContext], Actor]


@contextlib.contextmanager
def _exclusive(db_path: Path, wait_s: float) -> Iterator[None]:
    """The store's lock, exclusively: refused at once while the counter app holds it (StoreLock says so),
    after ``wait_s`` while a command does. The lock file is not the database."""
    lock = StoreLock(db_path, "command").acquire(wait_s=wait_s)
    try:
        if fcntl is not None and lock.fd is not None:
            deadline = time.monotonic() + max(0.0, wait_s)
            while True:
                try:
                    fcntl.flock(lock.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    # (converting a flock is not atomic: the app may have taken it meanwhile)
                    owner = read_owner(db_path)
                    if owner is not None and owner.kind == "app" and owner.pid != os.getpid():
                        since = owner.since.replace("T", " ")[:16]
                        raise StoreBusy("store.busy_app", db=str(db_path), pid=owner.pid, since=since) from None
                    if time.monotonic() >= deadline:
                        raise StoreBusy("store.busy_command", db=str(db_path)) from None
                    time.sleep(0.05)
        yield
    finally:
        lock.release()


def _header_check(source: Path) -> None:
    try:
        size = source.stat().st_size
        with source.open("rb") as fh:  # the backup file, never the live store
            head = fh.read(100)
    except OSError as exc:
        raise BackupInvalid("backup.unreadable", file=str(source), detail=exc.strerror or str(exc)) from None
    if not head.startswith(SQLITE_MAGIC):
        raise BackupInvalid("backup.not_sqlite", file=str(source))
    if len(head) < 100:
        raise BackupInvalid("backup.truncated", file=str(source), size=size, expected=100)
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # the header's page count is valid when its "version-valid-for" matches the change counter
    if head[24:28] == head[92:96] and pages and size < page * pages:
        raise BackupInvalid("backup.truncated", file=str(source), size=size, expected=page * pages)


def _copy_checked(source: Path, tmp: Path) -> tuple[str, ...]:
    """Copy ``source`` into ``tmp`` with SQLite's backup API and check it: integrity and a schema
    revision. Returns the revisions it was at."""
    _header_check(source)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        check, revs = copy_file(source, tmp)
        if check != ["ok"]:
            raise BackupInvalid("backup.corrupt", file=str(source), detail="; ".join(check[:2]))
        if not revs:
            raise BackupInvalid("backup.not_store", file=str(source))
    except sqlite3.DatabaseError as exc:
        raise BackupInvalid("backup.corrupt", file=str(source), detail=str(exc)) from None
    return revs


def _prepare(source: Path, tmp: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The checked copy in ``tmp``, migrated to the current schema and passing the doctor; then closed,
    so it is one file (no WAL, no shm)."""
    from pos_app import bootstrap  # noqa: PLC0415
    from pos_app.db import migrate  # noqa: PLC0415
    from pos_app.db.engine import Database  # noqa: PLC0415
    from pos_app.services.doctor import run_doctor  # noqa: PLC0415

    before = _copy_checked(source, tmp)
    database = Database(tmp)
    try:
        try:
            migrate.upgrade(database)
        except migrate.StoreTooNew as exc:
            raise BackupTooNew(file=str(source), version=exc.params.get("version", ""),
                               known=exc.params.get("known", "")) from None
        rep = run_doctor(bootstrap.service_context(database))
        if not rep.ok:
            raise BackupInvalid("backup.doctor_failed", file=str(source), detail=rep.problems[0])
        after = tuple(sorted(migrate.current(database)))
    finally:
        _seal(database, tmp)
    return before, after


def _seal(database: Any, tmp: Path) -> None:
    """Close the restore copy so it is one file on disk: checkpointed, out of WAL mode, nothing beside it."""
    try:
        _checkpoint(database.engine, leave_wal=True)
    finally:
        database.dispose()
    for side in ("-wal", "-shm", "-journal"):
        _remove(Path(f"{tmp}{side}"))
    _fsync(tmp)


def _record(tmp: Path, actor: Actor, source: Path, before: tuple[str, ...]) -> None:
    """The restore's audit row, written into the restored copy before it is put in place (the person
    restoring may not be in the backup: then the row names their staff code only)."""
    from pos_app import bootstrap  # noqa: PLC0415
    from pos_app.db import models as m  # noqa: PLC0415
    from pos_app.db.engine import Database  # noqa: PLC0415

    database = Database(tmp)
    try:
        ctx = bootstrap.service_context(database)
        with ctx.uow() as uow:
            known = uow.session.get(m.Staff, actor.staff_id) is not None if actor.staff_id else False
            who = actor if known else Actor("", actor.code, actor.name, actor.role)
            audit(uow, ctx, who, "backup.restore", "store", source.name, restored_from=str(source),
                  restored_by=actor.code, backup_revisions=list(before))
            uow.commit()
    finally:
        _seal(database, tmp)


def _authorize(db_path: Path, tmp: Path, login: Login) -> Actor:
    """A manager of the current store; when there is none that can be read (missing, damaged, not
    initialised), a manager of the backup. A wrong PIN on a readable store is final."""
    from pos_app import bootstrap  # noqa: PLC0415
    from pos_app.db.opening import open_database  # noqa: PLC0415

    def as_manager(path: Path, checkpoint: bool) -> Actor:
        ctx = bootstrap.service_context(open_database(path, create=False, migrate_now=False))
        try:
            actor = login(ctx)
            require(actor, "system.admin")
            if checkpoint:  # everything in the WAL goes into the file that is kept aside
                _checkpoint(ctx.db.engine)
            return actor
        finally:
            ctx.db.dispose()

    if db_path.exists():
        try:
            return as_manager(db_path, checkpoint=True)
        except (AuthenticationFailed, PermissionDenied):
            raise
        except Exception:  # noqa: BLE001 - the current store cannot be read: it is what restore is for
            pass
    try:
        return as_manager(tmp, checkpoint=False)
    finally:
        for side in ("-wal", "-shm"):
            _remove(Path(f"{tmp}{side}"))


def _aside_name(db_path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside, n = db_path.with_name(f"{db_path.name}.before-restore-{stamp}"), 1
    while aside.exists():
        n += 1
        aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}-{n}")
    return aside


def _swap(db_path: Path, tmp: Path) -> Path | None:
    """Keep the current store aside and put the restored copy in its place. The current store's
    connections are all closed (we hold the store exclusively); the name ``store.db`` points at the old
    file until the one rename that makes it the restored one."""
    aside: Path | None = None
    if db_path.exists():
        aside = _aside_name(db_path)
        try:
            os.link(db_path, aside)  # the old file stays at its name too, until the replace below
        except OSError:
            os.rename(db_path, aside)
    for side in ("-wal", "-shm"):
        stale = Path(f"{db_path}{side}")
        if stale.exists():
            if side == "-wal" and aside is not None:
                os.replace(stale, Path(f"{aside}{side}"))  # what was not checkpointed stays with the old file
            else:
                _remove(stale)  # a shm is rebuilt from its WAL; none may pair with the restored file
    os.replace(tmp, db_path)
    os.chmod(db_path, 0o600)
    _fsync(db_path.parent, directory=True)
    return aside


def restore(db: str | Path, source: str | Path, *, login: Login, wait_s: float = RESTORE_WAIT_S) -> RestoreResult:
    """Replace the store at ``db`` with the backup ``source`` (a manager: ``login`` returns the Actor of
    the person restoring, from the store it is given). Refused while anybody has the store open."""
    db_path = Path(db).expanduser().resolve()
    src = Path(source).expanduser()
    if not src.is_file():
        raise BackupInvalid("backup.missing", file=str(src))
    if src.resolve() == db_path:
        raise InvalidInput("backup.is_store", file=str(src))
    if db_path.is_dir():
        raise InvalidInput("store.path_invalid", db=str(db_path))
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _exclusive(db_path, wait_s):
        tmp = db_path.with_name(f".{db_path.name}.restore-{os.getpid()}.part")
        _remove(tmp, *(Path(f"{tmp}{s}") for s in ("-wal", "-shm", "-journal")))
        try:
            before, after = _prepare(src, tmp)
            actor = _authorize(db_path, tmp, login)
            _record(tmp, actor, src.resolve(), before)
            aside = _swap(db_path, tmp)
        finally:
            _remove(tmp, *(Path(f"{tmp}{s}") for s in ("-wal", "-shm", "-journal")))
    return RestoreResult(db=str(db_path), restored_from=str(src.resolve()), kept_aside=str(aside) if aside else None,
                         revisions_before=before, revisions_after=after, restored_by=actor.code)


def describe(res: Any) -> dict[str, Any]:
    """For --json: the result's fields."""
    return dict(res.__dict__)
