"""The README's code blocks run, so they cannot rot.

A ```python block that starts with ``>>>`` is checked as a doctest (outputs must
match); any other ```python block is executed as a script. All blocks run in
order in one namespace, in a scratch folder.
Blocks marked ```python skip-test are shown but not run (none should need it
without a good reason written next to them). The two set-up commands must match
what CI runs.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```(python[^\n]*)\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[int, str, str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        info, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        found.append((line, info, body))
    return found


BLOCKS = _blocks()


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


def test_readme_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """All blocks share one namespace, like one REPL session read top to bottom."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    for line, info, body in BLOCKS:
        if "skip-test" in info:
            continue
        if body.lstrip().startswith(">>>"):
            test = parser.get_doctest(body, namespace, f"README.md:{line}", str(README), line)
            runner = doctest.DocTestRunner(optionflags=flags)
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy of the namespace
            assert runner.failures == 0, f"README.md block at line {line} has failing examples"
        else:
            before = set(namespace)
            exec(compile(body, f"README.md:{line}", "exec"), namespace)
            # A block that defines pytest tests (the recipe) has them run here too.
            for name in sorted(set(namespace) - before):
                if name.startswith("test_") and callable(namespace[name]):
                    namespace[name]()  # type: ignore[operator]


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv \.venv && .*$", readme, re.M)
    test_commands = [c for c in commands if "pytest" in c]
    demo_commands = [c for c in commands if "demos/moons.py" in c]
    assert len(test_commands) == 1 and len(demo_commands) == 1, commands
    # .ci/run takes the command from the README by this very pattern.
    assert "grep -m1 -E '^python3 -m venv \\.venv && .*pytest' README.md" in ci
