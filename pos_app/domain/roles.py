"""Staff roles and what each may do. Services check these; the UI only hides buttons."""

from __future__ import annotations

from pos_app.domain.errors import PermissionDenied

CASHIER = "cashier"
STAFF = "staff"
MANAGER = "manager"
ROLES = (CASHIER, STAFF, MANAGER)

#: action -> roles allowed
PERMISSIONS: dict[str, frozenset[str]] = {
    "member.read": frozenset({CASHIER, STAFF, MANAGER}),
    "member.register": frozenset({CASHIER, MANAGER}),
    "wallet.recharge": frozenset({CASHIER, MANAGER}),
    "wallet.spend": frozenset({CASHIER, MANAGER}),
    "wallet.refund": frozenset({MANAGER}),
    # a manager's correction of a member's stored value (principal and/or bonus, with a reason)
    "wallet.adjust": frozenset({MANAGER}),
    "campaign.read": frozenset({CASHIER, STAFF, MANAGER}),
    "campaign.manage": frozenset({MANAGER}),
    "staff.manage": frozenset({MANAGER}),
    "report.read": frozenset({MANAGER}),
    "coupon.redeem": frozenset({CASHIER, MANAGER}),
    "coupon.issue": frozenset({MANAGER}),
    "coupon.void": frozenset({MANAGER}),
    "coupon.manage": frozenset({MANAGER}),
    "referral.issue_due": frozenset({CASHIER, STAFF, MANAGER}),
    # the daily points expiry runs in the name of whoever is logged in (it writes: not a read permission)
    "points.expire": frozenset({CASHIER, STAFF, MANAGER}),
    # the points platform (issue 13): adjustments are the manager's; check-in and draws at the counter
    "points.adjust": frozenset({MANAGER}),
    "points.checkin": frozenset({CASHIER, STAFF, MANAGER}),
    "wheel.draw": frozenset({CASHIER, MANAGER}),
    "wheel.manage": frozenset({MANAGER}),
    # the points mall and premium redemption (issue 13): a review (approve/reject), pausing an item and
    # importing external codes are the manager's; the daily automatic receipt runs as whoever is logged in
    "mall.redeem": frozenset({CASHIER, MANAGER}),
    "redemption.request": frozenset({CASHIER, MANAGER}),
    "redemption.review": frozenset({MANAGER}),
    "redemption.fulfil": frozenset({CASHIER, STAFF, MANAGER}),
    "redemption.manage": frozenset({MANAGER}),
    "redemption.auto": frozenset({CASHIER, STAFF, MANAGER}),
    # member levels: the daily review (a voucher's lift ends, downgrades) runs in the name of whoever is logged in
    "level.review": frozenset({CASHIER, STAFF, MANAGER}),
    "gift.read": frozenset({CASHIER, STAFF, MANAGER}),
    "gift.handout": frozenset({CASHIER, STAFF, MANAGER}),
    "gift.receive": frozenset({STAFF, MANAGER}),
    "gift.adjust": frozenset({MANAGER}),
    "gift.manage": frozenset({MANAGER}),
    "system.admin": frozenset({MANAGER}),
    # pairing this device with the central server (the one-time code comes from head office)
    "sync.pair": frozenset({MANAGER}),
    # a note on a conflict central reported for this store
    "sync.conflicts": frozenset({MANAGER}),
    # a backup on demand or to a chosen file, and restore, are the manager's; the daily backup runs in the
    # name of whoever is logged in (at most one per store day, into the owner-only backup folder)
    "backup.create": frozenset({MANAGER}),
    "backup.daily": frozenset({CASHIER, STAFF, MANAGER}),
    # checkout: ringing up a sale; a return is the manager's (a cashier brings a manager's approval)
    "sale.ring_up": frozenset({CASHIER, MANAGER}),
    "sale.return": frozenset({MANAGER}),
    "product.read": frozenset({CASHIER, STAFF, MANAGER}),
    "product.manage": frozenset({MANAGER}),
    # reports: a cashier opens and closes their own shift at the till (交班)
    "shift.operate": frozenset({CASHIER, MANAGER}),
}


def check(role: str, action: str) -> None:
    allowed = PERMISSIONS.get(action)
    if allowed is None:
        raise KeyError(f"unknown action {action!r}")
    if role not in allowed:
        raise PermissionDenied("error.permission_denied", action=action, role=role)
