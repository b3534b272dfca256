from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import referrals as r
from pos_app.domain.errors import InvalidInput

RULES = {
    "referral": {
        "extra_threshold": "1000",
        "milestone_invites": 3,
        "reward_delay_working_days": 2,
        "inviter_rewards": [{"kind": "coupon", "template": "PET20", "count": 1}],
        "extra_rewards": [{"kind": "coupon", "template": "PET50"}],
        "milestone_rewards": [{"kind": "gift", "sku": "FOOD-BOX", "name": "礼包"}],
        "new_member_rewards": [{"kind": "gift", "sku": "TOY-001", "qty": 1}],
    }
}


def test_parse_rules():
    rules = r.rules_from_dict(RULES)
    assert rules is not None
    assert rules.extra_threshold_fen == 100_000 and rules.milestone_invites == 3
    assert rules.coupon_templates() == {"PET20", "PET50"}
    assert r.rules_from_dict({}) is None


@pytest.mark.parametrize(
    "patch",
    [
        {"milestone_invites": -1},
        {"extra_threshold": "abc"},
        {"inviter_rewards": [{"kind": "cash"}]},
        {"inviter_rewards": [{"kind": "coupon"}]},
        {"inviter_rewards": [{"kind": "coupon", "template": "X", "count": 0}]},
        {"extra_threshold": "0"},
        {"milestone_invites": 0},
    ],
)
def test_bad_rules_refused(patch):
    with pytest.raises(InvalidInput):
        r.rules_from_dict({"referral": {**RULES["referral"], **patch}})


def test_rewards_under_and_over_threshold_and_milestone():
    rules = r.rules_from_dict(RULES)
    assert rules is not None
    under = r.rewards_for_first_recharge(rules, 50_000, 1, False)
    assert [(i.ref, i.source) for i in under.inviter] == [("PET20", "referral")]
    assert under.milestone == ()
    assert [i.ref for i in under.invitee] == ["TOY-001"]
    over = r.rewards_for_first_recharge(rules, 100_000, 3, False)
    assert [i.ref for i in over.inviter] == ["PET20", "PET50"]
    assert [(i.ref, i.source) for i in over.milestone] == [("FOOD-BOX", "milestone")]
    again = r.rewards_for_first_recharge(rules, 100_000, 4, True)
    assert again.milestone == ()  # never twice


def test_loop_refused():
    chain = {"b": "a", "a": None}
    r.check_no_loop("c", "b", chain.get)
    with pytest.raises(InvalidInput):
        r.check_no_loop("a", "b", chain.get)
    with pytest.raises(InvalidInput):
        r.check_no_loop("x", "p", {"p": "q", "q": "p"}.get)


def test_same_campaign_rule():
    rules = r.ReferralRules(same_campaign_only=True)
    r.check_same_campaign(rules, "C1", "C1")
    r.check_same_campaign(r.ReferralRules(), "C0", "C1")
    with pytest.raises(InvalidInput):
        r.check_same_campaign(rules, "C0", "C1")


@given(st.lists(st.integers(0, 5), max_size=12))
def test_rank_is_competition_ranking(counts):
    rows = [r.Ranked(f"m{i}", n, f"2026-11-{i + 1:02d}") for i, n in enumerate(counts)]
    ranked = r.rank(rows)
    assert [x.successful for _, x in ranked] == sorted(counts, reverse=True)
    for place, x in ranked:
        assert place == 1 + sum(1 for n in counts if n > x.successful)
