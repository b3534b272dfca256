"""A manager's note on a conflict central reported for the store, end to end: two real store files spend the same
balance, central records the overdraft, the store pulls it, its manager notes it (an event, so offline as online),
the next round takes the note to central, and central's copy comes back with it. Bad notes change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from pos_app.central import services as central
from pos_app.db import models as m
from pos_app.domain.errors import InvalidInput, NotFound, PermissionDenied
from pos_app.services import audit, members, sync, wallet
from tests.central.conftest import Server
from tests.conftest import Store
from tests.sync.helpers import make_store_as


def _paired(hq: Server, path: Path, code: str, seed: int) -> Store:
    s = make_store_as(path, code, seed=seed)
    st = central.add_store(hq.db, f"store {code}", code)
    sync.pair(s.ctx, s.manager, server_url=hq.url, code=central.device_code(hq.db, st["store_id"])["code"])
    return s


def _outbox(store: Store) -> int:
    with store.ctx.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(m.Outbox)) or 0)


@pytest.fixture
def overdrawn(hq: Server, tmp_path: Path) -> Iterator[tuple[Store, Store, str]]:
    """Stores A and B; B spent a balance A had already spent: central recorded the overdraft against B, and B
    pulled it. Yields (a, b, the conflict's id)."""
    a = _paired(hq, tmp_path / "A001.db", "A001", 21)
    b = _paired(hq, tmp_path / "B002.db", "B002", 22)
    reg = members.register_member(a.ctx, a.cashier, phone="13812345678", name="王五")
    wallet.recharge(a.ctx, a.cashier, member_id=reg.member_id, tier_code="basic", pay_method="cash")
    sync.run_round(a.ctx)
    sync.run_round(b.ctx)
    balance = members.get_member(b.ctx, b.cashier, member_id=reg.member_id).balance_fen
    assert balance > 0
    wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=balance)
    wallet.spend(b.ctx, b.cashier, member_id=reg.member_id, amount_fen=balance)  # B has not heard of A's spend
    sync.run_round(a.ctx)
    sync.run_round(b.ctx)
    rows = sync.list_conflicts(b.ctx, b.manager)
    assert [r.kind for r in rows] == ["overdraft"]
    yield a, b, rows[0].id
    a.ctx.db.dispose()
    b.ctx.db.dispose()


def test_a_note_goes_to_central_with_the_next_round_and_comes_back(hq: Server, overdrawn: Any) -> None:
    _a, b, cid = overdrawn
    events = _outbox(b)
    res = sync.note_conflict(b.ctx, b.manager, conflict_id=cid, note="  顾客已补交现金  ", request_id="n1")
    assert res.note == "顾客已补交现金" and res.changes.sync and res.changes.audit
    assert _outbox(b) == events + 1
    # until central has it, the note shows here as waiting
    notes = sync.list_conflicts(b.ctx, b.manager)[0].detail["notes"]
    assert [(n["note"], n["pending"], n["staff"]) for n in notes] == [("顾客已补交现金", True, "boss")]
    # the same request again: the first result, no second event
    again = sync.note_conflict(b.ctx, b.manager, conflict_id=cid, note="顾客已补交现金", request_id="n1")
    assert again.note == res.note and not again.changes.areas and _outbox(b) == events + 1
    row = audit.audit_rows(b.ctx, b.manager, action="sync.conflict_note")
    assert len(row) == 1 and row[0].staff_code == "boss"

    first = sync.run_round(b.ctx)
    assert first.pending == 0
    on_central = next(c for c in central.list_conflicts(hq.db) if c["id"] == cid)
    assert [(n["author"], n["note"]) for n in on_central["notes"]] == [("B002/boss", "顾客已补交现金")]
    sync.run_round(b.ctx)  # central's copy of the conflict comes back with the note on it
    notes = sync.list_conflicts(b.ctx, b.manager)[0].detail["notes"]
    assert [(n["author"], n["note"], n.get("pending")) for n in notes] == [("B002/boss", "顾客已补交现金", None)]
    # head office resolves it; the store sees that with the next round
    central.note_conflict(hq.db, cid, "checked with the customer", author="head office", resolve=True)
    sync.run_round(b.ctx)
    line = sync.list_conflicts(b.ctx, b.manager)[0]
    assert line.resolved and len(line.detail["notes"]) == 2


@pytest.mark.parametrize(("who", "conflict", "note", "error"), [
    ("cashier", None, "ok", PermissionDenied),
    ("manager", None, "", InvalidInput),
    ("manager", None, "x" * 501, InvalidInput),
    ("manager", None, "bell\x07", InvalidInput),
    ("manager", "no-such-conflict", "ok", NotFound),
])
def test_a_bad_note_is_refused_and_changes_nothing(overdrawn: Any, who: str, conflict: str | None, note: str,
                                                   error: type[Exception]) -> None:
    from pos_app import messages

    _a, b, cid = overdrawn
    events, before = _outbox(b), sync.list_conflicts(b.ctx, b.manager)
    actor = b.cashier if who == "cashier" else b.manager
    with pytest.raises(error) as info:
        sync.note_conflict(b.ctx, actor, conflict_id=conflict or cid, note=note)
    assert messages.tr_error(info.value) and "{" not in messages.tr_error(info.value)
    assert _outbox(b) == events and sync.list_conflicts(b.ctx, b.manager) == before
