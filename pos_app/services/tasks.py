"""Tasks (任务) of the points campaign: progress moves with each qualifying event inside that event's own
transaction (a sale, a recharge, an invitee registering or making a first purchase: the registry's
``on_sale``, ``on_recharge`` and ``member_registered`` handlers), and a task that reaches its target is
completed and rewarded (points, a coupon) exactly once per member. The rules are domain/tasks.py.

A completion is audited (``task.completed``) and carried by the use case's one event as the fact
``tasks``; the reward's points lot has source ``task`` and the progress row as its ref."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_levels as ml
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import tasks as rules
from pos_app.domain.campaign import GRANT_COUPON, Campaign, GrantedItem, field_money
from pos_app.services import grants
from pos_app.services import points as pts
from pos_app.services.campaigns import current_campaign
from pos_app.services.common import add_facts, audit, local_date, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.levels import running
from pos_app.services.members import load_member
from pos_app.services.registry import Feature, Registrar

_PARSED: dict[int, tuple[Campaign, tuple[rules.Task, ...]]] = {}


def campaign_tasks(campaign: Campaign | None) -> tuple[rules.Task, ...]:
    """The running campaign's tasks (parsed once per campaign object)."""
    if campaign is None:
        return ()
    hit = _PARSED.get(id(campaign))
    if hit is not None and hit[0] is campaign:
        return hit[1]
    found = rules.tasks_from_dict(campaign.extra, field_money)
    if len(_PARSED) > 32:
        _PARSED.clear()
    _PARSED[id(campaign)] = (campaign, found)
    return found


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TaskDTO:
    task_id: str  # the task's code in the campaign
    campaign_code: str
    level: str  # basic | intermediate | advanced
    name: str
    kind: str
    target: int  # a count, or fen (``unit``)
    unit: str  # count | fen
    points: int
    coupon: str | None
    category: str | None
    started: int  # members with progress
    completed: int  # members who completed it


@dataclass(frozen=True)
class TaskProgressDTO:
    task_id: str
    progress_id: str | None
    level: str
    name: str
    kind: str
    target: int
    unit: str
    progress: int
    state: str  # open | completed
    points: int  # the reward's points
    coupon: str | None
    completed_at: datetime | None


@dataclass(frozen=True)
class MemberTasks:
    member_id: str
    phone: str
    campaign_code: str | None
    tasks: tuple[TaskProgressDTO, ...]


def _unit(task: rules.Task) -> str:
    return "fen" if task.kind in rules.MONEY_KINDS else "count"


# ----------------------------------------------------------------------------- reads
def list_tasks(ctx: ServiceContext, actor: Actor) -> list[TaskDTO]:
    """The running campaign's tasks, by level, with how many members started and completed each."""
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        campaign = current_campaign(uow, ctx)
        tasks = rules.by_level(campaign_tasks(campaign))
        if campaign is None or not tasks:
            return []
        counts = repo.levels.completion_counts(uow.session, campaign.code)
        return [TaskDTO(t.code, campaign.code, t.level, t.name, t.kind, t.target, _unit(t), t.points, t.coupon or None,
                        t.category or None, *counts.get(t.code, (0, 0))) for t in tasks]


