"""The database worker never drops the last reference to what an op holds: its callbacks and its function are
released on the GUI thread. (A Qt object released on the worker is deleted there, its timers left registered on
the GUI thread's dispatcher: the next timer tick crashed the app.)"""

from __future__ import annotations

import gc
import threading
from typing import Any

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.ui.ops import DbWorker


class Holder:
    """Records the thread that released it."""

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)

    def on_ok(self, result: Any) -> None:
        pass

    def on_fail(self, exc: BaseException) -> None:
        pass


@pytest.mark.parametrize("outcome", ["ok", "fail", "superseded"])
def test_an_ops_callbacks_and_function_are_released_on_the_gui_thread(qtbot: Any, outcome: str) -> None:
    worker = DbWorker()
    seen: list[str] = []
    gate = threading.Event()
    try:
        if outcome == "superseded":
            worker.run(gate.wait)  # holds the worker so the keyed op below is superseded before it starts
        for _ in range(20):
            holder, fn_holder = Holder(seen), Holder(seen)

            def fn(h: Holder = fn_holder) -> int:
                if outcome == "fail":
                    raise InvalidInput("amount", "bad")
                return 1

            worker.run(fn, holder.on_ok, holder.on_fail, key="k")
            del holder, fn_holder, fn
        gate.set()
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=10_000)
    finally:
        gate.set()
        worker.stop()
    gc.collect()
    # all but possibly the last failed op's function (its frame is in the traceback of the exception the GUI
    # side was handed last) are gone by now, and none went on the worker thread
    assert len(seen) >= 39
    assert set(seen) == {threading.main_thread().name}
