"""Campaigns, tiers and rebate rules, with the demo campaign's numbers:
basic 500 -> +50 bonus, 1 coupon; advanced 1000 -> +150, 2 coupons, a toy; luxury 2000 -> +400,
3 coupons, a food box, a health voucher, 12 months member price. Every full 100 yuan earns 10 points;
1000 yuan or more earns an extra 5% as a grooming voucher."""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from pos_app.domain.campaign import (
    GRANT_COUPON,
    GRANT_GIFT,
    GRANT_MEMBER_PRICE,
    GRANT_VOUCHER,
    active_campaign,
    campaign_from_dict,
    evaluate_recharge,
    gift_skus,
    overlaps,
)
from pos_app.domain.errors import InvalidInput

DEMO = Path(__file__).resolve().parents[2] / "resources" / "campaigns" / "demo.toml"


@pytest.fixture(scope="module")
def demo_data():
    with DEMO.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def demo(demo_data):
    return campaign_from_dict(demo_data)


def _kinds(outcome):
    out: dict[str, int] = {}
    for i in outcome.items:
        out[i.kind] = out.get(i.kind, 0) + i.quantity
    return out


def test_demo_campaign_parses_yuan_into_fen(demo):
    assert demo.code == "DEMO-RECHARGE"
    assert [(t.code, t.pay_fen, t.bonus_fen) for t in demo.tiers] == [
        ("basic", 500_00, 50_00), ("advanced", 1000_00, 150_00), ("luxury", 2000_00, 400_00),
    ]
    assert demo.rebate.points_step_fen == 100_00 and demo.rebate.points_per_step == 10
    assert demo.rebate.voucher_threshold_fen == 1000_00 and demo.rebate.voucher_bp == 500
    assert demo.points_expiry_months == 12 and demo.gift_due_working_days == 3


def test_recharge_500_on_basic_tier_gives_50_bonus_and_50_points(demo):
    o = evaluate_recharge(demo, 500_00, "basic")
    assert (o.tier_code, o.bonus_fen, o.points) == ("basic", 50_00, 50)
    assert _kinds(o) == {GRANT_COUPON: 1}
    assert o.items[0].ref == "PET20" and o.items[0].value_fen == 20_00


def test_recharge_1000_on_advanced_gives_150_bonus_100_points_2_coupons_a_toy_and_a_50_yuan_voucher(demo):
    o = evaluate_recharge(demo, 1000_00, "advanced")
    assert (o.bonus_fen, o.points) == (150_00, 100)
    assert _kinds(o) == {GRANT_COUPON: 2, GRANT_GIFT: 1, GRANT_VOUCHER: 1}
    rebate = [i for i in o.items if i.source == "rebate"]
    assert len(rebate) == 1 and rebate[0].value_fen == 50_00 and rebate[0].ref == "洗护美容"


def test_recharge_2000_on_luxury_gives_400_bonus_200_points_12_months_member_price_and_a_100_yuan_voucher(demo):
    o = evaluate_recharge(demo, 2000_00, "luxury")
    assert (o.bonus_fen, o.points, o.member_price_months) == (400_00, 200, 12)
    assert _kinds(o) == {GRANT_COUPON: 3, GRANT_GIFT: 1, GRANT_VOUCHER: 2, GRANT_MEMBER_PRICE: 12}
    assert sorted(i.value_fen for i in o.items if i.kind == GRANT_VOUCHER) == [0, 100_00]


def test_custom_750_takes_the_best_tier_it_reaches_basic_and_earns_70_points(demo):
    o = evaluate_recharge(demo, 750_00)
    assert (o.tier_code, o.bonus_fen, o.points) == ("basic", 50_00, 70)


