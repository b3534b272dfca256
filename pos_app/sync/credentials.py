"""The device's credential for central: one small JSON file per device in the user config dir, mode 0600.

``<config dir>/sync/<device id>.json`` (the config dir of ``pos_app.config``: ``$XDG_CONFIG_HOME/pos_app`` on
Linux, or the folder of ``POS_CONFIG`` when that names the config file; ``POS_SYNC_CREDENTIALS`` names another
folder). One file per device id, so two store databases on one machine each keep their own. The folder is
owner-only (0700), the file is written to a temp file created 0600 and renamed into place: it is never readable
by others, not even for a moment."""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from platformdirs import user_config_dir

from pos_app.config import APP

_DEVICE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class Credential:
    server_url: str
    device_id: str
    store_id: str
    store_code: str
    secret: str


def folder() -> Path:
    env = os.environ.get("POS_SYNC_CREDENTIALS")
    if env:
        return Path(env)
    config = os.environ.get("POS_CONFIG")
    base = Path(config).parent if config else Path(user_config_dir(APP))
    return base / "sync"


def path_for(device_id: str) -> Path:
    if not _DEVICE_RE.match(device_id):
        raise ValueError(f"not a device id: {device_id!r}")
    return folder() / f"{device_id}.json"


def save(cred: Credential) -> Path:
    target = path_for(cred.device_id)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target.parent, 0o700)
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, json.dumps(asdict(cred), indent=1).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    return target


def load(device_id: str) -> Credential | None:
    """The device's credential, or None when it was never paired (or the file is unreadable or not one)."""
    try:
        data = json.loads(path_for(device_id).read_text(encoding="utf-8"))
        return Credential(**{k: str(data[k]) for k in ("server_url", "device_id", "store_id", "store_code", "secret")})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def delete(device_id: str) -> None:
    try:
        path_for(device_id).unlink()
    except FileNotFoundError:
        pass
