"""Operations, after Anki's CollectionOp/QueryOp: a UI action wraps a service call in an op that runs
on the single database worker thread and reports success or failure back on the GUI thread by signal.
The op's function never touches widgets.

Ops may carry a ``key``: a newer op with the same key supersedes the older ones. A superseded op that
has not started yet is skipped; one that already ran has its result dropped (search-as-you-type never
shows stale results and never queues up a backlog of searches)."""

from __future__ import annotations

import itertools
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

from pos_app.domain.errors import DomainError

_Item = tuple[int, str | None, Callable[[], Any]]


def alive(callback: Callable[..., Any] | None) -> bool:
    """False when ``callback`` is a method of a widget/QObject whose C++ side is already deleted (the
    screen or dialog that asked was closed before the answer came back)."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


#: the answer of an op that a newer one with its key superseded before it started
_SKIPPED = object()


class _Bridge(QObject):
    done = Signal(object, object, object)  # token, result, error (the token alone: skipped)
    idle = Signal()


class DbWorker:
    """One thread that runs every database op in order (SQLite has one writer)."""

    def __init__(self) -> None:
        self._q: queue.Queue[_Item | None] = queue.Queue()
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver)
        self._latest: dict[str, int] = {}
        #: token -> (key, fn, on_success, on_failure) of every op not yet answered (GUI thread only)
        self._ops: dict[int, tuple[str | None, Callable[[], Any], Any, Any]] = {}
        self._lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._thread = threading.Thread(target=self._loop, name="db-worker", daemon=True)
        self._thread.start()
        self.pending = 0
        #: unexpected (non-domain) errors seen, for the smoke check
        self.crashes: list[BaseException] = []
        #: emitted on the GUI thread whenever the queue has drained
        self.idle = self._bridge.idle

    def _superseded(self, token: int, key: str | None) -> bool:
        if key is None:
            return False
        with self._lock:
            return self._latest.get(key, token) != token

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            token, key, fn = item
            del item
            if self._superseded(token, key):
                del fn
                self._bridge.done.emit(token, _SKIPPED, None)
                continue
            try:
                result = fn()
            except BaseException as exc:  # delivered to the GUI thread
                if not isinstance(exc, DomainError):
                    traceback.print_exc()
                del fn
                self._bridge.done.emit(token, None, exc)
                continue
            del fn
            self._bridge.done.emit(token, result, None)
            del result

    @Slot(object, object, object)
    def _deliver(self, token: int, result: Any, error: Any) -> None:
        self.pending -= 1
        with self._lock:
            key, fn, on_success, on_failure = self._ops.pop(token)
        del fn  # released here, on the GUI thread (see ``run``)
        try:
            if result is _SKIPPED or self._superseded(token, key):
                return
            if error is None:
                if on_success is not None and alive(on_success):
                    on_success(result)
            else:
                if not isinstance(error, DomainError):
                    self.crashes.append(error)
                if on_failure is not None and alive(on_failure):
                    on_failure(error)
        finally:
            if self.pending == 0:
                self.idle.emit()

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        *,
        key: str | None = None,
    ) -> None:
        """Queue ``fn``. The op and its callbacks stay referenced on the GUI thread until its answer is delivered,
        and the worker drops its own reference before it answers: so whatever they hold (a dialog, a screen) is
        released on the GUI thread, never on the worker (a Qt object deleted there would leave its timers
        registered)."""
        token = next(self._tokens)
        with self._lock:
            if key is not None:
                self._latest[key] = token
            self._ops[token] = (key, fn, on_success, on_failure)
        self.pending += 1
        self._q.put((token, key, fn))

    def cancel(self, key: str) -> None:
        """Drop whatever is pending under ``key``."""
        with self._lock:
            self._latest[key] = next(self._tokens)

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=5)
