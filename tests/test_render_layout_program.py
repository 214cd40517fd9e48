"""Finding and running the layout engine: the lookup order, a machine with no engine at all,
an engine that fails or hangs, and the notebook display falling back to text."""

from __future__ import annotations

import os
import sys
import sysconfig
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import GraphvizEngineError, GraphvizEngineNotFound, Value, draw_dot, save, to_svg
from autograd.render import ENV_VAR, find_engine, run_engine
from autograd.render.layout_program import interpreter_script_dirs

PYTHON = sys.executable  # before a fixture points sys.executable elsewhere

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake engines are POSIX scripts")

# A stand-in engine: records its arguments, then behaves as FAKE_MODE says.
FAKE = """#!{python}
import sys, time
mode = {mode!r}
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
source = sys.stdin.read()
if mode == "fail":
    sys.stderr.write("Error: <stdin>: syntax error in line 1 near 'oops'\\n")
    sys.exit(2)
if mode == "hang":
    time.sleep(30)
if mode == "empty":  # exits 0 having written nothing
    sys.exit(0)
if mode == "spawn":  # a wrapper whose own child does the work
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    with open({log!r} + ".pid", "w") as f:
        f.write(str(child.pid))
    child.wait()
sys.stdout.write('<svg xmlns="http://www.w3.org/2000/svg"><title>{name}</title></svg>')
"""


def make_engine(folder: Path, name: str, mode: str = "ok") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    log = folder / f"{name}.log"
    path.write_text(FAKE.format(python=PYTHON, mode=mode, log=str(log), name=name))
    path.chmod(0o755)
    return path


def calls(engine: Path) -> list[str]:
    log = engine.parent / f"{engine.name}.log"
    return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def bare_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No engine anywhere: empty PATH, an interpreter folder without graphviz-pure, no override."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    interpreter = tmp_path / "venv" / "bin"
    interpreter.mkdir(parents=True)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(sys, "executable", str(interpreter / "python"))
    real_get_path = sysconfig.get_path
    monkeypatch.setattr(
        sysconfig, "get_path",
        lambda name, *a, **k: str(interpreter) if name == "scripts" else real_get_path(name, *a,
                                                                                       **k),
    )
    return tmp_path


def lecture() -> Value:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    L = a * b + 1
    L.label = "L"
    L.backward()
    return L


# --- no engine at all ---------------------------------------------------------------------------


def test_no_engine_error_lists_what_was_tried_and_keeps_the_source(bare_machine: Path) -> None:
    L = lecture()
    g = draw_dot(L)
    with pytest.raises(GraphvizEngineNotFound) as info:
        g.pipe()
    error = info.value
    assert isinstance(error, RuntimeError)
    assert error.source == g.source and "data 2.0000" in error.source
    tried = "\n".join(error.tried)
    assert "graphviz-pure in the interpreter's scripts folder" in tried
    assert "graphviz-pure on PATH" in tried and "dot (system Graphviz) on PATH" in tried
    message = str(error)
    assert "pip install graphviz-pure" in message and ENV_VAR in message
    with pytest.raises(GraphvizEngineNotFound):
        to_svg(L)
    with pytest.raises(GraphvizEngineNotFound):
        save(L, bare_machine / "g.svg")
    with pytest.raises(GraphvizEngineNotFound):
        g.render(outfile=bare_machine / "g.png")
    # the DOT source needs no engine
    assert save(L, bare_machine / "g.dot").read_text(encoding="utf-8") == g.source


def test_notebook_display_falls_back_to_text_with_a_hint(bare_machine: Path) -> None:
    L = lecture()
    bundle = draw_dot(L)._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    text = str(bundle["text/plain"])
    lines = text.splitlines()
    assert lines[0].split() == ["#", "label", "op", "inputs", "data", "grad"]
    assert any(line.split()[:2] == ["0", "a"] for line in lines)
    assert "pip install graphviz-pure" in lines[-1] and lines[-1].startswith("(")
    assert draw_dot(L)._repr_mimebundle_(include=["image/png"]).keys() == {"text/plain"}