def test_custom_1999_99_takes_advanced_and_earns_190_points_and_a_99_99_yuan_voucher(demo):
    o = evaluate_recharge(demo, 1999_99)
    assert (o.tier_code, o.bonus_fen, o.points) == ("advanced", 150_00, 190)
    voucher = [i for i in o.items if i.source == "rebate"][0]
    assert voucher.value_fen == 99_99  # 5% of 1999.99 = 99.9995, rounded down


def test_custom_499_99_reaches_no_tier_and_earns_40_points_no_voucher(demo):
    o = evaluate_recharge(demo, 499_99)
    assert (o.tier_code, o.bonus_fen, o.points, o.items) == (None, 0, 40, ())


def test_custom_5000_takes_luxury(demo):
    assert evaluate_recharge(demo, 5000_00).tier_code == "luxury"


def test_choosing_a_tier_needs_its_price(demo):
    with pytest.raises(InvalidInput) as exc:
        evaluate_recharge(demo, 499_00, "basic")
    assert exc.value.key == "campaign.tier_amount_short"
    assert evaluate_recharge(demo, 600_00, "basic").tier_code == "basic"


def test_unknown_tier_is_refused(demo):
    with pytest.raises(InvalidInput) as exc:
        evaluate_recharge(demo, 500_00, "gold")
    assert exc.value.key == "campaign.tier_unknown"


def test_without_a_campaign_a_recharge_earns_nothing_extra_and_no_tier_can_be_chosen():
    o = evaluate_recharge(None, 500_00)
    assert (o.tier_code, o.bonus_fen, o.points, o.items) == (None, 0, 0, ())
    with pytest.raises(InvalidInput) as exc:
        evaluate_recharge(None, 500_00, "basic")
    assert exc.value.key == "campaign.none_active"


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_recharge_is_refused(demo, amount):
    with pytest.raises(InvalidInput):
        evaluate_recharge(demo, amount)


def test_active_campaign_window_inclusive_latest_start_wins_and_store_filter(demo_data):
    a = campaign_from_dict(demo_data)  # 2026-11-01 .. 2027-01-31
    d2 = copy.deepcopy(demo_data)
    d2["campaign"].update(code="XMAS", starts_on="2026-12-20", ends_on="2026-12-31", stores=["S9"])
    b = campaign_from_dict(d2)
    assert active_campaign([a, b], date(2026, 10, 31)) is None
    assert active_campaign([a, b], date(2026, 11, 1)) is a
    assert active_campaign([a, b], datetime(2027, 1, 31, 23, 0)) is a
    assert active_campaign([a, b], date(2027, 2, 1)) is None
    assert active_campaign([a, b], date(2026, 12, 24), "S1") is a  # XMAS runs in store S9 only
    assert active_campaign([a, b], date(2026, 12, 24), "S9") is b


def _bad(demo_data, mutate):
    d = copy.deepcopy(demo_data)
    mutate(d)
    with pytest.raises(InvalidInput) as exc:
        campaign_from_dict(d)
    return exc.value.key


def test_campaign_file_refusals(demo_data):
    assert _bad(demo_data, lambda d: d["campaign"].pop("code")) == "campaign.missing_field"
    assert _bad(demo_data, lambda d: d["campaign"].update(starts_on="yesterday")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["campaign"].update(ends_on="2026-10-01")) == "campaign.window_invalid"
    assert _bad(demo_data, lambda d: d["tiers"][1].update(code="basic")) == "campaign.duplicate_tier"
    assert _bad(demo_data, lambda d: d["tiers"][1].update(pay="500")) == "campaign.duplicate_tier_price"
    assert _bad(demo_data, lambda d: d["tiers"][0].update(pay="-500")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["tiers"][0].update(pay="0")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["tiers"][0].update(bonus="1.234")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d.update(tiers="basic")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["tiers"][0].update(coupons={"template": "X"})) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d.update(rebate=[1, 2])) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["rebate"].update(voucher_percent="150")) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["rebate"].update(points=-1)) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["rebate"].pop("voucher_name")) == "campaign.missing_field"
    assert _bad(demo_data, lambda d: d["tiers"][0]["coupons"][0].update(count=0)) == "campaign.bad_field"
    assert _bad(demo_data, lambda d: d["campaign"].update(stores=[1])) == "campaign.bad_field"


