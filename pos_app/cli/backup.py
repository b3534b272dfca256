"""`pos-app backup` and `pos-app restore`.

    backup [--out FILE]     a checked copy of the store into the backup folder (keeping the last
                            backup_keep) or to FILE (manager)
    restore FILE            replace the store with a backup (manager; refused while the counter app has the
                            store open): the backup is checked and migrated first, the current store is
                            kept aside as store.db.before-restore-<time>
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from pos_app import messages


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params)


def cmd_backup(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.services import backup  # noqa: PLC0415

    res = backup.backup_now(cli.ctx, cli.actor(), out=a.out)

    def human() -> str:
        lines = [_t("backup.done", path=res.path, size_bytes=res.size_bytes)]
        if res.pruned:
            lines.append(_t("backup.done_pruned", count=len(res.pruned), keep=res.keep))
        return "\n".join(lines)

    return int(cli.emit(backup.describe(res), human))


def cmd_restore(cli: Any, a: argparse.Namespace) -> int:
    from pos_app.app import StorePathInvalid  # noqa: PLC0415
    from pos_app.db.sqlitefile import sqlite_path  # noqa: PLC0415
    from pos_app.services import backup  # noqa: PLC0415

    path = sqlite_path(cli.db_path)
    if path is None:
        raise StorePathInvalid(db=cli.db_path)

    def login(ctx: Any) -> Any:
        # the person restoring logs in (--staff/--pin or POS_STAFF/POS_PIN, as every command) to the store
        # restore gives (the current one, or the backup when the current one cannot be read)
        return type(cli)(cli.args, ctx).actor()

    res = backup.restore(path, a.file, login=login)

    def human() -> str:
        lines = [_t("restore.done", db=res.db, restored_from=res.restored_from)]
        if res.kept_aside:
            lines.append(_t("restore.kept_aside", path=res.kept_aside))
        return "\n".join(lines)

    return int(cli.emit(backup.describe(res), human))


def register(sub: Any, common: argparse.ArgumentParser, add: Callable[..., argparse.ArgumentParser]) -> None:
    sp = add("backup", cmd_backup, "back up the store now (manager)")
    sp.add_argument("--out", help="write the backup to this file instead of the backup folder")
    sp = add("restore", cmd_restore, "replace the store with a backup file (manager; the app must be closed)")
    sp.add_argument("file", help="the backup file")
