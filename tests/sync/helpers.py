"""Shared pieces of the sync tests: a second store (another store code and device), pulled pages built the way
central serves them, and reading a store's figures back."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pos_app.app import open_store
from pos_app.db import models as m
from pos_app.db import repo
from pos_app.services import campaigns, staff
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN, FakeClock, Store

EPOCH = "ep1"


def make_store_as(path: Path, code: str, *, seed: int = 1, clock: FakeClock | None = None) -> Store:
    """A store like conftest's, with its own store code (and so its own device id and credential)."""
    clock = clock or FakeClock()
    ctx = open_store(path)
    ctx.clock = clock
    ctx.randbits = random.Random(seed).getrandbits
    staff.init_store(ctx, store_name=f"门店{code}", store_code=code, manager_code="boss", manager_pin="9999")
    manager = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, manager, code="cash1", role="cashier", pin="1111", name="收银一")
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2027-01-31"
    campaigns.load_campaign(ctx, manager, data)
    return Store(ctx=ctx, clock=clock, path=path, manager=manager, cashier=staff.login(ctx, "cash1", "1111"),
                 staff=manager, pins={"boss": "9999", "cash1": "1111"})


def page(changes: list[dict[str, Any]], *, start: int = 0, more: bool = False, epoch: str = EPOCH,
         reset: bool = False) -> dict[str, Any]:
    numbered = [{"change_no": start + i + 1, **c} for i, c in enumerate(changes)]
    return {"epoch": epoch, "changes": numbered, "next_cursor": f"{epoch}:{start + len(changes)}", "more": more,
            "reset": reset, "server_time": "2026-11-23T02:00:00.000Z"}


def member_change(member_id: str, phone: str, store: str, *, code: str = "M0000000001", invite: str = "INV001",
                  name: str = "远方") -> dict[str, Any]:
    return {"kind": "member", "key": member_id, "store_code": store, "data": {
        "member_id": member_id, "phone": phone, "member_code": code, "invite_code": invite, "name": name,
        "store_code": store, "created_at": "2026-11-20T02:00:00Z"}}


def wallet_change(ref: str, member_id: str, store: str, dp: int, db: int, after_p: int, after_b: int, *,
                  kind: str | None = None, recharge_id: str | None = None) -> dict[str, Any]:
    return {"kind": "wallet_entry", "key": ref, "store_code": store, "data": {
        "entry_id": ref, "member_id": member_id, "kind": kind or ("recharge" if dp + db > 0 else "spend"),
        "principal_delta_fen": dp, "bonus_delta_fen": db, "principal_after_fen": after_p, "bonus_after_fen": after_b,
        "recharge_id": recharge_id, "store_code": store, "created_at": "2026-11-22T02:00:00Z"}}


def balances(store: Store, phone: str) -> tuple[int, int]:
    with store.ctx.uow(read_only=True) as uow:
        mem = uow.session.scalar(select(m.Member).where(m.Member.phone == phone))
        assert mem is not None
        return mem.principal_fen, mem.bonus_fen


def cursor_of(store: Store) -> str | None:
    with store.ctx.uow(read_only=True) as uow:
        state = repo.sync.state(uow.session)
        return state.cursor if state else None


def count(store: Store, model: type[Any]) -> int:
    with store.ctx.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)
