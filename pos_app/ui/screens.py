"""The registry of main-window screens. Feature modules register theirs at import; the main window
shows every registered screen the logged-in role may see, as a tab with its F-key shortcut.

    from pos_app.ui.screens import ScreenSpec, register_screen
    register_screen(ScreenSpec("gifts", "screen.gifts", "F6", GiftHandoutScreen, frozenset({"staff", "manager"}), 60))

A screen is a QWidget built as ``factory(appctx)``; it may define ``on_shown()`` (refresh when shown)
and ``set_member(member_dto)`` (the member selected at the counter). When data changes
(``AppContext.changed``), the main window calls the visible screen's ``on_changed(area)`` if it has one,
else its ``on_shown()``, unless the screen sets ``handles_changes = True`` (it listens itself).
The counter app's own screens use F2 (counter), F3 (recharge), F4 (pay), F5 (history); checkout is F12
(products Shift+F12). Screens are shown
in F-key order. A role in ``read_only_roles`` (not in ``roles``) gets ``factory(appctx, read_only=True)``;
an F-key of a screen the role may not see says why in the status bar, or, for a screen with an ``approval``
permission, asks for a manager's PIN and opens it in a window whose actions run with that manager's approval.

F1 lists every shortcut: a screen's ``help_rows()`` -> [(keys, text)] if it has one, else its ``help_keys``
((keys, message key) pairs) followed by its other QShortcuts
(text: ``setWhatsThis``, or the button whose text ends in "(keys)") and its buttons with ``setShortcut``.

Screens get a scope with the AppContext's API (``appctx.store_today()`` is the store's date); the main
window detaches it when it rebuilds the screens, so connect to ``appctx.changed`` etc. freely.
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
    "pos_app.ui.checkout",
    "pos_app.ui.products_view",
    "pos_app.ui.history",
    "pos_app.ui.coupons_view",
    "pos_app.ui.gifts_view",
    "pos_app.ui.stock_view",
    "pos_app.ui.audit_view",
    "pos_app.ui.staff_view",
    "pos_app.ui.sync_view",
    "pos_app.ui.reports_view",
    "pos_app.ui.dashboard_view",
    "pos_app.ui.points_view",
    "pos_app.ui.mall_view",
)


@dataclass(frozen=True)
class ScreenSpec:
    key: str
    title_key: str  # message key, see pos_app.messages
    shortcut: str  # e.g. "F2"
    factory: Callable[[AppContext], QWidget]
    roles: frozenset[str]
    order: int = 50
    #: roles that get the screen read-only: built as ``factory(appctx, read_only=True)`` (e.g. staff on F7)
    read_only_roles: frozenset[str] = frozenset()
    #: the manager-only permission the screen's actions need: anyone else pressing its F-key is asked for a
    #: manager's PIN and gets the screen in a window for that one approval (e.g. staff changes on F10)
    approval: str | None = None

    def visible_to(self, role: str) -> bool:
        return role in self.roles or role in self.read_only_roles

    def read_only_for(self, role: str) -> bool:
        return role not in self.roles and role in self.read_only_roles


def fkey_number(shortcut: str) -> int:
    """F2 -> 2, F10 -> 10, Shift+F12 -> 12 (after F12 itself by its order); anything else sorts after the F-keys."""
    s = shortcut.strip().upper().split("+")[-1]
    return int(s[1:]) if s.startswith("F") and s[1:].isdigit() else 99


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
    # tabs, menus and F1 run in F-key order (F7 before F8 whatever order their modules chose)
    return sorted(_SCREENS.values(), key=lambda s: (fkey_number(s.shortcut), s.order, s.key))