def test_notebook_display_never_raises_when_the_engine_fails(
    bare_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(bare_machine / "tools", "broken-dot", mode="fail")
    bundle = draw_dot(lecture(), executable=str(engine))._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    hint = str(bundle["text/plain"]).splitlines()[-1]
    assert "GraphvizEngineError" in hint and "exit status 2" in hint


# --- the lookup order -----------------------------------------------------------------------------


def test_lookup_order(bare_machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = bare_machine / "venv" / "bin"
    on_path = bare_machine / "empty-bin"
    system = make_engine(on_path, "dot")
    assert find_engine().path == str(system)
    pure_on_path = make_engine(on_path, "graphviz-pure")
    assert find_engine().path == str(pure_on_path)
    pure_here = make_engine(scripts, "graphviz-pure")
    found = find_engine()
    assert found.path == str(pure_here) and found.origin == "the interpreter's scripts folder"
    env = make_engine(bare_machine / "elsewhere", "my-dot")
    monkeypatch.setenv(ENV_VAR, str(env))
    assert find_engine().path == str(env)
    explicit = make_engine(bare_machine / "explicit", "their-dot")
    assert find_engine(str(explicit)).path == str(explicit)
    # a command name is looked for where the default lookup looks: scripts folder, then PATH
    assert find_engine("graphviz-pure").path == str(pure_here)
    assert find_engine("dot").path == str(system)
    monkeypatch.setenv(ENV_VAR, "graphviz-pure")
    found = find_engine()
    assert found.path == str(pure_here) and found.origin == f"{ENV_VAR} environment variable"


def test_an_override_that_does_not_exist_is_an_error_not_a_fallback(
    bare_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_engine(bare_machine / "empty-bin", "graphviz-pure")
    monkeypatch.setenv(ENV_VAR, str(bare_machine / "nowhere" / "dot"))
    with pytest.raises(GraphvizEngineNotFound, match=ENV_VAR) as info:
        find_engine()
    assert len(info.value.tried) == 1
    with pytest.raises(GraphvizEngineNotFound, match="executable= argument"):
        run_engine("digraph {}", executable="no-such-engine-anywhere")


def test_the_engine_gets_dot_command_line_and_the_graph_uses_it(bare_machine: Path) -> None:
    engine = make_engine(bare_machine / "empty-bin", "graphviz-pure")
    g = draw_dot(lecture())
    svg = g.pipe(format="svg", encoding="utf-8")
    title = ET.fromstring(svg).find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text == "graphviz-pure"
    g.pipe(format="png", engine="neato")
    assert calls(engine) == ["-Kdot -Tsvg", "-Kneato -Tpng"]


def test_an_engine_that_cannot_start_is_skipped(bare_machine: Path) -> None:
    broken = bare_machine / "venv" / "bin" / "graphviz-pure"
    broken.write_bytes(b"\x00\x01not a program")
    broken.chmod(0o755)
    system = make_engine(bare_machine / "empty-bin", "dot")
    assert run_engine("digraph { a }").startswith(b"<svg")
    assert calls(system) == ["-Kdot -Tsvg"]
    system.unlink()
    with pytest.raises(GraphvizEngineNotFound, match="could not be started"):
        run_engine("digraph { a }")


# --- failures -----------------------------------------------------------------------------------


def test_a_failed_layout_leaves_the_old_picture_and_no_temporary_file(
    bare_machine: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pictures"
    good = make_engine(bare_machine / "tools", "dot", mode="ok")
    first = save(lecture(), out / "lecture.svg", executable=str(good))  # the folder is made
    before = first.read_bytes()
    assert b"<title>dot</title>" in before
    broken = make_engine(bare_machine / "tools", "broken-dot", mode="fail")
    with pytest.raises(GraphvizEngineError):
        save(lecture(), first, executable=str(broken))
    with pytest.raises(GraphvizEngineError):
        draw_dot(lecture(), executable=str(broken)).render(outfile=first)
    assert first.read_bytes() == before
    # A disk error while writing leaves the old picture too: pictures are written atomically.
    import autograd.atomic_files

    def disk_error(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(autograd.atomic_files.os, "fsync", disk_error)
        with pytest.raises(OSError, match="No space"):
            save(draw_dot(Value(1.0, label="new"), executable=str(good)), first)
    assert first.read_bytes() == before
    # render(outfile=...) wrote no DOT source beside the picture; nothing else either.
    assert sorted(p.name for p in out.iterdir()) == ["lecture.svg"]


def test_engine_errors_carry_its_error_output(bare_machine: Path) -> None:
    engine = make_engine(bare_machine / "tools", "dot", mode="fail")
    with pytest.raises(GraphvizEngineError) as info:
        to_svg(lecture(), executable=str(engine))
    error = info.value
    assert error.returncode == 2 and "syntax error in line 1" in error.stderr
    assert "syntax error in line 1" in str(error) and "exit status 2" in str(error)
    assert error.command[0] == str(engine) and "digraph" in error.source


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_timeout_stops_what_the_engine_started(bare_machine: Path) -> None:
    engine = make_engine(bare_machine / "tools", "wrapper-dot", mode="spawn")
    with pytest.raises(GraphvizEngineError, match=r"within 0\.5 s"):
        run_engine("digraph { a }", executable=str(engine), timeout=0.5)
    pid = int(Path(f"{engine}.log.pid").read_text())
    for _ in range(100):  # the kill is sent before run_engine returns; let it land
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid), "the engine's own child was left running"


def test_notebook_display_gives_up_sooner_than_a_pipe(
    bare_machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograd.render import layout_program, value_graph

    engine = make_engine(bare_machine / "tools", "dot", mode="hang")
    monkeypatch.setattr(value_graph, "DISPLAY_TIMEOUT", 0.5)
    bundle = draw_dot(lecture(), executable=str(engine))._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "within 0.5 s" in str(bundle["text/plain"]).splitlines()[-1]
    assert value_graph.DISPLAY_TIMEOUT < layout_program.DEFAULT_TIMEOUT


def test_a_hanging_engine_is_stopped(bare_machine: Path) -> None:
    engine = make_engine(bare_machine / "tools", "dot", mode="hang")
    g = draw_dot(lecture(), executable=str(engine), timeout=0.5)
    with pytest.raises(GraphvizEngineError, match=r"within 0\.5 s") as info:
        g.pipe()
    assert info.value.returncode is None
    with pytest.raises(ValueError, match="timeout"):
        run_engine("digraph {}", timeout=0)


# --- the real engine ------------------------------------------------------------------------------


def test_graphviz_pure_is_found_without_activating_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pip installs graphviz-pure next to the interpreter: found even with an empty PATH."""
    if not any((Path(d) / "graphviz-pure").exists() for d in interpreter_script_dirs()):
        pytest.skip("graphviz-pure is not installed next to this interpreter")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    engine = find_engine()
    assert Path(engine.path).name == "graphviz-pure"
    assert engine.origin == "the interpreter's scripts folder"
    svg = to_svg(lecture())
    assert "graphviz-pure" in svg and ET.fromstring(svg).tag.endswith("svg")


def test_real_engine_syntax_errors_are_reported() -> None:
    with pytest.raises(GraphvizEngineError) as info:
        run_engine("digraph { a -> }")
    assert info.value.returncode not in (0, None) and info.value.stderr


# --- a layout program that succeeds with nothing to show -------------------------------------


def test_empty_output_is_an_error_and_leaves_the_file_alone(
    bare_machine: Path, tmp_path: Path
) -> None:
    """Exit status 0 with no output used to replace a good SVG with an empty file."""
    engine = make_engine(bare_machine / "tools", "dot", mode="empty")
    good = tmp_path / "graph.svg"
    save(lecture(), good, executable=str(make_engine(bare_machine / "ok", "dot")))
    before = good.read_bytes()
    assert before.startswith(b"<svg")
    with pytest.raises(GraphvizEngineError, match="no svg output") as info:
        save(lecture(), good, executable=str(engine))
    assert info.value.returncode == 0
    assert good.read_bytes() == before
    g = draw_dot(lecture(), executable=str(engine))
    with pytest.raises(GraphvizEngineError, match="wrote no png output"):
        g.render(outfile=tmp_path / "out.png")
    assert not (tmp_path / "out.png").exists()
    with pytest.raises(GraphvizEngineError):
        run_engine("digraph { a }", executable=str(engine))


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1, 0])
def test_timeouts_that_are_no_number_of_seconds_are_refused(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        run_engine("digraph { a }", timeout=timeout)
    with pytest.raises(ValueError, match="timeout"):
        draw_dot(lecture(), timeout=timeout)


@pytest.mark.parametrize("timeout", ["5", True, [5]])
def test_timeouts_of_the_wrong_type_are_refused(timeout: object) -> None:
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        run_engine("digraph { a }", timeout=timeout)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        draw_dot(lecture(), timeout=timeout)
