"""What every screen gets: the service context, the database worker, the logged-in staff member, the
member selected at the counter, and a signal saying which area of data changed (so each screen
refreshes only what it shows).

Kept free of SQLAlchemy imports so the login window can be shown before the database layer loads."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from pos_app.ui.ops import DbWorker, alive

if TYPE_CHECKING:
    from pos_app.services.context import Actor, ServiceContext


DEFAULT_STORE_TZ = "Asia/Shanghai"


class AppContext(QObject):
    #: what an operation changed (a services.changes.Changes, from the service's result)
    changed = Signal(object)
    #: the logged-in staff member changed (login, switch user); carries the Actor or None when locked
    actor_changed = Signal(object)
    #: the member selected at the counter changed (a MemberDTO or None)
    member_changed = Signal(object)
    #: the store database is open (``ctx`` is usable)
    ready = Signal()
    #: text for the status bar's sync label (the sync module emits it; default: no central server)
    sync_status = Signal(str)

    def __init__(self, ctx: ServiceContext | None, worker: DbWorker, actor: Actor | None = None) -> None:
        super().__init__()
        self._ctx = ctx
        self.worker = worker
        self._actor = actor
        self._member: Any = None
        self.store_name = ""
        #: the store's time zone (StoreBrief.timezone, set when the store opens): every clock the UI shows
        self.store_tz: ZoneInfo = ZoneInfo(DEFAULT_STORE_TZ)
        self.central_url: str | None = None
        #: the sync scheduler (pos_app.ui.sync_view.SyncScheduler) once the store is open, else None
        self.sync_scheduler: Any = None
        #: set by the main window: asks a manager for their PIN, returns the manager Actor or None
        self.ask_manager: Callable[[str], Actor | None] | None = None

    # ----------------------------------------------------------------- context and actor
    @property
    def ctx(self) -> ServiceContext:
        if self._ctx is None:
            raise RuntimeError("the store database is not open yet")
        return self._ctx

    @property
    def has_ctx(self) -> bool:
        return self._ctx is not None

    def set_ctx(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self.ready.emit()

    def set_store_timezone(self, name: str) -> None:
        self.store_tz = ZoneInfo(name)

    def store_now(self) -> datetime:
        """Now, in the store's time zone, on the services' clock (tests move it), not the machine's zone."""
        now = self._ctx.now() if self._ctx is not None else datetime.now(UTC)
        return now.astimezone(self.store_tz)

    def store_today(self) -> date:
        """The store's calendar date (a date filter's default, "today's" rows)."""
        return self.store_now().date()

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

    # ----------------------------------------------------------------- selected member
    @property
    def member(self) -> Any:
        """The MemberDTO selected at the counter, or None."""
        return self._member

    def set_member(self, member: Any) -> None:
        self._member = member
        self.member_changed.emit(member)

    # ----------------------------------------------------------------- ops
    @staticmethod
    def new_request_id() -> str:
        """A client-generated request id: one per confirmation, reused on a repeat."""
        return "ui-" + uuid.uuid4().hex

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        """Run ``fn`` (a service call) on the database worker; on success, announce what the service says
        it changed (its result's ``changes``)."""

        def ok(result: Any) -> None:
            if on_success is not None and alive(on_success):
                on_success(result)
            changes = getattr(result, "changes", None)
            if changes:
                self.changed.emit(changes)

        self.worker.run(fn, ok, on_failure, key=key)


class ScreenScope(QObject):
    """What one set of screens gets instead of the AppContext itself: the same API, with the three
    signals screens listen to relayed from the root context. The main window detaches the scope when it
    rebuilds the screens (another user, another language), so nothing connected to it (bound methods or
    lambdas) is called on a screen that is gone."""

    changed = Signal(object)
    actor_changed = Signal(object)
    member_changed = Signal(object)

    def __init__(self, root: AppContext) -> None:
        super().__init__()
        self._root = root
        self._attached = True
        root.changed.connect(self.changed)
        root.actor_changed.connect(self.actor_changed)
        root.member_changed.connect(self.member_changed)

    @property
    def root(self) -> AppContext:
        return self._root

    def __getattr__(self, name: str) -> Any:  # everything else is the root context's
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._root, name)

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        """As ``AppContext.run``; an answer that comes back after the scope was detached is not delivered
        to the (gone) screens, but its ``changes`` are still announced."""

        def ok(result: Any) -> None:
            if self._attached and on_success is not None and alive(on_success):
                on_success(result)

        def fail(exc: BaseException) -> None:
            if self._attached and on_failure is not None and alive(on_failure):
                on_failure(exc)

        self._root.run(fn, ok if on_success is not None else None, fail if on_failure is not None else None,
                       key=key)

    def detach(self) -> None:
        """Stop relaying (at once, before the old screens are deleted) and delete the scope later."""
        if self._attached:
            self._attached = False
            self._root.changed.disconnect(self.changed)
            self._root.actor_changed.disconnect(self.actor_changed)
            self._root.member_changed.disconnect(self.member_changed)
            self.deleteLater()


class ApprovedScope(ScreenScope):
    """A scope whose actor is a manager approving for the one at the counter (``Actor.approving``): a screen a
    cashier opened with a manager's PIN (F10) runs every use case with that approval, the audit naming both."""

    def __init__(self, root: AppContext, actor: Actor) -> None:
        super().__init__(root)
        self._approved = actor

    @property
    def actor(self) -> Actor:
        return self._approved

    @property
    def has_actor(self) -> bool:
        return True
