"""One owner at a time for a store database file, and a guard that refuses to write into a lost WAL.

Why (docs/store-file-safety.md has the whole story): SQLite coordinates processes with POSIX advisory
locks, and closing *any* descriptor a process holds on the database file drops *all* of that process's
POSIX locks on it (SQLite's "How To Corrupt An SQLite Database File", section 2.2). A file dialog that
opens and closes ``store.db`` to guess its type is enough. Another process then believes it is the only
connection, checkpoints, and deletes the WAL on its last close, while the first process goes on
committing into the deleted file: those commits are gone when it exits.

So the store is held through a lock that another descriptor's close cannot drop: ``flock`` on a lock file
beside the database (``store.db.lock``). ``flock`` belongs to the open file description, not to the
process, so closing some other descriptor of the same file (or of the database) leaves it in place.

- The counter app takes it exclusively for as long as it has the store open.
- Each ``pos-app`` command takes it shared for its run: commands run side by side, never beside the app.
- A process that cannot get it says who holds it (the app writes its pid, host and start time into the
  lock file) and touches nothing.

Defence in depth, :class:`WalGuard`: before each write transaction a process checks that the WAL its
connection opened is still the one on disk (same device and inode, and the database file too). If it is
not, somebody deleted or replaced it behind the process's back: the write is refused, the connection is
dropped (the next one opens the file afresh: what the other process checkpointed is in the database
file), and nothing is written into a deleted file.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:  # POSIX; on Windows SQLite's own locks are mandatory and the problem does not arise
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms the app ships for today
    fcntl = None  # type: ignore[assignment]

from pos_app.domain.errors import DomainError

#: the counter app holds the store exclusively; commands hold it shared
APP = "app"
COMMAND = "command"


class StoreBusy(DomainError):
    """Another process owns the store: the counter app (for commands and a second app) or a command (for the app)."""

    key = "store.busy_app"


class StoreFileChanged(DomainError):
    """The WAL or database file this process writes to is no longer the one on disk."""

    key = "store.file_changed"


class StoreFolderReadOnly(DomainError):
    """The store's folder cannot be written: neither its lock file nor SQLite's journal can be made beside it."""

    key = "store.folder_read_only"


#: what os.open answers in a folder (or on a file system) that may not be written
_READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


@dataclass(frozen=True)
class Owner:
    kind: str
    pid: int
    host: str
    since: str

    def describe(self) -> dict[str, Any]:
        return {"pid": self.pid, "host": self.host, "since": self.since}


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def read_owner(db_path: Path) -> Owner | None:
    """Who wrote the lock file last (the app writes itself in; commands do not). Reading is harmless: the
    lock file is not the database, and ``flock`` survives other descriptors' closes."""
    try:
        data = json.loads(lock_path(db_path).read_text(encoding="utf-8") or "{}")
        return Owner(str(data["kind"]), int(data["pid"]), str(data["host"]), str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class StoreLock:
    """The ``flock`` on ``<db>.lock``: exclusive for the app, shared for a command."""

    def __init__(self, db_path: Path, kind: str) -> None:
        if kind not in (APP, COMMAND):
            raise ValueError(kind)
        self.db_path = db_path
        self.path = lock_path(db_path)
        self.kind = kind
        self.fd: int | None = None
        self._ino: tuple[int, int] | None = None

    # ------------------------------------------------------------------ acquire / release
    def acquire(self, wait_s: float = 0.0) -> StoreLock:
        """Take the lock, waiting up to ``wait_s`` seconds for a command to finish (never for the app)."""
        if fcntl is None:  # pragma: no cover
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            if exc.errno in _READ_ONLY_ERRNOS:
                raise StoreFolderReadOnly(db=str(self.db_path)) from None
            raise
        try:
            mode = fcntl.LOCK_EX if self.kind == APP else fcntl.LOCK_SH
            deadline = time.monotonic() + max(0.0, wait_s)
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    owner = read_owner(self.db_path)
                    app_holds = owner is not None and owner.kind == APP and _alive(owner)
                    if app_holds or time.monotonic() >= deadline:
                        raise self._busy(owner if app_holds else None) from None
                    time.sleep(0.05)
            st = os.fstat(fd)
            self._ino = (st.st_dev, st.st_ino)
            if self.kind == APP:
                info = {"kind": APP, "pid": os.getpid(), "host": socket.gethostname(),
                        "since": datetime.now(UTC).isoformat(timespec="seconds")}
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        return self

    def _busy(self, owner: Owner | None) -> StoreBusy:
        db = str(self.db_path)
        if owner is not None:
            since = owner.since.replace("T", " ")[:16]
            return StoreBusy("store.busy_app", db=db, pid=owner.pid, since=since)
        return StoreBusy("store.busy_command", db=db)

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            if self.kind == APP:
                os.ftruncate(fd, 0)  # no stale owner left behind
        except OSError:
            pass
        os.close(fd)  # closing the descriptor releases the flock

    @property
    def held(self) -> bool:
        """We still hold a lock on the file that is at the lock path (nobody deleted or replaced it)."""
        if fcntl is None:  # pragma: no cover
            return True
        if self.fd is None or self._ino is None:
            return False
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._ino

    def reacquire(self) -> None:
        """After the lock file was deleted or replaced: take a lock on the file that is there now."""
        old = self.fd
        self.fd = None
        try:
            self.acquire()
        finally:
            if old is not None:
                os.close(old)

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _alive(owner: Owner) -> bool:
    if owner.host != socket.gethostname():
        return True  # cannot tell: a store file on a share, held from another machine
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------------------------------------- WAL guard
def _ident(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class WalGuard:
    """Checks, before each write transaction, that a connection's database file and WAL are still on disk.

    The identity of both files is recorded per DBAPI connection right after its first ``BEGIN IMMEDIATE``
    (SQLite has the WAL open by then); each later write transaction on that connection compares the files
    at the paths with what was recorded. A connection whose files vanished or were replaced is dropped
    and the write refused (:class:`StoreFileChanged`); the process's lock is taken again if its lock file
    went too."""

    INFO_KEY = "pos_store_files"

    def __init__(self, db_path: Path, lock: StoreLock | None = None) -> None:
        self.db = str(db_path)
        self.wal = self.db + "-wal"
        self.lock = lock
        #: how many times a lost file was found (the app logs it; tests read it)
        self.trips = 0

    def before_write(self, info: dict[str, Any]) -> None:
        """Raise :class:`StoreFileChanged` when the files recorded in ``info`` are no longer on disk."""
        lock_lost = self.lock is not None and self.lock.fd is not None and not self.lock.held
        seen = info.get(self.INFO_KEY)
        lost = lock_lost
        if seen is not None and not lost:
            lost = (_ident(self.db), _ident(self.wal)) != seen
        if lost:
            self.trips += 1
            if lock_lost and self.lock is not None:
                try:
                    self.lock.reacquire()
                except (DomainError, OSError):
                    pass
            raise StoreFileChanged(db=self.db)

    def after_begin(self, info: dict[str, Any]) -> None:
        if self.INFO_KEY not in info:
            info[self.INFO_KEY] = (_ident(self.db), _ident(self.wal))
