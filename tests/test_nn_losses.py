"""Losses and penalties: closed forms, gradients, stability, bad input, and PyTorch as an oracle."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Value, topological_order
from nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)


def values(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# --- closed forms ------------------------------------------------------------------------


def test_mse_and_l1_closed_forms_and_reductions() -> None:
    p, t = [1.0, -2.0, 0.5], [0.0, 1.0, 0.5]
    assert mse_loss(values(p), t).data == pytest.approx((1 + 9 + 0) / 3)
    assert mse_loss(values(p), t, reduction="sum").data == pytest.approx(10.0)
    assert [v.data for v in mse_loss(values(p), t, reduction="none")] == [1.0, 9.0, 0.0]
    assert l1_loss(values(p), t).data == pytest.approx(4 / 3)
    assert l1_loss(values(p), t, reduction="sum").data == pytest.approx(4.0)
    # one prediction and one target, and multi-output samples (mean over all elements)
    assert mse_loss(Value(3.0), 1.0).data == 4.0
    rows = [values([1.0, 2.0]), values([0.0, 0.0])]
    assert mse_loss(rows, [[0.0, 0.0], [1.0, 1.0]]).data == pytest.approx((1 + 4 + 1 + 1) / 4)


def test_mean_reduction_gives_the_mean_gradient() -> None:
    p = values([1.0, -2.0, 0.5, 4.0])
    t = [0.0, 1.0, 0.0, 3.0]
    mse_loss(p, t).backward()
    assert [v.grad for v in p] == pytest.approx([2 * (v.data - y) / 4 for v, y in zip(p, t)])


def test_binary_cross_entropy_closed_form_and_soft_labels() -> None:
    p, t = [0.9, 0.2, 0.6], [1.0, 0.0, 0.3]
    expected = [-math.log(0.9), -math.log(0.8), -(0.3 * math.log(0.6) + 0.7 * math.log(0.4))]
    losses = binary_cross_entropy(values(p), t, reduction="none")
    assert [v.data for v in losses] == pytest.approx(expected)
    probs = values(p)
    binary_cross_entropy(probs, t).backward()
    # d/dp of -(t log p + (1-t) log(1-p)) = (p - t) / (p (1 - p)), over 3 elements
    assert [v.grad for v in probs] == pytest.approx(
        [(pi - ti) / (pi * (1 - pi)) / 3 for pi, ti in zip(p, t)]
    )


def test_binary_cross_entropy_clamps_probabilities_with_a_documented_epsilon() -> None:
    eps = nn.losses.EPSILON
    assert eps == 1e-7
    worst = binary_cross_entropy([Value(0.0)], [1]).data
    assert worst == pytest.approx(-math.log(eps))
    assert binary_cross_entropy([Value(1.0)], [0]).data == pytest.approx(-math.log(eps))
    assert binary_cross_entropy([Value(1.0)], [1]).data == pytest.approx(eps, rel=1e-3)
    p = Value(0.0)
    binary_cross_entropy([p], [1]).backward()
    assert p.grad == 0.0  # clamped: no gradient, like torch.clamp
    assert binary_cross_entropy([Value(0.0)], [1], eps=1e-3).data == pytest.approx(-math.log(1e-3))


def test_bce_with_logits_is_the_stable_form_with_the_exact_gradient() -> None:
    xs = [-3.0, -0.5, 0.0, 0.0, 2.0, 1.5]
    ts = [0.0, 1.0, 1.0, 0.0, 0.0, 0.25]
    logits = values(xs)
    losses = binary_cross_entropy_with_logits(logits, ts, reduction="none")
    for v, x, t in zip(losses, xs, ts):
        stable = max(x, 0) - x * t + math.log(1 + math.exp(-abs(x)))
        assert v.data == pytest.approx(stable, rel=1e-12)
    binary_cross_entropy_with_logits(logits, ts, reduction="sum").backward()
    assert [v.grad for v in logits] == pytest.approx([sigmoid(x) - t for x, t in zip(xs, ts)])


def test_bce_with_logits_never_overflows() -> None:
    big = binary_cross_entropy_with_logits(values([1000.0, -1000.0, 800.0]), [0, 1, 1], "none")
    assert [v.data for v in big] == pytest.approx([1000.0, 1000.0, 0.0])
    x = Value(-1000.0)
    binary_cross_entropy_with_logits([x], [1]).backward()
    assert x.grad == pytest.approx(-1.0)


def test_cross_entropy_is_logsumexp_minus_the_target_score_and_stable() -> None:
    rows = [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]
    targets = [0, 2]
    logits = [values(r) for r in rows]
    loss = cross_entropy(logits, targets)
    lse = [math.log(sum(math.exp(v) for v in r)) for r in rows]
    expected = [lse[0] - 2.0, lse[1] - (-1.0)]
    assert loss.data == pytest.approx(sum(expected) / 2)
    loss.backward()
    for row, vals, t in zip(rows, logits, targets):
        z = sum(math.exp(v) for v in row)
        grads = [(math.exp(v) / z - (k == t)) / 2 for k, v in enumerate(row)]
        assert [v.grad for v in vals] == pytest.approx(grads)
    huge = cross_entropy([values([1000.0, -1000.0])], [1])
    assert huge.data == pytest.approx(2000.0)
    assert cross_entropy(values([1.0, 1.0]), 0).data == pytest.approx(math.log(2))  # one sample
    assert cross_entropy([[1.0, 3.0]], [1.0]).data == pytest.approx(math.log(1 + math.exp(-2)))


def test_hinge_loss_is_micrograds_max_margin_loss() -> None:
    scores, ys = [2.0, 0.3, -0.5, -2.0], [1, 1, 1, -1]
    loss = hinge_loss(values(scores), ys)
    # micrograd: (1 + -y * score).relu(), averaged
    assert loss.data == pytest.approx(sum(max(0.0, 1 - y * s) for s, y in zip(scores, ys)) / 4)
    s = values(scores)
    hinge_loss(s, ys, reduction="sum").backward()
    assert [v.grad for v in s] == [0.0, -1.0, -1.0, 0.0]
    assert hinge_loss([Value(0.5)], [1], margin=2.0).data == 1.5


def test_penalties() -> None:
    params = values([0.5, -2.0, 0.0])
    l2 = l2_penalty(params, 1e-2)
    assert l2.data == pytest.approx(1e-2 * 4.25)
    assert len(topological_order(l2)) == 2  # one dot node and the scaling, not 2n nodes
    l2.backward()
    assert [p.grad for p in params] == pytest.approx([2e-2 * p.data for p in params])
    params = values([0.5, -2.0, 0.0])
    l1 = l1_penalty(params, 0.1)
    assert l1.data == pytest.approx(0.25)
    l1.backward()
    assert [p.grad for p in params] == pytest.approx([0.1, -0.1, 0.0])
    model = nn.MLP(2, [3, 1], seed=0)
    expected = sum(p.data**2 for p in model.parameters())
    assert l2_penalty(model).data == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"l2_penalty\(alpha\) must be >= 0"):
        l2_penalty(model, -1.0)
    with pytest.raises(TypeError, match=r"l1_penalty: params\[0\] is float 1.0, not a Value"):
        l1_penalty([1.0])  # type: ignore[list-item]


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: hinge_loss([Value(1.0)], [0]), ValueError,
     r"hinge_loss: targets\[0\] = 0.0; targets must be -1 or"),
    (lambda: binary_cross_entropy([Value(0.5)], [2]), ValueError, r"targets must be in \[0, 1\]"),
    (lambda: binary_cross_entropy_with_logits([Value(0.5)], [-1]), ValueError, "in \\[0, 1\\]"),
    (lambda: binary_cross_entropy([Value(1.5)], [1]), ValueError, "not a probability"),
    (lambda: binary_cross_entropy([Value(0.5)], [1], eps=0.5), ValueError,
     r"binary_cross_entropy\(eps\) must be in \(0, 0.5\), got 0.5"),
    (lambda: binary_cross_entropy([Value(0.0)], [1], eps=0), ValueError,
     r"must be in \(0, 0.5\), got 0.0; probabilities are clamped"),
    (lambda: binary_cross_entropy([Value(0.5)], [1], eps=-1e-7), ValueError, "got -1e-07"),
    (lambda: binary_cross_entropy([Value(0.5)], [1], eps=math.nan), ValueError, "finite"),
    (lambda: mse_loss([Value(1.0)], [math.nan]), ValueError,
     r"mse_loss: targets\[0\] = nan; targets must be finite"),
    (lambda: l1_loss(values([1.0, 2.0]), [1.0, -math.inf]), ValueError,
     r"l1_loss: targets\[1\] = -inf; targets must be finite"),
    (lambda: mse_loss([values([1.0, 2.0])], [[0.0, math.inf]]), ValueError,
     r"targets\[0\]\[1\] = inf"),
    (lambda: mse_loss([Value(1.0)], [10**400]), ValueError,
     r"targets\[0\] = <an int of about 400 digits>; targets"),
    (lambda: hinge_loss(values([1.0, 2.0]), [1, math.nan]), ValueError, r"targets\[1\] = nan"),
    (lambda: cross_entropy([[1.0, 2.0], [1.0, 2.0, 3.0]], [0, 0]), ValueError,
     "sample 1 has 3 class scores but sample 0 has 2"),
    (lambda: cross_entropy([[1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1]), ValueError,
     "sample 1 has 2 class scores but sample 0 has 3"),
    (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [2]), ValueError,
     r"targets\[0\] = 2, a class outside 0..1"),
    (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [-1]), ValueError, "outside 0..1"),
    (lambda: cross_entropy([[Value(1.0), Value(2.0)]], [0.5]), TypeError, "class index"),
    (lambda: cross_entropy([Value(1.0)], [0]), ValueError, "a score per class"),
    (lambda: cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 samples of scores but 2 targets"),
    (lambda: mse_loss([Value(1.0)], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
    (lambda: mse_loss([], []), ValueError, "empty batch"),
    (lambda: mse_loss([Value(1.0)], ["1"]), TypeError,
     r"targets\[0\] is str '1'; targets must be real numbers"),
    (lambda: mse_loss(["a"], [1.0]), TypeError, "predictions must be Values or numbers"),
    (lambda: mse_loss([Value(1.0)], 1.0), TypeError, "targets must be a sequence"),
    (lambda: mse_loss([[Value(1.0)]], [[1.0, 2.0]]), ValueError,
     r"predictions\[0\] has 1 outputs but targets\[0\] = \[1.0, 2.0\]"),
    (lambda: mse_loss([Value(1.0)], [1.0], reduction="avg"), ValueError, "'mean', 'sum', 'none'"),
])
def test_bad_input_gets_a_clear_error(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()  # type: ignore[operator]


def test_loss_lookup_by_name() -> None:
    assert nn.losses.get("hinge") is hinge_loss
    assert nn.losses.get("bce_with_logits") is binary_cross_entropy_with_logits
    assert nn.losses.get(mse_loss) is mse_loss
    with pytest.raises(ValueError, match="loss must be one of 'mse', 'l1'"):
        nn.losses.get("mae")


# --- PyTorch as an oracle ----------------------------------------------------------------


def _torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch")


def _compare(ours_fn, torch_fn, preds, targets):  # type: ignore[no-untyped-def]
    torch = _torch()
    p = values(preds)
    loss = ours_fn(p, targets)
    loss.backward()
    tp = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    tl = torch_fn(tp, torch.tensor(targets, dtype=torch.float64))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in p] == pytest.approx(tp.grad.tolist(), rel=1e-10, abs=1e-12)


@pytest.mark.torch
def test_regression_losses_match_pytorch() -> None:
    torch = _torch()
    rng = random.Random(0)
    preds = [rng.uniform(-3, 3) for _ in range(20)]
    targets = [rng.uniform(-3, 3) for _ in range(20)]
    F = torch.nn.functional
    _compare(mse_loss, F.mse_loss, preds, targets)
    _compare(lambda p, t: mse_loss(p, t, "sum"), lambda p, t: F.mse_loss(p, t, reduction="sum"),
             preds, targets)
    _compare(l1_loss, F.l1_loss, preds, targets)


@pytest.mark.torch
def test_binary_losses_match_pytorch() -> None:
    torch = _torch()
    rng = random.Random(1)
    probs = [rng.uniform(0.01, 0.99) for _ in range(20)]
    labels = [float(rng.random() < 0.5) for _ in range(20)]
    soft = [rng.random() for _ in range(20)]
    F = torch.nn.functional
    _compare(binary_cross_entropy, F.binary_cross_entropy, probs, labels)
    _compare(binary_cross_entropy, F.binary_cross_entropy, probs, soft)
    logits = [rng.uniform(-30, 30) for _ in range(20)]
    _compare(binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, logits, labels)
    _compare(binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, logits, soft)


@pytest.mark.torch
@given(
    st.lists(st.floats(-60, 60), min_size=1, max_size=6),
    st.sampled_from([0.0, 1.0, 0.3]),
)
def test_bce_with_logits_matches_pytorch_anywhere(xs: list[float], t: float) -> None:
    torch = _torch()
    _compare(binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits,
             xs, [t] * len(xs))


@pytest.mark.torch
@given(
    st.lists(
        st.lists(st.floats(-80, 80), min_size=3, max_size=3), min_size=1, max_size=4
    ),
    st.data(),
)
def test_cross_entropy_matches_pytorch(rows: list[list[float]], data: st.DataObject) -> None:
    torch = _torch()
    targets = data.draw(st.lists(st.integers(0, 2), min_size=len(rows), max_size=len(rows)))
    logits = [values(r) for r in rows]
    loss = cross_entropy(logits, targets)
    loss.backward()
    t = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    tl.backward()
    assert loss.data == pytest.approx(tl.item(), rel=1e-10, abs=1e-12)
    ours = [v.grad for row in logits for v in row]
    assert ours == pytest.approx(t.grad.flatten().tolist(), rel=1e-9, abs=1e-12)
