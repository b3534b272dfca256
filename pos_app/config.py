"""Settings: a TOML file in the user config dir, overridden by environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

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
