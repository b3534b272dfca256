"""Extension points inside a use case's transaction.

Feature modules (coupons, referrals, gifts) define functions with these names; the foundation's use
cases call every one found, in this order, within their own unit of work:

- ``on_member_registered(uow, ctx, actor, member, inviter)``      after a member is registered
- ``before_recharge(uow, ctx, outcome, campaign)``                may refuse (e.g. gift out of stock)
- ``prepare_granted(uow, ctx, actor, member, entitlements, today)`` before they are written (may set
  their state, e.g. 'issued' for the coupons it will write in on_granted)
- ``on_granted(uow, ctx, actor, member, entitlements, today)``    after entitlements are written
- ``on_recharge(uow, ctx, actor, member, recharge)``              after a recharge is written
- ``on_refund_entitlement(uow, ctx, actor, entitlement) -> str``  an issued item on refund: new state
- ``on_refund(uow, ctx, actor, member, recharge)``                after a refund is written
- ``validate_campaign(data)`` / ``on_campaign_loaded(uow, ctx, actor, data)``
- ``doctor_checks(uow) -> list[Check]`` and ``load_demo_data(ctx, actor)``
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

FEATURE_MODULES = ("pos_app.services.coupons", "pos_app.services.referrals", "pos_app.services.gifts")


@cache
def _modules() -> tuple[ModuleType, ...]:
    found = []
    for name in FEATURE_MODULES:
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return tuple(found)


def hooks(name: str) -> list[Callable[..., Any]]:
    return [fn for mod in _modules() if callable(fn := getattr(mod, name, None))]
