"""The offline limits at the counter, with a controlled clock: they apply only to a paired store that has not
reached central for longer than the setting, and the refusal says which limit applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import repo
from pos_app.domain.errors import InsufficientFunds, LimitExceeded, StateError
from pos_app.services import coupons, sync, wallet
from tests.sync.helpers import make_store_as, member_change, page, wallet_change
from tests.sync.test_apply import MID, _coupon_change


@pytest.fixture
def b(tmp_path: Path):
    s = make_store_as(tmp_path / "b.db", "B002")
    sync.apply_page(s.ctx, page([member_change(MID, "13911112222", "A001"),
                                 wallet_change("A001:e1", MID, "A001", 200_000, 0, 200_000, 0, recharge_id="ra1")]))
    yield s
    s.ctx.db.dispose()


def _paired(store, **settings_) -> None:  # type: ignore[no-untyped-def]
    """As pairing leaves it (the HTTP part is the e2e tests'), with these store settings."""
    with store.ctx.uow() as uow:
        state = repo.sync.state_for_update(uow.session)
        state.server_url, state.reached_at = "http://127.0.0.1:9", store.ctx.now()
        info = uow.session.get(m.StoreInfo, 1)
        info.settings_json = json.dumps({**json.loads(info.settings_json or "{}"), **settings_})
        uow.commit()


def test_an_unpaired_store_has_no_offline_limits(b) -> None:
    b.clock.advance(days=3)
    wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=150_000)


def test_the_limits_start_after_the_offline_time_and_say_which_applied(b) -> None:
    _paired(b, offline_after_minutes=10, offline_spend_cap_fen=60_000, offline_daily_cap_fen=100_000)
    b.clock.advance(minutes=9)
    wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=90_000)  # 10 minutes not yet passed: online
    _paired(b)  # central reached again after it
    b.clock.advance(minutes=11)
    with pytest.raises(LimitExceeded) as err:
        wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=70_000)
    assert err.value.key == "sync.offline_tx_cap"
    messages.set_language("en")
    assert messages.translate(err.value.key, err.value.params) == \
        "Offline for 11 min: at most ¥600.00 per payment from the balance (asked ¥700.00)"
    wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=60_000)
    with pytest.raises(LimitExceeded) as err:
        wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=50_000)
    assert err.value.key == "sync.offline_day_cap" and int(err.value.params["room"]) == 40_000
    wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=40_000)
    b.clock.advance(days=1)  # a new store day: the daily cap starts again, within what is known here
    with pytest.raises(LimitExceeded) as err:
        wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=20_000)
    assert err.value.key == "sync.offline_balance"  # 10_000 left here
    with pytest.raises(InsufficientFunds):
        _paired(b, offline_after_minutes=10_000)
        wallet.spend(b.ctx, b.cashier, member_id=MID, amount_fen=20_000)


def test_a_coupon_of_another_store_offline(b) -> None:
    import random

    code = coupons.rules.new_code(random.Random(3).getrandbits)
    sync.apply_page(b.ctx, page([_coupon_change(code, "issued")], start=2))
    _paired(b, offline_after_minutes=5)
    b.clock.advance(minutes=6)
    # its state came from central: redeemable offline under the default policy
    coupons.preview_redemption(b.ctx, b.cashier, code=code, member_id=MID, amount_fen=15_000)
    coupons.redeem_coupon(b.ctx, b.cashier, code=code, amount_fen=15_000, member_id=MID, request_id="r1")
    code2 = coupons.rules.new_code(random.Random(4).getrandbits)
    sync.apply_page(b.ctx, page([_coupon_change(code2, "issued")], start=3))
    _paired(b, offline_after_minutes=5, offline_foreign_coupons="refuse")
    b.clock.advance(minutes=6)
    with pytest.raises(StateError) as err:
        coupons.redeem_coupon(b.ctx, b.cashier, code=code2, amount_fen=15_000, member_id=MID)
    assert err.value.key == "sync.offline_foreign_coupon"
