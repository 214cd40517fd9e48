"""Every demo runs as `python demos/NAME.py --quick`, holds to its claims and writes its pictures.

A demo checks its own claims and exits with status 1 when one fails; the smoke
test also reads the key numbers from its output and checks them again, so a demo
that stopped checking would still be caught. Further down: the README's picture
is what draw_dot draws today, and the XOR recipe learns from most seeds.
"""

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

NUMBER = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


def _number(pattern: str, out: str) -> float:
    """The number the demo printed where ``pattern`` (with NUMBER in it) matches."""
    found = re.search(pattern.replace("NUMBER", NUMBER), out)
    assert found, f"the demo did not print {pattern!r}"
    return float(found.group(1))


def _moons(out: str) -> None:
    assert _number(r"final accuracy NUMBER%", out) >= 95


def _neuron(out: str) -> None:
    assert "w1.grad = 1: " in out and "sum = 1, which is w1.grad." in out


def _backprop_by_hand(out: str) -> None:
    assert _number(r"largest difference: NUMBER", out) <= 1e-12


def _xor(out: str) -> None:
    assert "predictions [0, 1, 1, 0]" in out


def _vanishing_gradients(out: str) -> None:
    assert _number(r"sigmoid \+ Xavier: last layer / first layer = NUMBER", out) >= 1e3
    assert _number(r"ReLU \+ He: last layer / first layer = NUMBER", out) < 1e3


def _optimizers(out: str) -> None:
    rows = re.findall(rf"^(\S.*?)\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}$", out, re.M)
    assert [r[0] for r in rows] == ["SGD (lr 0.1)", "momentum (lr 0.1, beta 0.9)",
                                    "RMSProp (lr 0.01)", "Adam (lr 0.01)"], rows
    for name, first, last, _ in rows:
        assert float(last) < float(first), name


def _gradient_check(out: str) -> None:
    assert _number(r"eps 1e-6 +largest relative error NUMBER", out) < 1e-7
    assert _number(r"Richardson +largest relative error NUMBER", out) < 1e-7
    # The articles' step is the least accurate of the three: rounding in J grows as eps shrinks.
    articles = _number(r"eps 1e-7 \(articles\) +largest relative error NUMBER", out)
    assert articles > _number(r"eps 1e-6 +largest relative error NUMBER", out)
    max_norm = _number(r"clipped to max_norm NUMBER", out)
    assert _number(r"the norm is now NUMBER", out) == max_norm  # as printed, to 6 decimals


def _own_op(out: str) -> None:
    assert "worst error 0.0e+00" in out or _number(r"worst error NUMBER", out) <= 1e-12
    second = _number(r"second derivative of the declared op at 0.5: NUMBER", out)
    assert abs(second - (-2 / 1.5 ** 3)) <= 1e-12
    assert "ClosureDerivativeError" in out and "node softsign_wrong" in out


def _linear_regression(out: str) -> None:
    w = _number(r"fitted y = NUMBER x", out)
    b = _number(r"fitted y = \S+ x \+ NUMBER", out)
    assert abs(w - 1) <= 1e-3 and abs(b) <= 1e-3
    first = re.search(rf"^epoch +0  w {NUMBER}  b {NUMBER}  loss {NUMBER}$", out, re.M)
    # The first line shows the starting point and its loss: mean(x**2) = 11 at w = b = 0.
    assert first and [float(v) for v in first.groups()] == [0.0, 0.0, 11.0]


def _torch_handoff(out: str) -> None:
    assert _number(r"largest difference \(outputs\): NUMBER", out) <= 1e-12
    assert _number(r"largest difference \(gradients\): NUMBER", out) <= 1e-12
    assert _number(r"after training in PyTorch: test accuracy NUMBER%", out) >= 95
    assert _number(r"batch +100: ratio of medians NUMBER", out) > 1
    assert _number(r"nn.load_torch\(model, tmodel\): largest difference \(outputs\) NUMBER",
                   out) <= 1e-12


