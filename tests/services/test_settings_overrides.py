"""Every setting the issue lists (issue 15) is readable from the config file with an environment override: the
config file's own keys (``pos_app.config``: env > file > default) and the store's settings (kept in the store
database, set on this computer in a ``[store]`` table or by ``POS_<KEY>``: env > file > database > default).
Each invalid value is refused naming where it came from and what is allowed, and is never used; each override
applies where the store's use cases read their settings (``services.common.settings``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos_app import config, messages
from pos_app.app import open_store
from pos_app.domain.errors import InvalidInput
from pos_app.printing import pdf
from pos_app.services import staff, store_settings
from pos_app.services.common import settings
from tests.conftest import Store


@pytest.fixture(autouse=True)
def _read_again_after() -> Iterator[None]:
    """What a test set on this computer does not outlive it (the overrides are read when a store opens)."""
    yield
    for name in (*store_settings.LOCAL_KEYS, "store_code"):
        os.environ.pop(config.store_env(name), None)
    config.config_file().unlink(missing_ok=True)
    store_settings.load_local_overrides()


# ----------------------------------------------------------------------------- the config file's keys
#: key -> (a good value other than the default, a bad value)
CONFIG_VALUES: dict[str, tuple[str, str]] = {
    "db": ("/tmp/elsewhere/store.db", "/"),
    "lang": ("en", "fr"),
    "central_url": ("https://central.example.cn", "ftp://central.example.cn"),
    "sync_minutes": ("9", "0"),
    "printer": ("前台打印机", "bad\x07printer"),
    "backup_dir": ("/tmp/pos-backups", "/etc/hostname"),
    "backup_keep": ("3", "0"),
    "backup_at": ("06:15", "25:00"),
    "coupon_layout": ("80mm", "a5"),
    "lock_minutes": ("0", "241"),
}


def test_every_config_key_is_covered_and_the_coupon_layouts_are_what_printing_supports() -> None:
    assert set(CONFIG_VALUES) == set(config.KEY_BY_NAME)
    assert config.COUPON_LAYOUTS == pdf.LAYOUTS
    assert {k.env for k in config.KEYS} == {"POS_" + k.name.upper() for k in config.KEYS}


def _write(text: str) -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", list(CONFIG_VALUES))
def test_a_config_key_from_the_file_is_overridden_by_its_environment_variable(name: str,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    good, _bad = CONFIG_VALUES[name]
    key = config.KEY_BY_NAME[name]
    assert config.values()[name] == config.defaults()[name]
    file_value = config.check(name, good)
    _write(config.dumps({name: file_value}))
    assert config.values()[name] == file_value and config.is_set(name)
    other = {"lang": "zh_CN", "coupon_layout": "58mm", "lock_minutes": "30", "sync_minutes": "11",
             "backup_keep": "4", "backup_at": "07:00"}.get(name, good + "2" if key.kind not in ("url",) else good + "/2")
    monkeypatch.setenv(key.env, other)
    assert config.values()[name] == config.check(name, other)
    assert config.env_overrides() == {name: key.env}


@pytest.mark.parametrize("where", ["env", "file"])
@pytest.mark.parametrize("name", list(CONFIG_VALUES))
def test_an_invalid_config_value_is_refused_naming_its_key(name: str, where: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _good, bad = CONFIG_VALUES[name]
    key = config.KEY_BY_NAME[name]
    if where == "env":
        monkeypatch.setenv(key.env, bad)
    else:
        _write(config.dumps({name: bad}))
    with pytest.raises(config.ConfigInvalid) as exc:
        config.values()
    assert exc.value.params["setting"] == name
    if key.kind == "choice":
        assert exc.value.params["allowed"] == ", ".join(key.choices)
    elif key.kind == "number":
        assert (exc.value.params["low"], exc.value.params["high"]) == (key.low, key.high)


def test_the_coupon_layout_and_the_lock_time_have_their_defaults_and_read_back() -> None:
    assert (config.coupon_layout(), config.load().lock_minutes) == ("a4", 10)
    config.save({"coupon_layout": "58mm", "lock_minutes": 0})
    assert (config.coupon_layout(), config.load().coupon_layout, config.load().lock_minutes) == ("58mm", "58mm", 0)
    with pytest.raises(config.ConfigInvalid):
        config.save({"coupon_layout": "a3"})
    _write('coupon_layout = "a3"\n')
    assert config.coupon_layout() == "a4"  # refused where the app and commands start; never used


# ----------------------------------------------------------------------------- the store's settings
#: store key -> (a good value as TOML writes it, the same as the environment writes it, a bad value)
STORE_VALUES: dict[str, tuple[Any, str, str]] = {
    "store_name": ("本机门店", "本机门店", "x" * 200),
    "timezone": ("Asia/Tokyo", "Asia/Tokyo", "Mars/Base"),
    "balance_cap_fen": (300_000, "300000", "abc"),
    "spend_order": ("bonus_first", "bonus_first", "random"),
    "pin_min_length": (6, "6", "3"),
    "lockout_attempts": (3, "3", "0"),
    "lockout_minutes": (30, "30", "99999"),
    "voucher_valid_days": (90, "90", "0"),
    "foreign_coupons": ("refuse", "refuse", "maybe"),
    "invite_url_template": ("https://m.example.cn/i/{code}", "https://m.example.cn/i/{code}", "https://m.example.cn/"),
    "escpos_device": ("/dev/usb/lp1", "/dev/usb/lp1", "lp\x07"),
    "point_value_fen": (5, "5", "-1"),
    "shift_close_required": (False, "no", "perhaps"),
    "offline_after_minutes": (60, "60", "0"),
    "offline_spend_cap_fen": (20_000, "20000", "lots"),
    "offline_daily_cap_fen": (40_000, "40000", "1e9"),
    "offline_foreign_coupons": ("refuse", "refuse", "sometimes"),
}


def test_every_store_setting_is_covered() -> None:
    assert set(STORE_VALUES) == {k.name for k in store_settings.STORE_KEYS} == set(store_settings.LOCAL_KEYS)


def _effective(store: Store, name: str) -> object:
    with store.ctx.uow(read_only=True) as uow:
        st = settings(uow)
        return {"store_name": st.name, "timezone": st.timezone}.get(name, st.raw.get(name))


@pytest.mark.parametrize("name", list(STORE_VALUES))
def test_a_store_setting_env_beats_the_file_beats_the_database(name: str, store: Store,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    toml_value, env_value, _bad = STORE_VALUES[name]
    before = store_settings.read_store_settings(store.ctx, store.manager).values[name]
    _write(config.dumps({"store": {name: toml_value}}))
    assert store_settings.read_store_settings(store.ctx, store.manager).values[name] == before  # read at open
    store_settings.load_local_overrides()
    assert _effective(store, name) == toml_value
    view = store_settings.read_store_settings(store.ctx, store.manager)
    assert view.values[name] == toml_value and view.overrides == {name: f"[store] {name}"}
    env = config.store_env(name)
    if name in ("store_name", "timezone", "escpos_device"):
        env_value = {"store_name": "环境门店", "timezone": "Europe/Paris", "escpos_device": "/dev/usb/lp9"}[name]
    monkeypatch.setenv(env, env_value)
    store_settings.load_local_overrides()
    expected = store_settings.check_store_setting(name, env_value)
    assert _effective(store, name) == expected
    assert store_settings.read_store_settings(store.ctx, store.manager).overrides == {name: env}
    monkeypatch.delenv(env)
    _write("# nothing set here\n")
    store_settings.load_local_overrides()
    assert store_settings.read_store_settings(store.ctx, store.manager).values[name] == before  # the database's


@pytest.mark.parametrize("where", ["env", "file"])
@pytest.mark.parametrize("name", list(STORE_VALUES))
def test_an_invalid_store_setting_is_refused_naming_where_it_came_from(name: str, where: str,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    bad = STORE_VALUES[name][2]
    if where == "env":
        monkeypatch.setenv(config.store_env(name), bad)
        source = config.store_env(name)
    else:
        _write(config.dumps({"store": {name: bad}}))
        source = f"[store] {name}"
    with pytest.raises(InvalidInput) as exc:
        store_settings.load_local_overrides()
    assert exc.value.params["setting"] == source
    assert source in messages.tr_error(exc.value)
    with pytest.raises(InvalidInput):  # the store does not open with it
        open_store(tmp_path / "other.db")
    assert not (tmp_path / "other.db").exists()


def test_an_invalid_store_setting_is_never_used(store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POS_BALANCE_CAP_FEN", "300000")
    store_settings.load_local_overrides()
    assert _effective(store, "balance_cap_fen") == 300_000
    monkeypatch.setenv("POS_BALANCE_CAP_FEN", "lots")
    with pytest.raises(InvalidInput) as exc:  # the next store to open refuses it, naming the variable
        open_store(tmp_path / "next.db")
    assert exc.value.params["setting"] == "POS_BALANCE_CAP_FEN"
    assert _effective(store, "balance_cap_fen") == 300_000  # what was read before stands; "lots" is never used


def test_a_manager_s_change_in_the_dialog_s_service_is_kept_under_a_local_override(store: Store,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POS_LOCKOUT_MINUTES", "45")
    store_settings.load_local_overrides()
    staff.update_settings(store.ctx, store.manager, lockout_minutes=20)
    assert _effective(store, "lockout_minutes") == 45  # this computer's value wins here
    monkeypatch.delenv("POS_LOCKOUT_MINUTES")
    store_settings.load_local_overrides()
    assert _effective(store, "lockout_minutes") == 20  # the database's, as saved


def test_a_new_store_takes_its_code_name_and_zone_from_this_computer(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_settings.new_store_defaults() == {"store_name": "门店", "store_code": "S001",
                                                   "timezone": "Asia/Shanghai"}
    _write(config.dumps({"store": {"store_code": "C042", "store_name": "配置门店", "timezone": "Asia/Tokyo"}}))
    assert store_settings.new_store_defaults() == {"store_name": "配置门店", "store_code": "C042",
                                                   "timezone": "Asia/Tokyo"}
    monkeypatch.setenv("POS_STORE_CODE", "E7")
    assert store_settings.new_store_defaults()["store_code"] == "E7"
    monkeypatch.setenv("POS_STORE_CODE", "no spaces allowed")
    with pytest.raises(InvalidInput) as exc:
        store_settings.new_store_defaults()
    assert exc.value.key == "settings.store_code_invalid" and exc.value.params["setting"] == "POS_STORE_CODE"
    _write(config.dumps({"store": {"store_code": 42}}))
    monkeypatch.delenv("POS_STORE_CODE")
    with pytest.raises(InvalidInput) as exc:
        store_settings.new_store_defaults()
    assert exc.value.params["setting"] == "[store] store_code"


def test_a_store_table_that_is_not_a_table_is_refused(store: Store) -> None:
    _write('store = "T001"\n')
    with pytest.raises(config.ConfigInvalid) as exc:
        store_settings.load_local_overrides()
    assert exc.value.params["setting"] == "store"