def progress(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None,
             code: str | None = None) -> MemberTasks:
    """The member's progress on each task of the running campaign (a task not started shows 0, open)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        mm = load_member(uow, phone=phone, member_id=member_id, code=code)
        campaign = current_campaign(uow, ctx)
        tasks = rules.by_level(campaign_tasks(campaign))
        if campaign is None or not tasks:
            return MemberTasks(mm.id, mm.phone, campaign.code if campaign else None, ())
        rows = {r.task_code: r for r in repo.levels.progress_rows(uow.session, mm.id, campaign.code)}
        out = []
        for t in tasks:
            r = rows.get(t.code)
            out.append(TaskProgressDTO(
                t.code, r.id if r else None, t.level, t.name, t.kind, t.target, _unit(t), r.progress if r else 0,
                r.state if r else rules.OPEN, t.points, t.coupon or None, r.completed_at if r else None))
        return MemberTasks(mm.id, mm.phone, campaign.code, tuple(out))


# ----------------------------------------------------------------------------- progress (inside a use case)
def record(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, event: rules.Event, ref: str) -> None:
    """Move the member's tasks of the running campaign by ``event`` (caused by ``ref``: the sale, the
    recharge, the invitee), completing and rewarding those that reach their target, in this transaction."""
    campaign = running(uow, ctx)
    tasks = campaign_tasks(campaign)
    if campaign is None or not tasks:
        return
    s = uow.session
    rows = {r.task_code: r for r in repo.levels.progress_rows(s, member.id, campaign.code)}
    now = ctx.now()
    today = local_date(ctx, settings(uow))
    new_rows: list[dict[str, Any]] = []
    done: list[tuple[rules.Task, str]] = []
    if event.kind == rules.EV_RETURN:
        for t in tasks:
            row = rows.get(t.code)
            left = rules.retreat(t, row.progress, row.state, event) if row is not None else None
            if row is not None and left is not None:
                row.progress, row.last_ref, row.updated_at = left, ref, now
        return
    for t in tasks:
        row = rows.get(t.code)
        moved = rules.advance(t, row.progress if row else 0, row.state if row else rules.OPEN, event)
        if moved is None:
            continue
        state = rules.COMPLETED if moved.completed_now else rules.OPEN
        if row is None:
            values: dict[str, Any] = dict(
                id=ctx.new_id(), campaign_code=campaign.code, task_code=t.code, member_id=member.id,
                progress=moved.progress, target=t.target, state=state, last_ref=ref, points=0, coupon_id=None,
                completed_at=now if moved.completed_now else None, updated_at=now)
            new_rows.append(values)
            pid = values["id"]
        else:
            row.progress, row.state, row.last_ref, row.updated_at = moved.progress, state, ref, now
            if moved.completed_now:
                row.completed_at = now
            pid = row.id
        if moved.completed_now:
            done.append((t, pid))
    repo.levels.add_progress(s, new_rows)
    facts = []
    for t, pid in done:
        reward = _reward(uow, ctx, actor, member, t, pid, campaign, today)
        row = s.get(ml.TaskProgress, pid)
        assert row is not None
        row.points, row.coupon_id = reward["points"], reward["coupon"]
        audit(uow, ctx, actor, "task.completed", "task_progress", pid, member_id=member.id, task=t.code,
              campaign=campaign.code, points=reward["points"], coupon=reward["coupon"], ref=ref)
        facts.append({"progress_id": pid, "task_id": t.code, "campaign_code": campaign.code, "member_id": member.id,
                      "state": rules.COMPLETED, "ref": ref, **reward})
    if facts:
        add_facts(uow, "tasks", facts)


def _reward(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, task: rules.Task, pid: str,
            campaign: Campaign, today: date) -> dict[str, Any]:
    """The task's reward: its points lot and/or its coupon (the entitlement the coupon module issues)."""
    out: dict[str, Any] = {"points": 0, "points_lot": None, "coupon": None}
    if task.points:
        lot = pts.earn(uow, ctx, member, task.points, source="task", ref=pid, reason=task.code,
                       expires_on=pts.expiry_for(campaign, today))
        out["points"] = task.points
        out["points_lot"] = {"id": lot["id"], "points": lot["points"], "expires_on": lot["expires_on"],
                             "source": lot["source"]}
    if task.coupon:
        rows = grants.grant_items(uow, ctx, actor, member, [GrantedItem(GRANT_COUPON, task.coupon, task.name, 1, 0,
                                                                        "task")], today=today, campaign=campaign)
        out["coupon"] = rows[0].id if rows else None
    return out


# ----------------------------------------------------------------------------- handlers
def on_sale(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale) -> None:
    """A member's purchase: purchases, spend (actually paid) and category tasks; the inviter's invite tasks
    that count a first purchase, when it is the member's first."""
    if not campaign_tasks(running(uow, ctx)):
        return  # no tasks running: nothing to move, nothing to read
    cats = frozenset(x.category for x in repo.sales.lines(uow.session, sale.id))
    record(uow, ctx, actor, member, rules.Event(rules.EV_SALE, sale.paid_fen, cats), sale.id)
    if member.inviter_id is not None and repo.levels.member_sales_count(uow.session, member.id) == 1:
        inviter = load_member(uow, member_id=member.inviter_id)
        record(uow, ctx, actor, inviter, rules.Event(rules.EV_INVITE_FIRST_PURCHASE), member.id)


def on_sale_returned(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale) -> None:
    """A return lowers the progress of the member's tasks not yet complete (what was paid back; a purchase
    returned whole no longer counts)."""
    s = uow.session
    rets = repo.sales.returns(s, sale.id)
    if not rets:
        return
    last = max(rets, key=lambda r: (r.created_at, r.id))
    paid_back = sum(p.amount_fen - p.bonus_fen for p in repo.sales.return_payments(s, [last.id]))
    cats = frozenset(x.category for x in repo.sales.lines(s, sale.id))
    record(uow, ctx, actor, member, rules.Event(rules.EV_RETURN, paid_back, cats, full=sale.state == "returned"),
           last.id)


def on_recharge(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, recharge: m.Recharge) -> None:
    record(uow, ctx, actor, member, rules.Event(rules.EV_RECHARGE, recharge.amount_fen), recharge.id)


def on_member_registered(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member,
                         inviter: m.Member | None) -> None:
    if inviter is not None:
        record(uow, ctx, actor, inviter, rules.Event(rules.EV_INVITE_REGISTERED), member.id)


def validate_campaign(data: dict[str, Any]) -> None:
    rules.tasks_from_dict(data, field_money)


def register(reg: Registrar) -> None:
    """Tasks: checked when a campaign is loaded; progress from sales, recharges and invitees."""
    reg.campaign_validate.append(validate_campaign)
    reg.on_sale.append(on_sale)
    reg.on_sale_returned.append(on_sale_returned)
    reg.on_recharge.append(on_recharge)
    reg.member_registered.append(on_member_registered)


FEATURE = Feature("tasks", register)
