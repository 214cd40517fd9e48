"""Plots: loss curves and decision boundaries as SVG/PNG, and a clear error without matplotlib."""

from __future__ import annotations

import importlib
import os
import stat
import sys
from pathlib import Path

import pytest

import nn
from nn import MLP, SGD, fit
from nn.data import make_blobs, make_moons

pytest.importorskip("matplotlib")

from nn.plots import plot_decision_boundary, plot_loss_curves  # noqa: E402


def test_several_runs_in_one_svg(tmp_path: Path) -> None:
    history = nn.History(loss=[1.0, 0.5, 0.25], lr=[0.1] * 3)
    path = plot_loss_curves({"SGD": [1.0, 0.8, 0.7], "Adam": history}, tmp_path / "loss.svg",
                            title="Two optimisers", log_scale=True)
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    # matplotlib keeps every drawn string as a comment next to its glyphs
    for label in ("SGD", "Adam", "Two optimisers", "epoch", "loss"):
        assert f"<!-- {label} -->" in text
    assert "<dc:date>" not in text


def test_a_bare_list_as_png(tmp_path: Path) -> None:
    path = plot_loss_curves([3.0, 2.0, 1.5], tmp_path / "loss.PNG")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_decision_boundaries_for_one_output_and_for_several(tmp_path: Path) -> None:
    X, y = make_moons(40, noise=0.1, seed=0)
    pm1 = [2 * t - 1 for t in y]
    model = MLP(2, [8, 1], seed=0)
    fit(model, X, pm1, loss="hinge", optimizer=SGD(model, lr=0.3), epochs=20, verbose=False)
    svg = plot_decision_boundary(model, X, pm1, tmp_path / "moons.svg", resolution=25,
                                 title="Moons")
    text = svg.read_text(encoding="utf-8")
    assert "<!-- Moons -->" in text and "<!-- class 1 -->" in text and "<!-- class -1 -->" in text
    X3, y3 = make_blobs(30, centers=3, seed=0)
    png = plot_decision_boundary(MLP(2, [4, 3], seed=0), X3, y3, tmp_path / "blobs.png",
                                 resolution=20)
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_redrawing_a_picture_keeps_its_permissions_and_leaves_no_temporary_file(
    tmp_path: Path
) -> None:
    path = plot_loss_curves([1.0, 0.5], tmp_path / "loss.svg")
    path.chmod(0o600)
    plot_loss_curves([1.0, 0.25], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["loss.svg"]


def test_plots_use_no_pyplot_global_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Forget pyplot if anything imported it already, so importing it here would show.
    monkeypatch.delitem(sys.modules, "matplotlib.pyplot", raising=False)
    plot_loss_curves([1.0, 0.5], tmp_path / "a.svg")
    plot_decision_boundary(MLP(2, [1], seed=0), [[0.0, 0.0], [1.0, 1.0]], [0, 1],
                           tmp_path / "b.png", resolution=5)
    assert "matplotlib.pyplot" not in sys.modules


@pytest.mark.parametrize("call, error, match", [
    (lambda p: plot_loss_curves([1.0], p / "loss.pdf"), ValueError, r"ending in \.svg or \.png"),
    (lambda p: plot_loss_curves({}, p / "loss.svg"), ValueError, "at least one run"),
    (lambda p: plot_loss_curves({"a": []}, p / "loss.svg"), ValueError, "run 'a' has no values"),
    (lambda p: plot_loss_curves({"a": [1.0, "x"]}, p / "l.svg"), TypeError,
     r"losses\[1\] is str 'x'"),
    (lambda p: plot_loss_curves({"a": {"acc": [1.0]}}, p / "l.svg"), ValueError, "'loss' entry"),
    (lambda p: plot_decision_boundary(MLP(3, [1], seed=0), [[0.0, 0.0, 0.0]], [1],
                                      p / "b.svg"), ValueError, "needs 2-D inputs"),
])
def test_bad_plot_arguments(tmp_path: Path, call: object, error: type[Exception],
                            match: str) -> None:
    with pytest.raises(error, match=match):
        call(tmp_path)  # type: ignore[operator]


def test_missing_matplotlib_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` fail
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        plot_loss_curves([1.0, 0.5], tmp_path / "loss.svg")
    with pytest.raises(ImportError, match="optional extra"):
        plot_decision_boundary(MLP(2, [1], seed=0), [[0.0, 0.0]], [1], tmp_path / "b.svg")
    assert not any(tmp_path.iterdir())


def test_importing_nn_plots_without_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "nn.plots")
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        importlib.import_module("nn.plots")
    monkeypatch.undo()
    assert importlib.import_module("nn.plots").plot_loss_curves


def test_save_figure_writes_a_figure_of_your_own_like_nn_does(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from nn.plots import save_figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0], label="mine")
    path = save_figure(fig, tmp_path / "mine.svg")
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text and "<dc:date>" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.svg"]  # no temporary left
    assert save_figure(fig, tmp_path / "mine.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match=r"\.svg or \.png"):
        save_figure(fig, tmp_path / "mine.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png", "mine.svg"]
