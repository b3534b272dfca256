"""The store settings a manager may change (kept in the store database, shared by every counter of the store):
what each key allows, the check that refuses a bad value naming its key, and the read the settings dialog shows.

Changing them is ``staff.update_settings`` (manager only: ``system.admin``); it checks every value here first,
so a bad value is refused with its key named and nothing is written.

This computer may set any of them too (:func:`load_local_overrides`, read when a store opens): its environment variable (``POS_`` + the key in
capitals: ``POS_BALANCE_CAP_FEN``) wins over the config file's ``[store]`` table, which wins over the store
database, which wins over the default. Each such value is checked like the dialog's; a bad one is refused naming
where it came from (the variable, or ``[store] key``) and what is allowed, and is never used."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos_app import config
from pos_app.domain import wallet as w
from pos_app.domain.errors import InvalidInput
from pos_app.domain.members import MAX_NAME_LEN
from pos_app.domain.text import bad_character
from pos_app.domain.textparams import Count, Money, Term
from pos_app.services.common import require, settings
from pos_app.services.context import Actor, ServiceContext

MAX_TEXT = 200
#: the largest balance cap a store may set (fen): ten times the legal cap of a named card
MAX_BALANCE_CAP_FEN = 10 * w.DEFAULT_BALANCE_CAP_FEN
FOREIGN_COUPONS = ("allow", "refuse")
#: sync's offline limits (DOMAIN.md): once central has not been reached for this long, spends are capped
DEFAULT_OFFLINE_AFTER_MINUTES = 30
DEFAULT_OFFLINE_SPEND_CAP_FEN = 50_000
DEFAULT_OFFLINE_DAILY_CAP_FEN = 100_000
#: other stores' coupons while offline: as of the last pull, refused, or allowed
FOREIGN_COUPON_POLICIES = ("last_pull", "refuse", "allow")
#: how a yes/no setting may be written (a form sends a bool; the CLI and a config file may send text)
_YES = ("true", "yes", "1", "on")
_NO = ("false", "no", "0", "off")


@dataclass(frozen=True)
class StoreKey:
    """One store setting: its key, its name for people (a message id), and its check."""

    name: str
    label: str
    #: ``text``, ``number``, ``money`` (fen), ``choice``, ``flag`` (yes/no) or ``timezone``
    kind: str
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    optional: bool = False


STORE_KEYS: tuple[StoreKey, ...] = (
    StoreKey("store_name", "store.key.store_name", "text", high=MAX_NAME_LEN),
    StoreKey("timezone", "store.key.timezone", "timezone"),
    StoreKey("balance_cap_fen", "store.key.balance_cap_fen", "money", low=100, high=MAX_BALANCE_CAP_FEN),
    StoreKey("spend_order", "store.key.spend_order", "choice", choices=w.SPEND_ORDERS),
    StoreKey("pin_min_length", "store.key.pin_min_length", "number", low=4, high=8),
    StoreKey("lockout_attempts", "store.key.lockout_attempts", "number", low=1, high=100),
    StoreKey("lockout_minutes", "store.key.lockout_minutes", "number", low=1, high=24 * 60),
    StoreKey("voucher_valid_days", "store.key.voucher_valid_days", "number", low=1, high=3660),
    StoreKey("foreign_coupons", "store.key.foreign_coupons", "choice", choices=FOREIGN_COUPONS),
    StoreKey("invite_url_template", "store.key.invite_url_template", "text", high=MAX_TEXT, optional=True),
    StoreKey("escpos_device", "store.key.escpos_device", "text", high=MAX_TEXT, optional=True),
    StoreKey("point_value_fen", "store.key.point_value_fen", "money", low=0, high=10_000, optional=True),
    StoreKey("shift_close_required", "store.key.shift_close_required", "flag"),
    StoreKey("offline_after_minutes", "store.key.offline_after_minutes", "number", low=1, high=7 * 24 * 60),
    StoreKey("offline_spend_cap_fen", "store.key.offline_spend_cap_fen", "money", low=0, high=MAX_BALANCE_CAP_FEN),
    StoreKey("offline_daily_cap_fen", "store.key.offline_daily_cap_fen", "money", low=0, high=MAX_BALANCE_CAP_FEN),
    StoreKey("offline_foreign_coupons", "store.key.offline_foreign_coupons", "choice", choices=FOREIGN_COUPON_POLICIES),
)
STORE_KEY_BY_NAME: dict[str, StoreKey] = {k.name: k for k in STORE_KEYS}


def _refuse(key: StoreKey, message: str, value: object, **params: Any) -> InvalidInput:
    return InvalidInput(message, setting=key.name, label=Term(key.label), value=str(value)[:MAX_TEXT], **params)


def check_store_setting(name: str, value: object) -> object:
    """``value`` as stored for key ``name`` (numbers as int, text stripped, None: an empty optional key), or an
    ``InvalidInput`` naming the key and what it allows."""
    key = STORE_KEY_BY_NAME.get(name)
    if key is None:
        raise InvalidInput("settings.unknown_key", setting=name, allowed=", ".join(STORE_KEY_BY_NAME))
    if value is None or (isinstance(value, str) and not value.strip()):
        if key.optional:
            return None
        raise _refuse(key, "settings.empty", "")
    if key.kind == "flag":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _YES or word in _NO:
            return word in _YES
        raise _refuse(key, "settings.choice", value, allowed="yes, no")
    if key.kind in ("number", "money"):
        text = str(value).strip()
        if isinstance(value, bool) or not isinstance(value, int | str) or not text.isdigit() \
                or not key.low <= int(text) <= key.high:
            if key.kind == "money":
                raise _refuse(key, "settings.money_range", value, low=Money(key.low), high=Money(key.high))
            raise _refuse(key, "settings.range", value, low=Count(key.low), high=Count(key.high))
        return int(text)
    if not isinstance(value, str):
        raise _refuse(key, "settings.text_invalid", value, max=Count(key.high or MAX_TEXT))
    text = value.strip()
    if key.kind == "choice":
        if text not in key.choices:
            raise _refuse(key, "settings.choice", value, allowed=", ".join(key.choices))
        return text
    if key.kind == "timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise _refuse(key, "settings.timezone", value) from None
        return text
    if len(text) > (key.high or MAX_TEXT) or bad_character(text) is not None:
        raise _refuse(key, "settings.text_invalid", value, max=Count(key.high or MAX_TEXT))
    if name == "invite_url_template" and "{code}" not in text:
        raise _refuse(key, "settings.invite_template", value)
    return text


def check_store_settings(changes: dict[str, Any]) -> dict[str, object]:
    """Every value of ``changes`` checked (the first bad one is refused); the stored values."""
    return {name: check_store_setting(name, value) for name, value in changes.items()}


@dataclass(frozen=True)
class StoreSettingsView:
    """What the settings dialog shows: the store's code (not changeable here: it names the store to central)
    and each setting's current value (None: not set, its default applies)."""

    store_code: str
    values: dict[str, object]
    #: the settings this computer sets (env or config file), with where: shown read-only, the database's
    #: value would not apply
    overrides: dict[str, str] = field(default_factory=dict)


