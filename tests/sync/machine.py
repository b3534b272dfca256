"""A hypothesis state machine over store operations, sync rounds and injected network faults, against the real
central server through the test's TCP proxy (run by test_sync_machine.py and test_sync_machine_b.py, half of the
examples each, so that pytest-xdist, which keeps a file's tests on one worker, runs them on two). After every
step: no event lost or applied twice (central holds exactly a gap-free prefix of each device's outbox, and each
store's acknowledged mark never passes what central holds), money conserved (central's wallet totals per store
equal the movements of the events central holds from that store's outbox), every store's ledger consistent. At
the end: the faults stop, and within two rounds every queue is empty and every store shows each member the
balance central has.

An example costs file copies, not set-ups: one server (and proxy) serves every example; each example starts
from a copy of an initialised central database (the server's engines disposed, the file replaced), so no
example's feed carries another's members, and its two stores are copies of one template store, each with its
own store code and device. ``POS_SYNC_MACHINE_EXAMPLES`` sets the number of examples (default 200, split over
the two files). A failure prints the steps and a ``@reproduce_failure`` blob; ``--hypothesis-seed=N`` replays a
run."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from pos_app.app import open_store
from pos_app.central import services as central
from pos_app.db import models as m
from pos_app.db import repo
from pos_app.domain.errors import DomainError
from pos_app.services import members, sync, wallet
from pos_app.services.context import Actor, ServiceContext
from pos_app.sync.errors import SyncError
from tests.central.conftest import Server, make_db
from tests.conftest import FakeClock
from tests.sync.helpers import make_store_as
from tests.sync.proxy import DROP_REQUEST, DROP_RESPONSE, PASS, Proxy

EXAMPLES = int(os.environ.get("POS_SYNC_MACHINE_EXAMPLES", "200"))
#: steps of one example (each followed by the invariant check)
STEPS = 18
PHONES = [f"1391000{i:04d}" for i in range(6)]
_codes = itertools.count(1)


@dataclass
class World:
    hq: Server
    proxy: Proxy
    template: Path
    central_template: Path
    tmp: Path

    def fresh_central(self) -> None:
        """Central as ``init`` left it: the server's connections closed, its file replaced by the copy."""
        db = self.hq.db
        db.dispose()
        path = Path(db.url.removeprefix("sqlite:///"))
        for extra in ("-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        shutil.copy(self.central_template, path)


WORLD: World | None = None


@contextmanager
def world_in(tmp_path: Path) -> Iterator[World]:
    global WORLD
    db = make_db("sqlite", tmp_path)
    db.dispose()  # checkpointed: the file alone is central
    shutil.copy(tmp_path / "central.db", tmp_path / "central-template.db")
    hq = Server(db).start()
    proxy = Proxy("127.0.0.1", hq.port).start()
    tpl = make_store_as(tmp_path / "template.db", "TPL0", seed=99)
    tpl.ctx.db.dispose()  # checkpointed: the file alone is the store
    WORLD = World(hq, proxy, tmp_path / "template.db", tmp_path / "central-template.db", tmp_path)
    try:
        yield WORLD
    finally:
        WORLD = None
        proxy.stop()
        hq.stop()
        db.dispose()


def run_machine(examples: int) -> None:
    run_state_machine_as_test(SyncMachine, settings=settings(
        max_examples=examples, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    ))


@dataclass
class Till:
    code: str
    ctx: ServiceContext
    cashier: Actor
    device_id: str


def _new_till(w: World) -> Till:
    n = next(_codes)
    code = f"S{n:03d}"
    path = w.tmp / f"{code}.db"
    shutil.copy(w.template, path)
    ctx = open_store(path)
    ctx.clock = FakeClock()
    with ctx.uow() as uow:  # a copy is another store: its own code and device (as `init` would have made them)
        info = uow.session.get(m.StoreInfo, 1)
        assert info is not None
        info.store_code = code
        info.device_id = f"0193b000-0000-7000-8000-{n:012d}"
        for row in uow.session.scalars(select(m.Outbox)):  # the template's set-up events, as this device's
            row.device_id = info.device_id
            row.event_id = f"{n:08x}{row.event_id[8:]}"
        uow.commit()
    with ctx.uow(read_only=True) as uow:
        boss = uow.session.scalar(select(m.Staff).where(m.Staff.code == "boss"))
        assert boss is not None
        manager = Actor(boss.id, boss.code, boss.name, boss.role)
        cashier = Actor(boss.id, boss.code, boss.name, "cashier")
    st = central.add_store(w.hq.db, f"store {code}", code)
    pairing = central.device_code(w.hq.db, st["store_id"])["code"]
    sync.pair(ctx, manager, server_url=w.proxy.url, code=pairing)
    return Till(code, ctx, cashier, f"0193b000-0000-7000-8000-{n:012d}")


def _moves_of(payload_json: str, type_: str) -> tuple[int, int]:
    data = json.loads(payload_json)
    if type_ == "wallet.recharged":
        return int(data["amount_fen"]), int(data["bonus_fen"])
    if type_ == "wallet.spent":
        return -int(data["principal_fen"]), -int(data["bonus_fen"])
    return 0, 0


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert WORLD is not None
        self.w = WORLD
        self.w.proxy.set(PASS)
        self.w.fresh_central()
        self.tills: list[Till] = []

    @initialize()
    def two_stores(self) -> None:
        self.tills = [_new_till(self.w), _new_till(self.w)]

    # ------------------------------------------------------------------ store operations
    @rule(i=st.integers(0, 1), phone=st.sampled_from(PHONES))
    def register(self, i: int, phone: str) -> None:
        t = self.tills[i]
        if any(members.find_members(x.ctx, x.cashier, phone) for x in self.tills):
            return  # one store registers a phone (a phone registered twice is the conflicts test's matter)
        members.register_member(t.ctx, t.cashier, phone=phone)

    def _known(self, t: Till) -> list[str]:
        return [f.member_id for f in members.find_members(t.ctx, t.cashier, "139100")]

    @rule(i=st.integers(0, 1), k=st.integers(0, 5), amount=st.sampled_from([10_000, 30_000, 50_000]))
    def recharge(self, i: int, k: int, amount: int) -> None:
        t = self.tills[i]
        known = self._known(t)
        if known:
            wallet.recharge(t.ctx, t.cashier, member_id=known[k % len(known)], amount_fen=amount, pay_method="cash")

    @rule(i=st.integers(0, 1), k=st.integers(0, 5), amount=st.sampled_from([1_000, 7_700, 20_000]))
    def spend(self, i: int, k: int, amount: int) -> None:
        t = self.tills[i]
        known = self._known(t)
        if not known:
            return
        try:
            wallet.spend(t.ctx, t.cashier, member_id=known[k % len(known)], amount_fen=amount)
        except DomainError:
            pass  # not enough here, or an offline limit: refused, nothing written

    # ------------------------------------------------------------------ sync and faults
    @rule(i=st.integers(0, 1), fault=st.sampled_from([PASS, PASS, DROP_REQUEST, DROP_RESPONSE]),
          batch=st.sampled_from([1, 3, 200]))
    def sync_round(self, i: int, fault: str, batch: int) -> None:
        self.w.proxy.set(fault, times=1)
        try:
            sync.run_round(self.tills[i].ctx, push_batch=batch, pull_page=4)
        except SyncError:
            pass
        self.w.proxy.set(PASS)

    # ------------------------------------------------------------------ invariants
    @invariant()
    def nothing_lost_or_doubled_and_money_conserved(self) -> None:
        if not self.tills:
            return
        devices = {d["device_id"]: d for d in central.list_devices(self.w.hq.db)}
        by_store = central.totals(self.w.hq.db)["by_store"]
        for t in self.tills:
            with t.ctx.uow(read_only=True) as uow:
                s = uow.session
                state = repo.sync.state(s)
                assert state is not None
                rows = list(s.scalars(select(m.Outbox).order_by(m.Outbox.seq)))
                assert [r.seq for r in rows] == list(range(1, len(rows) + 1))  # gap-free, nothing deleted
                on_central = int(devices[t.device_id]["acked_seq"])
                assert state.acked_seq <= on_central <= len(rows)
                held = [_moves_of(r.payload_json, r.type) for r in rows[:on_central]]
                got = by_store.get(t.code, {"principal_fen": 0, "bonus_fen": 0})
                assert (got["principal_fen"], got["bonus_fen"]) == (sum(p for p, _ in held), sum(b for _, b in held))
                assert not repo.checks.balance_not_ledger(s)
                assert not repo.checks.entries_not_chained(s)
                assert not repo.checks.last_entry_not_balance(s)

    def teardown(self) -> None:
        try:
            if not self.tills:
                return
            self.w.proxy.set(PASS)
            for _ in range(2):  # liveness: once faults stop, two rounds drain every queue
                for t in self.tills:
                    sync.run_round(t.ctx, pull_page=4)
            for t in self.tills:
                assert sync.status(t.ctx).pending == 0
            for phone in PHONES:
                seen = set()
                for t in self.tills:
                    found = members.find_members(t.ctx, t.cashier, phone)
                    if found:
                        seen.add(found[0].balance_fen)
                if seen:
                    view = central.member_show(self.w.hq.db, phone)["members"][0]
                    assert seen == {view["balance_fen"]}, (phone, seen, view["balance_fen"])
        finally:
            for t in self.tills:
                t.ctx.db.dispose()

