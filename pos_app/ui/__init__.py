"""PySide6 user interface. Calls services only (through ops on the database worker); never the ORM."""

from __future__ import annotations

import sys


def _pin_bool_singletons() -> None:
    """Work around a PySide6 6.12 reference-count bug: every ``Signal.emit`` from Python drops one
    reference to ``True``. On CPython before 3.12 the count eventually reaches zero and the process
    aborts ("bool_dealloc: deallocating True or False"). CPython 3.12+ makes True/False immortal; do
    the same here by giving them a reference count that can never run out."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    import ctypes  # noqa: PLC0415

    for b in (True, False):
        ctypes.c_ssize_t.from_address(id(b)).value += 1 << 40


_pin_bool_singletons()
