"""Tasks (任务) of the points campaign: progress moves with each qualifying event inside that event's own
transaction (a sale, a recharge, an invitee registering or making a first purchase: the registry's
``on_sale``, ``on_recharge`` and ``member_registered`` handlers), and a task that reaches its target is
completed and rewarded (points, a coupon) exactly once per member. The rules are domain/tasks.py.

A completion is audited (``task.completed``) and carried by the use case's one event as the fact
``tasks``; the reward's points lot has source ``task`` and the progress row as its ref. Every row an event
moves is carried as the fact ``task_progress`` (central's merged member view, docs/sync-protocol.md).

A purchase writes a step per task it moved (``task_step``); its return (the registry's ``sale_returning``,
before the return's refunds are settled) takes back what that purchase added; a completed task taken below
its target is reopened (``task.reversed``, the fact ``tasks_reversed``) and its reward undone: the coupon
voided when unused, the points taken back with the sale's own under the campaign's spent-points policy
(``[checkout] spent_points``: deducted from the cash refund, or the balance goes below zero). Purchases
made while a task is complete are not written to it (a sale stays as cheap as before); a return that would
reopen it first counts them as they stand (steps ref'd to the return), so it reopens only when the purchases
kept no longer reach the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_levels as ml
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import tasks as rules
from pos_app.domain.campaign import GRANT_COUPON, Campaign, GrantedItem, field_money
from pos_app.services import grants
from pos_app.services import points as pts
from pos_app.services.campaigns import current_campaign, parse_rules
from pos_app.services.common import add_facts, audit, local_date, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.levels import running
from pos_app.services.members import load_member
from pos_app.services.registry import Feature, PointsClaim, Registrar, ReturnInfo

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
                t.code, r.id if r else None, t.level, t.name, t.kind, t.target, _unit(t), min(r.progress, t.target) if r else 0,
                r.state if r else rules.OPEN, t.points, t.coupon or None, r.completed_at if r else None))
        return MemberTasks(mm.id, mm.phone, campaign.code, tuple(out))


# ----------------------------------------------------------------------------- progress (inside a use case)
def record(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, event: rules.Event, ref: str,
           *, sale_id: str | None = None) -> None:
    """Move the member's tasks of the running campaign by ``event`` (caused by ``ref``: the sale, the
    recharge, the invitee), completing and rewarding those that reach their target, in this transaction.
    A purchase (``sale_id``) writes one step per task it moved, which its return takes back."""
    campaign = running(uow, ctx)
    tasks = campaign_tasks(campaign)
    if campaign is None or not tasks:
        return
    s = uow.session
    rows = {r.task_code: r for r in repo.levels.progress_rows(s, member.id, campaign.code)}
    now = ctx.now()
    new_rows: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    done: list[tuple[rules.Task, str]] = []
    moved_facts: list[dict[str, Any]] = []
    for t in tasks:
        row = rows.get(t.code)
        before = row.progress if row else 0
        moved = rules.advance(t, before, row.state if row else rules.OPEN, event)
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
        if sale_id is not None:
            steps.append(dict(id=ctx.new_id(), progress_id=pid, sale_id=sale_id, ref=ref,
                              delta=moved.progress - before, created_at=now))
        moved_facts.append(_progress_fact(pid, t.code, campaign.code, member.id, moved.progress, t.target, state,
                                          moved.progress - before, ref))
        if moved.completed_now:
            done.append((t, pid))
    repo.levels.add_progress(s, new_rows)
    repo.levels.add_steps(s, steps)
    if moved_facts:
        add_facts(uow, "task_progress", moved_facts)
    if not done:
        return
    today = local_date(ctx, settings(uow))
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
    add_facts(uow, "tasks", facts)


def _progress_fact(pid: str, task: str, campaign: str, member_id: str, progress: int, target: int, state: str,
                   delta: int, ref: str) -> dict[str, Any]:
    """A task progress row as it stands after the event (central merges them: docs/sync-protocol.md)."""
    return {"progress_id": pid, "task_id": task, "campaign_code": campaign, "member_id": member_id,
            "progress": progress, "target": target, "state": state, "delta": delta, "ref": ref}


def _campaign_tasks_by_code(uow: UnitOfWork, code: str) -> dict[str, rules.Task]:
    """The tasks of the campaign ``code`` (a return may come after its campaign ended), once per transaction."""
    key = f"tasks.of.{code}"
    if key not in uow.cache:
        row = uow.session.scalar(select(m.Campaign).where(m.Campaign.code == code))
        found = campaign_tasks(parse_rules(row.rules_json)) if row is not None else ()
        uow.cache[key] = {t.code: t for t in found}
    out: dict[str, rules.Task] = uow.cache[key]
    return out


def _kept_since(uow: UnitOfWork, ctx: ServiceContext, task: rules.Task, row: ml.TaskProgress, returned_sale: str,
                ret_id: str, now: datetime) -> list[dict[str, Any]]:
    """Steps for the member's purchases of the task's campaign made after it was completed (it did not
    count them then), as each stands now: written when a return would reopen it, so they count toward it
    and their own returns take back what they add."""
    assert row.completed_at is not None
    s = uow.session
    found = repo.levels.sales_since(s, row.member_id, row.campaign_code, row.completed_at, returned_sale, row.id)
    back, left = repo.levels.kept_of_sales(s, [sid for sid, _, _ in found])
    out = []
    for sid, paid, state in found:
        n = rules.kept_step(task, paid - back.get(sid, 0), left.get(sid, frozenset()), state == "returned")
        if n > 0:
            out.append(dict(id=ctx.new_id(), progress_id=row.id, sale_id=sid, ref=ret_id, delta=n, created_at=now))
    return out


def undo_for_return(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale,
                    ret: ReturnInfo) -> list[PointsClaim]:
    """The registry's ``sale_returning``: a return takes back from each task what its purchase added (a
    negative step); a completed task it takes below the target is open again and its reward is undone:
    the reward's coupon voided when unused (kept when used), its points claimed back with the sale's own
    (the campaign's spent-points policy then applies to what the member already spent)."""
    s = uow.session
    added = repo.levels.sale_steps(s, sale.id)
    if not added:
        return []
    now = ctx.now()
    back_facts: list[dict[str, Any]] = []
    moved_facts: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    claims: list[PointsClaim] = []
    returned = rules.Returned(ret.paid_back_fen, ret.categories_left, ret.full)
    for row in repo.levels.progress_by_ids(s, list(added)):
        task = _campaign_tasks_by_code(uow, row.campaign_code).get(row.task_code)
        if task is None:
            continue
        back = rules.give_back(task, added[row.id], returned)
        if back <= 0:
            continue
        before = row.progress
        r = rules.retreat(row.target, row.progress, row.state, back)
        steps.append(dict(id=ctx.new_id(), progress_id=row.id, sale_id=sale.id, ref=ret.return_id, delta=-back,
                          created_at=now))
        if r.reopened and row.completed_at is not None:
            # the purchases made while it was complete were not counted: they count now, as they stand
            later = _kept_since(uow, ctx, task, row, sale.id, ret.return_id, now)
            steps += later
            r = rules.retreat(row.target, row.progress + sum(x["delta"] for x in later), row.state, back)
        row.progress, row.last_ref, row.updated_at = r.progress, ret.return_id, now
        if r.reopened:
            points, coupon = row.points, row.coupon_id
            lot = repo.levels.reward_lot(s, row.member_id, row.id) if points else None
            if points and lot is not None:
                claims.append(PointsClaim(lot.id, points))
            if coupon:
                grants.take_back_items(uow, ctx, actor, [e for e in [s.get(m.Entitlement, coupon)] if e is not None])
            row.state, row.completed_at, row.points, row.coupon_id = rules.OPEN, None, 0, None
            audit(uow, ctx, actor, "task.reversed", "task_progress", row.id, member_id=row.member_id,
                  task=row.task_code, campaign=row.campaign_code, points=points, coupon=coupon, ref=ret.return_id,
                  sale_id=sale.id)
            back_facts.append({"progress_id": row.id, "task_id": row.task_code, "campaign_code": row.campaign_code,
                               "member_id": row.member_id, "state": rules.OPEN, "ref": ret.return_id,
                               "points_taken_back": points, "points_lot": lot.id if lot is not None else None,
                               "coupon": coupon})
        moved_facts.append(_progress_fact(row.id, row.task_code, row.campaign_code, row.member_id, row.progress,
                                          row.target, row.state, row.progress - before, ret.return_id))
    repo.levels.add_steps(s, steps)
    if moved_facts:
        add_facts(uow, "task_progress", moved_facts)
    if back_facts:
        add_facts(uow, "tasks_reversed", back_facts)
    return claims


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
    record(uow, ctx, actor, member, rules.Event(rules.EV_SALE, sale.paid_fen, cats), sale.id, sale_id=sale.id)
    if member.inviter_id is not None and repo.levels.member_sales_count(uow.session, member.id) == 1:
        inviter = load_member(uow, member_id=member.inviter_id)
        record(uow, ctx, actor, inviter, rules.Event(rules.EV_INVITE_FIRST_PURCHASE), member.id)


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
    reg.sale_returning.append(undo_for_return)
    reg.on_recharge.append(on_recharge)
    reg.member_registered.append(on_member_registered)


FEATURE = Feature("tasks", register)
