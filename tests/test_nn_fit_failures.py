"""What a failed ``fit`` leaves behind: bad data changes nothing, a bad step is never taken.

A NaN anywhere in the data fails before the first step; a NaN or infinite gradient
stops training before its step, with the weights and the optimiser's state of the
last good step; the cycle collector and the train/eval modes are restored however
``fit`` ends.
"""

from __future__ import annotations

import gc
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import nn
from autograd import Value
from nn import MLP, SGD, Adam, fit
from nn.data import check_finite, make_moons, make_xor

# --- bad numbers in the data --------------------------------------------------------------


def test_the_issues_nan_in_the_last_sample_fails_with_the_model_unchanged() -> None:
    """The report's snippet: a NaN in the last row used to stop training half-way, with the
    earlier batches' steps already taken."""
    X, y = make_moons(20, seed=0)
    X = [list(x) for x in X]
    X[-1][0] = float("nan")
    m = MLP(2, [4, 1], seed=0)
    s = m.state_dict()
    opt = Adam(m, lr=0.01)
    with pytest.raises(ValueError, match=r"fit: X\[19\]\[0\] = nan; every input and label"):
        fit(m, X, y, optimizer=opt, epochs=2, batch_size=4, shuffle=False, verbose=False)
    assert m.state_dict() == s and opt.steps == 0 and opt.state == {}


@pytest.mark.parametrize("change, where", [
    (lambda X, y, v: X[3].__setitem__(1, math.inf), r"fit: X\[3\]\[1\] = inf"),
    (lambda X, y, v: y.__setitem__(5, math.nan), r"fit: y\[5\] = nan"),
    (lambda X, y, v: X.__setitem__(2, [Value(1.0), Value(-math.inf)]), r"X\[2\]\[1\] = -inf"),
    (lambda X, y, v: X.__setitem__(7, np.array([0.5, np.nan])), r"X\[7\]\[1\] = nan"),
    (lambda X, y, v: X.__setitem__(1, [10**400, 0.0]), r"X\[1\]\[0\] = <an int of about 400"),
    (lambda X, y, v: v[0][1].__setitem__(0, math.nan),
     r"fit\(validation_data\): X\[1\]\[0\] = nan"),
])
def test_a_non_finite_number_anywhere_fails_before_any_step(change: Any, where: str) -> None:
    X, y = make_moons(10, seed=0)
    y = [float(t) for t in y]
    validation = ([list(x) for x in X[:3]], y[:3])
    change(X, y, validation)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    opt = SGD(model, lr=0.1)
    with pytest.raises(ValueError, match=where):
        fit(model, X, y, optimizer=opt, batch_size=2, shuffle=False, verbose=False,
            validation_data=validation)
    assert model.state_dict() == before and opt.steps == 0


def test_the_finiteness_check_leaves_what_is_not_a_number_to_the_model() -> None:
    check_finite([[0.0, 1.0], 2.5, (3.0, [4.0])], [0, 1, 2], "fit")  # shapes are the model's
    check_finite([["a", "b"]], [None], "fit")  # not numbers: the model and the loss judge them
    with pytest.raises(ValueError, match=r"X\[2\]\[1\]\[0\] = nan"):
        check_finite([[0.0], [1.0], (3.0, [math.nan])], [0, 1, 2], "fit")


# --- a bad step is never taken ------------------------------------------------------------


class Root(nn.Module):
    """sqrt(relu(w x + b)): its gradient is NaN where w x + b <= 0 (0 * inf), its loss is not."""

    def __init__(self) -> None:
        self.w = Value(1.0, label="w")
        self.b = Value(0.0, label="b")

    def forward(self, x: Any) -> Value:
        return (self.w * x[0] + self.b).relu().sqrt()


X_ROOT, Y_ROOT = [[1.0], [2.0], [-3.0], [4.0]], [1.0, 1.4, 0.0, 2.0]


