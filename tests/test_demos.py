"""Smoke tests: every demo runs as `python demos/NAME.py --quick` and writes its pictures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMOS = sorted(p.stem for p in (ROOT / "demos").glob("*.py") if not p.stem.startswith("_"))

# What each demo must print and write (beyond exiting 0).
EXPECTED = {
    "moons": ("final accuracy", ["decision_boundary.svg", "loss.svg", "model_graph.svg"]),
    "neuron": ("w1.grad = 1", ["tanh_neuron.svg", "trace_graph_relu.svg",
                               "trace_graph_neuron.svg"]),
    "backprop_by_hand": ("largest difference", []),
    "xor": ("predictions [0, 1, 1, 0]", ["loss.svg", "decision_boundary.svg"]),
    "vanishing_gradients": ("last layer / first layer", ["grad_per_layer.svg", "sigmoid_heat.svg"]),
    "optimizers": ("Adam", ["loss_curves.svg"]),
    "gradient_check": ("largest relative error", ["result.txt"]),
    "linear_regression": ("fitted y =", ["loss.svg"]),
}


def test_every_demo_has_expectations() -> None:
    assert sorted(EXPECTED) == DEMOS


@pytest.mark.parametrize("name", DEMOS)
def test_demo_runs_quick(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / f"{name}.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    text, files = EXPECTED[name]
    assert text in result.stdout
    for file in files:
        path = tmp_path / file
        assert path.is_file() and path.stat().st_size > 0, f"{name} did not write {file}"
        if file.endswith(".svg"):
            assert "<svg" in path.read_text(encoding="utf-8")[:2000]
