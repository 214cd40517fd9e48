"""Smoke tests: every demo runs as `python demos/NAME.py --quick` and writes its pictures."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

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
    sys.path.insert(0, str(ROOT / "demos"))
    try:
        import neuron  # the demo's own drawing, so the README and the demo cannot differ
    finally:
        sys.path.remove(str(ROOT / "demos"))
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
