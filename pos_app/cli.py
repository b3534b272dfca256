"""`pos-app`: the desktop app's console entry. Launches the GUI (default) and offers every use case
headless; with --json, machine-readable output on stdout (money as integer ``*_fen`` fields).

Exit codes: 0 done; 2 bad input or a refusal, including usage errors and a --db that is not a store
database (one line on stderr, nothing written); 3 not allowed (wrong PIN, or a role that may not do
the action); 1 doctor found problems.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from pos_app import messages
from pos_app.domain.errors import (
    AuthenticationFailed,
    DomainError,
    InvalidInput,
    PermissionDenied,
    StateError,
)
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.text import check_arg_text
from pos_app.domain.textparams import Money

if TYPE_CHECKING:  # imported lazily: `pos-app gui` shows its window before SQLAlchemy loads
    from pos_app.services.context import Actor, ServiceContext

#: feature modules that add subcommands with ``register(subparsers, common)``
EXTENSIONS = ("pos_app.cli_coupons", "pos_app.cli_gifts", "pos_app.cli_sync", "pos_app.cli_backup", "pos_app.cli_audit")

Handler = Callable[["Cli", argparse.Namespace], int]


@dataclass
class Cli:
    args: argparse.Namespace
    _ctx: ServiceContext | None = None
    _actor: Actor | None = None
    out: Any = field(default_factory=lambda: sys.stdout)
    _tz: Any = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def db_path(self) -> str:
        from pos_app import config  # noqa: PLC0415

        return config.load(db_override=getattr(self.args, "db", None)).db

    @property
    def ctx(self) -> ServiceContext:
        if self._ctx is None:
            from pos_app.app import open_store  # noqa: PLC0415

            # only init and demo make a store; every command shares the store with other commands, never
            # with the counter app (docs/store-file-safety.md)
            self._ctx = open_store(self.db_path, create=bool(getattr(self.args, "creates_store", False)),
                                   owner="command")
        return self._ctx

    def actor(self) -> Actor:
        if self._actor is None:
            from pos_app.services import staff  # noqa: PLC0415

            code = getattr(self.args, "staff", None) or os.environ.get("POS_STAFF")
            pin = getattr(self.args, "pin", None) or os.environ.get("POS_PIN")
            if code and not pin and sys.stdin is not None and sys.stdin.isatty():
                import getpass  # noqa: PLC0415 - asked without echo: --pin shows in the process list

                try:
                    pin = getpass.getpass(messages.translate("auth.pin_prompt", {"code": code}))
                except EOFError:
                    pin = None
            if not code or not pin:
                raise AuthenticationFailed("auth.required")
            self._actor = staff.login(self.ctx, code, pin)
        return self._actor

    def local(self, at: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time as the store's local time (DESIGN.md: stored in UTC, shown in the store's zone)."""
        if self._tz is None:
            from zoneinfo import ZoneInfo  # noqa: PLC0415

            from pos_app.services.counter import store_brief  # noqa: PLC0415

            self._tz = ZoneInfo(store_brief(self.ctx).timezone)
        return str(at.astimezone(self._tz).strftime(fmt))

    def emit(self, obj: Any, human: str | Callable[[], str]) -> int:
        if self.json:
            from pos_app.services.dto import to_jsonable  # noqa: PLC0415

            print(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, sort_keys=True), file=self.out)
        else:
            print(human() if callable(human) else human, file=self.out)
        return 0


def money_arg(text: str) -> int:
    return parse_yuan(text)


# ----------------------------------------------------------------------------- output files

T = TypeVar("T")


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """An output file a command is about to write: refused before anything is written when it is a folder,
    when its folder does not exist, or when it is a symbolic link (which would write over the file it
    points to) unless ``force``."""
    p = Path(path)
    if not str(path).strip():
        raise InvalidInput("file.no_folder", path=str(path))
    if p.is_symlink() and not force:
        raise InvalidInput("file.symlink", path=str(p))
    if p.is_dir():
        raise InvalidInput("file.is_directory", path=str(p))
    if not p.parent.is_dir():
        raise InvalidInput("file.no_folder", path=str(p.parent))
    return p


