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

_Item = tuple[int, str | None, Callable[[], Any], Callable[[Any], None] | None, Callable[[BaseException], None] | None]


def alive(callback: Callable[..., Any] | None) -> bool:
    """False when ``callback`` is a method of a widget/QObject whose C++ side is already deleted (the
    screen or dialog that asked was closed before the answer came back)."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


class _Bridge(QObject):
    done = Signal(object, object, object, object, object)  # token, on_success, on_failure, result, error
    idle = Signal()


class DbWorker:
    """One thread that runs every database op in order (SQLite has one writer)."""

    def __init__(self) -> None:
        self._q: queue.Queue[_Item | None] = queue.Queue()
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver)
        self._latest: dict[str, int] = {}
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
            token, key, fn, ok, fail = item
            if self._superseded(token, key):
                self._bridge.done.emit(token, None, None, None, None)
                continue
            try:
                result = fn()
                self._bridge.done.emit(token, (key, ok), fail, result, None)
            except BaseException as exc:  # delivered to the GUI thread
                if not isinstance(exc, DomainError):
                    traceback.print_exc()
                self._bridge.done.emit(token, (key, ok), fail, None, exc)

    @Slot(object, object, object, object, object)
    def _deliver(self, token: int, ok: Any, fail: Any, result: Any, error: Any) -> None:
        self.pending -= 1
        try:
            if ok is None:  # skipped
                return
            key, on_success = ok
            if self._superseded(token, key):
                return
            if error is None:
                if on_success is not None and alive(on_success):
                    on_success(result)
            else:
                if not isinstance(error, DomainError):
                    self.crashes.append(error)
                if fail is not None and alive(fail):
                    fail(error)
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
        token = next(self._tokens)
        if key is not None:
            with self._lock:
                self._latest[key] = token
        self.pending += 1
        self._q.put((token, key, fn, on_success, on_failure))

    def cancel(self, key: str) -> None:
        """Drop whatever is pending under ``key``."""
        with self._lock:
            self._latest[key] = next(self._tokens)

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=5)
