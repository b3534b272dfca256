"""Operations, after Anki's CollectionOp/QueryOp: a UI action wraps a service call in an op that runs
on the single database worker thread and reports success or failure back on the GUI thread by signal.
The op's function never touches widgets."""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from pos_app.domain.errors import DomainError


class _Bridge(QObject):
    done = Signal(object, object, object, object)  # on_success, on_failure, result, error


class DbWorker:
    """One thread that runs every database op in order (SQLite has one writer)."""

    def __init__(self) -> None:
        self._q: queue.Queue[tuple[Callable[[], Any], Callable[[Any], None] | None, Callable[[BaseException], None] | None] | None] = queue.Queue()
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver)
        self._thread = threading.Thread(target=self._loop, name="db-worker", daemon=True)
        self._thread.start()
        self.pending = 0

    def _loop(self) -> None:
        while True:
            item = self._q.get()
            if item is None:
                return
            fn, ok, fail = item
            try:
                result = fn()
                self._bridge.done.emit(ok, fail, result, None)
            except BaseException as exc:  # delivered to the GUI thread
                if not isinstance(exc, DomainError):
                    traceback.print_exc()
                self._bridge.done.emit(ok, fail, None, exc)

    @Slot(object, object, object, object)
    def _deliver(self, ok: Any, fail: Any, result: Any, error: Any) -> None:
        self.pending -= 1
        if error is None:
            if ok is not None:
                ok(result)
        elif fail is not None:
            fail(error)

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.pending += 1
        self._q.put((fn, on_success, on_failure))

    def stop(self) -> None:
        self._q.put(None)
        self._thread.join(timeout=5)
