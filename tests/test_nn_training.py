"""Training: micrograd's moons demo, the seed articles' examples, fit/evaluate/predict/accuracy."""

from __future__ import annotations

import functools
import io
import math
import time
import warnings
from typing import Any

import pytest

import nn
from autograd import Value
from nn import MLP, SGD, Adam, LinearLR, accuracy, evaluate, fit, predict
from nn.data import make_blobs, make_moons, make_xor

# --- micrograd's demo, verbatim ----------------------------------------------------------


def _moons() -> tuple[list[list[float]], list[int]]:
    X, y = make_moons(100, noise=0.1, seed=1)
    return X, [2 * t - 1 for t in y]  # micrograd's y = y*2 - 1


@pytest.mark.deep  # a whole training, many times over: the deeper stage
def test_micrograds_moons_loop_reaches_95_percent() -> None:
    """The demo notebook's loop: SVM loss + 1e-4 L2, SGD with lr 1.0 -> 0.1 over 100 steps."""
    X, y = _moons()
    model = MLP(2, [16, 16, 1], seed=1337)
    start = time.perf_counter()
    for k in range(100):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    elapsed = time.perf_counter() - start
    final = accuracy(predict(model, X), y)
    assert final >= 0.95, f"accuracy {final:.2f} after 100 steps ({elapsed:.1f} s)"
    assert total_loss.data < 0.1


def test_fit_reproduces_the_demo_loop_with_library_parts() -> None:
    """hinge_loss + l2 + SGD + LinearLR through fit() follow the hand-written loop."""
    X, y = _moons()
    steps = 30
    by_hand = MLP(2, [16, 16, 1], seed=7)
    hand_losses, hand_data_losses = [], []
    for k in range(steps):
        scores = [by_hand(x) for x in X]
        data_loss = nn.hinge_loss(scores, y)
        total = data_loss + nn.l2_penalty(by_hand, 1e-4)
        by_hand.zero_grad()
        total.backward()
        for p in by_hand.parameters():
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
        hand_losses.append(total.data)
        hand_data_losses.append(data_loss.data)
    model = MLP(2, [16, 16, 1], seed=7)
    opt = SGD(model.parameters(), lr=1.0)
    history = fit(model, X, y, loss="hinge", optimizer=opt, epochs=steps, l2=1e-4,
                  scheduler=LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100),
                  verbose=False)
    # 'loss' is what is minimised, micrograd's total_loss; 'data_loss' is the hinge part.
    assert history["loss"] == pytest.approx(hand_losses, rel=1e-9, abs=1e-12)
    assert history["data_loss"] == pytest.approx(hand_data_losses, rel=1e-9, abs=1e-12)
    penalties = [a - b for a, b in zip(history["loss"], history["data_loss"])]
    assert all(p > 1e-4 for p in penalties)  # the L2 term: 1e-4 * sum(p**2), sum(p**2) > 1
    assert history["lr"] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(steps)])
    assert model.state_dict() == pytest.approx(by_hand.state_dict(), rel=1e-9, abs=1e-12)


# --- the seed articles' examples ---------------------------------------------------------


def test_xor_with_relu_hidden_sigmoid_output_and_bce() -> None:
    """Article 002: layers [2, 4, 1], BCE, 2000 epochs at learning rate 0.1 (with He init)."""
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="relu", output_activation="sigmoid", init="he", seed=3)
    printed: list[tuple[int, float]] = []
    history = fit(model, X, y, loss="binary_cross_entropy", optimizer=SGD(model, lr=0.1),
                  epochs=2000, verbose=False,
                  on_epoch_end=lambda e, logs: printed.append((e, logs["loss"])) if e % 100 == 0
                  else None)
    assert [int(p > 0.5) for p in predict(model, X)] == [0, 1, 1, 0]
    assert len(printed) == 20 and printed[-1][1] < printed[0][1]
    assert history["loss"][-1] < 0.05 and history["accuracy"][-1] == 1.0