#: the value a setting has when the store never set it
DEFAULTS: dict[str, Callable[[], object]] = {
    "balance_cap_fen": lambda: w.DEFAULT_BALANCE_CAP_FEN,
    "spend_order": lambda: w.PROPORTIONAL,
    "pin_min_length": lambda: 4,
    "lockout_attempts": lambda: 5,
    "lockout_minutes": lambda: 15,
    "voucher_valid_days": lambda: 365,
    "foreign_coupons": lambda: "allow",
    "shift_close_required": lambda: True,
    "offline_after_minutes": lambda: DEFAULT_OFFLINE_AFTER_MINUTES,
    "offline_spend_cap_fen": lambda: DEFAULT_OFFLINE_SPEND_CAP_FEN,
    "offline_daily_cap_fen": lambda: DEFAULT_OFFLINE_DAILY_CAP_FEN,
    "offline_foreign_coupons": lambda: "last_pull",
}


def read_store_settings(ctx: ServiceContext, actor: Actor) -> StoreSettingsView:
    """The store's settings as the dialog shows them (anyone logged in may look; only a manager may change)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        out: dict[str, object] = {}
        for key in STORE_KEYS:
            if key.name == "store_name":
                out[key.name] = st.name
            elif key.name == "timezone":
                out[key.name] = st.timezone
            else:
                default = DEFAULTS.get(key.name)
                out[key.name] = st.raw.get(key.name, default() if default else None)
        return StoreSettingsView(st.store_code, out, overridden())


# ----------------------------------------------------------------------------- this computer's overrides
#: the store settings this computer may set (all of them)
LOCAL_KEYS: tuple[str, ...] = tuple(k.name for k in STORE_KEYS)
#: what :func:`load_local_overrides` read last (None: not yet in this process)
_LOCAL: list[dict[str, tuple[object, str]] | None] = [None]


def load_local_overrides() -> dict[str, tuple[object, str]]:
    """Read the store settings this computer sets (environment, then the config file's ``[store]`` table), each
    checked: name -> (value, where it came from). Done when a store opens (``app.open_store``): what the file or
    the environment says later applies from the next start. A value its check refuses raises that
    ``InvalidInput`` naming the variable or ``[store] key`` it came from; a file that cannot be read raises
    ``ConfigUnreadable`` (it is reported, never written over); nothing is kept from a refused read."""
    out: dict[str, tuple[object, str]] = {}
    for name, (value, source) in config.store_raw(LOCAL_KEYS).items():
        try:
            checked = check_store_setting(name, value)
        except InvalidInput as exc:
            exc.params["setting"] = source
            raise
        if checked is not None:
            out[name] = (checked, source)
    _LOCAL[0] = out
    return dict(out)


def local_overrides() -> dict[str, tuple[object, str]]:
    """The store settings this computer sets, as read when the store opened (read now if no store opened yet)."""
    found = _LOCAL[0]
    return dict(found) if found is not None else load_local_overrides()


def overridden() -> dict[str, str]:
    """Store setting -> where this computer sets it (the settings dialog shows those read-only)."""
    return {name: source for name, (_value, source) in local_overrides().items()}


#: the store's code names the store to central: this computer's ``[store] store_code`` (env POS_STORE_CODE) is the
#: code a store is created with, read only then (``pos-app init``, the first-run wizard); it never changes after
DEFAULT_STORE_CODE = "S001"
DEFAULT_STORE_NAME = "门店"
DEFAULT_TIMEZONE = "Asia/Shanghai"
STORE_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,16}$")


def new_store_defaults() -> dict[str, str]:
    """What a new store is created with unless told otherwise: its name, code and time zone as this computer sets
    them (environment, then the config file's ``[store]`` table), else the defaults; a bad value is refused naming
    where it came from."""
    code = DEFAULT_STORE_CODE
    raw = config.store_raw(("store_code",))
    if "store_code" in raw:
        value, source = raw["store_code"]
        if not isinstance(value, str) or not STORE_CODE_RE.match(value.strip()):
            raise InvalidInput("settings.store_code_invalid", setting=source, value=str(value)[:MAX_TEXT])
        code = value.strip()
    local = load_local_overrides()
    return {"store_name": str(local["store_name"][0]) if "store_name" in local else DEFAULT_STORE_NAME,
            "store_code": code,
            "timezone": str(local["timezone"][0]) if "timezone" in local else DEFAULT_TIMEZONE}
