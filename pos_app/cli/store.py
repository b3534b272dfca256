"""`pos-app init`, `demo` and `doctor`: make a store, load the demo store, check a store."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pos_app import messages
from pos_app.cli.base import Add, Cli
from pos_app.domain.errors import AuthenticationFailed, InvalidInput, StateError


def cmd_init(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    if a.manager and not a.manager_pin:
        a.manager_pin = getattr(a, "pin", None)
    if bool(a.manager) != bool(a.manager_pin):
        print(messages.translate("init.need_both"), file=sys.stderr)
        return 2
    from pos_app.services.store_settings import new_store_defaults  # noqa: PLC0415

    new = new_store_defaults()  # this computer's [store] store_name / store_code / timezone (or POS_STORE_*)
    created = staff.init_store(
        cli.ctx, store_name=a.store_name or new["store_name"], store_code=a.store_code or new["store_code"],
        timezone=new["timezone"], manager_code=a.manager, manager_pin=a.manager_pin
    )
    return cli.emit(
        {"db": cli.db_path, "created": created},
        messages.translate("init.done", {"db": cli.db_path}),
    )


def cmd_demo(cli: Cli, a: argparse.Namespace) -> int:
    """Load the demo store: on an empty store with no login (nobody exists yet, as `make run` does with
    --if-empty); on a store with data only with --reload and a manager's login; otherwise refused."""
    from pos_app.services import demo  # noqa: PLC0415

    if a.reload and a.if_empty:
        raise InvalidInput("demo.reload_or_if_empty")
    if a.reload:
        if not (getattr(a, "staff", None) or os.environ.get("POS_STAFF")):
            raise AuthenticationFailed("demo.reload_needs_login")
        info = demo.load_demo(cli.ctx, cli.actor())
    elif demo.has_data(cli.ctx):
        if a.if_empty:
            return cli.emit({"loaded": False, "db": cli.db_path}, messages.translate("demo.exists", {"db": cli.db_path}))
        raise StateError("demo.has_data")
    else:
        info = demo.load_demo(cli.ctx)
    lines = [messages.translate("demo.loaded", {"db": cli.db_path})]
    lines += [f"  {code:<6} {role:<8} PIN {pin}" for code, role, pin in info["staff"]]
    return cli.emit({"loaded": True, "db": cli.db_path, **info}, "\n".join(lines))


def cmd_doctor(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services.doctor import run_doctor  # noqa: PLC0415

    rep = run_doctor(cli.ctx)
    if cli.json:
        cli.emit({"ok": rep.ok, "checks": [c.__dict__ for c in rep.checks]}, "")
    else:
        for c in rep.checks:
            print(f"[{'OK' if c.ok else 'FAIL'}] {c.name}" + ("" if c.ok else f": {c.detail}"), file=cli.out)
        print(messages.translate("doctor.ok" if rep.ok else "doctor.fail"), file=cli.out)
    return 0 if rep.ok else 1


def register(sub: Any, common: argparse.ArgumentParser, add: Add) -> None:
    sp = add("init", cmd_init, "create or migrate the database; on an empty one, the first manager")
    sp.set_defaults(creates_store=True)
    sp.add_argument("--manager", help="first manager's staff code")
    sp.add_argument("--manager-pin", "--manager_pin", dest="manager_pin", help="first manager's PIN")
    sp.add_argument("--store-name", help="a new store's name (default: the config file's [store] store_name, 门店)")
    sp.add_argument("--store-code", help="a new store's code (default: the config file's [store] store_code, S001)")
    sp = add("demo", cmd_demo, "load the demo store")
    sp.set_defaults(creates_store=True)
    sp.add_argument("--if-empty", action="store_true", help="only when the database has no staff yet")
    sp.add_argument("--reload", action="store_true",
                    help="on a store with data: reload the demo data as the manager given by --staff/--pin")
    add("doctor", cmd_doctor, "check the database")
