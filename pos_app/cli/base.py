"""What every `pos-app` command shares: the command's state (:class:`Cli`: the store, the login, the
store's time zone, output as text or JSON), the one way a command writes a file, usage errors, and the
mapping of an error no use case refused on purpose to one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from pos_app import messages
from pos_app.domain.errors import AuthenticationFailed, DomainError, InvalidInput
from pos_app.domain.money import parse_yuan

if TYPE_CHECKING:  # imported lazily: `pos-app gui` shows its window before SQLAlchemy loads
    from pos_app.services.context import Actor, ServiceContext

Handler = Callable[["Cli", argparse.Namespace], int]
#: ``add(name, handler, help, parent=<the top-level subcommands>)``: a subcommand with the global options
Add = Callable[..., argparse.ArgumentParser]


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


class UsageParser(argparse.ArgumentParser):
    """Usage errors are bad input: one line on stderr, exit code 2 (argparse prints the whole usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def exit_code_for(exc: Exception, cli: Cli) -> int:
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


messages.register(
    "zh_CN",
    {
        "init.done": "数据库已就绪：{db}",
        "init.need_both": "--manager 和 --manager-pin 需同时提供",
        "demo.loaded": "示范门店已载入：{db}\n示范账号（工号 角色 密码）：",
        "demo.exists": "数据库已有数据，未载入示范数据：{db}",
        "doctor.ok": "检查通过",
        "db.error": "数据库错误（{db}）：{detail}",
        "doctor.fail": "检查发现问题",
        "label.balance": "余额",
        "label.principal": "本金",
        "label.bonus": "赠送金",
        "label.points": "积分",
        "label.invite_code": "邀请码",
        "member.none_found": "没有找到会员",
        "recharge.done": "充值成功：本金 {amount}，赠送 {value}，积分 +{points}，余额 {balance}",
        "spend.done": "扣款 {amount}（本金 {principal}，赠送金 {bonus}），余额 {balance}",
        "refund.done": "退款成功：退还本金 {amount}，收回赠送金 {value}、积分 {points}，余额 {balance}",
        "recharge.receipt_no": "单号",
        "refund.refundable": "未消费本金 {amount}",
        "refund.deduction": "扣除 {kind}：{name} -{value}",
        "refund.deductions_total": "扣除合计 -{value}",
        "refund.paid_back.original": "原路退回（{pay}）",
        "refund.paid_back.cash": "现金退款",
        "refund.slip_written": "退款凭证已保存：{path}",
        "file.write_failed": "无法写入文件 {path}：{detail}",
        "file.not_writable": "不是可写入的文件路径",
        "auth.pin_prompt": "{code} 的密码：",
        "staff.last_login": "上次登录",
        "staff.locked_until": "锁定至 {until}",
        "staff.off": "（已停用）",
    },
)
messages.register(
    "en",
    {
        "init.done": "Database ready: {db}",
        "init.need_both": "--manager and --manager-pin go together",
        "demo.loaded": "Demo store loaded: {db}\nDemo accounts (code role PIN):",
        "demo.exists": "The database already has data; demo not loaded: {db}",
        "doctor.ok": "All checks passed",
        "db.error": "Database error ({db}): {detail}",
        "doctor.fail": "Problems found",
        "label.balance": "Balance",
        "label.principal": "principal",
        "label.bonus": "bonus",
        "label.points": "Points",
        "label.invite_code": "Invite code",
        "member.none_found": "No member found",
        "recharge.done": "Recharged: principal {amount}, bonus {value}, points +{points}, balance {balance}",
        "spend.done": "Paid {amount} (principal {principal}, bonus {bonus}), balance {balance}",
        "refund.done": "Refunded: principal {amount} returned, bonus {value} and {points} points taken back, balance {balance}",
        "recharge.receipt_no": "Receipt no.",
        "refund.refundable": "Unspent principal {amount}",
        "refund.deduction": "Deducted {kind}: {name} -{value}",
        "refund.deductions_total": "Deducted in all -{value}",
        "refund.paid_back.original": "Paid back to the original method ({pay})",
        "refund.paid_back.cash": "Paid back in cash",
        "refund.slip_written": "Refund slip saved: {path}",
        "file.write_failed": "Cannot write {path}: {detail}",
        "file.not_writable": "not a path a new file can be written to",
        "auth.pin_prompt": "PIN for {code}: ",
        "staff.last_login": "last login",
        "staff.locked_until": "locked until {until}",
        "staff.off": "(disabled)",
    },
)