# Per demo: the claims to find in its output, and the pictures it must write.
EXPECTED = {
    "moons": (_moons, ["decision_boundary.svg", "loss.svg", "model_graph.svg"]),
    "neuron": (_neuron, ["tanh_neuron.svg", "trace_graph_relu.svg", "trace_graph_neuron.svg"]),
    "backprop_by_hand": (_backprop_by_hand, ["network_graph.svg"]),
    "xor": (_xor, ["loss.svg", "decision_boundary.svg"]),
    "vanishing_gradients": (_vanishing_gradients, ["grad_per_layer.svg", "sigmoid_heat.svg"]),
    "optimizers": (_optimizers, ["loss_curves.svg"]),
    "gradient_check": (_gradient_check, ["relative_errors.svg", "clipping.svg"]),
    "linear_regression": (_linear_regression, ["loss.svg"]),
    "own_op": (_own_op, ["own_op.svg"]),
    "torch_handoff": (_torch_handoff, ["model_graph.svg", "decision_boundary.svg"]),
}

#: Demos that need PyTorch: their tests are marked torch (CI's deeper stage runs them).
NEEDS_TORCH = {"torch_handoff"}


def test_every_demo_has_expectations() -> None:
    assert sorted(EXPECTED) == DEMOS


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.torch) if name in NEEDS_TORCH else name
    for name in DEMOS
])
def test_demo_runs_quick(name: str, tmp_path: Path) -> None:
    if name in NEEDS_TORCH:
        pytest.importorskip("torch")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / f"{name}.py"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    # Each demo checks its own claims and says so; the numbers are checked again here.
    assert "check: " in result.stdout and ": FAILED" not in result.stdout
    claims, files = EXPECTED[name]
    claims(result.stdout)
    assert sorted(p.name for p in out.iterdir()) == sorted(files), "unexpected or missing files"
    for file in files:
        path = out / file
        assert path.stat().st_size > 0, f"{name} wrote an empty {file}"
        if file.endswith(".svg"):
            ET.fromstring(path.read_bytes())  # a whole SVG document, not half of one
            assert "<svg" in path.read_text(encoding="utf-8")[:2000]


def test_a_failed_claim_stops_a_demo_with_exit_status_1(tmp_path: Path) -> None:
    code = "import _common; _common.check(True, 'fine'); _common.check(False, 'the claim')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=ROOT / "demos")
    assert result.returncode == 1
    assert "check: fine: ok" in result.stdout and "check: the claim: FAILED" in result.stdout
    assert "the demo's claim does not hold: the claim" in result.stderr


def _demo(name: str) -> ModuleType:
    """demos/NAME.py as a module; the demos folder stays on sys.path for worker processes."""
    if str(ROOT / "demos") not in sys.path:
        sys.path.insert(0, str(ROOT / "demos"))
    return importlib.import_module(name)


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


@pytest.mark.deep  # a whole training, many times over: the deeper stage
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


@pytest.mark.parametrize("name", ["own_op", "linear_regression"])
def test_demo_writes_png_on_request(name: str, tmp_path: Path) -> None:
    """--format png writes every picture as PNG: a graph (own_op) and a plot."""
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / f"{name}.py"), "--quick", "--out", str(out),
         "--format", "png"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    _, files = EXPECTED[name]
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f.replace(".svg", ".png") for f in files)
    for file in written:
        assert (out / file).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", file


def test_the_readme_lists_every_demo_and_what_it_writes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, (_, files) in EXPECTED.items():
        row = next((line for line in readme.splitlines()
                    if line.startswith(f"| `python demos/{name}.py` |")), None)
        assert row is not None, f"README's demo table has no row for {name}"
        written = row.rsplit("|", 2)[-2]
        assert sorted(re.findall(r"`([\w.]+)`", written)) == sorted(files), (name, written)