def test_linear_regression_recovers_w_and_b() -> None:
    """Article 003, done right: y = w x + b on x = 1..5 with MSE (no softmax)."""
    X = [[1.0], [2.0], [3.0], [4.0], [5.0]]
    y = [1.0, 2.0, 3.0, 4.0, 5.0]
    model = MLP(1, [1], seed=0)  # one linear neuron: w x + b
    history = fit(model, X, y, loss="mse", optimizer=SGD(model, lr=0.05), epochs=2000,
                  verbose=False)
    (neuron,) = model.layers[0].neurons
    assert neuron.w[0].data == pytest.approx(1.0, abs=1e-4)
    assert neuron.b.data == pytest.approx(0.0, abs=1e-3)
    assert "accuracy" not in history and history["loss"][-1] < 1e-8


def test_cross_entropy_classifies_three_blobs() -> None:
    X, y = make_blobs(90, centers=[[-2.0, 0.0], [2.0, 0.0], [0.0, 3.0]], cluster_std=0.5, seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, loss="cross_entropy", optimizer=Adam(model, lr=0.05), epochs=25,
                  batch_size=16, seed=0, verbose=False)
    assert history["accuracy"][-1] >= 0.95
    assert evaluate(model, X, y, loss="cross_entropy")["accuracy"] >= 0.95


# --- fit's contract ----------------------------------------------------------------------


def test_a_batch_gradient_is_the_mean_of_the_per_sample_gradients() -> None:
    X = [[0.5, -1.0], [1.5, 2.0], [-0.5, 0.25], [2.0, 1.0]]
    y = [1.0, -2.0, 0.5, 3.0]
    reference = MLP(2, [3, 1], activation="tanh", seed=4)
    model = MLP(2, [3, 1], activation="tanh", seed=4)
    lr = 0.1
    # two mini-batches of two samples, in order: two steps with the mean gradient of each pair
    for batch in ([0, 1], [2, 3]):
        grads = [0.0] * reference.num_parameters()
        for i in batch:
            reference.zero_grad()
            nn.mse_loss(reference(X[i]), y[i]).backward()
            grads = [g + p.grad / len(batch) for g, p in zip(grads, reference.parameters())]
        for p, g in zip(reference.parameters(), grads):
            p.data -= lr * g
    fit(model, X, y, loss="mse", optimizer=SGD(model, lr=lr), epochs=1, batch_size=2,
        shuffle=False, verbose=False)
    assert [p.data for p in model.parameters()] == pytest.approx(
        [p.data for p in reference.parameters()], rel=1e-12, abs=1e-15)


def test_history_keys_validation_metrics_and_defaults() -> None:
    X, y = _moons()
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X[:80], y[:80], loss="hinge", epochs=3, batch_size=20, seed=0,
                  validation_data=(X[80:], y[80:]), verbose=False)
    assert set(history) == {"loss", "data_loss", "lr", "accuracy", "val_loss", "val_accuracy"}
    assert history["data_loss"] == history["loss"]  # no penalty
    assert all(len(v) == 3 for v in history.values()) and history.epochs == 3
    assert history["lr"] == [0.01] * 3  # the default optimiser: Adam(lr=0.01)
    assert repr(history).startswith("History(3 epochs; last: loss=")
    assert history["val_loss"][-1] == pytest.approx(
        evaluate(model, X[80:], y[80:], loss="hinge")["loss"])

    def worst(outputs: list[float], targets: list[int]) -> float:
        return max(abs(o - t) for o, t in zip(outputs, targets))

    history = fit(model, X, y, loss="hinge", metrics=["accuracy", worst], epochs=1, verbose=False)
    assert set(history) == {"loss", "data_loss", "lr", "accuracy", "worst"}
    assert set(fit(model, X, y, loss="hinge", metrics=[], epochs=1, verbose=False)) == {
        "loss", "data_loss", "lr"}


