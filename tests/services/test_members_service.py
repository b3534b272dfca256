"""Registering and finding members on a real SQLite store."""

from __future__ import annotations

import sqlite3

import pytest

from pos_app.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pos_app.services import members


def _count(store, table):
    with sqlite3.connect(store.path) as c:
        return c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_register_writes_member_audit_and_outbox_event(store):
    events = _count(store, "outbox")
    m = members.register_member(store.ctx, store.cashier, phone="138 0013 8000", name=" 陈一 ")
    assert (m.phone, m.name, m.balance_fen, m.points) == ("13800138000", "陈一", 0, 0)
    assert m.member_code.startswith("M") and len(m.invite_code) == 6
    with sqlite3.connect(store.path) as c:
        assert c.execute("SELECT action, staff_id FROM audit_log WHERE entity_id = ?", (m.member_id,)).fetchone() == (
            "member.register", store.cashier.staff_id,
        )
        (etype,) = c.execute("SELECT type FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    assert etype == "member.registered"
    assert _count(store, "outbox") == events + 1


def test_invite_code_links_the_inviter(store):
    a = members.register_member(store.ctx, store.cashier, phone="13800138000")
    b = members.register_member(store.ctx, store.cashier, phone="13900139000", invite_code=a.invite_code.lower())
    assert b.inviter_id == a.member_id and b.inviter_phone == "13800138000"
    assert members.get_member(store.ctx, store.cashier, member_id=a.member_id).invites_made == 1


def test_unknown_invite_code_is_refused_and_nothing_is_written(store):
    before = _count(store, "member")
    with pytest.raises(InvalidInput) as exc:
        members.register_member(store.ctx, store.cashier, phone="13900139000", invite_code="ZZZZZZ")
    assert exc.value.key == "member.invite_code_unknown"
    with pytest.raises(InvalidInput) as exc:
        members.register_member(store.ctx, store.cashier, phone="13900139000", invite_code="AB")
    assert exc.value.key == "member.invite_code_invalid"
    assert _count(store, "member") == before


def test_self_invite_is_refused(store):
    """A member's own invite code given with their own phone is refused as a self-invite (the clearer
    reason, checked before "already a member"); nothing is written."""
    a = members.register_member(store.ctx, store.cashier, phone="13800138000")
    with pytest.raises(InvalidInput) as exc:
        members.register_member(store.ctx, store.cashier, phone="+86 13800138000", invite_code=a.invite_code)
    assert exc.value.key == "member.self_invite"
    assert _count(store, "member") == 1


def test_duplicate_phone_is_refused(store):
    members.register_member(store.ctx, store.cashier, phone="13800138000")
    with pytest.raises(Conflict) as exc:
        members.register_member(store.ctx, store.cashier, phone="+86 138-0013-8000")
    assert exc.value.key == "member.phone_taken"
    assert _count(store, "member") == 1


def test_bad_phone_is_refused(store):
    with pytest.raises(InvalidInput) as exc:
        members.register_member(store.ctx, store.cashier, phone="1380013800")
    assert exc.value.key == "member.phone_invalid"


def test_register_is_idempotent_and_a_reused_request_id_is_a_conflict(store):
    a = members.register_member(store.ctx, store.cashier, phone="13800138000", request_id="reg-1")
    again = members.register_member(store.ctx, store.cashier, phone="13800138000", request_id="reg-1")
    assert again == a
    assert _count(store, "member") == 1
    with pytest.raises(Conflict) as exc:
        members.register_member(store.ctx, store.cashier, phone="13900139000", request_id="reg-1")
    assert exc.value.key == "request.reused"
    with pytest.raises(InvalidInput):
        members.register_member(store.ctx, store.cashier, phone="13900139000", request_id="bad id with spaces")


def test_staff_role_cannot_register_members(store):
    with pytest.raises(PermissionDenied):
        members.register_member(store.ctx, store.staff, phone="13800138000")


def test_lookup_by_phone_code_and_scan(store):
    a = members.register_member(store.ctx, store.cashier, phone="13800138000", name="陈一")
    assert members.get_member(store.ctx, store.staff, phone="13800138000").member_id == a.member_id
    assert members.get_member(store.ctx, store.staff, code=a.member_code.lower()).member_id == a.member_id
    assert members.resolve_scan(store.ctx, store.cashier, a.member_code).member_id == a.member_id
    assert members.resolve_scan(store.ctx, store.cashier, "138 0013 8000").member_id == a.member_id
    with pytest.raises(NotFound):
        members.get_member(store.ctx, store.cashier, phone="13900139000")
    with pytest.raises(NotFound):
        members.resolve_scan(store.ctx, store.cashier, "hello")
    with pytest.raises(InvalidInput):
        members.get_member(store.ctx, store.cashier)


def test_find_by_phone_prefix_code_prefix_and_name(store):
    for i, name in enumerate(["陈一", "林二", "周三"]):
        members.register_member(store.ctx, store.cashier, phone=f"1380013800{i}", name=name)
    members.register_member(store.ctx, store.cashier, phone="13900139000", name="陈四")
    assert [r.phone for r in members.find_members(store.ctx, store.cashier, "138")] == [
        "13800138000", "13800138001", "13800138002",
    ]
    assert len(members.find_members(store.ctx, store.cashier, "1", limit=2)) == 2
    assert [r.phone for r in members.find_members(store.ctx, store.cashier, "139 0013")] == ["13900139000"]
    assert {r.name for r in members.find_members(store.ctx, store.cashier, "陈")} == {"陈一", "陈四"}
    code = members.get_member(store.ctx, store.cashier, phone="13900139000").member_code
    assert [r.phone for r in members.find_members(store.ctx, store.cashier, code[:6])][:1] == ["13900139000"]
    assert members.count_members(store.ctx, store.cashier) == 4
    assert len(members.list_members(store.ctx, store.cashier)) == 4


def test_name_search_treats_like_wildcards_as_text(store):
    members.register_member(store.ctx, store.cashier, phone="13800138000", name="陈一")
    for q in ("_", "%", "陈_", "\\", "/"):
        assert members.find_members(store.ctx, store.cashier, q) == [], q
    members.register_member(store.ctx, store.cashier, phone="13900139000", name="A_B 100%")
    assert [r.phone for r in members.find_members(store.ctx, store.cashier, "_")] == ["13900139000"]  # literally
    assert [r.phone for r in members.find_members(store.ctx, store.cashier, "_B 100%")] == ["13900139000"]


def test_names_with_control_characters_are_refused_and_nothing_is_written(store):
    before = _count(store, "member")
    with pytest.raises(InvalidInput) as exc:
        members.register_member(store.ctx, store.cashier, phone="13800138000", name="\x1b[2J陈一")
    assert exc.value.key == "text.bad_character"
    assert _count(store, "member") == before
