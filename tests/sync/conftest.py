"""The sync tests' central server: a real ``pos-central`` app on 127.0.0.1 over a fresh SQLite file (``hq``),
and the TCP proxy in front of it that injects the faults (``proxy``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.central.conftest import Server, make_db
from tests.sync.proxy import Proxy


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Server]:
    db = make_db("sqlite", tmp_path)
    srv = Server(db).start()
    yield srv
    srv.stop()
    db.dispose()


@pytest.fixture
def proxy(hq: Server) -> Iterator[Proxy]:
    px = Proxy("127.0.0.1", hq.port).start()
    yield px
    px.stop()
