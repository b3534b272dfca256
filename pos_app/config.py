"""Settings: a TOML file in the user config dir, overridden by environment variables.

Every key of the file is listed once in :data:`KEYS` with its environment variable, its default and what values
it allows (:func:`check`). :func:`load` and :func:`load_backup` read them (the environment first, then the file,
then the default); :func:`save` writes the file back (atomically, owner-only: ``pos_app.fileutil``) after every
value it is given was checked, and never over a file it could not read. An unreadable file or a value of the wrong
type is reported naming the file or the key (``ConfigUnreadable``, ``ConfigInvalid``), never used silently."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir, user_data_dir

from pos_app.domain.errors import InvalidInput
from pos_app.domain.textparams import Term
from pos_app.fileutil import write_private_file

APP = "pos_app"


def config_file() -> Path:
    return Path(os.environ.get("POS_CONFIG") or Path(user_config_dir(APP)) / "config.toml")


def default_db_path() -> Path:
    return Path(user_data_dir(APP)) / "store.db"


def default_backup_dir() -> Path:
    return Path(user_data_dir(APP)) / "backups"


#: defaults of the backup settings (keys in the config file; env POS_BACKUP_DIR, POS_BACKUP_KEEP, POS_BACKUP_AT)
DEFAULT_BACKUP_KEEP = 14
DEFAULT_BACKUP_AT = "21:30"
MAX_BACKUP_KEEP = 10_000
DEFAULT_SYNC_MINUTES = 5
MAX_SYNC_MINUTES = 24 * 60
MAX_TEXT = 200
#: how coupons print by default (printing.pdf.LAYOUTS: an A4 sheet, or one per 58/80 mm receipt-printer slip)
COUPON_LAYOUTS = ("a4", "58mm", "80mm")
DEFAULT_COUPON_LAYOUT = "a4"
#: the idle lock: minutes without a key or click before the counter locks itself (0: never)
DEFAULT_LOCK_MINUTES = 10
MAX_LOCK_MINUTES = 240
#: the store's own settings (services/store_settings.py, kept in the store database) may be set here too, in a
#: ``[store]`` table; each key's environment variable is ``POS_`` + its name in capitals (POS_BALANCE_CAP_FEN)
STORE_TABLE = "store"


class ConfigInvalid(InvalidInput):
    """A setting has a value the program cannot use: the message names the setting's key (``setting``), its
    name in the reader's language (``label``) and what is allowed (``allowed``, or the numbers ``low``-``high``
    of a ``config.invalid_number``)."""

    key = "config.invalid"

    def __init__(self, setting: str, value: object, allowed: str = "", *, message: str | None = None,
                 **params: Any) -> None:
        label = KEY_BY_NAME[setting].label if setting in KEY_BY_NAME else "config.key.unknown"
        super().__init__(message, setting=setting, value=str(value)[:MAX_TEXT], allowed=allowed,
                         label=Term(label), **params)


class ConfigUnreadable(InvalidInput):
    """The config file is there but is not TOML (or cannot be read): nothing is read from it and nothing is
    written over it."""

    key = "config.unreadable"

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(None, path=str(path), detail=detail.splitlines()[0][:MAX_TEXT] if detail else "")


@dataclass(frozen=True)
class Key:
    """One key of the config file."""

    name: str
    #: the environment variable that overrides it
    env: str
    #: its name for people (a message id)
    label: str
    #: ``text``, ``path`` (a file), ``folder``, ``number``, ``choice``, ``url`` or ``time`` (HH:MM)
    kind: str
    #: the smallest and largest value of a number
    low: int = 0
    high: int = 0
    #: the values a choice allows
    choices: tuple[str, ...] = ()
    #: may be left empty (then: not set)
    optional: bool = False


KEYS: tuple[Key, ...] = (
    Key("db", "POS_DB", "config.key.db", "path"),
    Key("lang", "POS_LANG", "config.key.lang", "choice", choices=("zh_CN", "en")),
    Key("central_url", "POS_CENTRAL_URL", "config.key.central_url", "url", optional=True),
    Key("sync_minutes", "POS_SYNC_MINUTES", "config.key.sync_minutes", "number", low=1, high=MAX_SYNC_MINUTES),
    Key("printer", "POS_PRINTER", "config.key.printer", "text", optional=True),
    Key("backup_dir", "POS_BACKUP_DIR", "config.key.backup_dir", "folder"),
    Key("backup_keep", "POS_BACKUP_KEEP", "config.key.backup_keep", "number", low=1, high=MAX_BACKUP_KEEP),
    Key("backup_at", "POS_BACKUP_AT", "config.key.backup_at", "time"),
    Key("coupon_layout", "POS_COUPON_LAYOUT", "config.key.coupon_layout", "choice", choices=COUPON_LAYOUTS),
    Key("lock_minutes", "POS_LOCK_MINUTES", "config.key.lock_minutes", "number", low=0, high=MAX_LOCK_MINUTES),
)
KEY_BY_NAME: dict[str, Key] = {k.name: k for k in KEYS}


def defaults() -> dict[str, object]:
    """Each key's value when neither the environment nor the file sets it (None: not set)."""
    return {"db": str(default_db_path()), "lang": "zh_CN", "central_url": None, "sync_minutes": DEFAULT_SYNC_MINUTES,
            "printer": None, "backup_dir": str(default_backup_dir()), "backup_keep": DEFAULT_BACKUP_KEEP,
            "backup_at": DEFAULT_BACKUP_AT, "coupon_layout": DEFAULT_COUPON_LAYOUT, "lock_minutes": DEFAULT_LOCK_MINUTES}


