"""A campaign's ``[targets]`` (DOMAIN.md: "Targets ... are set per campaign and the reports show progress
against them"): every key optional, percentages as basis points, a bad value or an unknown key refused by
its name."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain.campaign import CampaignTargets, campaign_from_dict
from pos_app.domain.errors import InvalidInput

DEMO = Path(__file__).resolve().parents[2] / "resources" / "campaigns" / "demo.toml"


def _demo(**targets: Any) -> dict[str, Any]:
    data = tomllib.loads(DEMO.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    if targets:
        data["targets"] = targets
    return data


def test_the_demo_targets_are_parsed() -> None:
    t = campaign_from_dict(_demo()).targets
    assert t == CampaignTargets(recharge_growth_bp=2000, new_recharging_members=100, invitee_conversion_bp=3000,
                                points_spent=5000, coupon_redemptions=200, mall_redemptions=150,
                                premium_redemptions=6)
    assert t.any()


def test_every_target_is_optional() -> None:
    data = _demo()
    del data["targets"]
    assert campaign_from_dict(data).targets == CampaignTargets() and not CampaignTargets().any()
    assert campaign_from_dict(_demo(new_recharging_members=5)).targets == CampaignTargets(new_recharging_members=5)
    t = campaign_from_dict(_demo(mall_redemptions=300, premium_redemptions=6)).targets
    assert t == CampaignTargets(mall_redemptions=300, premium_redemptions=6) and t.any()


@pytest.mark.parametrize(("value", "bp"), [("20", 2000), ("12.5", 1250), (20, 2000), ("150%", 15000), ("0", 0)])
def test_growth_percentages(value: Any, bp: int) -> None:
    assert campaign_from_dict(_demo(recharge_growth_percent=value)).targets.recharge_growth_bp == bp


@pytest.mark.parametrize(("key", "value"), [
    ("recharge_growth_percent", "-5"), ("recharge_growth_percent", "abc"), ("recharge_growth_percent", 2.5),
    ("recharge_growth_percent", True), ("recharge_growth_percent", "1.234"), ("recharge_growth_percent", "20000"),
    ("new_recharging_members", -1), ("new_recharging_members", "100"), ("new_recharging_members", 1.5),
    ("invitee_conversion_percent", "101"), ("points_spent", None), ("coupon_redemptions", False),
    ("mall_redemptions", -3), ("premium_redemptions", "6"),
])
def test_a_bad_value_is_refused_by_its_name(key: str, value: Any) -> None:
    with pytest.raises(InvalidInput) as ei:
        campaign_from_dict(_demo(**{key: value}))
    assert ei.value.key == "campaign.bad_field" and ei.value.params["field"] == f"targets.{key}"


def test_an_unknown_target_or_a_targets_value_that_is_no_table_is_refused() -> None:
    with pytest.raises(InvalidInput) as ei:
        campaign_from_dict(_demo(recharge_growth=20))
    assert ei.value.key == "campaign.target_unknown" and "targets.recharge_growth" in str(ei.value)
    data = _demo()
    data["targets"] = "20%"
    with pytest.raises(InvalidInput):
        campaign_from_dict(data)
