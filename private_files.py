"""Files and folders only their owner can read, whatever the process umask.

The database holds password hashes, client addresses and post text; reports, exports and
predictions hold flagged posts. Cohesion creates all of them with these helpers: files
0600, folders 0700. A mode given to open() or mkdir() is masked by the umask, so each is
set again with chmod once created. Folders that existed before are left as they were
(they may be the user's own, like the current directory).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 folders; return it."""
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        folder.chmod(DIR_MODE)
    return path


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """open() for writing a file that is 0600 from the first byte, even if it existed."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, data: str | bytes) -> None:
    if isinstance(data, bytes):
        with open_private(path, "wb") as handle:
            handle.write(data)
    else:
        with open_private(path, "w", encoding="utf-8") as handle:
            handle.write(data)


def create_private(path: Path) -> None:
    """Create an empty 0600 file unless one exists (an empty file is a valid SQLite
    database, so SQLite then opens it, and gives its -wal and -shm files its mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.fchmod(fd, FILE_MODE)
    os.close(fd)


def readable_by_others(path: Path) -> bool:
    """True when users other than the owner may read `path` (group or world bits)."""
    return bool(Path(path).stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))
