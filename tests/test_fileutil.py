"""Owner-only files (issue 15): the config file and any secret the app writes are 0600 in a 0700 folder, also
when an older file with a wider mode is rewritten; the write is atomic (a failed one leaves the old file)."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from pos_app import config
from pos_app.fileutil import write_private_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_private_file_is_0600_in_a_0700_folder_also_when_rewritten(tmp_path: Path) -> None:
    old = os.umask(0)  # the widest umask: the modes are the function's, not the process's
    try:
        target = tmp_path / "new" / "deeper" / "secret.json"
        write_private_file(target, '{"k": 1}')
        assert target.read_text() == '{"k": 1}'
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
        os.chmod(target, 0o644)
        os.chmod(target.parent, 0o755)
        write_private_file(target, b"again")
        assert target.read_bytes() == b"again"
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
        assert sorted(p.name for p in target.parent.iterdir()) == ["secret.json"]  # no temporary file left
    finally:
        os.umask(old)


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "c.toml"
    write_private_file(target, "a = 1\n")

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError):
        write_private_file(target, "a = 2\n")
    monkeypatch.undo()
    assert target.read_text() == "a = 1\n" and [p.name for p in tmp_path.iterdir()] == ["c.toml"]


def test_the_config_file_is_written_owner_only_and_keeps_other_keys(tmp_path: Path) -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('sync_minutes = 5\n[sync]\ndevice = "d1"\nretries = [1, 2]\n', encoding="utf-8")
    os.chmod(path, 0o644)
    config.save({"backup_keep": "7", "sync_minutes": None})
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {"backup_keep": 7, "sync": {"device": "d1",
                                                                                          "retries": [1, 2]}}
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


@pytest.mark.parametrize(("key", "value"), [
    ("sync_minutes", "0"), ("sync_minutes", 1.5), ("sync_minutes", True), ("backup_keep", "-1"),
    ("backup_at", "7"), ("central_url", "ftp://x"), ("central_url", "central"), ("lang", "fr"),
    ("printer", "a\x07b"), ("db", "/"), ("backup_dir", "/etc/hostname"), ("nope", "1"),
])
def test_a_bad_value_is_refused_naming_its_key_and_nothing_is_written(key: str, value: object) -> None:
    from pos_app import messages

    with pytest.raises(config.ConfigInvalid) as exc:
        config.save({key: value})
    assert exc.value.params["setting"] == key
    for lang in messages.LANGS:
        text = messages.tr_error(exc.value, lang)
        assert key in text and "{" not in text
    assert not config.config_file().exists()


def test_an_unreadable_config_file_is_reported_and_not_written_over() -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[[[")
    with pytest.raises(config.ConfigUnreadable):
        config.save({"backup_keep": 3})
    with pytest.raises(config.ConfigUnreadable):
        config.load()
    assert path.read_bytes() == b"[[["


def test_a_new_store_is_owner_only_and_an_old_wider_one_is_narrowed_when_opened(tmp_path: Path) -> None:
    """The store database, its WAL, shared-memory and lock files are 0600 in a 0700 folder (with the common
    umask 022); a store an older version left 0644 loses the group and other bits at the next open, and a
    read-only one stays read-only."""
    import gc

    from pos_app.cli import main

    old = os.umask(0o022)
    try:
        db = tmp_path / "new" / "store.db"
        assert main(["--db", str(db), "init", "--manager", "boss", "--pin", "9999"]) == 0
        assert main(["--db", str(db), "--staff", "boss", "--pin", "9999", "member", "add", "--phone",
                     "13800138000"]) == 0
        made = [p for p in db.parent.iterdir()]
        assert {p.name for p in made} >= {"store.db", "store.db.lock"}
        assert {p.name: _mode(p) for p in made} == {p.name: 0o600 for p in made}
        assert _mode(db.parent) == 0o700
        gc.collect()  # the in-process commands' connections closed: the WAL is folded back
        for p in db.parent.iterdir():
            os.chmod(p, 0o644)
        assert main(["--db", str(db), "doctor"]) == 0
        assert _mode(db) == 0o600
        assert all(_mode(p) == 0o600 for p in db.parent.iterdir() if p.name.startswith("store.db-"))
        os.chmod(db, 0o444)
        assert main(["--db", str(db), "--staff", "boss", "--pin", "9999", "member", "find", "138"]) == 0
        assert _mode(db) == 0o400
    finally:
        os.umask(old)
