"""Atomic file writes: a temporary file beside the target, then a rename.

Pictures (``autograd.save``, ``ValueGraph.render``), model files and plots (``nn``)
are all written through :func:`atomic_write`.

A crash or an error half-way leaves the old file (or no file), never half a
new one. A new file gets the mode any program's new file gets (0o666 less the
umask, applied by the kernel); a file written over keeps its permissions. The
rename replaces the path itself: writing through a symbolic link replaces the
link with a regular file and leaves the file it pointed to as it was.

The temporary file is ``.NAME.XXXXXXXX.tmp`` beside ``NAME`` (X: 8 random hex
digits). A name too long for that within the file system's limit on names
(usually 255 bytes) is shortened in the temporary name and given a digest of
the whole name instead, ``.NAME-START~DIGEST.XXXXXXXX.tmp``, so that every
name the file system takes can be saved to.

A process killed half-way through a write (``kill -9``, a power cut) leaves its
temporary file behind. The next successful write of the same target removes
such leftovers, by this rule: the name is exactly this target's temporary name
(the pattern above, for this target and no other), it is a regular file (not a
link), it was last written more than :data:`STALE_AFTER` seconds ago, and no
process holds it open for writing -- each write holds an exclusive ``flock`` on
its temporary file until the rename, and a killed process's lock is released by
the kernel (where ``flock`` does not exist, the age alone decides). So a write
still in progress in another process is never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # Windows: the age of a leftover alone decides
    fcntl = None  # type: ignore[assignment]

# O_EXCL: never open a file someone else made under our temporary name.
_FLAGS = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)

#: A leftover temporary file of a target younger than this (seconds) is never removed.
STALE_AFTER = 10 * 60

_SUFFIX_BYTES = len(".XXXXXXXX.tmp")  # what follows the stem: a dot, 8 hex digits, .tmp
_DIGEST_CHARS = 16


def _name_max(folder: Path) -> int:
    """The longest file name, in bytes, the file system of ``folder`` takes."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, ValueError, OSError):  # no pathconf (Windows), or no answer
        return 255


def temporary_stem(name: str, name_max: int = 255) -> str:
    """What stands between the leading dot and ``.XXXXXXXX.tmp`` in ``name``'s temporary files.

    ``name`` itself when the temporary name fits in ``name_max`` bytes; otherwise
    as much of its start as fits, ``~``, and a digest of the whole name, so two
    long names that start alike still get temporary names of their own.

    >>> temporary_stem('model.json')
    'model.json'
    >>> stem = temporary_stem('x' * 250)
    >>> len(f'.{stem}.0123abcd.tmp'), stem[-17:-16]
    (255, '~')
    """
    room = name_max - 1 - _SUFFIX_BYTES  # the leading dot and the suffix
    encoded = os.fsencode(name)
    if len(encoded) <= room:
        return name
    digest = hashlib.sha256(encoded).hexdigest()[:_DIGEST_CHARS]
    start = encoded[: max(room - 1 - _DIGEST_CHARS, 0)]
    # Cut on a character boundary: drop the bytes of a character cut in half (a
    # name that is not valid in the file-system encoding keeps only its digest).
    encoding = sys.getfilesystemencoding()
    text = ""
    for end in range(len(start), max(len(start) - 4, 0) - 1, -1):
        try:
            text = start[:end].decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return f"{text}~{digest}"


def _create_temporary(path: Path) -> tuple[int, Path, str]:
    """A new, empty file in ``path``'s folder (umask applied by the kernel), and its stem."""
    stem = temporary_stem(path.name, _name_max(path.parent))
    for _ in range(100):
        tmp = path.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp, stem
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


def _lock(fd: int) -> bool:
    """Take an exclusive flock on ``fd`` without waiting; False if another holds one."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without flock: the age alone decides
        return True
    return True


def remove_stale_temporaries(path: Path, stem: str | None = None) -> list[Path]:
    """Remove the temporary files that killed writes of ``path`` left; return what was removed.

    Only files that match ``path``'s own temporary name exactly, are regular
    files, are older than :data:`STALE_AFTER` seconds and that no process is
    writing (see the module's docstring) are removed; anything else, and any
    error, is left alone.
    """
    path = Path(path)
    if stem is None:
        stem = temporary_stem(path.name, _name_max(path.parent))
    pattern = re.compile(rf"\.{re.escape(stem)}\.[0-9a-f]{{8}}\.tmp")
    removed: list[Path] = []
    cutoff = time.time() - STALE_AFTER
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or info.st_mtime > cutoff:
                continue
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(entry.path, flags)
            try:
                same = os.fstat(fd)
                if (same.st_ino, same.st_dev) == (info.st_ino, info.st_dev) and _lock(fd):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            finally:
                os.close(fd)
    return removed


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success it replaces ``path``.

    After the rename, leftovers of earlier writes of ``path`` that were killed
    half-way are removed (see the module's docstring for the rule).
    """
    path = Path(path)
    fd, tmp, stem = _create_temporary(path)
    lock = -1
    try:
        # A second descriptor holds the lock until after the rename: a cleaner in
        # another process sees this file as in use for as long as it exists.
        lock = os.dup(fd)
        _lock(lock)
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
    finally:
        if lock != -1:
            os.close(lock)
    _sync_folder(path.parent)
    remove_stale_temporaries(path, stem)
