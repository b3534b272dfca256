"""Files only their owner may read: the config file, credentials and other secrets the app writes.

:func:`write_private_file` is the one way to write such a file: its folder is made (and kept) 0700, the bytes go
to a temporary file created 0600 beside it, are flushed to disk, and the temporary file is renamed over the old
one, so a reader sees the old file or the new one, never half of either, and the file is 0600 also when it was
written before with a wider mode (a rewrite never keeps an old mode). Standard library only; no Qt, no database.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

#: the mode of a private file and of the folder that holds it
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(folder: str | os.PathLike[str]) -> Path:
    """``folder`` made if missing (with its parents) and set to 0700."""
    path = Path(folder)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def write_private_file(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically, the file 0600 and its folder 0700.

    Raises ``OSError`` when the folder cannot be made or written; the old file is then left as it was."""
    target = Path(path)
    private_dir(target.parent)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)  # an umask or a stale temporary file never widens it
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename is on disk too (best effort: not every system can)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target
