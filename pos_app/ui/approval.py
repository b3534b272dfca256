"""A manager's approval for one action at the counter (the refund dialog's pattern, for every manager-only
action): whoever may do the action does it; anyone else is asked for a manager's code and PIN, and the action
then runs as ``Actor.approving(manager, operator)``: the service checks the manager's role and audits the
operator as who did it and the manager as who approved it. Cancelled: None (nothing runs)."""

from __future__ import annotations

from typing import Any

from pos_app.domain import roles
from pos_app.services.context import Actor
from pos_app.ui.appctx import AppContext


def approved_actor(appctx: AppContext | Any, permission: str, reason: str) -> Actor | None:
    """The actor to run an action needing ``permission`` as: the one logged in when their role has it,
    else a manager approving for them (asked now), or None when nobody approved."""
    actor: Actor = appctx.actor
    allowed = roles.PERMISSIONS[permission]
    if actor.role in allowed:
        return actor
    manager = appctx.ask_manager(reason) if appctx.ask_manager else None
    if manager is None or manager.role not in allowed:
        return None
    return Actor.approving(manager, actor)
