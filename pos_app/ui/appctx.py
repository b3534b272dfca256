"""What every screen gets: the service context, the database worker, the logged-in staff member, and a
signal saying which area of data changed (so each screen refreshes only what it shows)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from pos_app.services.context import Actor, ServiceContext
from pos_app.ui.ops import DbWorker


class AppContext(QObject):
    #: an area changed: "members", "wallet", "coupons", "gifts", "stock", "campaigns", "staff", "sync"
    changed = Signal(str)
    #: the logged-in staff member changed (login, switch user); carries the Actor or None when locked
    actor_changed = Signal(object)

    def __init__(self, ctx: ServiceContext, worker: DbWorker, actor: Actor | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.worker = worker
        self._actor = actor
        #: set by the main window: asks a manager for their PIN, returns the manager Actor or None
        self.ask_manager: Callable[[str], Actor | None] | None = None

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("nobody is logged in")
        return self._actor

    @property
    def has_actor(self) -> bool:
        return self._actor is not None

    def set_actor(self, actor: Actor | None) -> None:
        self._actor = actor
        self.actor_changed.emit(actor)

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        changes: str | None = None,
    ) -> None:
        """Run ``fn`` (a service call) on the database worker; on success, announce ``changes``."""

        def ok(result: Any) -> None:
            if on_success is not None:
                on_success(result)
            if changes:
                self.changed.emit(changes)

        self.worker.run(fn, ok, on_failure)
