"""The process the crash campaign kills: mixed counter operations through the real services on a real store
file (and a sync round with the real central server the campaign runs on 127.0.0.1), in a fixed plan (operation ``i`` is always the same one with request id ``cr-i``), so that the next child
goes on from the first operation nobody saw committed and replays it with the same request id.

Each operation that returns is written to the side log (``ok I KIND`` or ``no I KIND KEY`` for a refusal)
and fsync'ed, only after the use case returned: what the log holds, the store must hold. An unexpected
error is logged as ``crash`` and ends the child (the campaign fails on it).

Run in a fork of a server process that imported all of this once (multiprocessing's forkserver), so a child
starts in milliseconds, not in the second Python needs to import the app."""

from __future__ import annotations

import os
import traceback
import uuid
from collections.abc import Callable
from typing import Any

from pos_app.app import open_store
from pos_app.domain.errors import DomainError
from pos_app.services import coupons, members, points, redemption, staff, sync, wallet, wheel
from pos_app.services.checkout import sales
from pos_app.services.checkout.demo import demo_barcode
from pos_app.services.checkout.dto import LineInput, PaymentInput
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.gifts import handout

BILL_FEN = 500_00
#: the premium item members ask for (the campaign's stock and points for it are set by the campaign's fixture)
PREMIUM_ITEM = "MOUTAI-500"
#: a sync round pushes this many events a request and pulls this many changes a page: a round is several
#: requests and transactions, so a kill can land between any two of them
PUSH_BATCH = 4
PULL_PAGE = 1


def phone(n: int) -> str:
    return f"137{n:08d}"


def foreign_id(n: int) -> str:
    """The id of a member of another store (the lock contention campaign's pulled pages)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pos-app-crash-foreign-{n}"))


class Plan:
    """Operation ``i`` of the plan, for member ``i // len(STEPS)``."""

    def __init__(self, ctx: ServiceContext, actor: Actor) -> None:
        self.ctx, self.actor = ctx, actor

    def _member_id(self, n: int) -> str:
        return members.get_member(self.ctx, self.actor, phone=phone(n)).member_id

    def register(self, n: int, rid: str) -> Any:
        return members.register_member(self.ctx, self.actor, phone=phone(n), name=f"崩溃{n}", request_id=rid)

    def recharge(self, n: int, rid: str) -> Any:
        return wallet.recharge(self.ctx, self.actor, phone=phone(n), tier_code="luxury", pay_method="cash",
                               request_id=rid)

    def checkin(self, n: int, rid: str) -> Any:
        return points.checkin(self.ctx, self.actor, phone=phone(n), request_id=rid)

    def _basket(self, n: int) -> tuple[str, list[LineInput], list[PaymentInput]]:
        mid = self._member_id(n)
        lines = [LineInput(barcode=demo_barcode(1 + n % 5), qty=1), LineInput(category="洗护美容", amount_fen=30_00)]
        q = sales.quote(self.ctx, self.actor, member_id=mid, lines=lines, coupon_code=None)
        return mid, lines, [PaymentInput("balance", q.total_fen // 2), PaymentInput("wechat", q.total_fen - q.total_fen // 2)]

    def sale(self, n: int, rid: str) -> Any:
        mid, lines, pays = self._basket(n)
        return sales.ring_up(self.ctx, self.actor, request_id=rid, member_id=mid, lines=lines, coupon_code=None,
                             payments=pays)

    def coupon(self, n: int, rid: str) -> Any:
        mid = self._member_id(n)
        held = coupons.list_coupons(self.ctx, self.actor, member_id=mid, state="issued")
        usable = [c for c in held if c.min_spend_fen <= BILL_FEN and c.kind == "amount_off"]
        if not usable:  # a replay: the coupon this request used is redeemed already; the request id answers
            used = coupons.list_coupons(self.ctx, self.actor, member_id=mid, state="redeemed")
            usable = [c for c in used if c.kind == "amount_off"]
        return coupons.redeem_coupon(self.ctx, self.actor, code=sorted(c.code for c in usable)[0],
                                     amount_fen=BILL_FEN, member_id=mid, request_id=rid)

    def gift(self, n: int, rid: str) -> Any:
        return handout(self.ctx, self.actor, member_id=self._member_id(n), request_id=rid)

    def draw(self, n: int, rid: str) -> Any:
        return wheel.draw(self.ctx, self.actor, phone=phone(n), request_id=rid)

    def redeem(self, n: int, rid: str) -> Any:
        return redemption.request(self.ctx, self.actor, item=PREMIUM_ITEM, phone=phone(n), request_id=rid)

    def sale_return(self, n: int, rid: str) -> Any:
        (sale, *_) = sales.member_sales(self.ctx, self.actor, self._member_id(n))
        return sales.return_sale(self.ctx, self.actor, request_id=rid, sale_id=sale.sale_id)

    def small_recharge(self, n: int, rid: str) -> Any:
        return wallet.recharge(self.ctx, self.actor, phone=phone(n), amount_fen=300_00, pay_method="wechat",
                               request_id=rid)

    def refund(self, n: int, rid: str) -> Any:
        # the recharge to refund: the one the previous step made (its request id answers with it again)
        first = self.small_recharge(n, f"cr-{n * len(STEPS) + STEPS.index('small_recharge')}")
        return wallet.refund(self.ctx, self.actor, recharge_id=first.recharge_id, request_id=rid, method="cash")

    def sync(self, n: int, rid: str) -> Any:
        # a round with central: push the outbox in batches (each acknowledgement recorded), then pull and apply
        # the change feed page by page (each page with its cursor in one transaction)
        return sync.run_round(self.ctx, push_batch=PUSH_BATCH, pull_page=PULL_PAGE)


#: the plan, one member after another; the use case each step's request id is recorded under
STEPS: tuple[str, ...] = ("register", "recharge", "checkin", "sale", "coupon", "gift", "draw", "redeem",
                          "sale_return", "small_recharge", "refund", "sync")
USE_CASE = {"register": "member.register", "recharge": "wallet.recharge", "checkin": "points.checkin",
            "sale": "sale.ring_up", "coupon": "coupon.redeem", "gift": "gift.handout", "draw": "wheel.draw",
            "redeem": "redemption.request", "sale_return": "sale.return", "small_recharge": "wallet.recharge",
            "refund": "wallet.refund"}


def step(i: int) -> tuple[int, str]:
    n, k = divmod(i, len(STEPS))
    return n, STEPS[k]


def _log(fd: int, line: str) -> None:
    os.write(fd, (line + "\n").encode())
    os.fsync(fd)


def run(db: str, log: str, start: int, manager_code: str, pin: str, credentials: str) -> None:
    """Operations ``start``, ``start + 1``, ... until the parent kills this process. ``credentials``: the
    folder of the store's credential for central (the forkserver's environment is not the test's)."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.environ["POS_SYNC_CREDENTIALS"] = credentials
    try:
        ctx = open_store(db, owner="command", migrate_now=False)  # the parent made and migrated it
        plan = Plan(ctx, staff.login(ctx, manager_code, pin))
        i = start
        while True:
            n, kind = step(i)
            do: Callable[[int, str], Any] = getattr(plan, kind)
            try:
                do(n, f"cr-{i}")
            except DomainError as exc:
                _log(fd, f"no {i} {kind} {exc.key}")
            else:
                _log(fd, f"ok {i} {kind}")
            i += 1
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the campaign on it
        _log(fd, "crash " + traceback.format_exc().replace("\n", " | "))
        raise SystemExit(1) from None
