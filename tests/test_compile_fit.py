"""fit(compile=True): the same history as eager training, step by step; refusals before any step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd import TraceMismatchError, Value
from nn.data import make_blobs, make_moons

RTOL = 1e-9


def _train(make: Callable[[], tuple[Any, ...]], compile: bool) -> tuple[nn.History, list[float]]:
    model, X, y, kwargs = make()
    history = nn.fit(model, X, y, verbose=False, compile=compile, **kwargs)
    return history, [p.data for p in model.parameters()]


def _assert_same(make: Callable[[], tuple[Any, ...]]) -> None:
    eager, eager_w = _train(make, False)
    compiled, compiled_w = _train(make, True)
    assert eager.keys() == compiled.keys()
    for key in eager:
        assert len(eager[key]) == len(compiled[key])
        for epoch, (a, b) in enumerate(zip(eager[key], compiled[key])):
            assert a == pytest.approx(b, rel=RTOL, abs=1e-300), (key, epoch, a, b)
    for a, b in zip(eager_w, compiled_w):
        assert a == pytest.approx(b, rel=RTOL, abs=1e-12)


def moons(n: int, epochs: int) -> Callable[[], tuple[Any, ...]]:
    """micrograd's demo: SVM loss + 1e-4 L2, SGD decaying from 1.0 to 0.1."""

    def make() -> tuple[Any, ...]:
        X, labels = make_moons(n, noise=0.1, seed=1)
        model = nn.MLP(2, [16, 16, 1], seed=1)
        optimizer = nn.SGD(model, lr=1.0)
        schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
        return model, X, [2 * t - 1 for t in labels], dict(
            loss="hinge", l2=1e-4, optimizer=optimizer, scheduler=schedule, epochs=epochs)

    return make


def test_the_moons_demo_has_the_same_history_compiled() -> None:
    _assert_same(moons(40, 25))


@pytest.mark.deep
def test_the_whole_moons_demo_has_the_same_history_compiled() -> None:
    _assert_same(moons(100, 100))


def _blobs() -> tuple[Any, ...]:
    X, y = make_blobs(60, centers=3, seed=2)
    model = nn.MLP(2, [8, 3], activation="tanh", seed=3)
    return model, X, y, dict(loss="cross_entropy", optimizer=nn.Adam(model.parameters(),
                                                                     lr=0.02),
                             epochs=8, batch_size=16, seed=4, l1=1e-3)


def test_mini_batches_of_a_multi_output_model_have_the_same_history_compiled() -> None:
    _assert_same(_blobs)


@pytest.mark.deep
@pytest.mark.parametrize("loss", ["bce_with_logits", "mse", "l1"])
def test_other_losses_have_the_same_history_compiled(loss: str) -> None:
    def make() -> tuple[Any, ...]:
        X, labels = make_moons(48, noise=0.2, seed=5)
        model = nn.MLP(2, [6, 6, 1], activation="sigmoid", seed=6)
        return model, X, labels, dict(loss=loss, optimizer=nn.RMSprop(model.parameters(),
                                                                      lr=0.01),
                                      epochs=20, batch_size=12, seed=7)

    _assert_same(make)


def test_dropout_is_refused_before_anything_changes() -> None:
    model = nn.Sequential(nn.Layer(2, 4, seed=0), nn.Dropout(0.5, seed=0),
                          nn.Layer(4, 1, "linear", seed=0))
    before = [p.data for p in model.parameters()]
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match=r"dropout at 1 .*mask.*compile=False"):
        nn.fit(model, X, y, epochs=2, verbose=False, compile=True)
    assert [p.data for p in model.parameters()] == before


class Branchy(nn.Module):
    """A model that branches in Python on a value: a trace follows one branch only."""

    def __init__(self) -> None:
        self.layer = nn.Layer(2, 1, "linear", seed=0)

    def forward(self, x: Any) -> Value:
        out = self.layer(x)
        return out.tanh() if float(x[0]) > 0 else out * 0.5


def test_a_model_that_branches_on_data_fails_before_the_first_step() -> None:
    model = Branchy()
    X, labels = make_moons(30, noise=0.1, seed=1)
    assert {x[0] > 0 for x in X} == {True, False}
    before = [p.data for p in model.parameters()]
    with pytest.raises(TraceMismatchError, match="branches in Python on .data"):
        nn.fit(model, X, labels, epochs=3, verbose=False, compile=True)
    assert [p.data for p in model.parameters()] == before


def test_compile_takes_true_or_false() -> None:
    X, y = make_moons(4, seed=0)
    with pytest.raises(TypeError, match=r"fit\(compile\) needs True or False"):
        nn.fit(nn.MLP(2, [1], seed=0), X, y, epochs=1, verbose=False,
               compile="yes")  # type: ignore[arg-type]


@pytest.mark.deep
def test_the_moons_demo_runs_compiled_with_the_same_numbers(tmp_path: Any) -> None:
    """`python demos/moons.py --quick --compile` prints the eager run's losses, step by step."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    demo = Path(__file__).resolve().parent.parent / "demos" / "moons.py"
    outs = []
    for flags in ([], ["--compile"]):
        done = subprocess.run([sys.executable, str(demo), "--quick", "--out", str(tmp_path),
                               *flags], capture_output=True, text=True, check=True)
        outs.append(done.stdout)
    losses = [re.findall(r"loss \(SVM \+ L2\) (\S+)", out) for out in outs]
    assert losses[0] and losses[0] == losses[1]
    assert "compiled (autograd.compile)" in outs[1]
    assert "final accuracy 100%" in outs[1] or "check: final accuracy" in outs[1]
