"""The registry of main-window screens. Feature modules register theirs at import; the main window
shows every registered screen the logged-in role may see, as a tab with its F-key shortcut.

    from pos_app.ui.screens import ScreenSpec, register_screen
    register_screen(ScreenSpec("gifts", "screen.gifts", "F6", GiftHandoutScreen, frozenset({"staff", "manager"}), 60))

A screen is a QWidget built as ``factory(appctx)``; it may define ``on_shown()`` (refresh when shown)
and ``set_member(member_dto)`` (the member selected at the counter). When data changes
(``AppContext.changed``), the main window calls the visible screen's ``on_changed(area)`` if it has one,
else its ``on_shown()``, unless the screen sets ``handles_changes = True`` (it listens itself).
The counter app's own screens use F2 (counter), F3 (recharge), F4 (pay), F5 (history).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from pos_app.ui.appctx import AppContext

#: modules whose import registers screens (missing ones are skipped)
SCREEN_MODULES = (
    "pos_app.ui.counter",
    "pos_app.ui.recharge",
    "pos_app.ui.pay",
    "pos_app.ui.history",
    "pos_app.ui.coupons_view",
    "pos_app.ui.gifts_view",
    "pos_app.ui.stock_view",
    "pos_app.ui.staff_view",
)


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    title_key: str  # message key, see pos_app.messages
    shortcut: str  # e.g. "F2"
    factory: Callable[[AppContext], QWidget]
    roles: frozenset[str]
    order: int = 50


_SCREENS: dict[str, ScreenSpec] = {}


def register_screen(spec: ScreenSpec) -> None:
    _SCREENS[spec.key] = spec


def screens() -> list[ScreenSpec]:
    for name in SCREEN_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return sorted(_SCREENS.values(), key=lambda s: (s.order, s.key))
