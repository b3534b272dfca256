"""Referral reads on the recharge path and the rewards a referral justified."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db.repo.base import append, run, table

_F = table(mc.Referral)
_W = table(mc.ReferralReward)
_E = table(m.Entitlement)
_R = table(m.Recharge)


def _in_campaign(campaign_code: str | None) -> ColumnElement[bool]:
    return _F.c.campaign_code == campaign_code if campaign_code else _F.c.campaign_code.is_(None)


def by_invitee(session: Session, invitee_id: str) -> mc.Referral | None:
    """The invitation of this member, as an ORM object (qualifying it changes it); does not flush."""
    with session.no_autoflush:
        return session.scalars(select(mc.Referral).where(mc.Referral.invitee_id == invitee_id)).first()


def qualified_count(session: Session, inviter_id: str, campaign_code: str | None, except_id: str) -> int:
    """Qualified invitations of this inviter in this campaign other than ``except_id``, as the rows
    stand (a plain read: the caller's own pending change is not flushed)."""
    return int(run(session,
        select(func.count()).select_from(_F)
        .where(_F.c.inviter_id == inviter_id, _F.c.state == "qualified", _in_campaign(campaign_code),
               _F.c.id != except_id)
    ).scalar() or 0)


def reward_states(session: Session, inviter_id: str, campaign_code: str | None, role: str) -> list[str]:
    """The states of the inviter's rewards of ``role`` (e.g. milestone) in this campaign (a plain read)."""
    return list(run(session,
        select(_E.c.state).select_from(_E.join(_W, _W.c.entitlement_id == _E.c.id).join(_F, _F.c.id == _W.c.referral_id))
        .where(_F.c.inviter_id == inviter_id, _W.c.role == role, _in_campaign(campaign_code))
    ).scalars())


def has_other_recharge(session: Session, member_id: str, recharge_id: str) -> bool:
    """Whether the member has a recharge other than ``recharge_id``."""
    return run(session,
        select(_R.c.id).where(_R.c.member_id == member_id, _R.c.id != recharge_id).limit(1)
    ).first() is not None


def add_rewards(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    append(session, mc.ReferralReward, rows)