def test_on_epoch_end_can_stop_training() -> None:
    X, y = make_xor()
    history = fit(MLP(2, [3, 1], seed=0), X, y, epochs=50, verbose=False,
                  on_epoch_end=lambda epoch, logs: epoch == 4)
    assert history.epochs == 5 and "on_epoch_end" in str(history.stopped)


def test_a_diverging_run_stops_with_a_warning_and_keeps_its_history() -> None:
    X = [[float(i)] for i in range(1, 6)]
    y = [10.0 * i for i in range(1, 6)]
    model = MLP(1, [1], seed=0)
    with pytest.warns(RuntimeWarning, match="Lower the learning rate"):
        history = fit(model, X, y, loss="mse", optimizer=SGD(model, lr=5.0), epochs=500,
                      verbose=False)
    assert 1 < history.epochs < 500 and history.stopped
    assert history["loss"][-1] > history["loss"][0]  # it was blowing up


def test_a_penalty_that_overflows_stops_training_before_a_step() -> None:
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 1e200  # its square overflows; the data loss is 0
    before = model.state_dict()
    with pytest.warns(RuntimeWarning, match=r"step 0 \(epoch 0, batch 0\): the loss became inf"):
        history = fit(model, [[0.0]], [0.0], loss="mse", l2=1.0, optimizer=SGD(model, lr=0.1),
                      epochs=3, verbose=False)
    assert history.epochs == 0 and model.state_dict() == before


def test_history_loss_includes_an_l1_penalty() -> None:
    X, y = make_xor()
    model = MLP(2, [3, 1], seed=0)
    start = nn.l1_penalty(model, 0.01).data
    history = fit(model, X, y, loss="mse", l1=0.01, optimizer=SGD(model, lr=0.1), epochs=1,
                  verbose=False)
    assert history["loss"][0] - history["data_loss"][0] == pytest.approx(start)


def test_the_progress_bar_is_quiet_off_a_terminal_and_shows_loss_and_accuracy_on_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = make_xor()
    fit(MLP(2, [3, 1], seed=0), X, y, loss="mse", epochs=3)  # verbose, but not a terminal
    assert capsys.readouterr() == ("", "")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    pm1 = [2 * t - 1 for t in y]
    fit(MLP(2, [3, 1], seed=0), X, pm1, loss="hinge", epochs=3)
    shown = screen.getvalue()
    assert "3/3" in shown and "loss=" in shown and "accuracy=" in shown
    screen.seek(0)
    screen.truncate()
    fit(MLP(2, [3, 1], seed=0), X, pm1, loss="hinge", epochs=3, verbose=False)
    assert screen.getvalue() == ""


