"""The entitlement state machine (domain/entitlements.py): the table, and properties of every path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import entitlements as life
from pos_app.domain.errors import DomainError, StateError

states = st.sampled_from(life.STATES)
events = st.sampled_from(life.EVENTS)


def test_the_table_names_only_known_states_and_events():
    for (state, event), after in life.TRANSITIONS.items():
        assert state in life.STATES and event in life.EVENTS and after in life.STATES
    assert {life.DECLINED, life.REVOKED, life.KEPT, life.CANCELLED} == life.FINAL
    assert life.TAKEN_BACK <= life.FINAL


def test_the_moves_the_services_make():
    assert life.transition(life.OWED, life.ISSUE) == life.ISSUED  # a coupon issued for it
    assert life.transition(life.OWED, life.HAND_OUT) == life.HANDED_OUT
    assert life.transition(life.OWED, life.DECLINE) == life.DECLINED
    assert life.transition(life.OWED, life.REVOKE) == life.REVOKED  # refunded before it was given
    assert life.transition(life.ISSUED, life.REVOKE) == life.REVOKED  # an unused coupon voided
    assert life.transition(life.ISSUED, life.KEEP) == life.KEPT  # a used coupon
    assert life.transition(life.HANDED_OUT, life.KEEP) == life.KEPT  # a gift already given


@pytest.mark.parametrize(("state", "event"), [
    (life.HANDED_OUT, life.HAND_OUT),  # a gift handed out twice
    (life.DECLINED, life.HAND_OUT),  # a declined gift handed out
    (life.HANDED_OUT, life.REVOKE),  # a gift taken back from the shelf that it left
    (life.ISSUED, life.HAND_OUT),
    (life.REVOKED, life.ISSUE),  # a refunded coupon issued by the daily job
    (life.KEPT, life.REVOKE),
])
def test_a_forbidden_move_is_a_domain_error_naming_state_and_event(state, event):
    with pytest.raises(life.ForbiddenTransition) as exc:
        life.transition(state, event)
    assert isinstance(exc.value, StateError) and isinstance(exc.value, DomainError)
    assert exc.value.key == "entitlement.transition_forbidden"
    assert exc.value.params == {"state": state, "event": event}


@given(states, events)
def test_transition_is_the_table_and_nothing_else(state, event):
    if (state, event) in life.TRANSITIONS:
        assert life.allowed(state, event)
        assert life.transition(state, event) == life.TRANSITIONS[(state, event)]
    else:
        assert not life.allowed(state, event)
        with pytest.raises(life.ForbiddenTransition):
            life.transition(state, event)


@given(st.lists(events, max_size=12))
def test_every_path_from_owed_ends_in_a_final_state_within_two_moves(seq):
    """Whatever events arrive, in any order: the row never goes back to owed, never leaves a final
    state, takes at most two moves, and 'kept' only follows something the member got."""
    state = life.OWED
    path = [state]
    for event in seq:
        if not life.allowed(state, event):
            with pytest.raises(life.ForbiddenTransition):
                life.transition(state, event)
            continue
        assert state not in life.FINAL
        state = life.transition(state, event)
        path.append(state)
    assert len(path) <= 3
    assert life.OWED not in path[1:]
    if life.KEPT in path:
        assert path[-2] in (life.ISSUED, life.HANDED_OUT)
    if len(path) == 3:
        assert path[-1] in life.FINAL


@given(states)
def test_taking_back_is_allowed_from_every_state_that_is_not_final(state):
    event = life.take_back(state)
    if state in life.FINAL:
        assert event is None
    else:
        assert event is not None and life.allowed(state, event)
        assert life.transition(state, event) in life.FINAL


def test_every_state_is_reachable_from_owed():
    seen = {life.OWED}
    frontier = [life.OWED]
    while frontier:
        s = frontier.pop()
        for (src, _ev), dst in life.TRANSITIONS.items():
            if src == s and dst not in seen:
                seen.add(dst)
                frontier.append(dst)
    assert seen == set(life.STATES)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_forbidden_move_reads_as_a_sentence(lang):
    from pos_app import messages
    from pos_app.services import grants  # noqa: F401  (registers the message)

    err = life.ForbiddenTransition("entitlement.transition_forbidden", state="declined", event="hand_out")
    text = messages.tr_error(err, lang)
    assert "declined" in text and "hand_out" in text and "entitlement." not in text
