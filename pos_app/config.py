"""Settings: a TOML file in the user config dir, overridden by environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from pos_app.domain.errors import InvalidInput

APP = "pos_app"


def config_file() -> Path:
    return Path(os.environ.get("POS_CONFIG") or Path(user_config_dir(APP)) / "config.toml")


def default_db_path() -> Path:
    return Path(user_data_dir(APP)) / "store.db"


@dataclass(frozen=True)
class Config:
    db: str
    lang: str
    sync_minutes: int
    central_url: str | None
    printer: str | None


def load(db_override: str | None = None, lang_override: str | None = None) -> Config:
    data: dict[str, object] = {}
    path = config_file()
    if path.exists():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError):
            data = {}
    # an explicit --db "" is a mistake to report, not a reason to fall back to the default store
    db = db_override if db_override is not None else (os.environ.get("POS_DB") or str(data.get("db") or default_db_path()))
    lang = lang_override or os.environ.get("POS_LANG") or str(data.get("lang") or "zh_CN")
    central = os.environ.get("POS_CENTRAL_URL") or (str(data["central_url"]) if data.get("central_url") else None)
    sync_minutes = int(os.environ.get("POS_SYNC_MINUTES") or data.get("sync_minutes") or 5)  # type: ignore[call-overload]
    printer = os.environ.get("POS_PRINTER") or (str(data["printer"]) if data.get("printer") else None)
    return Config(db=db, lang=lang, sync_minutes=sync_minutes, central_url=central, printer=printer)


# ------------------------------------------------------------------------------------------ backups
#: defaults of the backup settings (keys in the config file; env POS_BACKUP_DIR, POS_BACKUP_KEEP, POS_BACKUP_AT)
DEFAULT_BACKUP_KEEP = 14
DEFAULT_BACKUP_AT = "21:30"
MAX_BACKUP_KEEP = 10_000


class ConfigInvalid(InvalidInput):
    """A setting has a value the program cannot use: the message (``config.invalid``, registered in
    pos_app.services.backup) names the setting's key and says what is allowed."""

    key = "config.invalid"

    def __init__(self, setting: str, value: object, allowed: str) -> None:
        super().__init__(None, setting=setting, value=str(value), allowed=allowed)


@dataclass(frozen=True)
class BackupSettings:
    #: the folder backups go to (owner-only)
    dir: Path
    #: how many backups to keep in it
    keep: int
    #: store-local time of day after which the daily backup runs (hour, minute)
    at: tuple[int, int]


def default_backup_dir() -> Path:
    return Path(user_data_dir(APP)) / "backups"


def _file_settings() -> dict[str, object]:
    path = config_file()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def parse_backup_at(value: object) -> tuple[int, int]:
    text = str(value).strip()
    hh, sep, mm = text.partition(":")
    if sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and len(hh) <= 2:
        hour, minute = int(hh), int(mm)
        if hour < 24 and minute < 60:
            return hour, minute
    raise ConfigInvalid("backup_at", value, "HH:MM, 00:00-23:59")


def load_backup() -> BackupSettings:
    """The backup settings: environment first, then the config file, then the defaults. An invalid value
    raises :class:`ConfigInvalid` naming its key."""
    data = _file_settings()

    def pick(key: str, env: str) -> object | None:
        text = os.environ.get(env)
        if text is not None and text.strip():
            return text.strip()
        return data.get(key)

    raw_dir = pick("backup_dir", "POS_BACKUP_DIR")
    if raw_dir is None:
        folder = default_backup_dir()
    elif not isinstance(raw_dir, str) or not raw_dir.strip() or "\0" in raw_dir:
        raise ConfigInvalid("backup_dir", raw_dir, "a folder path")
    else:
        folder = Path(raw_dir).expanduser()
        if folder.exists() and not folder.is_dir():
            raise ConfigInvalid("backup_dir", raw_dir, "a folder path (this is a file)")

    raw_keep = pick("backup_keep", "POS_BACKUP_KEEP")
    keep = DEFAULT_BACKUP_KEEP
    if raw_keep is not None:
        try:
            if isinstance(raw_keep, bool | float):
                raise ValueError
            keep = int(str(raw_keep))
        except ValueError:
            raise ConfigInvalid("backup_keep", raw_keep, f"a whole number 1-{MAX_BACKUP_KEEP}") from None
        if not 1 <= keep <= MAX_BACKUP_KEEP:
            raise ConfigInvalid("backup_keep", raw_keep, f"a whole number 1-{MAX_BACKUP_KEEP}")

    raw_at = pick("backup_at", "POS_BACKUP_AT")
    at = parse_backup_at(DEFAULT_BACKUP_AT if raw_at is None else raw_at)
    return BackupSettings(dir=folder, keep=keep, at=at)
