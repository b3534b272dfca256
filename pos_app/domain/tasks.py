"""Tasks (任务) of a points campaign (DOMAIN.md: Points): in levels (初级 / 中级 / 高级), within the campaign's
window; each completed once per member and rewarded with points or a coupon.

A campaign file lists them as ``[[points.tasks]]``::

    [[points.tasks]]
    code = "buy3"            # unique in the campaign
    level = "basic"          # basic (初级) | intermediate (中级) | advanced (高级)
    name = "消费 3 次"
    kind = "purchases"       # purchases | spend | category | invites | recharge
    target = 3               # purchases, category, invites: a count; spend, recharge: yuan ("300")
    category = "洗护美容"      # kind = "category": a purchase with a line of this category counts
    invite_counts = "register"   # kind = "invites": the invitee registers (default) or "first_purchase"
    points = 50              # the reward: points...
    coupon = "PET20"         # ...and/or a coupon template

Progress is a plain number per member and task: purchases and invites count one each, ``spend`` adds
what was actually paid (fen), ``recharge`` the principal recharged (fen); a task is complete when its
progress reaches its target, and only then rewarded (once). A return takes back what its purchase added
(:func:`give_back`); one that takes a completed task below its target, counting the purchases made while it
was complete (:func:`kept_step`), reopens it and its reward is taken back, so at any time a member holds a
task's reward at most once, and exactly when the purchases they kept reach the target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pos_app.domain.errors import InvalidInput
from pos_app.domain.fields import bad_field as _bad
from pos_app.domain.fields import int_field as _int
from pos_app.domain.fields import text_field as _text

BASIC = "basic"
INTERMEDIATE = "intermediate"
ADVANCED = "advanced"
LEVELS = (BASIC, INTERMEDIATE, ADVANCED)

PURCHASES = "purchases"
SPEND = "spend"
CATEGORY = "category"
INVITES = "invites"
RECHARGE = "recharge"
KINDS = (PURCHASES, SPEND, CATEGORY, INVITES, RECHARGE)
#: kinds whose target and progress are money (fen)
MONEY_KINDS = (SPEND, RECHARGE)

INVITE_REGISTER = "register"
INVITE_FIRST_PURCHASE = "first_purchase"

OPEN = "open"
COMPLETED = "completed"

# events that move a task's progress
EV_SALE = "sale"
EV_RECHARGE = "recharge"
EV_INVITE_REGISTERED = "invite_registered"
EV_INVITE_FIRST_PURCHASE = "invite_first_purchase"


@dataclass(frozen=True)
class Task:
    code: str
    level: str
    name: str
    kind: str
    target: int  # a count, or fen for the money kinds
    points: int = 0
    coupon: str = ""  # a coupon template code
    category: str = ""
    invite_counts: str = INVITE_REGISTER


@dataclass(frozen=True)
class Event:
    """Something a member did that may move tasks: a sale (what was actually paid, the categories of its
    lines), a recharge (its principal), an invitee of theirs registering or making a first purchase."""

    kind: str
    amount_fen: int = 0
    categories: frozenset[str] = frozenset()


def step(task: Task, event: Event) -> int:
    """How far ``event`` moves ``task`` (0: not at all)."""
    if task.kind == PURCHASES and event.kind == EV_SALE:
        return 1
    if task.kind == SPEND and event.kind == EV_SALE:
        return max(0, event.amount_fen)
    if task.kind == CATEGORY and event.kind == EV_SALE:
        return 1 if task.category in event.categories else 0
    if task.kind == RECHARGE and event.kind == EV_RECHARGE:
        return max(0, event.amount_fen)
    if task.kind == INVITES:
        wanted = EV_INVITE_FIRST_PURCHASE if task.invite_counts == INVITE_FIRST_PURCHASE else EV_INVITE_REGISTERED
        return 1 if event.kind == wanted else 0
    return 0


@dataclass(frozen=True)
class Advance:
    """A task's progress after an event: the new figure (not capped: the purchase that completes it counts
    whole, so a return of an earlier one takes back only what that one added), and whether this event
    completed it (the reward is granted exactly then)."""

    progress: int
    completed_now: bool

    def shown(self, target: int) -> int:
        return min(self.progress, target)


def advance(task: Task, progress: int, state: str, event: Event) -> Advance | None:
    """The new progress of an open task after ``event``, or None when the event does not move it (or the
    task is already complete: nothing twice; what a completed task's later purchases would add is counted
    only if a return reopens it: :func:`kept_step`)."""
    if state == COMPLETED:
        return None
    moved = step(task, event)
    if moved <= 0:
        return None
    new = progress + moved
    return Advance(new, new >= task.target)


@dataclass(frozen=True)
class Returned:
    """A return of (part of) a purchase, as tasks see it: what of the actually-paid amount went back (before
    any deduction for points already spent), and the categories the purchase still has a line of."""

    paid_back_fen: int
    categories_left: frozenset[str]
    full: bool


def give_back(task: Task, added: int, ret: Returned) -> int:
    """How much of what a purchase ``added`` to ``task`` its return takes back: a spend task loses what was
    paid back (all of it on a full return); a purchases task the purchase once nothing of it is left; a
    category task once no line of its category is left."""
    if added <= 0:
        return 0
    if task.kind == SPEND:
        return added if ret.full else min(added, max(0, ret.paid_back_fen))
    if task.kind == PURCHASES:
        return added if ret.full else 0
    if task.kind == CATEGORY:
        return added if ret.full or task.category not in ret.categories_left else 0
    return 0


def kept_step(task: Task, paid_left_fen: int, categories_left: frozenset[str], whole_returned: bool) -> int:
    """What a purchase made while the task was complete adds once a return reopens it, as the purchase
    stands now (less what its own returns took): its actually-paid amount left, one purchase unless it was
    returned whole, one for its category while a line of it is left."""
    if task.kind == SPEND:
        return max(0, paid_left_fen)
    if task.kind == PURCHASES:
        return 0 if whole_returned else 1
    if task.kind == CATEGORY:
        return 1 if task.category in categories_left else 0
    return 0


@dataclass(frozen=True)
class Retreat:
    """A task after a return: its progress, and whether the return took it back below the target (a
    completed task is then open again and its reward is taken back)."""

    progress: int
    reopened: bool


def retreat(target: int, progress: int, state: str, back: int) -> Retreat:
    left = max(0, progress - back)
    return Retreat(left, state == COMPLETED and left < target)


def by_level(tasks: Sequence[Task]) -> list[Task]:
    """The tasks in level order (初级, 中级, 高级), then as the file lists them."""
    order = {lv: i for i, lv in enumerate(LEVELS)}
    return sorted(tasks, key=lambda t: order[t.level])


# ----------------------------------------------------------------------------- parsing


def tasks_from_dict(data: Mapping[str, Any], parse_money: Any) -> tuple[Task, ...]:
    """The campaign's ``[[points.tasks]]``; ``parse_money(value, field)`` turns yuan into fen (the campaign
    parser's). Nothing configured: no tasks."""
    points = data.get("points")
    raw = points.get("tasks") if isinstance(points, Mapping) else None
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
        raise _bad("points.tasks", raw)
    out: list[Task] = []
    seen: set[str] = set()
    for i, d in enumerate(raw):
        f = f"points.tasks[{i}]"
        code = _text(d.get("code"), f"{f}.code")
        if code in seen or len(code) > 32:
            raise _bad(f"{f}.code", code)
        seen.add(code)
        level = _text(d.get("level", BASIC), f"{f}.level")
        if level not in LEVELS:
            raise _bad(f"{f}.level", level)
        kind = _text(d.get("kind"), f"{f}.kind")
        if kind not in KINDS:
            raise _bad(f"{f}.kind", kind)
        if kind in MONEY_KINDS:
            target = parse_money(d.get("target"), f"{f}.target")
            if target <= 0:
                raise _bad(f"{f}.target", d.get("target"))
        else:
            target = _int(d.get("target", 1), f"{f}.target", 1, 10_000)
        category = _text(d.get("category"), f"{f}.category", required=kind == CATEGORY)
        counts = _text(d.get("invite_counts", INVITE_REGISTER), f"{f}.invite_counts")
        if counts not in (INVITE_REGISTER, INVITE_FIRST_PURCHASE):
            raise _bad(f"{f}.invite_counts", counts)
        task = Task(
            code=code, level=level, name=_text(d.get("name", code), f"{f}.name"), kind=kind, target=target,
            points=_int(d.get("points", 0), f"{f}.points", 0, 1_000_000),
            coupon=_text(d.get("coupon"), f"{f}.coupon", required=False),
            category=category, invite_counts=counts,
        )
        if not task.points and not task.coupon:
            raise InvalidInput("campaign.missing_field", field=f"{f}.points")
        out.append(task)
    return tuple(out)