def parse_backup_at(value: object) -> tuple[int, int]:
    text = str(value).strip()
    hh, sep, mm = text.partition(":")
    if sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and len(hh) <= 2:
        hour, minute = int(hh), int(mm)
        if hour < 24 and minute < 60:
            return hour, minute
    raise ConfigInvalid("backup_at", value, "HH:MM", message="config.invalid_time")


def _printable(text: str) -> bool:
    return all(ch.isprintable() for ch in text)


def check(name: str, value: object) -> object:
    """``value`` for key ``name`` as the program uses it (a number as an int, text stripped; None for an empty
    optional key), or :class:`ConfigInvalid` naming the key and what is allowed. Text from a form or the
    environment is accepted for a number."""
    key = KEY_BY_NAME[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        if key.optional:
            return None
        raise ConfigInvalid(name, "", message="config.invalid_empty")
    if key.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise ConfigInvalid(name, value, message="config.invalid_number", low=key.low, high=key.high)
        n = int(str(value).strip())
        if not key.low <= n <= key.high:
            raise ConfigInvalid(name, value, message="config.invalid_number", low=key.low, high=key.high)
        return n
    if not isinstance(value, str):
        raise ConfigInvalid(name, value, message="config.invalid_type")
    text = value.strip()
    if len(text) > MAX_TEXT or not _printable(text):
        raise ConfigInvalid(name, value, message="config.invalid_text", max=MAX_TEXT)
    if key.kind == "choice" and text not in key.choices:
        raise ConfigInvalid(name, value, ", ".join(key.choices), message="config.invalid_choice")
    if key.kind == "url":
        scheme, sep, rest = text.partition("://")
        if not sep or scheme.lower() not in ("http", "https") or not rest or " " in text:
            raise ConfigInvalid(name, value, message="config.invalid_url")
    if key.kind == "time":
        parse_backup_at(text)
        if name != "backup_at":
            raise ConfigInvalid(name, value, message="config.invalid_time")
    if key.kind in ("path", "folder"):
        path = Path(text).expanduser()
        if key.kind == "folder" and path.exists() and not path.is_dir():
            raise ConfigInvalid(name, value, message="config.invalid_folder")
        if key.kind == "path" and path.is_dir():
            raise ConfigInvalid(name, value, message="config.invalid_path")
    return text


def read_file(path: Path | None = None) -> dict[str, Any]:
    """The config file's table ({} when there is none); :class:`ConfigUnreadable` when it is not TOML."""
    path = path or config_file()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigUnreadable(path, str(exc) or type(exc).__name__) from None


def env_overrides() -> dict[str, str]:
    """Key -> the environment variable that sets it now (shown read-only in the settings dialog)."""
    return {k.name: k.env for k in KEYS if (os.environ.get(k.env) or "").strip()}


def values(data: Mapping[str, Any] | None = None) -> dict[str, object]:
    """Every key's value in effect, each checked: the environment, then the file, then the default."""
    data = read_file() if data is None else data
    out = defaults()
    for key in KEYS:
        env = (os.environ.get(key.env) or "").strip()
        raw: object = env if env else data.get(key.name)
        if raw is not None:
            out[key.name] = check(key.name, raw)
    return out


@dataclass(frozen=True)
class Config:
    db: str
    lang: str
    sync_minutes: int
    central_url: str | None
    printer: str | None
    coupon_layout: str = DEFAULT_COUPON_LAYOUT
    lock_minutes: int = DEFAULT_LOCK_MINUTES


def load(db_override: str | None = None, lang_override: str | None = None) -> Config:
    """The settings in effect. An unreadable file (:class:`ConfigUnreadable`) or a bad value
    (:class:`ConfigInvalid`, naming its key) is refused, not replaced by a default behind the user's back."""
    v = values()
    # an explicit --db "" is a mistake to report (by the store opener), not a reason to fall back to the default
    db = db_override if db_override is not None else str(v["db"])
    lang = lang_override or str(v["lang"])
    central = v["central_url"]
    printer = v["printer"]
    return Config(db=db, lang=lang, sync_minutes=int(str(v["sync_minutes"])),
                  central_url=str(central) if central else None, printer=str(printer) if printer else None,
                  coupon_layout=str(v["coupon_layout"]), lock_minutes=int(str(v["lock_minutes"])))


def coupon_layout() -> str:
    """How coupons print unless the person printing chooses otherwise (``coupon_layout``: a4, 58mm or 80mm). A
    file or value the program cannot use is reported where the app or the command starts: the default here."""
    try:
        return str(values()["coupon_layout"])
    except InvalidInput:
        return DEFAULT_COUPON_LAYOUT


def is_set(name: str, data: Mapping[str, Any] | None = None) -> bool:
    """Whether key ``name`` is set by its environment variable or in the file (not left to its default)."""
    key = KEY_BY_NAME[name]
    data = read_file() if data is None else data
    return bool((os.environ.get(key.env) or "").strip()) or data.get(name) is not None


# ------------------------------------------------------------------------------------------ the store's keys


def store_env(name: str) -> str:
    """The environment variable that overrides store setting ``name`` (``POS_`` + its name in capitals)."""
    return "POS_" + name.upper()


def store_raw(names: tuple[str, ...], data: Mapping[str, Any] | None = None) -> dict[str, tuple[object, str]]:
    """The store settings set on this computer, unchecked: name -> (value, where: its environment variable, or
    ``[store] name`` in the file). The environment wins over the file; what neither sets is the store
    database's (services/store_settings.py checks each value and names the key a bad one came from)."""
    data = read_file() if data is None else data
    table = data.get(STORE_TABLE)
    if table is not None and not isinstance(table, Mapping):
        raise ConfigInvalid(STORE_TABLE, table, message="config.invalid_type")
    out: dict[str, tuple[object, str]] = {}
    for name in names:
        env = store_env(name)
        text = (os.environ.get(env) or "").strip()
        if text:
            out[name] = (text, env)
        elif table is not None and table.get(name) is not None:
            out[name] = (table[name], f"[{STORE_TABLE}] {name}")
    return out


# ------------------------------------------------------------------------------------------ backups


@dataclass(frozen=True)
class BackupSettings:
    #: the folder backups go to (owner-only)
    dir: Path
    #: how many backups to keep in it
    keep: int
    #: store-local time of day after which the daily backup runs (hour, minute)
    at: tuple[int, int]


def load_backup() -> BackupSettings:
    """The backup settings: environment first, then the config file, then the defaults. An invalid value
    raises :class:`ConfigInvalid` naming its key."""
    data = read_file()
    out: dict[str, object] = {}
    for name in ("backup_dir", "backup_keep", "backup_at"):
        key = KEY_BY_NAME[name]
        env = (os.environ.get(key.env) or "").strip()
        raw: object = env if env else data.get(name)
        out[name] = defaults()[name] if raw is None else check(name, raw)
    return BackupSettings(dir=Path(str(out["backup_dir"])).expanduser(), keep=int(str(out["backup_keep"])),
                          at=parse_backup_at(out["backup_at"]))


# ------------------------------------------------------------------------------------------ writing


def save(changes: Mapping[str, object], path: Path | None = None) -> dict[str, Any]:
    """Check every value in ``changes`` (key -> value; None or "" removes the key: its default applies), then
    write the file with them (other keys and tables kept), atomically and owner-only (0600, folder 0700).

    Nothing is written when a value is refused (:class:`ConfigInvalid`) or the file there cannot be read
    (:class:`ConfigUnreadable`: it is never overwritten with defaults). Returns the file's new table."""
    path = path or config_file()
    data = dict(read_file(path))
    checked: dict[str, object] = {}
    for name, value in changes.items():
        if name not in KEY_BY_NAME:
            raise ConfigInvalid(name, value, ", ".join(KEY_BY_NAME), message="config.invalid_key")
        empty = value is None or (isinstance(value, str) and not value.strip())
        checked[name] = None if empty else check(name, value)
    for name, value in checked.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    write_private_file(path, dumps(data))
    return data


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        out = ['"']
        for ch in value:
            if ch in ('"', "\\"):
                out.append("\\" + ch)
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\t":
                out.append("\\t")
            elif not ch.isprintable() or ch == "\x7f":
                out.append(f"\\u{ord(ch):04x}" if ord(ch) < 0x10000 else f"\\U{ord(ch):08x}")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, date | time):  # TOML's own dates and times (datetime is a date): written back as read
        return value.isoformat()
    return _toml_value(str(value))


def _toml_key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in key)
    return key if bare else _toml_value(key)


def dumps(data: Mapping[str, Any]) -> str:
    """A TOML document of ``data``: plain keys first, then each table (``[name]``) with its own keys (a table
    inside a table is written inline)."""
    lines = ["# pos_app settings (written by the app's settings dialog; see README \"Settings\")"]
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    for k, v in data.items():
        if k not in tables:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, table in tables.items():
        lines.append("")
        lines.append(f"[{_toml_key(k)}]")
        for tk, tv in table.items():
            lines.append(f"{_toml_key(tk)} = {_toml_value(tv)}")
    return "\n".join(lines) + "\n"
