"""The device credential's file (owner-only) and the client's errors and clock skew, against a real HTTP server
on 127.0.0.1 (the central server's own app)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pos_app import messages
from pos_app.central import services as central
from pos_app.sync import credentials
from pos_app.sync.client import CentralClient, wall_ms
from pos_app.sync.errors import ClockFarOff, Offline, PairingRefused
from tests.central.conftest import Server, free_port


def test_the_credential_file_is_owner_only_and_per_device(tmp_path: Path) -> None:
    cred = credentials.Credential("http://127.0.0.1:8700", "dev-1", "st-1", "A001", "ab" * 32)
    path = credentials.save(cred)
    assert path.parent == credentials.folder()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert str(path).startswith(str(Path(__import__("os").environ["POS_CONFIG"]).parent))  # the test's own dir
    assert credentials.load("dev-1") == cred
    assert credentials.load("dev-2") is None
    credentials.save(credentials.Credential("http://h", "dev-1", "st-1", "A001", "cd" * 32))  # replaced in place
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and credentials.load("dev-1").secret == "cd" * 32  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        credentials.path_for("../escape")


def test_offline_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there
    with CentralClient(f"http://127.0.0.1:{port}", device_id="d", secret="00" * 32, timeout_s=2) as c, \
            pytest.raises(Offline) as err:
        c.ping()
    assert messages.translate(err.value.key, err.value.params).startswith("无法连接总部服务器")


def test_pairing_works_once_and_the_skew_is_measured(hq: Server) -> None:
    st = central.add_store(hq.db, "store A", "A001")
    code = central.device_code(hq.db, st["store_id"])["code"]
    with CentralClient(hq.url) as c:
        got = c.pair(code, device_id="dev-a", store_code="A001", device_name="till")
        assert len(got["secret"]) == 64
        assert c.skew_ms is not None and abs(c.skew_ms) < 60_000
        with pytest.raises(PairingRefused):
            c.pair(code, device_id="dev-b", store_code="A001", device_name="till")
    behind = CentralClient(hq.url, device_id="dev-a", secret=got["secret"], clock_ms=lambda: wall_ms() - 7 * 60_000)
    with behind, pytest.raises(ClockFarOff) as err:
        behind.ping()
    assert err.value.key == "sync.clock_behind"
    messages.set_language("en")
    assert "7 min" in messages.translate(err.value.key, err.value.params) or \
        "6 min" in messages.translate(err.value.key, err.value.params)
