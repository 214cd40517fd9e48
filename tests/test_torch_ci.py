"""PyTorch in CI: every test that needs it is marked ``torch``, and a skipped one fails.

The README's test command installs no PyTorch, so there a torch test skips; CI's deeper
stage installs it and runs ``pytest -m "deep or browser or torch"`` with
CHAINRULE_NO_SKIP=1. A test that needs PyTorch but is not marked would be skipped in the
first and not selected in the second: it would never run. These tests keep that from
happening, and check that a skip does fail the deeper stage.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# --- every test that needs PyTorch is marked, so CI's deeper stage runs it ---------------------


def _needs_torch(tree: ast.Module) -> set[str]:
    """Names of the functions in a test module that import torch (importorskip), and of the
    functions that use one of those (as a fixture argument or by calling it), transitively."""
    functions = {node.name: node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    used = {name: {a.arg for a in node.args.args}
            | {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for name, node in functions.items()}

    def imports_torch(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "importorskip"
                   and n.args and isinstance(n.args[0], ast.Constant)
                   and n.args[0].value == "torch" for n in ast.walk(node))

    needs = {name for name, node in functions.items() if imports_torch(node)}
    while True:
        more = set()
        for name in functions:
            if name not in needs and used[name] & needs:
                more.add(name)
        if not more:
            return needs
        needs |= more


def _marked_torch(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("mark.torch" in ast.unparse(d) for d in node.decorator_list)


def unmarked_torch_tests(source: str) -> list[str]:
    if 'importorskip("torch")' not in source:
        return []
    tree = ast.parse(source)
    if any(isinstance(n, ast.Assign) and "pytestmark" in ast.unparse(n.targets[0])
           and "torch" in ast.unparse(n.value) for n in tree.body):
        return []
    needs = _needs_torch(tree)
    return [node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_") and node.name in needs and not _marked_torch(node)
            and "marks=pytest.mark.torch" not in ast.unparse(node)]


def test_every_test_that_needs_torch_is_marked_torch() -> None:
    """An unmarked one is skipped by the README's test run (no torch there) and not selected
    by the deeper stage's -m "deep or browser or torch": it would never run in CI."""
    unmarked = {path.name: found for path in sorted((ROOT / "tests").glob("test_*.py"))
                if (found := unmarked_torch_tests(path.read_text(encoding="utf-8")))}
    assert not unmarked, f"tests that need PyTorch without @pytest.mark.torch: {unmarked}"


def test_the_marker_check_sees_an_unmarked_torch_test() -> None:
    source = '''
import pytest

@pytest.fixture
def torch():
    return pytest.importorskip("torch")

def make_torch():
    return pytest.importorskip("torch")

@pytest.mark.torch
def test_marked(torch):
    pass

def test_fixture(torch):
    pass

def test_via_function():
    make_torch()

def test_direct():
    pytest.importorskip("torch")

def test_plain():
    pass
'''
    assert sorted(unmarked_torch_tests(source)) == [
        "test_direct", "test_fixture", "test_via_function"]


@pytest.mark.deep  # two pytest runs in subprocesses
def test_a_skipped_torch_test_fails_the_deeper_stage(tmp_path: Path) -> None:
    """CHAINRULE_NO_SKIP=1 (set by .ci/run's deeper stage) turns a skip into a failed run,
    also when the skip happens in a pytest-xdist worker."""
    hidden = tmp_path / "torch"  # as if PyTorch were not installed, in every process
    hidden.mkdir()
    (hidden / "__init__.py").write_text(
        "raise ModuleNotFoundError('PyTorch hidden by the test', name='torch')\n")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
               "-m", "torch", "tests/test_nn_losses.py::test_regression_losses_match_pytorch"]
    results = {}
    for no_skip in ("1", ""):
        env = {**os.environ, "CHAINRULE_NO_SKIP": no_skip,
               "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
        results[no_skip] = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                          cwd=ROOT, env=env)
    assert "1 skipped" in results["1"].stdout
    assert results["1"].returncode == 1, results["1"].stdout[-2000:]
    assert "CHAINRULE_NO_SKIP=1: 1 test(s) skipped, which fails this run" in results["1"].stdout
    assert results[""].returncode == 0, results[""].stdout[-2000:]  # the control
