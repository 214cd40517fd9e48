"""Smoke tests: every demo runs as `python demos/NAME.py --quick` and writes its pictures."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType

import pytest

from autograd.render import to_svg

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


# --- the README's picture ------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"


def _picture(svg: str) -> list[tuple[str, ...]]:
    """What an SVG from draw_dot says, without where the layout put it.

    One row per node and edge: its kind and name, tooltip, fills and strokes,
    and each text with its font. Coordinates are left out, so another layout
    engine (or version) drawing the same graph compares equal, while any change
    to a label, a number, a colour, a tooltip or the font does not.
    """
    rows = []
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        kind = group.get("class")
        if kind not in ("node", "edge"):
            continue
        title = group.findtext(f"{SVG}title", "")
        links = [a.get(XLINK_TITLE, "") for a in group.iter(f"{SVG}a")]
        paint = [f"{el.tag.removeprefix(SVG)} fill={el.get('fill')} stroke={el.get('stroke')}"
                 for el in group.iter() if el.tag in (f"{SVG}polygon", f"{SVG}ellipse",
                                                     f"{SVG}path", f"{SVG}polyline")]
        texts = [f"{t.text} [{t.get('font-family')} {t.get('font-size')}]"
                 for t in group.iter(f"{SVG}text")]
        rows.append((kind, title, *links, *paint, *texts))
    return sorted(rows)


def test_readme_picture_is_the_lecture_neuron_drawn_now() -> None:
    """docs/neuron.svg must be what draw_dot draws today, or the README shows a stale picture."""
    neuron = _demo("neuron")  # the demo's own drawing, so the README and the demo agree
    fresh = to_svg(neuron.draw_lecture_neuron())
    committed = (ROOT / "docs" / "neuron.svg").read_text(encoding="utf-8")
    assert _picture(fresh) == _picture(committed), (
        "docs/neuron.svg is out of date with draw_dot; regenerate it with "
        "`python demos/neuron.py --docs`"
    )


def test_picture_comparison_sees_a_changed_number() -> None:
    committed = (ROOT / "docs" / "neuron.svg").read_text(encoding="utf-8")
    assert "grad 0.5000" in committed
    assert _picture(committed.replace("grad 0.5000", "grad 0.2500", 1)) != _picture(committed)
    moved = re.sub(r'x="([0-9.]+)"', lambda m: f'x="{float(m.group(1)) + 3:.2f}"', committed)
    assert moved != committed and _picture(moved) == _picture(committed)


# --- XOR learns from most seeds, not from one picked seed -----------------------------------

def _demo(name: str) -> ModuleType:
    """demos/NAME.py as a module; the demos folder stays on sys.path for worker processes."""
    if str(ROOT / "demos") not in sys.path:
        sys.path.insert(0, str(ROOT / "demos"))
    return importlib.import_module(name)


def test_xor_starts_with_no_dead_hidden_unit() -> None:
    """The mechanism: a positive hidden bias leaves no unit inactive on all four inputs."""
    xor = _demo("xor")
    X, _ = xor.nn.data.make_xor()
    seeds = range(200)
    assert [xor.dead_units(xor.make_model(s), X) for s in seeds] == [0] * len(seeds)
    # The control: the same weights with zero biases leave a dead unit in most seeds
    # (a unit dies when both its weights are negative: 1 - (3/4)**4 = 68% of seeds).
    zero_bias = []
    for s in seeds:
        model = xor.make_model(s)
        for p in model.parameters():
            if p.label == "b" and p.scope.startswith("layers.0."):
                p.data = 0.0
        zero_bias.append(xor.dead_units(model, X))
    assert sum(d > 0 for d in zero_bias) > len(seeds) / 2


def test_xor_learns_from_most_seeds() -> None:
    """The demo's recipe learns XOR from 27 of seeds 0-29 (174 of 0-199); zero biases: 18."""
    xor = _demo("xor")
    seeds = list(range(30))
    with ProcessPoolExecutor(max_workers=min(len(seeds), os.cpu_count() or 1)) as pool:
        learned = dict(zip(seeds, pool.map(xor.learns, seeds)))
    assert learned[xor.SEED], f"the demo's own seed {xor.SEED} does not learn XOR"
    failed = [s for s, ok in learned.items() if not ok]
    # At least 26 of 30: one seed of slack over the measured 27 (a different libm's exp
    # may flip a borderline seed), far above zero biases (18) or the article's init (11).
    assert len(failed) <= 4, f"XOR not learned from seeds {failed}"
