"""Unit of work: one use case = one transaction. Everything is written, or nothing."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from pos_app.db.engine import Database


class UnitOfWork:
    def __init__(self, db: Database, read_only: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        self._session: Session | None = None
        self.committed = False
        #: per-transaction memo (e.g. the store row, which the session's weak identity map would drop)
        self.cache: dict[str, Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.session(read_only=self.read_only)
        self._session.begin()
        return self

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        self.session.commit()
        self.committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            if not self.committed:
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None
            self.cache.clear()