def write_output(path: str | os.PathLike[str], write: Callable[[Path], T], *, force: bool = False) -> T:
    """The one way a command writes a file: checks the path (:func:`check_output_path`), writes beside it
    and renames into place (a failed write leaves no half file and keeps the old one), and turns a
    failure (no permission, disk full, read-only) into one translated line. A device (``/dev/full``, a
    printer port) is written in place."""
    p = check_output_path(path, force=force)
    target = p.resolve() if p.is_symlink() else p
    try:
        if target.exists() and not target.is_file():
            return write(target)
        if target.exists() and not os.access(target, os.W_OK):  # renaming over it would bypass its mode
            raise PermissionError(13, os.strerror(13), str(target))
        tmp = target.with_name(f".{target.stem}.{os.getpid()}.part{target.suffix}")
        try:
            result = write(tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return result
    except OSError as exc:
        raise InvalidInput("file.write_failed", path=str(p), detail=_os_detail(exc)) from None
    except DomainError as exc:  # a writer that maps its own OSError names the temporary file: name ours
        if "path" in exc.params:
            exc.params["path"] = str(p)
        raise


def _os_detail(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


# ----------------------------------------------------------------------------- handlers


def cmd_gui(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.ui.main import run_gui  # noqa: PLC0415

    return run_gui(cli.db_path, lang=getattr(a, "lang", None), smoke=a.smoke)


def cmd_init(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    if a.manager and not a.manager_pin:
        a.manager_pin = getattr(a, "pin", None)
    if bool(a.manager) != bool(a.manager_pin):
        print(messages.translate("init.need_both"), file=sys.stderr)
        return 2
    created = staff.init_store(
        cli.ctx, store_name=a.store_name, store_code=a.store_code, manager_code=a.manager, manager_pin=a.manager_pin
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


def _member_text(mdto: Any) -> str:
    return "\n".join(
        [
            f"{mdto.phone}  {mdto.name or ''}  [{mdto.member_code}]",
            f"  {messages.translate('label.balance')}: {format_fen(mdto.balance_fen)}"
            f"  ({messages.translate('label.principal')} {format_fen(mdto.principal_fen)}"
            f" / {messages.translate('label.bonus')} {format_fen(mdto.bonus_fen)})",
            f"  {messages.translate('label.points')}: {mdto.points}   {messages.translate('label.invite_code')}: {mdto.invite_code}",
        ]
    )


def cmd_member_add(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members  # noqa: PLC0415

    dto = members.register_member(
        cli.ctx, cli.actor(), phone=a.phone, name=a.name, invite_code=a.invite_code, request_id=a.request_id
    )
    return cli.emit(dto, lambda: _member_text(dto))


def cmd_member_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members  # noqa: PLC0415

    dto = members.get_member(cli.ctx, cli.actor(), phone=a.phone, code=a.code)
    return cli.emit(dto, lambda: _member_text(dto))


def cmd_member_find(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members  # noqa: PLC0415

    rows = members.find_members(cli.ctx, cli.actor(), a.prefix, limit=a.limit)
    return cli.emit(
        rows,
        lambda: "\n".join(f"{r.phone}  {format_fen(r.balance_fen):>12}  {r.name or ''}" for r in rows)
        or messages.translate("member.none_found"),
    )


def _campaign_text(c: Any) -> str:
    lines = [f"{c.code}  {c.name}  {c.starts_on} ~ {c.ends_on}  v{c.version}{'  *' if c.active else ''}"]
    for t in c.tiers:
        extras = ", ".join(f"{i['name']}×{i['quantity']}" for i in t.items)
        lines.append(f"  [{t.code}] {t.name}: {format_fen(t.pay_fen)} -> +{format_fen(t.bonus_fen)} {extras}")
    return "\n".join(lines)


def cmd_campaign_load(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import campaigns  # noqa: PLC0415

    dto = campaigns.load_campaign_file(cli.ctx, cli.actor(), a.file, replace=a.replace)
    return cli.emit(dto, lambda: _campaign_text(dto))


def cmd_campaign_list(cli: Cli, a: argparse.Namespace) -> int:
    """Every campaign; `*` marks the one that applies today. One that runs today but is overlapped by a
    later-starting one says which applies (the rule: the campaign that starts last wins)."""
    from datetime import datetime  # noqa: PLC0415

    from pos_app.services import campaigns  # noqa: PLC0415

    rows = campaigns.list_campaigns(cli.ctx, cli.actor())
    applying = next((c.code for c in rows if c.active), None)
    today = cli.local(datetime.now().astimezone(), "%Y-%m-%d")

    def line(c: Any) -> str:
        text = _campaign_text(c).splitlines()[0]
        if applying and not c.active and str(c.starts_on) <= today <= str(c.ends_on):
            text += "  " + messages.translate("campaign.superseded", {"other": applying})
        return text

    return cli.emit(rows, lambda: "\n".join(line(c) for c in rows) or "-")


def cmd_campaign_show(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import campaigns  # noqa: PLC0415

    dto = campaigns.get_campaign(cli.ctx, cli.actor(), a.id)
    return cli.emit(dto, lambda: _campaign_text(dto))


def cmd_recharge(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    amount = parse_yuan(a.amount) if a.amount is not None else None
    res = wallet.recharge(
        cli.ctx, cli.actor(), phone=a.phone, amount_fen=amount, tier_code=a.tier, pay_method=a.pay, request_id=a.request_id
    )

    def human() -> str:
        lines = [
            messages.translate(
                "recharge.done",
                {"amount": Money(res.principal_fen), "value": Money(res.bonus_fen), "balance": Money(res.balance_fen), "points": res.points},
            ),
            f"  {messages.translate('recharge.receipt_no')}: {res.receipt_no}",
            f"  recharge_id: {res.recharge_id}",
        ]
        lines += [
            f"  - {i.name} ({i.kind}, {i.state}{', ' + str(i.due_on) if i.due_on else ''}{', ' + i.code if i.code else ''})"
            for i in res.items
        ]
        return "\n".join(lines)

    return cli.emit(res, human)


def cmd_spend(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    res = wallet.spend(cli.ctx, cli.actor(), phone=a.phone, amount_fen=parse_yuan(a.amount), request_id=a.request_id, note=a.note)
    return cli.emit(
        res,
        lambda: messages.translate(
            "spend.done",
            {"amount": Money(res.amount_fen), "principal": format_fen(res.principal_fen), "bonus": format_fen(res.bonus_fen),
             "balance": Money(res.balance_fen)},
        ),
    )


def _check_slip_path(path: str) -> None:
    """Before anything is written: a slip path that cannot be a new file is refused in one line (exit 2)."""
    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.isdir(target) or not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise InvalidInput("file.write_failed", path=path, detail=messages.translate("file.not_writable"))


def _write_slip(path: str, render: Callable[[Any], None]) -> None:
    """Render a PDF in memory, then write it; a path that cannot be written is one clear line (exit 2)."""
    import io  # noqa: PLC0415

    buf = io.BytesIO()
    render(buf)
    try:
        with open(path, "wb") as f:
            f.write(buf.getvalue())
    except OSError as exc:
        raise InvalidInput("file.write_failed", path=path, detail=exc.strerror or str(exc)) from None


def cmd_refund(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    ctx, actor = cli.ctx, cli.actor()
    if a.slip:
        _check_slip_path(a.slip)
    res = wallet.refund(ctx, actor, recharge_id=a.recharge, request_id=a.request_id, reason=a.reason, method=a.method)
    if a.slip:
        from pos_app.printing import pdf  # noqa: PLC0415
        from pos_app.services.counter import store_brief  # noqa: PLC0415

        brief = store_brief(ctx)
        _write_slip(a.slip, lambda out: pdf.refund_slip(res, brief.name, out, tz=brief.timezone))

    def human() -> str:
        lines = [messages.translate(
            "refund.done",
            {"amount": Money(res.principal_refund_fen), "value": Money(res.bonus_revoke_fen), "points": res.points_revoked,
             "balance": Money(res.balance_fen)},
        )]
        lines.append("  " + messages.translate("refund.refundable", {"amount": Money(res.principal_refundable_fen)}))
        for d in res.deductions:
            lines.append("  " + messages.translate("refund.deduction", {"kind": d.kind, "name": d.name, "value": Money(d.value_fen)}))
        if res.deductions:
            lines.append("  " + messages.translate("refund.deductions_total", {"value": Money(res.deductions_fen)}))
        lines.append("  " + messages.translate(f"refund.paid_back.{res.method}", {"pay": res.pay_method}))
        if a.slip:
            lines.append("  " + messages.translate("refund.slip_written", {"path": a.slip}))
        return "\n".join(lines)

    return cli.emit(res, human)


def cmd_statement(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import members, wallet  # noqa: PLC0415

    mdto = members.get_member(cli.ctx, cli.actor(), phone=a.phone)
    rows = wallet.statement(cli.ctx, cli.actor(), member_id=mdto.member_id)
    return cli.emit(
        rows,
        lambda: "\n".join(
            f"{cli.local(r.created_at)} {r.kind:<9} {format_fen(r.principal_delta_fen):>12} {format_fen(r.bonus_delta_fen):>10}"
            f"  -> {format_fen(r.principal_after_fen)} / {format_fen(r.bonus_after_fen)}"
            for r in rows
        ),
    )


def cmd_staff_add(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    dto = staff.add_staff(cli.ctx, cli.actor(), code=a.code, role=a.role, pin=a.new_pin, name=a.name)
    return cli.emit(dto, f"{dto.code} {dto.role}")


def cmd_staff_list(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    rows = staff.staff_rows(cli.ctx, cli.actor())

    def line(s: Any) -> str:
        last = cli.local(s.last_login_at) if s.last_login_at else "-"
        locked = f"  {messages.translate('staff.locked_until', {'until': cli.local(s.locked_until)})}" if s.locked_until else ""
        off = f"  {messages.translate('staff.off')}" if not s.active else ""
        return f"{s.code:<10} {s.role:<8} {s.name}  {messages.translate('staff.last_login')} {last}{locked}{off}"

    return cli.emit(rows, lambda: "\n".join(line(s) for s in rows))


def _staff_done(cli: Cli, dto: Any) -> int:
    return cli.emit(dto, f"{dto.code} {dto.role} {'' if dto.active else messages.translate('staff.off')}".rstrip())


def cmd_staff_disable(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.set_staff_active(cli.ctx, cli.actor(), a.code, False))


def cmd_staff_enable(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.set_staff_active(cli.ctx, cli.actor(), a.code, True))


def cmd_staff_reset_pin(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.reset_pin(cli.ctx, cli.actor(), a.code, a.new_pin))


def cmd_staff_role(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.change_role(cli.ctx, cli.actor(), a.code, a.role))


def cmd_staff_unlock(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import staff  # noqa: PLC0415

    return _staff_done(cli, staff.unlock(cli.ctx, cli.actor(), a.code))


def cmd_points_expire(cli: Cli, a: argparse.Namespace) -> int:
    from pos_app.services import wallet  # noqa: PLC0415

    n = wallet.expire_points(cli.ctx, cli.actor())
    return cli.emit({"expired_points": n}, str(n))


# ----------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """Usage errors are bad input: one line on stderr, exit code 2 (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    g = common.add_argument_group("global options")
    g.add_argument("--db", default=argparse.SUPPRESS, help="store database file (default: user data dir; env POS_DB)")
    g.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output on stdout")
    g.add_argument("--staff", default=argparse.SUPPRESS, help="staff code (env POS_STAFF)")
    g.add_argument("--pin", default=argparse.SUPPRESS, help="staff PIN (env POS_PIN)")
    g.add_argument("--lang", default=argparse.SUPPRESS, choices=messages.LANGS, help="language (default zh_CN)")

    p = _Parser(prog="pos-app", description="Store membership counter app", parents=[common])
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, handler: Handler, help_: str, parent: Any = sub) -> argparse.ArgumentParser:
        sp: argparse.ArgumentParser = parent.add_parser(name, help=help_, parents=[common])
        sp.set_defaults(handler=handler)
        return sp

    sp = add("gui", cmd_gui, "start the desktop app (default)")
    sp.add_argument("--smoke", action="store_true", help="open the main window, check the database, exit")
    sp = add("init", cmd_init, "create or migrate the database; on an empty one, the first manager")
    sp.set_defaults(creates_store=True)
    sp.add_argument("--manager", help="first manager's staff code")
    sp.add_argument("--manager-pin", "--manager_pin", dest="manager_pin", help="first manager's PIN")
    sp.add_argument("--store-name", default="门店")
    sp.add_argument("--store-code", default="S001")
    sp = add("demo", cmd_demo, "load the demo store")
    sp.set_defaults(creates_store=True)
    sp.add_argument("--if-empty", action="store_true", help="only when the database has no staff yet")
    sp.add_argument("--reload", action="store_true",
                    help="on a store with data: reload the demo data as the manager given by --staff/--pin")
    add("doctor", cmd_doctor, "check the database")

    mp = sub.add_parser("member", help="members").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("add", cmd_member_add, "register a member", mp)
    sp.add_argument("--phone", required=True)
    sp.add_argument("--name")
    sp.add_argument("--invite-code")
    sp.add_argument("--request-id")
    sp = add("show", cmd_member_show, "show a member", mp)
    grp = sp.add_mutually_exclusive_group(required=True)
    grp.add_argument("--phone")
    grp.add_argument("--code")
    sp = add("find", cmd_member_find, "search by phone prefix, member code or name", mp)
    sp.add_argument("prefix")
    sp.add_argument("--limit", type=int, default=50)

    cp = sub.add_parser("campaign", help="campaigns").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("load", cmd_campaign_load, "load a campaign TOML file", cp)
    sp.add_argument("file")
    sp.add_argument("--replace", action="store_true",
                    help="accept a campaign that overlaps another (while they overlap, the later-starting applies)")
    add("list", cmd_campaign_list, "list campaigns", cp)
    sp = add("show", cmd_campaign_show, "show a campaign", cp)
    sp.add_argument("id")

    sp = add("recharge", cmd_recharge, "recharge a member's stored value")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--amount", help="yuan, e.g. 500 or 99.90 (default: the tier's price)")
    sp.add_argument("--tier")
    sp.add_argument("--pay", default="cash", choices=["cash", "wechat", "alipay", "card", "other"])
    sp.add_argument("--request-id")
    sp = add("spend", cmd_spend, "pay from a member's balance")
    sp.add_argument("--phone", required=True)
    sp.add_argument("--amount", required=True)
    sp.add_argument("--note")
    sp.add_argument("--request-id")
    sp = add("refund", cmd_refund, "refund a recharge (manager): unspent principal less the perks used or kept")
    sp.add_argument("--recharge", required=True)
    sp.add_argument("--method", choices=["original", "cash"], default="original",
                    help="pay back to the recharge's payment method (default) or in cash")
    sp.add_argument("--slip", metavar="PATH", help="also save the refund slip as a PDF (80 mm)")
    sp.add_argument("--reason")
    sp.add_argument("--request-id")
    sp = add("statement", cmd_statement, "a member's wallet statement")
    sp.add_argument("--phone", required=True)

    stp = sub.add_parser("staff", help="staff accounts (manager)").add_subparsers(dest="sub", metavar="ACTION", required=True)
    sp = add("add", cmd_staff_add, "add a staff account", stp)
    sp.add_argument("--code", required=True)
    sp.add_argument("--role", required=True, choices=["cashier", "staff", "manager"])
    sp.add_argument("--new-pin", "--password", dest="new_pin", required=True, help="the new account's PIN")
    sp.add_argument("--name")
    add("list", cmd_staff_list, "list staff accounts with last login and lock", stp)
    for name, handler, help_ in (("disable", cmd_staff_disable, "disable an account"),
                                 ("enable", cmd_staff_enable, "re-enable an account"),
                                 ("unlock", cmd_staff_unlock, "lift a PIN lock")):
        add(name, handler, help_, stp).add_argument("code")
    sp = add("reset-pin", cmd_staff_reset_pin, "set an account's PIN (one's own: any role)", stp)
    sp.add_argument("code")
    sp.add_argument("--new-pin", dest="new_pin", required=True, help="the new PIN")
    sp = add("role", cmd_staff_role, "change an account's role", stp)
    sp.add_argument("code")
    sp.add_argument("role", choices=["cashier", "staff", "manager"])

    pp = sub.add_parser("points", help="points").add_subparsers(dest="sub", metavar="ACTION", required=True)
    add("expire", cmd_points_expire, "apply points expiry now", pp)

    for modname in EXTENSIONS:
        try:
            mod = importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            if exc.name == modname:
                continue
            raise
        mod.register(sub, common, add)
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
    parser = build_parser()
    args = parser.parse_args(args_list)
    lang = getattr(args, "lang", None) or os.environ.get("POS_LANG") or messages.DEFAULT_LANG
    messages.set_language(lang)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        args.smoke = False
        args.lang = getattr(args, "lang", None) or os.environ.get("POS_LANG")  # None: the GUI's saved choice
        handler = cmd_gui
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
        return _exit_for(exc, cli)


def _exit_for(exc: Exception, cli: Cli) -> int:
    """The one place that turns an error no use case refused on purpose into one translated line on
    stderr and exit code 2: the database (not a database, read-only, locked too long), the system
    (disk full, no permission), text that is not valid Unicode, a file nested too deeply. A closed stdout
    (``--json ... | head``) ends quietly. Anything else is a bug and keeps its traceback."""
    if isinstance(exc, BrokenPipeError):
        try:  # Python would report the pipe again when it flushes stdout at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    sa_exc = sys.modules.get("sqlalchemy.exc")  # not loaded => cannot be a SQLAlchemy error
    sqlite = sys.modules.get("sqlite3")
    if (sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError)) or (
        sqlite is not None and isinstance(exc, sqlite.Error)
    ):
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        key = "db.read_only" if "readonly" in detail.replace("-", "").replace(" ", "") else "db.error"
        line = messages.translate(key, {"db": cli.db_path, "detail": detail})
    elif isinstance(exc, OSError):
        line = messages.translate("os.error", {"detail": (f"{exc.filename}: " if exc.filename else "") + _os_detail(exc)})
    elif isinstance(exc, RecursionError):
        line = messages.translate("file.too_deep", {"path": getattr(cli.args, "file", None) or "-"})
    elif isinstance(exc, UnicodeError):
        line = messages.translate("os.error", {"detail": str(exc).splitlines()[0]})
    else:
        raise exc
    print(line, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