def test_each_redraw_of_the_progress_bar_shows_the_epoch_it_counts(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    # Redraw on every update, however fast the epochs are.
    monkeypatch.setattr(nn.training, "tqdm", functools.partial(nn.training.tqdm, mininterval=0,
                                                               miniters=1))
    X, y = make_xor()
    seen: list[dict[str, float]] = []
    model = MLP(2, [3, 1], seed=0)
    fit(model, X, y, loss="bce_with_logits", epochs=4, optimizer=SGD(model, lr=0.5),
        on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    # Four different numbers, so a bar that lags shows a wrong one.
    assert len({f"{logs['loss']:.4g}" for logs in seen}) == 4
    frames = [f for f in screen.getvalue().split("\r") if "/4" in f]
    for k, logs in enumerate(seen, start=1):
        frame = next(f for f in frames if f"{k}/4" in f)
        assert f"loss={logs['loss']:.4g}" in frame, (k, frame)
        assert f"accuracy={logs['accuracy']:.4g}" in frame, (k, frame)


def test_predict_and_evaluate_run_in_eval_mode_without_a_graph() -> None:
    model = nn.Sequential(nn.Layer(2, 16, seed=0), nn.Dropout(0.5, seed=0),
                          nn.Layer(16, 2, activation="linear", seed=1))
    X = [[0.1, 0.2], [0.3, -0.4]]
    first = predict(model, X)
    assert first == predict(model, X)  # dropout is off: deterministic
    assert isinstance(first[0], list) and all(isinstance(v, float) for v in first[0])
    assert all(m.training for m in model.modules())  # the mode is restored afterwards
    single = predict(MLP(2, [3, 1], seed=0), X)
    assert all(isinstance(v, float) for v in single)
    result = evaluate(model, X, [0, 1], loss="cross_entropy")
    assert set(result) == {"loss", "accuracy"}
    expected = nn.cross_entropy([[Value(v) for v in row] for row in first], [0, 1]).data
    assert result["loss"] == pytest.approx(expected)


def test_accuracy_rules() -> None:
    assert accuracy([0.7, 0.2, 0.51], [1, 0, 0]) == pytest.approx(2 / 3)  # probabilities
    assert accuracy([0.7, 0.2, 0.51], [1, 0, 0], threshold=0.6) == 1.0
    assert accuracy([-0.1, 0.3], [-1, 1]) == 1.0  # margins
    assert accuracy([Value(0.9), Value(0.1)], [1, 0]) == 1.0
    assert accuracy([[0.0, 1.0, 0.5], [2.0, 0.0, 0.0]], [1, 2]) == 0.5
    with pytest.raises(ValueError, match=r"targets\[0\] = 0.5; one-output classification"):
        accuracy([0.3], [0.5])
    with pytest.raises(ValueError, match="mix -1, 0 and 1"):
        accuracy([0.3, 0.2], [-1, 0])
    with pytest.raises(ValueError, match="2 samples but y has 1"):
        accuracy([0.3, 0.2], [1])
    with pytest.raises(ValueError, match=r"targets\[0\] = 5, a class outside 0..1 for 2 scores"):
        accuracy([[1.0, 2.0]], [5])
    with pytest.raises(ValueError, match=r"targets\[1\] = -1, a class outside 0..2"):
        accuracy([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0]], [1, -1])
    with pytest.raises(ValueError, match=r"outputs\[1\] has 3 scores but outputs\[0\] has 2"):
        accuracy([[1.0, 2.0], [1.0, 2.0, 3.0]], [1, 2])
    with pytest.raises(ValueError,
                       match=r"outputs\[1\] is a list of scores but outputs\[0\] is one"):
        accuracy([0.3, [0.1, 0.2]], [1, 0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"y": [1.0]}, ValueError, "X has 4 samples but y has 1 labels"),
    ({"X": [], "y": []}, ValueError, "no samples"),
    ({"epochs": 0}, ValueError, r"fit\(epochs\) must be >= 1, got 0"),
    ({"batch_size": 0}, ValueError, r"fit\(batch_size\) must be >= 1"),
    ({"loss": "huber"}, ValueError, "loss must be one of 'mse'"),
    ({"loss": "hinge"}, ValueError, r"targets\[\d+\] = 0.0; targets must be -1 or"),
    ({"loss": "cross_entropy"}, ValueError, "a score per class"),
    ({"loss": lambda o, t: 0.5}, TypeError, "must return a Value, got float"),
    ({"metrics": ["f1"]}, ValueError, "unknown metric 'f1'"),
    ({"optimizer": "sgd"}, TypeError, "needs an nn Optimizer, got str"),
    ({"validation_data": ([[0.0, 0.0]],)}, TypeError, "a pair"),
    ({"l2": -1.0}, ValueError, r"fit\(l2\) must be >= 0"),
    ({"verbose": 1}, TypeError, "verbose"),
    ({"X": [[0.0, 0.0, 1.0]] * 4}, ValueError, "expects 2 input"),
])
def test_bad_fit_input(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    X, y = make_xor()
    args: dict[str, Any] = {"X": X, "y": y, "verbose": False, "epochs": 1, **kwargs}
    with pytest.raises(error, match=match):
        fit(MLP(2, [3, 1], seed=0), **args)


@pytest.mark.parametrize("X, y, validation, match", [
    ([[0.0, 0.0]] * 5 + [[0.0, 0.0, 1.0]], [1, -1] * 3, None, "expects 2 input"),
    ([[0.0, 0.0]] * 6, [1, -1, 1, -1, 1, 0], None, r"targets\[5\] = 0.0; targets must be -1 or"),
    ([[0.0, 0.0]] * 6, [1, -1] * 3, ([[0.0, 0.0]] * 2, [1, 2]), r"targets\[1\] = 2.0"),
])
def test_bad_data_in_a_later_batch_fails_before_any_step(
    X: list[list[float]], y: list[int], validation: Any, match: str
) -> None:
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=0.1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        fit(model, X, y, loss="hinge", optimizer=opt, batch_size=2, shuffle=False,
            validation_data=validation, verbose=False)
    assert model.state_dict() == before and opt.steps == 0


def test_the_check_before_training_changes_nothing_it_trains() -> None:
    """The pass over the data runs in eval mode: the dropout masks drawn stay the same."""
    X, y = make_xor()

    def train() -> dict[str, float]:
        model = nn.Sequential(nn.Layer(2, 8, seed=0), nn.Dropout(0.5, seed=1),
                              nn.Layer(8, 1, "linear", seed=2))
        fit(model, X, y, loss="mse", optimizer=SGD(model, lr=0.1), epochs=5, seed=3,
            verbose=False)
        return model.state_dict()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nn.training, "evaluate", lambda *args, **kwargs: {})  # no check pass
        unchecked = train()
    assert train() == unchecked


