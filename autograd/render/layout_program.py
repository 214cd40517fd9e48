"""Finding and running the layout program: Graphviz's ``dot``, or a program with its
command line (graphviz-pure). Not to be confused with the autodiff engine
(:mod:`autograd.engine`): this module only turns DOT text into pictures.

A fresh machine has no system Graphviz, so the engine is looked for in this
order, and the first one found is used:

1. an explicit override: the ``executable=`` argument, else the
   ``CHAINRULE_DOT`` environment variable (a path, or a command name looked
   for in the interpreter's scripts folders, then on ``PATH``);
2. ``graphviz-pure`` (a pip-installable engine, a dependency of chainrule) in
   the running interpreter's scripts folders (so a virtual environment works
   without being activated, and so does ``pip install --user``), then on
   ``PATH``;
3. the system's ``dot``.

An override that cannot be found is an error, not a reason to fall back: if
you name an engine you get that engine.

>>> source = 'digraph { a -> b }'
>>> svg = run_engine(source, 'svg').decode()
>>> svg.lstrip().startswith('<?xml')
True
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass

from .options import check_timeout

#: Environment variable naming the engine to use (a path or a command name).
ENV_VAR = "CHAINRULE_DOT"

#: Seconds a layout may take before it is stopped (``timeout=`` overrides it).
DEFAULT_TIMEOUT = 60.0

PURE = "graphviz-pure"
SYSTEM = "dot"

INSTALL_HINT = (
    "Install the pure engine with `pip install graphviz-pure` (it comes with chainrule, so "
    "reinstalling chainrule also works), or install Graphviz (https://graphviz.org/download/), "
    f"or point {ENV_VAR} at a program with dot's command line."
)


class GraphvizEngineNotFound(RuntimeError):
    """No layout engine could be found or started.

    ``tried`` lists each place looked in and what was wrong with it; ``source``
    is the DOT text that could not be rendered, so nothing is lost: save it and
    render it elsewhere (for example with an online Graphviz viewer).
    """

    def __init__(self, tried: Sequence[str], source: str) -> None:
        self.tried = list(tried)
        self.source = source
        lines = "\n".join(f"  - {t}" for t in self.tried)
        super().__init__(
            f"no Graphviz layout engine could be found and started; tried:\n{lines}\n"
            f"{INSTALL_HINT} The DOT source is in this error's .source attribute "
            f"({len(source)} characters)."
        )


class GraphvizEngineError(RuntimeError):
    """The layout engine ran but failed (non-zero exit status) or ran out of time.

    ``stderr`` holds what the engine wrote to its error stream, ``returncode``
    its exit status (``None`` after a timeout), ``command`` the command line
    and ``source`` the DOT text it was given.
    """

    def __init__(
        self, message: str, *, command: Sequence[str], source: str, stderr: str = "",
        returncode: int | None = None,
    ) -> None:
        self.command = list(command)
        self.source = source
        self.stderr = stderr
        self.returncode = returncode
        super().__init__(message)


@dataclass(frozen=True)
class LayoutProgram:
    """A layout program found on this machine: its ``path`` and where it was found (``origin``)."""

    path: str
    origin: str

    def command(
        self, format: str, layout: str = "dot", extra: Sequence[str] = ()
    ) -> list[str]:
        """The command line that reads DOT on stdin and writes ``format`` on stdout."""
        return [self.path, f"-K{layout}", f"-T{format}", *extra]


def _exe_name(name: str) -> str:
    return name + ".exe" if os.name == "nt" and not name.lower().endswith(".exe") else name


def interpreter_script_dirs() -> list[str]:
    """The folders where pip puts console scripts for the running interpreter (no duplicates):
    next to the interpreter, the environment's scripts folder, and the user scheme's
    (``pip install --user``), which is often not on ``PATH``."""
    candidates = [os.path.dirname(sys.executable or ""), sysconfig.get_path("scripts")]
    try:
        candidates.append(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))
    except (KeyError, ValueError):  # no user scheme on this platform
        pass
    dirs: list[str] = []
    for folder in candidates:
        if folder and os.path.isdir(folder):
            real = os.path.normcase(os.path.realpath(folder))
            if all(os.path.normcase(os.path.realpath(d)) != real for d in dirs):
                dirs.append(folder)
    return dirs


def _is_program(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _resolve(name: str) -> str | None:
    """A path or a command name -> the executable's path, or None.

    A bare command name is looked for in the interpreter's scripts folders
    before ``PATH``, as the default lookup does, so ``CHAINRULE_DOT=graphviz-pure``
    finds the same program in an environment that is not activated.
    """
    if os.path.dirname(name):
        return name if _is_program(name) else None
    for folder in interpreter_script_dirs():
        candidate = os.path.join(folder, _exe_name(name))
        if _is_program(candidate):
            return candidate
    return shutil.which(name)


def _override(executable: str | None) -> tuple[str, str] | None:
    if executable is not None:
        return executable, "executable= argument"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env, f"{ENV_VAR} environment variable"
    return None


def find_engines(executable: str | None = None) -> tuple[list[LayoutProgram], list[str]]:
    """Every engine found, best first, and a note for each place looked in.

    With an override (``executable=`` or ``CHAINRULE_DOT``) only that one is
    considered.
    """
    found: list[LayoutProgram] = []
    tried: list[str] = []
    override = _override(executable)
    if override is not None:
        name, origin = override
        path = _resolve(name)
        if path is None:
            tried.append(f"{name!r} from the {origin}: not an executable file, nor a command in "
                         f"the interpreter's scripts folders or on PATH")
        else:
            found.append(LayoutProgram(path, origin))
        return found, tried
    seen: set[str] = set()

    def add(path: str | None, origin: str, missing: str) -> None:
        if path is None:
            tried.append(missing)
            return
        key = os.path.normcase(os.path.realpath(path))
        if key not in seen:
            seen.add(key)
            found.append(LayoutProgram(path, origin))

    for folder in interpreter_script_dirs():
        candidate = os.path.join(folder, _exe_name(PURE))
        add(candidate if _is_program(candidate) else None, "the interpreter's scripts folder",
            f"{PURE} in the interpreter's scripts folder {folder}: not there")
    add(shutil.which(PURE), "PATH", f"{PURE} on PATH: not found")
    add(shutil.which(SYSTEM), "PATH (system Graphviz)", f"{SYSTEM} (system Graphviz) on PATH: "
        "not found")
    return found, tried


def find_engine(executable: str | None = None, source: str = "") -> LayoutProgram:
    """The engine that :func:`run_engine` would use; :class:`GraphvizEngineNotFound` if none."""
    found, tried = find_engines(executable)
    if not found:
        raise GraphvizEngineNotFound(tried, source)
    return found[0]


def run_engine(
    source: str,
    format: str = "svg",
    *,
    layout: str = "dot",
    executable: str | None = None,
    timeout: float | None = None,
    extra_args: Sequence[str] = (),
    encoding: str = "utf-8",
    quiet: bool = True,
) -> bytes:
    """Lay out the DOT ``source`` and return the output in ``format`` ('svg', 'png', ...).

    ``layout`` is the Graphviz layout algorithm (``-K``: 'dot', 'neato', ...);
    ``executable`` overrides the engine lookup. An engine that cannot be
    started (a broken install) is skipped for the next one found.

    Raises :class:`GraphvizEngineNotFound` when no engine can be started, and
    :class:`GraphvizEngineError` when the engine fails or takes more than
    ``timeout`` seconds (default :data:`DEFAULT_TIMEOUT`); the error carries
    the engine's stderr. With ``quiet=False`` the warnings a successful run
    writes to stderr are passed on to ``sys.stderr``.
    """
    timeout = DEFAULT_TIMEOUT if timeout is None else check_timeout(timeout)
    found, tried = find_engines(executable)
    data = source.encode(encoding)
    for engine in found:
        cmd = engine.command(format, layout, extra_args)
        try:
            returncode, stdout, raw_stderr = _run(cmd, data, timeout)
        except subprocess.TimeoutExpired as exc:
            stderr = _text(exc.stderr)
            raise GraphvizEngineError(
                f"{engine.path} did not finish within {timeout:g} s and was stopped. A graph this "
                f"big takes too long to lay out: collapse modules (collapse=1), draw a smaller "
                f"part, or pass a larger timeout=." + (f"\nIts error output:\n{stderr}" if stderr
                                                       else ""),
                command=cmd, source=source, stderr=stderr,
            ) from None
        except OSError as exc:
            tried.append(f"{engine.path} (from the {engine.origin}): could not be started: {exc}")
            continue
        if returncode != 0:
            stderr = _text(raw_stderr)
            raise GraphvizEngineError(
                f"{engine.path} failed with exit status {returncode} on "
                f"`{' '.join(cmd[1:])}`:\n{stderr or '(no error output)'}",
                command=cmd, source=source, stderr=stderr, returncode=returncode,
            )
        if not stdout.strip():
            stderr = _text(raw_stderr)
            raise GraphvizEngineError(
                f"{engine.path} exited with status 0 but wrote no {format} output on "
                f"`{' '.join(cmd[1:])}`; the layout program is broken or is not a Graphviz "
                f"program (set {ENV_VAR} or executable= to one that is)."
                + (f"\nIts error output:\n{stderr}" if stderr else ""),
                command=cmd, source=source, stderr=stderr, returncode=0,
            )
        if not quiet and raw_stderr:
            sys.stderr.write(_text(raw_stderr) + "\n")
        return stdout
    raise GraphvizEngineNotFound(tried, source)


def _run(cmd: list[str], data: bytes, timeout: float) -> tuple[int, bytes, bytes]:
    """Run ``cmd`` with ``data`` on stdin: its exit status, stdout and stderr.

    On POSIX the engine gets a process group of its own, so a timeout (or a
    Ctrl-C) stops everything it started, not just the program named: a wrapper
    script's layout process would otherwise run on, and keep the output pipe
    open. Windows has no process groups to kill this way; there only the
    program itself is stopped.
    """
    posix = os.name == "posix"
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=posix,
    )
    try:
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except BaseException as exc:
        _stop(proc, posix)
        if not isinstance(exc, subprocess.TimeoutExpired):
            proc.wait()
            raise
        try:  # what it wrote before it was stopped, if the pipes close
            _, stderr = proc.communicate(timeout=2.0)
        except subprocess.TimeoutExpired:
            stderr = b""
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        proc.wait()
        raise subprocess.TimeoutExpired(cmd, timeout, stderr=stderr) from None
    return proc.returncode, stdout, stderr


def _stop(proc: subprocess.Popen[bytes], posix: bool) -> None:
    if posix:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            pass  # the group is gone (or was never ours): stop the program itself
    proc.kill()


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    return raw.strip()
