"""End to end: real store files, the real central server (pos_app/central, uvicorn on 127.0.0.1), the real
client; faults through a TCP proxy the test controls."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from pos_app.central import services as central
from pos_app.db import models as m
from pos_app.domain.errors import LimitExceeded
from pos_app.services import members, sync, wallet
from pos_app.sync import credentials
from pos_app.sync.client import CentralClient, wall_ms
from pos_app.sync.errors import ClockFarOff, Offline, Revoked
from tests.central.conftest import Server
from tests.conftest import Store
from tests.sync.helpers import balances, make_store_as
from tests.sync.proxy import DELAY, DROP_REQUEST, DROP_RESPONSE, PASS, Proxy


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    made: list[Store] = []

    def make(code: str) -> Store:
        s = make_store_as(tmp_path / f"{code}.db", code, seed=len(made) + 11)
        made.append(s)
        return s

    yield make
    for s in made:
        s.ctx.db.dispose()


def paired(hq: Server, store: Store, url: str | None = None) -> Store:
    """The store registered on central and its device paired once with a one-time code."""
    st = central.add_store(hq.db, f"store {store.path.stem}", store.path.stem)
    code = central.device_code(hq.db, st["store_id"])["code"]
    sync.pair(store.ctx, store.manager, server_url=url or hq.url, code=code)
    return store


def outbox_count(store: Store) -> int:
    with store.ctx.uow(read_only=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(m.Outbox)) or 0)


def central_events(hq: Server) -> int:
    return int(central.totals(hq.db)["events"])


def test_recharge_in_a_is_spendable_in_b_after_sync(hq: Server, stores: Any) -> None:
    a, b = paired(hq, stores("A001")), paired(hq, stores("B002"))
    reg = members.register_member(a.ctx, a.cashier, phone="13812340001", name="张三")
    wallet.recharge(a.ctx, a.cashier, member_id=reg.member_id, tier_code="basic", pay_method="cash")
    first = sync.run_round(a.ctx)
    assert first.pushed == outbox_count(a) and first.pending == 0 and first.clock_skew_ms is not None
    assert first.server_time is not None
    got = sync.run_round(b.ctx)
    assert got.pulled >= 2
    assert balances(b, "13812340001") == (50_000, 5_000)
    spent = wallet.spend(b.ctx, b.cashier, phone="13812340001", amount_fen=12_000)
    assert spent.balance_fen == 55_000 - 12_000
    sync.run_round(b.ctx)
    sync.run_round(a.ctx)
    assert sum(balances(a, "13812340001")) == 43_000
    view = central.member_show(hq.db, "13812340001")["members"][0]
    assert view["balance_fen"] == 43_000
    status = sync.status(a.ctx)
    assert status.pending == 0 and status.last_success_at is not None and status.online


def test_a_member_registered_in_b_is_found_in_c(hq: Server, stores: Any) -> None:
    b, c = paired(hq, stores("B002")), paired(hq, stores("C003"))
    reg = members.register_member(b.ctx, b.cashier, phone="13812340002", name="李四")
    sync.run_round(b.ctx)
    sync.run_round(c.ctx)
    found = members.find_members(c.ctx, c.cashier, "13812340002")
    assert [f.member_id for f in found] == [reg.member_id]


def test_a_campaign_published_centrally_appears_in_every_store_it_is_for(hq: Server, stores: Any) -> None:
    """Head office publishes one campaign to all stores and another to B only: after a round, every store runs
    the first (as a central copy; the campaign made locally stays local), only B the second; a re-publication
    replaces it."""
    from tests.conftest import DEMO_CAMPAIGN

    abc = [paired(hq, stores(code)) for code in ("A001", "B002", "C003")]
    rules = central.read_campaign_file(DEMO_CAMPAIGN)
    everyone = {**rules, "campaign": {**rules["campaign"], "code": "HQ-WINTER", "name": "总部冬季活动",
                                      "starts_on": "2026-11-01", "ends_on": "2027-01-31", "stores": ["*"]}}
    only_b = {**everyone, "campaign": {**everyone["campaign"], "code": "HQ-B-ONLY", "name": "二号店专享"}}
    central.publish_campaign(hq.db, everyone)
    central.publish_campaign(hq.db, only_b, ["B002"])
    for s in abc:
        sync.run_round(s.ctx)

    def held(s: Store) -> dict[str, tuple[str, str]]:
        with s.ctx.uow(read_only=True) as uow:
            return {c.code: (c.source, c.name) for c in uow.session.scalars(select(m.Campaign))}

    for s in abc:
        got = held(s)
        assert got["HQ-WINTER"] == ("central", "总部冬季活动") and got["DEMO-RECHARGE"][0] != "central"
        assert ("HQ-B-ONLY" in got) == (s.path.stem == "B002")
    central.publish_campaign(hq.db, {**everyone, "campaign": {**everyone["campaign"], "name": "总部冬季活动（延长）"}})
    for s in abc:
        sync.run_round(s.ctx)
        assert held(s)["HQ-WINTER"] == ("central", "总部冬季活动（延长）")


@pytest.mark.parametrize("fault", [DROP_REQUEST, DROP_RESPONSE])
def test_a_retry_after_a_lost_request_or_response_is_safe(hq: Server, proxy: Proxy, stores: Any, fault: str) -> None:
    a = paired(hq, stores("A001"), url=proxy.url)
    reg = members.register_member(a.ctx, a.cashier, phone="13812340003")
    wallet.recharge(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=30_000, pay_method="cash")
    proxy.set(fault, times=1)
    with pytest.raises(Offline):
        sync.run_round(a.ctx)
    st = sync.status(a.ctx)
    assert st.pending == outbox_count(a) and st.last_failure_key == "sync.offline"
    again = sync.run_round(a.ctx)
    assert again.pending == 0
    assert central_events(hq) == outbox_count(a)  # every event once: none lost, none doubled
    assert central.member_show(hq.db, "13812340003")["members"][0]["balance_fen"] == 30_000


def test_an_answer_delayed_past_the_clients_timeout_is_safe(hq: Server, proxy: Proxy, stores: Any) -> None:
    """Central stores the batch, its answer comes after the client gave up: the next round hears `exists`."""
    a = paired(hq, stores("A001"), url=proxy.url)
    reg = members.register_member(a.ctx, a.cashier, phone="13812340006")
    wallet.recharge(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=20_000, pay_method="cash")

    def impatient(cred: credentials.Credential) -> CentralClient:
        return CentralClient(cred.server_url, device_id=cred.device_id, secret=cred.secret, timeout_s=0.5)

    proxy.set(DELAY, delay_s=3.0)
    with pytest.raises(Offline):
        sync.run_round(a.ctx, client_factory=impatient)
    proxy.set(PASS)
    assert sync.status(a.ctx).pending == outbox_count(a)  # nothing is marked sent on a timeout
    deadline = time.monotonic() + 30
    while central_events(hq) < outbox_count(a):  # central goes on with the batch it received
        assert time.monotonic() < deadline, "central never stored the delayed batch"
        time.sleep(0.05)
    again = sync.run_round(a.ctx)
    assert again.pending == 0 and again.pushed == outbox_count(a)
    assert central_events(hq) == outbox_count(a)
    assert central.member_show(hq.db, "13812340006")["members"][0]["balance_fen"] == 20_000


def test_the_counter_warns_when_the_oldest_waiting_event_is_late(hq: Server, proxy: Proxy, stores: Any) -> None:
    """The status says how old the oldest event central has not acknowledged is, and warns past the offline
    threshold (the store's ``offline_after_minutes``, 30 by default); once central has it, the warning goes."""
    from pos_app import messages
    from pos_app.ui.sync_view import status_text

    a = paired(hq, stores("A001"), url=proxy.url)
    sync.run_round(a.ctx)
    members.register_member(a.ctx, a.cashier, phone="13812340007")
    proxy.set(DROP_REQUEST)
    a.clock.advance(minutes=29)
    st = sync.status(a.ctx)
    assert st.pending == 1 and st.oldest_pending_age_s == 29 * 60 and not st.oldest_pending_late
    assert "⚠" not in status_text(st)
    a.clock.advance(minutes=2)
    st = sync.status(a.ctx)
    assert st.oldest_pending_late and st.late_after_minutes == 30
    messages.set_language("zh_CN")
    assert status_text(st).endswith("最早一笔已等待超过 30 分钟未被总部接收")
    proxy.set(PASS)
    sync.run_round(a.ctx)
    st = sync.status(a.ctx)
    assert st.pending == 0 and not st.oldest_pending_late and "⚠" not in status_text(st)


def test_a_revoked_device_stops_syncing_and_the_counter_goes_on(hq: Server, stores: Any) -> None:
    a = paired(hq, stores("A001"))
    sync.run_round(a.ctx)
    central.revoke_device(hq.db, _device(a))
    members.register_member(a.ctx, a.cashier, phone="13812340004")  # the counter goes on
    with pytest.raises(Revoked):
        sync.run_round(a.ctx)
    st = sync.status(a.ctx)
    assert st.last_failure_key == "sync.revoked" and st.pending == 1
    assert st.last_failure == "总部已停用本设备：不再同步（收银照常，数据排队保留）。请用新的配对码重新配对"


def _device(store: Store) -> str:
    from pos_app.services.common import settings

    with store.ctx.uow(read_only=True) as uow:
        return settings(uow).device_id


def test_a_clock_far_off_is_refused_with_how_far(hq: Server, stores: Any) -> None:
    a = paired(hq, stores("A001"))

    def ahead(cred: credentials.Credential) -> CentralClient:
        return CentralClient(cred.server_url, device_id=cred.device_id, secret=cred.secret,
                             clock_ms=lambda: wall_ms() + 12 * 60_000)

    with pytest.raises(ClockFarOff) as err:
        sync.run_round(a.ctx, client_factory=ahead)
    assert err.value.key == "sync.clock_ahead" and int(err.value.params["minutes"]) in (11, 12)


def test_offline_limits_apply_once_central_is_out_of_reach(hq: Server, proxy: Proxy, stores: Any) -> None:
    a = paired(hq, stores("A001"), url=proxy.url)
    reg = members.register_member(a.ctx, a.cashier, phone="13812340005")
    wallet.recharge(a.ctx, a.cashier, member_id=reg.member_id, tier_code="advanced", pay_method="cash")
    sync.run_round(a.ctx)
    proxy.set(DROP_REQUEST)
    a.clock.advance(minutes=31)
    with pytest.raises(Offline):
        sync.run_round(a.ctx)
    with pytest.raises(LimitExceeded) as err:
        wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=60_000)
    assert err.value.key == "sync.offline_tx_cap"
    wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=50_000)
    wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=40_000)
    with pytest.raises(LimitExceeded) as err:
        wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=20_000)
    assert err.value.key == "sync.offline_day_cap"
    proxy.set("pass")
    sync.run_round(a.ctx)  # back online: the limits no longer apply
    wallet.spend(a.ctx, a.cashier, member_id=reg.member_id, amount_fen=20_000)