def test_an_optimizer_or_schedule_for_something_else_is_refused() -> None:
    X, y = make_xor()
    model, other = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match="updates none of the model's parameters"):
        fit(model, X, y, optimizer=SGD(other, lr=0.1), verbose=False)
    opt = SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="schedules another optimizer"):
        fit(model, X, y, optimizer=opt, scheduler=nn.StepLR(SGD(other, lr=0.1), 2),
            verbose=False)
    with pytest.raises(TypeError, match="needs an nn LRScheduler, got str"):
        fit(model, X, y, optimizer=opt, scheduler="step", verbose=False)  # type: ignore[arg-type]
    # Some of the model's parameters (fine-tuning the last layer) is fine.
    fit(model, X, y, optimizer=SGD(model.layers[1], lr=0.1), epochs=1, verbose=False)


def test_an_optimizer_step_does_not_leave_nans_behind_for_good_runs() -> None:
    X, y = make_moons(40, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], init="xavier", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(model, X, y, loss="bce_with_logits", optimizer=Adam(model, lr=0.05), epochs=20,
            batch_size=10, seed=0, verbose=False)
    assert all(math.isfinite(v) for v in model.state_dict().values())
    assert evaluate(model, X, y, loss="bce_with_logits")["accuracy"] >= 0.85


def test_fit_trains_a_micrograd_style_model_that_is_not_a_module() -> None:
    class Line:
        """micrograd's idiom: __call__ and parameters(), no base class."""

        def __init__(self) -> None:
            self.w, self.b = Value(0.0), Value(0.0)

        def __call__(self, x: list[Value]) -> Value:
            return self.w * x[0] + self.b

        def parameters(self) -> list[Value]:
            return [self.w, self.b]

    line = Line()
    fit(line, [[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0], loss="mse",  # type: ignore[arg-type]
        optimizer=SGD(line.parameters(), lr=0.05), epochs=1500, verbose=False)
    assert (line.w.data, line.b.data) == pytest.approx((2.0, 1.0), abs=1e-3)
    default = Line()
    history = fit(default, [[1.0]], [1.0], epochs=2, verbose=False)  # type: ignore[arg-type]
    assert history["lr"] == [0.01, 0.01]
