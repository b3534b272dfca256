"""`pos-app`: the desktop app's console entry. Launches the GUI (default) and offers every use case
headless; with --json, machine-readable output on stdout (money as integer ``*_fen`` fields).

Exit codes: 0 done; 2 bad input or a refusal, including usage errors and a --db that is not a store
database (one line on stderr, nothing written); 3 not allowed (wrong PIN, or a role that may not do
the action); 1 doctor found problems.

Each area of the store has its module here, which adds its subcommands with
``register(subparsers, common, add)``: the order of :func:`areas` is the order of ``pos-app --help``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pos_app import messages
from pos_app.cli import gui
from pos_app.cli.base import Cli, Handler, UsageParser, exit_code_for
from pos_app.domain.errors import DomainError, PermissionDenied
from pos_app.domain.text import check_arg_text

if TYPE_CHECKING:
    from types import ModuleType

#: the global options that take a value (``--db PATH``): what follows them is not the command
VALUE_OPTIONS = frozenset({"--db", "--staff", "--pin", "--lang", "--approver", "--approver-pin"})


def areas() -> tuple[ModuleType, ...]:
    """The modules that add subcommands, in the order of ``pos-app --help`` (imported on first use:
    ``pos-app gui`` shows its window without loading the other areas or building their parsers)."""
    from pos_app.cli import (  # noqa: PLC0415
        audit,
        backup,
        campaigns,
        coupons,
        generate,
        gifts,
        levels,
        mall,
        members,
        points,
        products,
        reports,
        sales,
        staff,
        store,
        sync,
        wallet,
    )

    return (gui, store, members, campaigns, wallet, products, sales, staff, points, levels, mall, coupons, gifts,
            backup, audit, sync, reports, generate)


__all__ = ["areas", "build_parser", "main", "starts_gui"]


def build_parser(only: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, the same parser with just those areas' subcommands."""
    common = UsageParser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument("--db", default=argparse.SUPPRESS, help="store database file (default: user data dir; env POS_DB)")
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output on stdout")
    g.add_argument("--staff", default=argparse.SUPPRESS, help="staff code (env POS_STAFF)")
    g.add_argument("--pin", default=argparse.SUPPRESS, help="staff PIN (env POS_PIN)")
    g.add_argument("--lang", default=argparse.SUPPRESS, choices=messages.LANGS, help="language (default zh_CN)")
    g.add_argument("--approver", default=argparse.SUPPRESS,
                   help="a manager's staff code approving this one command for --staff (env POS_APPROVER)")
    g.add_argument("--approver-pin", default=argparse.SUPPRESS,
                   help="that manager's PIN (env POS_APPROVER_PIN; asked without echo on a terminal)")

    p = UsageParser(prog="pos-app", description="Store membership counter app", parents=[common])
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=UsageParser)

    def add(name: str, handler: Handler, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, help=help_, parents=[common])
        sp.set_defaults(handler=handler)
        return sp

    for area in areas() if only is None else only:
        area.register(sub, common, add)
    return p


def _fix_staff_pin_clash(argv: list[str]) -> list[str]:
    """`staff add ... --pin P` means the new account's PIN when --staff/--pin login is given by env or
    before the subcommand; keep the documented spelling working."""
    i_add = next(
        (i + 1 for i in range(len(argv) - 1)
         if argv[i] == "staff" and argv[i + 1] == "add" and (i == 0 or argv[i - 1] != "--staff")),
        None,
    )
    if i_add is not None:
        pins = [i for i, t in enumerate(argv) if t == "--pin" and i > i_add]
        # a --pin right after "--staff CODE" is the login's, wherever it stands
        new = [j for j in pins if not (j >= 2 and argv[j - 2] == "--staff")]
        if new and "--new-pin" not in argv and "--password" not in argv:
            j = new[-1]
            argv = argv[:j] + ["--new-pin"] + argv[j + 1:]
    return argv


def starts_gui(argv: Sequence[str]) -> bool:
    """Whether ``argv`` runs the desktop app (``gui``, or no command at all) and asks for no help: then its
    parser needs the ``gui`` area alone. Anything it cannot tell (an abbreviated option taking a value)
    counts as another command, which the whole parser reads."""
    if any(t.startswith(("-h", "--h")) for t in argv):
        return False
    skip = False
    for t in argv:
        if skip:
            skip = False
        elif t in VALUE_OPTIONS:
            skip = True
        elif t == "--":
            return False
        elif not t.startswith("-"):
            return t == "gui"
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args_list = _fix_staff_pin_clash(list(sys.argv[1:] if argv is None else argv))
    lang = next((args_list[i + 1] for i, t in enumerate(args_list[:-1]) if t == "--lang"), None)
    messages.set_language(lang or os.environ.get("POS_LANG") or messages.DEFAULT_LANG)
    try:
        for arg in args_list:  # bytes from a terminal in another encoding: refuse before anything runs
            check_arg_text(arg)
    except DomainError as exc:
        print(messages.tr_error(exc), file=sys.stderr)
        return 2
    parser = build_parser((gui,) if starts_gui(args_list) else None)
    args = parser.parse_args(args_list)
    lang = getattr(args, "lang", None) or os.environ.get("POS_LANG") or messages.DEFAULT_LANG
    messages.set_language(lang)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        args.smoke = False
        args.lang = getattr(args, "lang", None) or os.environ.get("POS_LANG")  # None: the GUI's saved choice
        handler = gui.cmd_gui
    cli = Cli(args)
    try:
        return handler(cli, args)
    except PermissionDenied as exc:
        print(messages.tr_error(exc), file=sys.stderr)
        return 3
    except DomainError as exc:
        print(messages.tr_error(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - mapped to one line, or raised again
        return exit_code_for(exc, cli)
    finally:
        cli.close()

