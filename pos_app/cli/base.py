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
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from pos_app import messages
from pos_app.domain import roles
from pos_app.domain.errors import AuthenticationFailed, DomainError, InvalidInput, PermissionDenied
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

    def close(self) -> None:
        """Let go of the store (its connections, then its lock) when the command is done: ``main`` may be
        called again in the same process (tests, tools), and a file system is not left busy."""
        if self._ctx is not None:
            ctx, self._ctx, self._actor = self._ctx, None, None
            ctx.db.dispose()

    def actor(self) -> Actor:
        """The staff member logged in with --staff/--pin (or POS_STAFF/POS_PIN; the PIN asked without echo on a
        terminal). With --approver (POS_APPROVER), a manager approves this one command for them: the
        manager's PIN is checked the same way (the same lockout), and the command runs as
        ``Actor.approving(manager, operator)``: the service checks the manager's role, the audit row names
        the operator as who did it and the manager as who approved it."""
        if self._actor is None:
            from pos_app.services import staff  # noqa: PLC0415
            from pos_app.services.context import Actor  # noqa: PLC0415

            code = getattr(self.args, "staff", None) or os.environ.get("POS_STAFF")
            pin = self._pin(code, getattr(self.args, "pin", None) or os.environ.get("POS_PIN"))
            if not code or not pin:
                raise AuthenticationFailed("auth.required")
            operator = staff.login(self.ctx, code, pin)
            approver = self.approver_code
            if approver:
                pin = self._pin(approver, getattr(self.args, "approver_pin", None) or os.environ.get("POS_APPROVER_PIN"))
                if not pin:
                    raise AuthenticationFailed("auth.required")
                manager = staff.login(self.ctx, approver, pin)
                if manager.role != roles.MANAGER:
                    raise PermissionDenied("auth.approver_not_manager", code=manager.code)
                operator = Actor.approving(manager, operator)
            self._actor = operator
        return self._actor

    @property
    def approver_code(self) -> str | None:
        return getattr(self.args, "approver", None) or os.environ.get("POS_APPROVER") or None

    @staticmethod
    def _pin(code: str | None, pin: str | None) -> str | None:
        """``pin``, or asked without echo when there is none and a terminal is attached (--pin shows in the
        process list)."""
        if code and not pin and sys.stdin is not None and sys.stdin.isatty():
            import getpass  # noqa: PLC0415

            try:
                return getpass.getpass(messages.translate("auth.pin_prompt", {"code": code}))
            except EOFError:
                return None
        return pin

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


def date_arg(text: str | None, message_id: str) -> date | None:
    """An ISO date option (``--since 2026-12-01``), or None when not given; ``message_id`` names the refusal."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(message_id, value=text) from None


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


