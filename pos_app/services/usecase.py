"""The one helper every writing use case goes through.

A use case declares, once, beside its function::

    @use_case("staff.add", permission="staff.manage", event="staff.added")
    def add_staff(ctx, actor, *, code, role, pin, name=None) -> StaffDTO: ...

and the helper then, on every call:

- checks the actor's role before anything else is read (``permission``; ``None`` only where the use case
  has no actor yet or decides who may act from what it loads, and says so in ``permission_note``);
- gives the function a context whose ``uow()`` opens this use case's transaction (one write transaction
  per call: a second one is refused loudly);
- refuses to commit when the transaction did not write what the declaration promises: its audit row, its
  outbox event, and, for a use case that takes a request id, the request record that makes a repeat
  return the first result (a missing one raises :class:`UseCaseIncomplete`; nothing is written);
- puts what the transaction changed on the result (``changes``, from the tables it wrote), so screens
  refresh from the service's word, not from a guess.

``USE_CASES`` lists every writing use case with what it declares (tests/services/test_use_cases.py).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from pos_app.db.written import areas
from pos_app.domain import roles
from pos_app.services.changes import NO_CHANGES, Changes

P = ParamSpec("P")
R = TypeVar("R")


class UseCaseIncomplete(RuntimeError):
    """A use case tried to commit without a row its declaration promises (a programming error)."""


@dataclass(frozen=True)
class UseCase:
    name: str
    #: the roles action(s) checked before the use case runs (see domain/roles.py)
    permission: str | tuple[str, ...] | None
    #: the outbox event type its transaction appends (one event per use case)
    event: str | None
    #: whether its transaction writes an audit row
    audited: bool = True
    #: whether it takes a request id (a repeat returns the first result and writes nothing)
    idempotent: bool = False
    #: why there is no permission to check up front (who may act is decided inside)
    permission_note: str = ""
    module: str = ""
    function: str = ""


#: every writing use case, by name
USE_CASES: dict[str, UseCase] = {}


@dataclass
class UseCaseRun:
    """One call of a use case: its declaration, and what its transaction changed."""

    spec: UseCase
    write_transactions: int = 0
    changes: Changes = NO_CHANGES

    def opened(self) -> None:
        self.write_transactions += 1
        if self.write_transactions > 1:
            raise UseCaseIncomplete(f"use case {self.spec.name} opened a second write transaction")

    def before_commit(self, tables: frozenset[str], event_type: str | None) -> None:
        if not tables:
            return  # nothing to do was found (e.g. a store already set up): nothing written, nothing owed
        if event_type != self.spec.event and event_type is not None:
            raise UseCaseIncomplete(f"use case {self.spec.name} wrote the event {event_type}, not {self.spec.event}")
        missing = []
        if self.spec.audited and "audit_log" not in tables:
            missing.append("its audit row")
        if self.spec.event is not None and ("outbox" not in tables or event_type is None):
            missing.append(f"its outbox event {self.spec.event}")
        if self.spec.idempotent and "request_log" not in tables:
            missing.append("its request record")
        if missing:
            raise UseCaseIncomplete(f"use case {self.spec.name} did not write {' and '.join(missing)}")
        self.changes = Changes.of(areas(tables))


class ChangedList(list[Any]):
    """A use case's list result, with what it changed."""

    changes: Changes = NO_CHANGES


class ChangedDict(dict[str, Any]):
    """A use case's mapping result, with what it changed."""

    changes: Changes = NO_CHANGES


class ChangedInt(int):
    """A use case's count result, with what it changed."""

    changes: Changes = NO_CHANGES


def with_changes(result: R, changes: Changes) -> R:
    """``result`` carrying ``changes``: results are frozen dataclasses with a ``changes`` field (see
    dto.Result), or a list, mapping or count, given as the Changed* types above."""
    out: Any = result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        if not hasattr(result, "changes"):
            raise TypeError(f"{type(result).__name__} is a use case's result: derive it from dto.Result")
        return dataclasses.replace(result, changes=changes)
    if isinstance(result, bool | BaseException) or result is None:  # a refusal to raise, a yes/no
        return result
    if isinstance(result, list):
        out = ChangedList(result)
    elif isinstance(result, dict):
        out = ChangedDict(result)
    elif isinstance(result, int):
        out = ChangedInt(result)
    else:
        raise TypeError(f"a use case returned a {type(result).__name__}: return a dto.Result")
    out.changes = changes
    return out  # type: ignore[no-any-return]


def use_case(
    name: str,
    *,
    permission: str | tuple[str, ...] | None,
    event: str | None,
    audited: bool = True,
    idempotent: bool = False,
    permission_note: str = "",
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a writing use case (see the module's docstring). The function takes the ServiceContext
    first and the acting Actor second (``actor=`` or positionally)."""
    needed = (permission,) if isinstance(permission, str) else tuple(permission or ())
    for action in needed:
        roles.PERMISSIONS[action]  # an unknown action fails at import, not at the counter
    if not needed and not permission_note:
        raise ValueError(f"use case {name}: no permission and no permission_note saying why")

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        spec = UseCase(name, permission, event, audited, idempotent, permission_note, fn.__module__, fn.__name__)
        if name in USE_CASES and USE_CASES[name].function != fn.__name__:
            raise ValueError(f"use case {name} declared twice")
        USE_CASES[name] = spec

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            ctx: Any = args[0] if args else kwargs["ctx"]
            if needed:
                actor: Any = kwargs["actor"] if "actor" in kwargs else args[1]
                for action in needed:
                    roles.check(actor.role, action)
            inner = ctx.running(UseCaseRun(spec))
            call_args = (inner, *args[1:]) if args else args
            if not args:
                kwargs["ctx"] = inner
            result = fn(*call_args, **kwargs)
            return with_changes(result, inner.run.changes)

        run.use_case = spec  # type: ignore[attr-defined]
        return run

    return wrap
