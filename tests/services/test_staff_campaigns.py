"""Staff accounts (argon2 PINs, roles) and campaigns (load from TOML, list, show, versioning)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pos_app.domain.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound, PermissionDenied
from pos_app.services import campaigns, staff
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN


def test_pins_are_stored_as_argon2_hashes_and_login_checks_them(store):
    with sqlite3.connect(store.path) as c:
        hashes = [h for (h,) in c.execute("SELECT pin_hash FROM staff")]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any("1111" in h or "9999" in h for h in hashes)
    assert staff.login(store.ctx, "cash1", "1111").role == "cashier"
    with pytest.raises(AuthenticationFailed) as exc:
        staff.login(store.ctx, "cash1", "1112")
    assert exc.value.exit_code == 3
    with pytest.raises(AuthenticationFailed):
        staff.login(store.ctx, "nobody", "1111")


def test_manager_adds_lists_and_disables_staff(store):
    dto = staff.add_staff(store.ctx, store.manager, code="c2", role="cashier", pin="123456", name="收银二")
    assert (dto.code, dto.role, dto.active) == ("c2", "cashier", True)
    assert [s.code for s in staff.list_staff(store.ctx, store.manager)] == ["boss", "c2", "cash1", "shelf1"]
    with pytest.raises(Conflict):
        staff.add_staff(store.ctx, store.manager, code="c2", role="cashier", pin="1234")
    for kw in ({"code": "c3", "role": "owner", "pin": "1234"}, {"code": "c3", "role": "cashier", "pin": "12"},
               {"code": "c3", "role": "cashier", "pin": "abcd"}, {"code": "a b", "role": "cashier", "pin": "1234"}):
        with pytest.raises(InvalidInput):
            staff.add_staff(store.ctx, store.manager, **kw)
    staff.set_staff_active(store.ctx, store.manager, "c2", False)
    with pytest.raises(AuthenticationFailed):
        staff.login(store.ctx, "c2", "123456")
    with pytest.raises(InvalidInput):
        staff.set_staff_active(store.ctx, store.manager, "boss", False)


def test_only_a_manager_manages_staff(store):
    for who in (store.cashier, store.staff):
        with pytest.raises(PermissionDenied):
            staff.add_staff(store.ctx, who, code="x9", role="manager", pin="1234")
        with pytest.raises(PermissionDenied):
            staff.list_staff(store.ctx, who)


def test_init_store_is_idempotent_and_only_the_first_manager_is_created(store):
    assert staff.init_store(store.ctx, manager_code="boss2", manager_pin="1234") is False
    with pytest.raises(AuthenticationFailed):
        staff.login(store.ctx, "boss2", "1234")
    assert staff.is_initialised(store.ctx)


def test_campaign_load_list_show_and_reload_bumps_the_version(store):
    [c] = campaigns.list_campaigns(store.ctx, store.cashier)
    assert (c.code, c.version, c.active, len(c.tiers)) == ("DEMO-RECHARGE", 1, True, 3)
    shown = campaigns.get_campaign(store.ctx, store.staff, "DEMO-RECHARGE")
    assert shown == campaigns.get_campaign(store.ctx, store.staff, c.campaign_id)
    assert [t.pay_fen for t in shown.tiers] == [500_00, 1000_00, 2000_00]
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    assert campaigns.load_campaign(store.ctx, store.manager, data).version == 1  # same rules: unchanged
    data["tiers"][0]["bonus"] = "60"
    again = campaigns.load_campaign(store.ctx, store.manager, data)
    assert again.version == 2 and again.tiers[0].bonus_fen == 60_00
    assert campaigns.get_active_campaign(store.ctx, store.cashier).code == "DEMO-RECHARGE"
    with pytest.raises(NotFound):
        campaigns.get_campaign(store.ctx, store.cashier, "NOPE")


def test_preview_shows_what_a_recharge_would_give_without_writing(store):
    p = campaigns.preview_recharge(store.ctx, store.cashier, 1000_00)
    assert (p.tier_code, p.bonus_fen, p.points, p.within_cap) == ("advanced", 150_00, 100, True)


def test_only_a_manager_loads_campaigns_and_bad_files_are_refused(store, tmp_path: Path):
    with pytest.raises(PermissionDenied):
        campaigns.load_campaign_file(store.ctx, store.cashier, DEMO_CAMPAIGN)
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign_file(store.ctx, store.manager, tmp_path / "missing.toml")
    assert exc.value.key == "file.not_found"
    bad = tmp_path / "bad.toml"
    bad.write_text("[campaign\ncode = ")
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign_file(store.ctx, store.manager, bad)
    assert exc.value.key == "campaign.file_invalid"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput):
        campaigns.load_campaign_file(store.ctx, store.manager, bad)
    bad.write_text('tiers = 5\n[campaign]\ncode = "X"\nstarts_on = 2026-01-01\nends_on = 2026-12-31\n')
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign_file(store.ctx, store.manager, bad)
    assert exc.value.key == "campaign.bad_field"
    assert len(campaigns.list_campaigns(store.ctx, store.manager)) == 1


def test_without_a_campaign_a_recharge_earns_no_tier(bare_store):
    from pos_app.services import members, wallet

    m = members.register_member(bare_store.ctx, bare_store.cashier, phone="13800138000")
    r = wallet.recharge(bare_store.ctx, bare_store.cashier, member_id=m.member_id, amount_fen=1000_00)
    assert (r.tier_code, r.bonus_fen, r.points, r.campaign_code) == (None, 0, 0, None)
    assert campaigns.get_active_campaign(bare_store.ctx, bare_store.cashier) is None


# ---------------------------------------------------------------- issue 9 (items 16, 18)


def test_staff_codes_are_case_insensitive_and_stored_lower_case(store):
    dto = staff.add_staff(store.ctx, store.manager, code="C07", role="cashier", pin="1234")
    assert dto.code == "c07"
    with pytest.raises(Conflict):
        staff.add_staff(store.ctx, store.manager, code="c07", role="cashier", pin="1234")
    with pytest.raises(Conflict):
        staff.add_staff(store.ctx, store.manager, code="BOSS", role="cashier", pin="1234")
    assert staff.login(store.ctx, "C07", "1234").code == "c07"


def test_a_full_width_pin_is_the_same_pin_when_set_and_when_typed(store):
    staff.add_staff(store.ctx, store.manager, code="fw1", role="cashier", pin="１２３４")
    assert staff.login(store.ctx, "fw1", "1234").role == "cashier"
    assert staff.login(store.ctx, "fw1", "１２３４").role == "cashier"
    with pytest.raises(InvalidInput):
        staff.add_staff(store.ctx, store.manager, code="fw2", role="cashier", pin="١٢٣٤")  # other scripts' digits


def _gift_tier(data, sku):
    data["tiers"][0].setdefault("gifts", []).append({"sku": sku, "qty": 1})
    return data


def test_a_campaign_naming_a_gift_the_catalogue_lacks_is_refused_and_nothing_is_written(store):
    from pos_app.services import gifts

    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="玩具", unit_value_fen=39_00)
    gifts.add_gift(store.ctx, store.manager, sku="FOOD-BOX", name="礼盒", unit_value_fen=128_00)
    data = read_campaign_file(DEMO_CAMPAIGN)
    before = campaigns.get_campaign(store.ctx, store.manager, "DEMO-RECHARGE")
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign(store.ctx, store.manager, _gift_tier(data, "TOY-999"))
    assert exc.value.key == "campaign.unknown_gift" and exc.value.params["sku"] == "TOY-999"
    assert campaigns.get_campaign(store.ctx, store.manager, "DEMO-RECHARGE") == before
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    assert campaigns.load_campaign(store.ctx, store.manager, _gift_tier(data, "TOY-001")).version == 2


def test_an_overlapping_campaign_needs_replace_and_then_the_later_start_applies(store):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(code="FLASH", starts_on="2026-11-20", ends_on="2026-11-30")
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign(store.ctx, store.manager, data)
    assert exc.value.key == "campaign.overlaps" and exc.value.params["other"] == "DEMO-RECHARGE"
    assert [c.code for c in campaigns.list_campaigns(store.ctx, store.manager)] == ["DEMO-RECHARGE"]
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)
    rows = {c.code: c.active for c in campaigns.list_campaigns(store.ctx, store.manager)}
    assert rows == {"DEMO-RECHARGE": False, "FLASH": True}  # exactly one applies today


def test_a_tier_recharge_after_the_campaign_ended_names_the_end(store):
    from pos_app.services import members, wallet

    members.register_member(store.ctx, store.cashier, phone="13800138000")
    store.clock.advance(days=90)  # the demo campaign ended on 2027-01-31
    with pytest.raises(InvalidInput) as exc:
        wallet.recharge(store.ctx, store.cashier, phone="13800138000", tier_code="basic")
    assert exc.value.key == "campaign.ended" and exc.value.params["ends"] == "2027-01-31"
