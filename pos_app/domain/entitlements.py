"""The life of an entitlement (one unit a member earned: a coupon, a gift, a voucher, member-price months),
written once: its states, the events that move it, and the allowed moves as data.

::

    owed ──issue──────> issued ──revoke──> revoked       (an unused coupon voided, member price withdrawn)
     │                    └────keep─────> kept          (a coupon already used)
     ├──hand_out──────> handed_out ──keep─> kept        (a gift already given stays given)
     ├──decline───────> declined                        (the member did not want it)
     ├──revoke────────> revoked                         (its recharge refunded / referral reversed)
     └──cancel────────> cancelled                       (withdrawn without a refund)

An entitlement is born ``owed`` (member-price months are born ``issued``: they apply at once). Declined,
revoked, kept and cancelled are final. Services move a row only with :func:`transition`, which refuses a
move the table does not hold."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pos_app.domain.errors import StateError

# states
OWED = "owed"
ISSUED = "issued"
HANDED_OUT = "handed_out"
DECLINED = "declined"
REVOKED = "revoked"
KEPT = "kept"
CANCELLED = "cancelled"
STATES: tuple[str, ...] = (OWED, ISSUED, HANDED_OUT, DECLINED, REVOKED, KEPT, CANCELLED)

# events
ISSUE = "issue"  # the feature module made it real (a coupon issued for it)
HAND_OUT = "hand_out"  # a gift given over the counter
DECLINE = "decline"  # the member does not want it
REVOKE = "revoke"  # taken back before the member had the use of it
KEEP = "keep"  # taken back on paper only: the member already used it or has it
CANCEL = "cancel"  # withdrawn without a refund
EVENTS: tuple[str, ...] = (ISSUE, HAND_OUT, DECLINE, REVOKE, KEEP, CANCEL)

#: the allowed moves: (state, event) -> new state; anything else is refused
TRANSITIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    (OWED, ISSUE): ISSUED,
    (OWED, HAND_OUT): HANDED_OUT,
    (OWED, DECLINE): DECLINED,
    (OWED, REVOKE): REVOKED,
    (OWED, CANCEL): CANCELLED,
    (ISSUED, REVOKE): REVOKED,
    (ISSUED, KEEP): KEPT,
    (HANDED_OUT, KEEP): KEPT,
})

#: states no event leaves
FINAL: frozenset[str] = frozenset(s for s in STATES if not any(k[0] == s for k in TRANSITIONS))
#: states in which the member no longer holds anything from it (a refund's "revoked" list)
TAKEN_BACK: frozenset[str] = frozenset({REVOKED, CANCELLED})


class ForbiddenTransition(StateError):
    key = "entitlement.transition_forbidden"


def allowed(state: str, event: str) -> bool:
    return (state, event) in TRANSITIONS


def transition(state: str, event: str) -> str:
    """The state after ``event``; :class:`ForbiddenTransition` (a DomainError) when the table has no such move."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise ForbiddenTransition("entitlement.transition_forbidden", state=state, event=event) from None


def take_back(state: str) -> str | None:
    """The event that takes back an entitlement in ``state`` (its recharge refunded, its referral
    reversed) when no feature module decides: owed -> revoke, handed out -> keep, issued -> keep (the
    feature that issued it decides for its kinds: an unused coupon is revoked), final -> None (nothing
    to do)."""
    if state == OWED:
        return REVOKE
    if state in (HANDED_OUT, ISSUED):
        return KEEP
    return None


def held_by_coupon_state(*, recharge_refunded: bool, coupon_voided: bool) -> str:
    """The state of a coupon/voucher a recharge issued at once, whose coupon row is its only row: issued,
    until its recharge is refunded; then revoked when the refund voided it (or it was void already), kept
    when the member had used it. These are the only moves such an entitlement makes (issue at birth, then
    revoke or keep on refund), so its state is a function of the two facts and is not stored."""
    if not recharge_refunded:
        return ISSUED
    return REVOKED if coupon_voided else KEPT