def test_numbers_in_a_campaign_may_be_toml_numbers_too(demo_data):
    d = copy.deepcopy(demo_data)
    d["tiers"][0]["pay"] = 500
    d["tiers"][0]["bonus"] = 49.9
    c = campaign_from_dict(d)
    assert (c.tiers[0].pay_fen, c.tiers[0].bonus_fen) == (500_00, 49_90)


# ---------------------------------------------------------------- files that cannot work (issue 9, item 16)


def _one_tier(demo_data, **tier):
    data = copy.deepcopy(demo_data)
    data["tiers"] = [{"code": "t", "pay": "500", **tier}]
    return data


def test_a_bonus_larger_than_the_price_is_refused_unless_the_file_allows_it(demo_data):
    with pytest.raises(InvalidInput) as exc:
        campaign_from_dict(_one_tier(demo_data, bonus="10000"))
    assert exc.value.key == "campaign.bonus_too_large"
    assert (exc.value.params["value"], exc.value.params["pay"], exc.value.params["max_percent"]) == (1_000_000, 50_000, "100")
    assert campaign_from_dict(_one_tier(demo_data, bonus="500")).tiers[0].bonus_fen == 50_000  # equal is fine
    generous = _one_tier(demo_data, bonus="1500")
    generous["campaign"]["max_bonus_percent"] = "300"
    assert campaign_from_dict(generous).tiers[0].bonus_fen == 150_000
    strict = _one_tier(demo_data, bonus="60")
    strict["campaign"]["max_bonus_percent"] = "10"
    with pytest.raises(InvalidInput):
        campaign_from_dict(strict)


def test_tier_codes_that_differ_only_in_case_are_refused_and_lookup_ignores_case(demo_data):
    data = copy.deepcopy(demo_data)
    data["tiers"].append({**data["tiers"][0], "code": "BASIC", "pay": "555"})
    with pytest.raises(InvalidInput) as exc:
        campaign_from_dict(data)
    assert exc.value.key == "campaign.tier_case_clash"
    assert {exc.value.params["tier"], exc.value.params["other"]} == {"basic", "BASIC"}
    c = campaign_from_dict(demo_data)
    assert c.tier("BASIC").code == "basic"
    assert evaluate_recharge(c, 500_00, "Basic").tier_code == "basic"


def test_gift_skus_are_listed_from_the_tiers_and_the_referral_rewards(demo_data):
    skus = gift_skus(campaign_from_dict(demo_data))
    assert ("TOY-001", "tiers.advanced.gifts") in skus and ("FOOD-BOX", "tiers.luxury.gifts") in skus
    assert ("FOOD-BOX", "referral.milestone_rewards") in skus and ("TOY-001", "referral.new_member_rewards") in skus


def test_overlap_needs_a_common_day_and_a_common_store(demo_data):
    a = campaign_from_dict(demo_data)

    def other(starts, ends, stores=("*",), code="B"):
        d = copy.deepcopy(demo_data)
        d["campaign"].update(code=code, starts_on=starts, ends_on=ends, stores=list(stores))
        return campaign_from_dict(d)

    assert overlaps(a, other("2027-01-31", "2027-02-28"))  # the last day is shared (inclusive)
    assert not overlaps(a, other("2027-02-01", "2027-02-28"))
    assert not overlaps(a, other("2026-11-01", "2027-01-31", code=a.code))  # the same campaign reloaded
    x = other("2026-12-01", "2026-12-31", stores=("S1",), code="X")
    assert overlaps(x, other("2026-12-15", "2027-01-15", stores=("S1", "S2")))
    assert not overlaps(x, other("2026-12-15", "2027-01-15", stores=("S2",)))