def test_a_non_finite_gradient_stops_before_its_step_with_model_and_optimizer_as_they_were(
) -> None:
    model = Root()
    opt = Adam(model, lr=0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(model, X_ROOT, Y_ROOT, optimizer=opt, epochs=3, batch_size=1,
                      shuffle=False, verbose=False)
    # The third sample (x = -3) gives a finite loss and a NaN gradient: the first two
    # steps were taken, the third was not.
    assert history.stopped_at == (0, 2) and history.steps == 2 and history.epochs == 0
    assert [str(w.message) for w in caught] == [history.stopped]
    message = str(history.stopped)
    assert message.startswith("step 2 (epoch 0, batch 2): the gradient of w is nan")
    assert "autograd.detect_anomaly()" in message and "the last good step" in message
    # The same two good steps, taken alone, leave exactly the same weights and state.
    again = Root()
    opt_again = Adam(again, lr=0.1)
    fit(again, X_ROOT[:2], Y_ROOT[:2], optimizer=opt_again, epochs=1, batch_size=1,
        shuffle=False, verbose=False)
    assert model.state_dict() == again.state_dict()
    assert opt.steps == opt_again.steps == 2
    assert [opt.state[p] for p in opt.params] == [opt_again.state[p] for p in opt_again.params]
    assert math.isnan(model.w.grad)  # the refused step's gradients are there to look at


def test_the_stop_names_the_parameter_by_its_name_in_the_model() -> None:
    model = nn.Sequential(nn.Layer(1, 2, seed=0), Root())
    X = [[-1.0], [2.0]]
    with pytest.warns(RuntimeWarning, match=r"the gradient of 0\.neurons\.0\.w0 is nan"):
        history = fit(model, X, [0.0, 1.0], optimizer=SGD(model, lr=0.1), epochs=2,
                      verbose=False)
    assert history.stopped_at == (0, 0) and history.steps == 0


def test_a_hook_that_writes_nan_cannot_get_it_into_the_weights() -> None:
    X, y = make_xor()
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=0.1)
    calls = []

    def poison(params: list[Value]) -> None:
        calls.append(1)
        if len(calls) == 3:
            params[4].grad = math.inf

    opt.add_hook(poison)
    with pytest.warns(RuntimeWarning, match=r"step 2 \(epoch 2, batch 0\): the gradient of "
                                            r"layers\.0\.neurons\.1\.w1 is inf"):
        history = fit(model, X, y, optimizer=opt, epochs=5, verbose=False)
    assert all(math.isfinite(v) for v in model.state_dict().values())
    assert opt.steps == 2 and history.epochs == 2


def test_a_gradient_too_large_to_square_is_refused_by_adam_not_by_sgd() -> None:
    def run(make: Any) -> nn.History:
        w = Value(1.0, label="w")

        class Line(nn.Module):
            def __init__(self) -> None:
                self.w = w

            def forward(self, x: Any) -> Value:
                return self.w * x[0]

        model = Line()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fit(model, [[1e160]], [0.0], loss="l1", optimizer=make(model), epochs=1,
                       verbose=False)

    assert "is 1e+160, too large to square" in str(run(lambda m: Adam(m, lr=0.1)).stopped)
    assert run(lambda m: SGD(m, lr=1e-200)).stopped is None


# --- the cycle collector and the modes are restored ---------------------------------------


class Spy(nn.Module):
    """A one-weight model that records whether the cycle collector ran during its forward."""

    def __init__(self, fail_in_epoch: int | None = None) -> None:
        self.w = Value(0.5, label="w")
        self.seen: list[bool] = []
        self.fail_in_epoch = fail_in_epoch

    def forward(self, x: Any) -> Value:
        if self.training:
            self.seen.append(gc.isenabled())
            if self.fail_in_epoch is not None and len(self.seen) > self.fail_in_epoch:
                raise RuntimeError("the model failed")
        return self.w * x[0]


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_paused_during_steps_and_restored_after() -> None:
    model = Spy()
    fit(model, [[1.0], [2.0]], [1.0, 2.0], optimizer=SGD(model, lr=0.01), epochs=3,
        batch_size=1, verbose=False)
    assert model.seen == [False] * 6 and gc.isenabled()
    gc.disable()  # the user's own setting is kept too
    fit(model, [[1.0]], [1.0], optimizer=SGD(model, lr=0.01), epochs=1, verbose=False)
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_an_exception_in_a_step_restores_the_collector_and_the_modes() -> None:
    model = Spy(fail_in_epoch=2)
    model.eval()
    with pytest.raises(RuntimeError, match="the model failed"):
        fit(model, [[1.0]], [1.0], optimizer=SGD(model, lr=0.01), epochs=5, verbose=False)
    assert gc.isenabled() and model.training is False
    assert len(model.seen) == 3  # two good steps, then the failure


@pytest.mark.usefixtures("collector_on")
def test_a_stop_restores_the_collector() -> None:
    with pytest.warns(RuntimeWarning, match="the gradient of w is nan"):
        fit(Root(), X_ROOT, Y_ROOT, epochs=1, batch_size=1, shuffle=False, verbose=False)
    assert gc.isenabled()
