"""The change feed's cursor never skips a late-committing row: a transaction takes its change number and holds
its commit back; a second writer starts meanwhile; a reader pulls all along. Change numbers come from the counter
row, so the second writer cannot commit ahead of the first and the reader, following its cursor, sees every
change exactly once, in order. On SQLite and (POS_TEST_PG_URL) PostgreSQL, two connections each."""

from __future__ import annotations

import threading
import time

from pos_app.central import db_repo, services, services_sync
from pos_app.central.db import CentralDatabase
from pos_app.central.services_common import ChangeBuffer
from pos_app.central.services_sync import DeviceAuth
from pos_app.sync import protocol as p

READER = DeviceAuth("reader", "reader-store", "SX")


def read_all(db: CentralDatabase, cursor: str | None) -> tuple[list[int], str]:
    page = services_sync.pull(db, READER, cursor, 100)
    return [c["change_no"] for c in page["changes"]], page["next_cursor"]


def test_a_late_commit_is_never_skipped(central_db: CentralDatabase) -> None:
    db = central_db
    _, cursor = read_all(db, None)
    held = threading.Event()
    release = threading.Event()
    second_done = threading.Event()

    def slow_writer() -> None:
        with db.session() as s, s.begin():
            buf = ChangeBuffer()
            buf.add(p.CHANGE_GIFT, "SLOW", {"sku": "SLOW"}, store_code=None)
            buf.flush(s)
            held.set()
            release.wait(60)  # the commit is held back

    def fast_writer() -> None:
        with db.session() as s, s.begin():
            buf = ChangeBuffer()
            buf.add(p.CHANGE_GIFT, "FAST", {"sku": "FAST"}, store_code=None)
            buf.flush(s)
        second_done.set()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert held.wait(60)
    fast = threading.Thread(target=fast_writer)
    fast.start()
    seen: list[int] = []
    # while the first holds its number uncommitted, the reader never gets past it
    for _ in range(5):
        got, cursor = read_all(db, cursor)
        seen += got
        time.sleep(0.05)
    assert seen == [] and not second_done.is_set()
    release.set()
    slow.join(60)
    fast.join(60)
    assert second_done.is_set()
    got, cursor = read_all(db, cursor)
    seen += got
    with db.read_session() as s:
        last = db_repo.last_number(s)
    assert seen == [last - 1, last]
    page = services_sync.pull(db, READER, None, 100)
    assert [c["key"] for c in page["changes"]] == ["SLOW", "FAST"]


def test_concurrent_writers_and_a_reader_see_every_number_once(central_db: CentralDatabase) -> None:
    db = central_db
    rules = services.read_campaign_file("resources/campaigns/demo.toml")
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def reader() -> None:
        cursor = None
        try:
            while True:
                finished = stop.is_set()
                got, cursor = read_all(db, cursor)
                seen.extend(got)
                if finished and not got:
                    return
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)

    def writer(n: int) -> None:
        try:
            for i in range(8):
                services.publish_campaign(db, {**rules, "campaign": {**rules["campaign"], "code": f"C{n}-{i}"}})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    r = threading.Thread(target=reader)
    r.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    r.join()
    assert errors == []
    assert seen == list(range(1, 25))
