"""Central server fixtures: a real database (an SQLite file; PostgreSQL too when POS_TEST_PG_URL is set, in a
database of its own per test process, emptied before each test and dropped when the process ends), a real
uvicorn server on 127.0.0.1 in a thread, on a socket bound before it starts (no race for a free port), and a store device client that signs its requests as docs/sync-protocol.md says."""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pos_app.central import services
from pos_app.central.api import create_app
from pos_app.central.db import CentralDatabase
from pos_app.sync import protocol as p

#: one database per test process (each pytest-xdist worker, and each of two suites run side by side on one server,
#: has its own): each test empties it, and it is dropped when the process ends
PG_DB_NAME = f"central_test_{os.getpid()}"


def pg_url() -> str | None:
    base = os.environ.get("POS_TEST_PG_URL")
    if not base:
        return None
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DB_NAME}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{PG_DB_NAME}"'))
            atexit.register(_drop_pg_database, url)
    admin.dispose()
    return url.set(database=PG_DB_NAME).render_as_string(hide_password=False)


def _drop_pg_database(url: Any) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def empty_pg(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.pg)]


def make_db(kind: str, tmp_path: Any) -> CentralDatabase:
    if kind == "pg":
        url = pg_url()
        if url is None:
            pytest.skip("POS_TEST_PG_URL is not set")
        empty_pg(url)
    else:
        url = f"sqlite:///{tmp_path / 'central.db'}"
    db = services.open_database(url)
    services.init(db)
    return db


@pytest.fixture(params=BACKENDS)
def central_db(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[CentralDatabase]:
    db = make_db(request.param, tmp_path)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Any) -> Iterator[CentralDatabase]:
    db = make_db("sqlite", tmp_path)
    yield db
    db.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """uvicorn serving the central app in a thread of the test process."""

    def __init__(self, db: CentralDatabase) -> None:
        self.db = db
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(db), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the central server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def server(central_db: CentralDatabase) -> Iterator[Server]:
    srv = Server(central_db).start()
    yield srv
    srv.stop()


@dataclass
class Device:
    """A store device: its id, its store code, its secret once paired; signs its requests."""

    base_url: str
    device_id: str
    store_code: str
    secret: str = ""
    seq: int = 0
    clock_offset_ms: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def pair(self, code: str) -> httpx.Response:
        r = httpx.post(self.base_url + p.PATH_PAIR, json={"code": code, "device_id": self.device_id,
                                                          "store_code": self.store_code, "device_name": "till"})
        if r.status_code == 200:
            self.secret = r.json()["secret"]
        return r

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                sign: bool = True) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        h = {"content-type": "application/json"} if body is not None else {}
        if sign:
            h.update(p.signed_headers(self.device_id, self.secret, method, path, raw,
                                      int(time.time() * 1000) + self.clock_offset_ms))
        h.update(headers or {})
        return httpx.request(method, self.base_url + path, content=raw, headers=h, timeout=60)

    def event(self, type_: str, payload: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        """A new outbox event of this device (the next seq)."""
        self.seq += 1
        text_ = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        ev = {"event_id": event_id or services.new_id(), "device_id": self.device_id, "seq": self.seq, "type": type_,
              "occurred_at": "2026-12-02T10:00:00.000Z", "payload_json": text_, "payload_hash": p.payload_hash(text_)}
        self.events.append(ev)
        return ev

    def push(self, events: list[dict[str, Any]]) -> httpx.Response:
        return self.request("POST", p.PATH_PUSH, {"events": events})

    def pull(self, cursor: str | None = None, limit: int = 500) -> httpx.Response:
        q = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        return self.request("GET", p.PATH_PULL + q)


def paired_device(srv: Server, store_code: str, device_id: str | None = None) -> Device:
    """A store registered on central with one paired device."""
    st = services.add_store(srv.db, f"store {store_code}", store_code)
    code = services.device_code(srv.db, st["store_id"])["code"]
    dev = Device(srv.url, device_id or services.new_id(), store_code)
    r = dev.pair(code)
    assert r.status_code == 200, r.text
    return dev


@pytest.fixture
def new_device(server: Server) -> Any:
    return lambda store_code, device_id=None: paired_device(server, store_code, device_id)
