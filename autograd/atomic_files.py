"""Atomic file writes: a temporary file beside the target, then a rename.

Pictures (``autograd.save``, ``ValueGraph.render``), model files and plots (``nn``)
are all written through :func:`atomic_write`.

A crash or an error half-way leaves the old file (or no file), never half a
new one. A new file gets the mode any program's new file gets (0o666 less the
umask, applied by the kernel); a file written over keeps its permissions. The
rename replaces the path itself: writing through a symbolic link replaces the
link with a regular file and leaves the file it pointed to as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# O_EXCL: never open a file someone else made under our temporary name.
_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file in ``path``'s folder, with the umask applied by the kernel."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")


def _keep_mode(fd: int, tmp: Path, path: Path) -> None:
    """Give the temporary file the permissions of the file it will replace, if there is one."""
    try:
        # Through a link to the file it names: a link's own mode means nothing.
        mode = stat.S_IMODE(os.stat(path).st_mode) & 0o777  # never copy setuid/setgid bits
    except (FileNotFoundError, NotADirectoryError):
        return
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows keeps only the read-only flag
        os.chmod(tmp, mode)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the system allows opening a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``."""
    path = Path(path)
    fd, tmp = _create_temporary(path)
    try:
        _keep_mode(fd, tmp, path)
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as f:
            fd = -1  # the file object owns it now
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd != -1:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(path.parent)
