"""What every use case needs: the database, the feature handlers (the registry built at start-up by
``pos_app.bootstrap``), a clock and a random source (tests control both)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pos_app.db.engine import Database
from pos_app.db.uow import UnitOfWork
from pos_app.domain.ids import RandBits, uuid7

if TYPE_CHECKING:
    from pos_app.services.registry import Registry
    from pos_app.services.usecase import UseCaseRun


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    db: Database
    registry: Registry
    clock: Callable[[], datetime] = utc_now
    randbits: RandBits = field(default=secrets.randbits)
    #: the use case being run (set by services/usecase.py on the context it hands the use case)
    run: UseCaseRun | None = None

    def uow(self, read_only: bool = False) -> UnitOfWork:
        if read_only or self.run is None:
            return UnitOfWork(self.db, read_only=read_only)
        self.run.opened()
        return UnitOfWork(self.db, before_commit=self.run.before_commit)

    def running(self, run: UseCaseRun) -> ServiceContext:
        """This context for one call of a use case: its write transaction is checked by ``run``."""
        return replace(self, run=run)

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the service clock must return aware datetimes")
        return now.astimezone(UTC)

    def new_id(self) -> str:
        return uuid7(self.now(), self.randbits)


@dataclass(frozen=True)
class Actor:
    """The logged-in staff member a use case runs for.

    A manager who approves one action for the person at the counter is ``Actor.approving(manager, operator)``:
    the use case checks the manager's role, and its audit row names the operator as who did it and the
    manager as who approved it (``services.common.audit``)."""

    staff_id: str
    code: str
    name: str
    role: str
    #: the staff member at the counter this manager approves the action for (None: acting for themselves)
    operator: Actor | None = field(default=None, compare=False, repr=False)

    @classmethod
    def approving(cls, manager: Actor, operator: Actor | None) -> Actor:
        """``manager`` approving one action for ``operator`` (the manager alone when it is the same person)."""
        if operator is None or operator.staff_id == manager.staff_id:
            return manager
        return cls(manager.staff_id, manager.code, manager.name, manager.role, operator=operator)
