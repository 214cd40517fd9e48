"""Optimisers, schedules and clipping: hand-computed updates, and PyTorch's when it is installed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd import Value
from nn import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    Optimizer,
    RMSProp,
    StepLR,
    clip_grad_norm,
)


def run(opt_factory: Callable[[list[Value]], Optimizer], grads: list[float]) -> list[float]:
    """One parameter starting at 1.0, stepped once per gradient in ``grads``; its trajectory."""
    p = Value(1.0)
    opt = opt_factory([p])
    path = []
    for g in grads:
        p.grad = g
        opt.step()
        path.append(p.data)
    return path


# --- hand-computed updates -----------------------------------------------------------------


def test_sgd_plain_momentum_nesterov_dampening_weight_decay() -> None:
    assert run(lambda ps: SGD(ps, lr=0.1), [2.0, -1.0]) == pytest.approx([0.8, 0.9])
    # v1 = g1 = 2; p = 1 - 0.1*2 = 0.8; v2 = 0.9*2 + 1 = 2.8; p = 0.8 - 0.28 = 0.52
    assert run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), [2.0, 1.0]) == pytest.approx([0.8, 0.52])
    # Nesterov: d1 = g1 + 0.9*v1 = 3.8 -> 0.62; v2 = 2.8, d2 = 1 + 2.52 = 3.52 -> 0.268
    nesterov = run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), [2.0, 1.0])
    assert nesterov == pytest.approx([0.62, 0.268])
    # dampening 0.9: v2 = 0.9*2 + 0.1*1 = 1.9 -> 0.8 - 0.19
    damped = run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.9), [2.0, 1.0])
    assert damped == pytest.approx([0.8, 0.61])
    # weight decay adds wd * p to the gradient: g = 0 + 0.5 * 1 -> p = 1 - 0.05
    assert run(lambda ps: SGD(ps, lr=0.1, weight_decay=0.5), [0.0]) == pytest.approx([0.95])


def test_rmsprop_one_and_two_steps() -> None:
    a, lr, eps = 0.99, 0.01, 1e-8
    s1 = (1 - a) * 4.0
    p1 = 1.0 - lr * 2.0 / (math.sqrt(s1) + eps)
    s2 = a * s1 + (1 - a) * 1.0
    p2 = p1 - lr * -1.0 / (math.sqrt(s2) + eps)
    assert run(lambda ps: RMSProp(ps), [2.0, -1.0]) == pytest.approx([p1, p2], rel=1e-12)
    # centered: subtract the squared running mean
    m1 = (1 - a) * 2.0
    centered = 1.0 - lr * 2.0 / (math.sqrt(s1 - m1 * m1) + eps)
    assert run(lambda ps: RMSProp(ps, centered=True), [2.0]) == pytest.approx([centered])


def test_adam_first_steps_follow_the_bias_corrected_rule() -> None:
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    # step 1: m^ = g, v^ = g**2, so the step is lr * g / (|g| + eps)
    path = run(lambda ps: Adam(ps), [2.0, -1.0])
    p1 = 1.0 - lr * 2.0 / (2.0 + eps)
    m = b1 * (1 - b1) * 2.0 + (1 - b1) * -1.0
    v = b2 * (1 - b2) * 4.0 + (1 - b2) * 1.0
    p2 = p1 - lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + eps)
    assert path == pytest.approx([p1, p2], rel=1e-12)
    # L2 weight decay goes through the moments; AdamW's decoupled decay does not
    assert run(lambda ps: Adam(ps, weight_decay=0.1), [0.0])[0] == pytest.approx(1.0 - lr, rel=1e-6)
    decoupled = run(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5), [0.0])[0]
    assert decoupled == pytest.approx(1.0 * (1 - 0.1 * 0.5))
    assert AdamW([Value(0.0)]).weight_decay == 1e-2  # PyTorch's default


def test_defaults_are_pytorchs() -> None:
    p = [Value(0.0)]
    assert SGD(p).lr == 1e-3
    assert (RMSProp(p).lr, RMSProp(p).alpha, RMSProp(p).eps) == (1e-2, 0.99, 1e-8)
    assert (Adam(p).lr, Adam(p).betas, Adam(p).eps, Adam(p).weight_decay) == (
        1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert nn.RMSprop is RMSProp  # PyTorch's spelling works too


def test_step_zero_grad_and_hooks() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=0.1)  # a Module stands for its parameters
    assert opt.params == model.parameters()
    seen: list[float] = []
    opt.add_hook(lambda params: seen.append(clip_grad_norm(params, 1e-3)))
    model([1.0, 2.0]).backward()
    before = [p.data for p in model.parameters()]
    grads = [p.grad for p in model.parameters()]
    opt.step()
    assert seen and seen[0] == pytest.approx(math.sqrt(sum(g * g for g in grads)))
    moved = math.sqrt(sum((p.data - b) ** 2 for p, b in zip(model.parameters(), before)))
    assert moved == pytest.approx(0.1 * 1e-3)  # the hook clipped before the update
    assert opt.steps == 1
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert repr(opt) == "SGD(13 parameters, lr=0.1)"


@pytest.mark.parametrize("make, match", [
    (lambda: SGD([Value(0.0)], lr=0.0), r"SGD\(lr\) must be > 0, got 0.0"),
    (lambda: Adam([Value(0.0)], lr=-1e-3), r"Adam\(lr\) must be > 0, got -0.001"),
    (lambda: SGD([Value(0.0)], lr=math.nan), "must be finite"),
    (lambda: SGD([], lr=0.1), "empty parameter list"),
    (lambda: SGD([Value(0.0), 1.0], lr=0.1), r"SGD: params\[1\] is float 1.0, not a Value"),
    (lambda: SGD([v := Value(0.0), v], lr=0.1), "appears more than once"),
    (lambda: SGD([Value(0.0)], lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
    (lambda: SGD([Value(0.0)], lr=0.1, momentum=-0.5), "momentum.*must be >= 0"),
    (lambda: Adam([Value(0.0)], betas=(0.9, 1.0)), r"betas\[1\]\) must be in \[0, 1\)"),
    (lambda: Adam([Value(0.0)], betas=0.9), "needs a pair"),
    (lambda: RMSProp([Value(0.0)], alpha=1.5), r"alpha\) must be in \[0, 1\]"),
    (lambda: SGD([Value(0.0)], lr="0.1"), "needs a real number, got str"),
    (lambda: Adam([Value(0.0)], eps=0.0), r"Adam\(eps\) must be > 0, got 0.0"),
    (lambda: AdamW([Value(0.0)], eps=0.0), r"AdamW\(eps\) must be > 0"),
    (lambda: RMSProp([Value(0.0)], eps=0.0), r"RMSProp\(eps\) must be > 0"),
    (lambda: clip_grad_norm([v := Value(0.0), v], 1.0), r"params\[1\] .* appears more than once"),
])
def test_bad_optimizer_arguments(make: Callable[[], Any], match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_a_zero_gradient_from_the_start_takes_a_step_of_zero() -> None:
    """A dead unit's weights: every gradient 0, so m = v = 0 and only eps keeps 0 / 0 away."""
    for make in (lambda ps: Adam(ps, eps=1e-300), lambda ps: RMSProp(ps, eps=1e-300),
                 lambda ps: AdamW(ps, eps=1e-300, weight_decay=0.0)):
        assert run(make, [0.0, 0.0, 0.0]) == [1.0, 1.0, 1.0]


# --- schedules --------------------------------------------------------------------------------


def _lrs(scheduler_factory: Callable[[Optimizer], Any], lr: float, steps: int) -> list[float]:
    opt = SGD([Value(0.0)], lr=lr)
    sched = scheduler_factory(opt)
    out = [opt.lr]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(opt.lr)
    return out


def test_linear_schedule_is_micrograds_decay() -> None:
    lrs = _lrs(lambda o: LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=100), 1.0, 110)
    assert lrs[:100] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)], rel=1e-12)
    assert lrs[100:] == pytest.approx([0.1] * 11)


def test_step_and_cosine_schedules() -> None:
    lrs = _lrs(lambda o: StepLR(o, step_size=3, gamma=0.5), 0.8, 7)
    assert lrs == pytest.approx([0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2])
    lrs = _lrs(lambda o: CosineAnnealingLR(o, T_max=4, eta_min=0.1), 1.1, 4)
    assert lrs == pytest.approx([1.1, 0.1 + 0.5 * (1 + math.cos(math.pi / 4)), 0.6,
                                 0.1 + 0.5 * (1 + math.cos(3 * math.pi / 4)), 0.1])
    with pytest.raises(ValueError, match="total_iters.*must be >= 1"):
        LinearLR(SGD([Value(0.0)], lr=1.0), total_iters=0)
    with pytest.raises(TypeError, match="needs an Optimizer"):
        StepLR("sgd", 3)  # type: ignore[arg-type]


def test_every_schedule_starts_from_the_rate_before_the_first_one() -> None:
    opt = SGD([Value(0.0)], lr=1.0)
    warmup = LinearLR(opt, start_factor=0.5, total_iters=4)
    assert opt.lr == 0.5 and opt.initial_lr == 1.0
    decay = StepLR(opt, step_size=2, gamma=0.5)
    assert decay.base_lr == 1.0 == warmup.base_lr  # not the 0.5 the warm-up had set
    # Chained as in PyTorch: the factors multiply, step by step.
    lrs = []
    for _ in range(6):
        opt.step()
        warmup.step()
        decay.step()
        lrs.append(opt.lr)
    assert lrs == pytest.approx([0.625, 0.375, 0.4375, 0.25, 0.25, 0.125])
    # Each reports the rate it set itself: the warm-up held 0.25 before the decay halved it.
    assert decay.get_last_lr() == [0.125] and warmup.get_last_lr() == [0.25]


def test_a_rate_set_by_hand_is_carried_on_from() -> None:
    opt = SGD([Value(0.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.1)
    sched.step()
    opt.lr = 0.3
    sched.step()
    assert opt.lr == pytest.approx(0.03)


def test_the_learning_rate_is_checked_when_assigned() -> None:
    opt = Adam([Value(0.0)], lr=0.1)
    for bad, error, match in [(-1, ValueError, r"Adam.lr must be >= 0, got -1.0"),
                              (math.nan, ValueError, "Adam.lr must be finite"),
                              (math.inf, ValueError, "finite"),
                              ("0.1", TypeError, "Adam.lr needs a real number, got str")]:
        with pytest.raises(error, match=match):
            opt.lr = bad  # type: ignore[assignment]
        assert opt.lr == 0.1
    opt.lr = 0  # a schedule may end at 0
    assert opt.lr == 0.0
    # A schedule that would overflow the rate stops at the step that would, unchanged.
    big = SGD([Value(0.0)], lr=1e300)
    sched = StepLR(big, step_size=1, gamma=1e10)
    with pytest.raises(ValueError, match="SGD.lr must be finite, got inf"):
        sched.step()
    assert (big.lr, sched.last_step, sched.get_last_lr()) == (1e300, 0, [1e300])


# --- clipping -----------------------------------------------------------------------------------


def test_clip_grad_norm_scales_by_the_global_norm_and_returns_it() -> None:
    params = [Value(0.0) for _ in range(3)]
    for p, g in zip(params, [3.0, 4.0, 12.0]):
        p.grad = g
    assert clip_grad_norm(params, 6.5) == 13.0
    assert [p.grad for p in params] == pytest.approx([1.5, 2.0, 6.0])
    assert math.sqrt(sum(p.grad**2 for p in params)) == pytest.approx(6.5)
    assert clip_grad_norm(params, 100.0) == pytest.approx(6.5)  # under the limit: unchanged
    assert [p.grad for p in params] == pytest.approx([1.5, 2.0, 6.0])
    huge = [Value(0.0), Value(0.0)]
    huge[0].grad, huge[1].grad = 1e200, 1e200  # the norm itself must not overflow
    assert clip_grad_norm(huge, 1.0) == pytest.approx(math.sqrt(2) * 1e200)
    assert huge[0].grad == pytest.approx(1 / math.sqrt(2))
    bad = [Value(0.0)]
    bad[0].grad = math.nan
    assert math.isnan(clip_grad_norm(bad, 1.0))
    with pytest.raises(ValueError, match="total gradient norm is nan"):
        clip_grad_norm(bad, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm.*must be > 0"):
        clip_grad_norm(params, 0.0)
    assert nn.clip_grad_norm_ is clip_grad_norm


# --- PyTorch as an oracle -------------------------------------------------------------------------


def _grad_field(x: float, k: int) -> float:
    """A gradient that changes with the parameter and the step (sign changes included)."""
    return math.sin(3 * x + k) * 2.0 + 0.3 * x


OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.9}),
    ("RMSProp", {"lr": 0.01}),
    ("RMSProp", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS)
def test_optimizers_match_pytorch_step_for_step(name: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    start = [0.5, -1.5, 2.0, 0.0]
    ours = [Value(x) for x in start]
    opt = getattr(nn, name)(ours, **kwargs)
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    torch_name = {"RMSProp": "RMSprop"}.get(name, name)
    topt = getattr(torch.optim, torch_name)(theirs, **kwargs)
    for k in range(25):
        for p, t in zip(ours, theirs):
            p.grad = _grad_field(p.data, k)
            t.grad = torch.tensor(_grad_field(t.item(), k), dtype=torch.float64)
        opt.step()
        topt.step()
        assert [p.data for p in ours] == pytest.approx([t.item() for t in theirs], rel=1e-11,
                                                       abs=1e-13)


@pytest.mark.torch
def test_schedules_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler
    cases = [
        (lambda o: LinearLR(o, 1.0, 0.1, 100), lambda o: sched.LinearLR(o, 1.0, 0.1, 100)),
        (lambda o: LinearLR(o), lambda o: sched.LinearLR(o)),
        (lambda o: StepLR(o, 7, 0.5), lambda o: sched.StepLR(o, 7, 0.5)),
        (lambda o: CosineAnnealingLR(o, 30, 0.01), lambda o: sched.CosineAnnealingLR(o, 30, 0.01)),
    ]
    for ours_factory, torch_factory in cases:
        t = torch.tensor(0.0, requires_grad=True)
        topt = torch.optim.SGD([t], lr=0.7)
        tsched = torch_factory(topt)
        expected = [topt.param_groups[0]["lr"]]
        for _ in range(120):
            topt.step()
            tsched.step()
            expected.append(topt.param_groups[0]["lr"])
        assert _lrs(ours_factory, 0.7, 120) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def _torch_lrs(torch: Any, factories: list[Callable[[Any], Any]], steps: int,
               by_hand: tuple[int, float] | None) -> tuple[list[float], list[list[float]]]:
    t = torch.tensor(0.0, requires_grad=True)
    topt = torch.optim.SGD([t], lr=1.0)
    scheds = [make(topt) for make in factories]
    out = [topt.param_groups[0]["lr"]]
    for k in range(steps):
        topt.step()
        for sched in scheds:
            sched.step()
        if by_hand and k == by_hand[0]:
            topt.param_groups[0]["lr"] = by_hand[1]
        out.append(topt.param_groups[0]["lr"])
    return out, [sched.get_last_lr() for sched in scheds]


@pytest.mark.torch
@pytest.mark.parametrize("by_hand", [None, (5, 0.3)])
def test_chained_schedules_and_rates_set_by_hand_match_pytorch(
    by_hand: tuple[int, float] | None
) -> None:
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler
    chains = [
        ([lambda o: LinearLR(o, 0.5, 1.0, 4), lambda o: StepLR(o, 2, 0.5)],
         [lambda o: sched.LinearLR(o, 0.5, 1.0, 4), lambda o: sched.StepLR(o, 2, 0.5)]),
        ([lambda o: LinearLR(o, 0.1, 1.0, 5), lambda o: CosineAnnealingLR(o, 20, 0.01)],
         [lambda o: sched.LinearLR(o, 0.1, 1.0, 5),
          lambda o: sched.CosineAnnealingLR(o, 20, 0.01)]),
        ([lambda o: CosineAnnealingLR(o, 7)], [lambda o: sched.CosineAnnealingLR(o, 7)]),
    ]
    for ours_factories, torch_factories in chains:
        opt = SGD([Value(0.0)], lr=1.0)
        scheds = [make(opt) for make in ours_factories]
        ours = [opt.lr]
        for k in range(40):
            opt.step()
            for s in scheds:
                s.step()
            if by_hand and k == by_hand[0]:
                opt.lr = by_hand[1]
            ours.append(opt.lr)
        expected, last = _torch_lrs(torch, torch_factories, 40, by_hand)
        assert ours == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert [s.get_last_lr() for s in scheds] == [
            [pytest.approx(lr, rel=1e-12)] for (lr,) in last]


@pytest.mark.torch
def test_clip_grad_norm_matches_pytorch() -> None:
    torch = pytest.importorskip("torch")
    grads = [0.3, -4.0, 2.5, 0.0, 1.25]
    ours = [Value(0.0) for _ in grads]
    for p, g in zip(ours, grads):
        p.grad = g
    theirs = [torch.tensor(0.0, dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(theirs, grads):
        t.grad = torch.tensor(g, dtype=torch.float64)
    norm = clip_grad_norm(ours, 2.0)
    tnorm = torch.nn.utils.clip_grad_norm_(theirs, 2.0)
    assert norm == pytest.approx(tnorm.item(), rel=1e-12)
    # PyTorch divides by norm + 1e-6; the seed articles' rule divides by the norm
    assert [p.grad for p in ours] == pytest.approx([t.grad.item() for t in theirs], rel=1e-6)


# --- step() checks every number before it moves anything ---------------------------------


def _model_and_optimizer() -> tuple[nn.MLP, Adam]:
    model = nn.MLP(2, [3, 1], seed=0)
    opt = Adam(model, lr=0.1)
    model([1.0, 2.0]).backward()
    opt.step()  # some state to keep
    return model, opt


def _unchanged(model: nn.MLP, opt: Adam, step: Callable[[], Any], error: type[Exception],
               match: str) -> None:
    weights = {n: p.data for n, p in model.named_parameters() if not isinstance(p.data, Value)}
    state = {p: dict(s) for p, s in opt.state.items()}
    steps = opt.steps
    with pytest.raises(error, match=match):
        step()
    assert {n: p.data for n, p in model.named_parameters() if n in weights} == weights
    assert opt.state == state and opt.steps == steps


def test_a_value_stored_in_data_is_refused_with_the_fix() -> None:
    """The learner's slip from the report: p.data = p - lr * p.grad nests a Value."""
    model, opt = _model_and_optimizer()
    p = model.layers[0].neurons[1].w[0]
    p.data = p - 0.1 * p.grad  # type: ignore[assignment]
    _unchanged(model, opt, opt.step, TypeError,
               r"Adam\.step\(\): layers\.0\.neurons\.1\.w0\.data holds a Value, Value\(.*; "
               r"update it with numbers: write `w\.data -= lr \* w\.grad` "
               r"\(or `w\.data = \(w - lr \* w\.grad\)\.data`\)")


@pytest.mark.parametrize("slot, bad, match", [
    ("grad", Value(0.5), r"w0\.grad holds a Value.*`w\.grad = v\.data`"),
    ("data", "0.5", r"w0\.data holds str '0\.5'; a parameter's data must be a real number"),
    ("grad", None, r"w0\.grad holds NoneType None"),
    ("data", True, r"w0\.data holds bool True"),
])
def test_anything_but_a_real_number_in_data_or_grad_is_refused(
    slot: str, bad: Any, match: str
) -> None:
    model, opt = _model_and_optimizer()
    setattr(model.layers[1].neurons[0].w[0], slot, bad)
    _unchanged(model, opt, opt.step, TypeError, r"layers\.1\.neurons\.0\." + match)


def test_ints_and_numpy_numbers_are_real_numbers() -> None:
    np = pytest.importorskip("numpy")
    p, q = Value(1.0, label="p"), Value(2.0, label="q")
    opt = SGD([p, q], lr=0.5)
    p.grad, q.grad = 0, np.float64(2.0)  # micrograd's zero_grad sets p.grad = 0
    q.data = np.float32(2.0)  # type: ignore[assignment]
    opt.step()
    assert (p.data, q.data) == (1.0, 1.0)


def test_a_parameter_list_names_parameters_by_scope_and_label() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.1)  # a list: no names, but scope and label say it
    model.layers[0].neurons[2].b.grad = "x"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"layers\.0\.neurons\.2\.b\.grad holds str"):
        opt.step()
    bare = Value(1.0)
    bare.grad = Value(1.0)  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"params\[0\]\.grad holds a Value"):
        SGD([bare], lr=0.1).step()


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps), lambda ps: RMSProp(ps),
    lambda ps: AdamW(ps),
])
@pytest.mark.parametrize("gradient", [math.nan, math.inf, -math.inf])
def test_a_non_finite_gradient_moves_nothing(make: Callable[[list[Value]], Optimizer],
                                             gradient: float) -> None:
    ps = [Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")]
    opt = make(ps)
    for p in ps:
        p.grad = 0.5
    opt.step()
    before = ([p.data for p in ps], {p: dict(s) for p, s in opt.state.items()}, opt.steps)
    ps[0].grad, ps[1].grad = 0.25, gradient
    with pytest.raises(nn.NonFiniteGradientError, match=r"the gradient of b is -?(nan|inf); "
                                                        r"no parameter was updated") as info:
        opt.step()
    assert ([p.data for p in ps], {p: dict(s) for p, s in opt.state.items()}, opt.steps) == before
    assert (info.value.index, info.value.name) == (1, "b")
    assert isinstance(info.value, FloatingPointError)


def test_a_gradient_whose_square_overflows_is_refused_where_it_is_squared() -> None:
    for make, refused in ((lambda ps: Adam(ps), True), (lambda ps: RMSProp(ps), True),
                          (lambda ps: SGD(ps, lr=1e-200), False)):
        p = Value(1.0, label="p")
        p.grad = 1e200
        opt = make([p])
        if refused:
            with pytest.raises(nn.NonFiniteGradientError, match="too large to square"):
                opt.step()
            assert opt.state == {} and p.data == 1.0
        else:
            opt.step()
            assert p.data == pytest.approx(0.0, abs=1.0)
    # Many large, finite gradients whose squares only overflow in the sum are fine.
    ps = [Value(0.0) for _ in range(4)]
    for p in ps:
        p.grad = 1e154
    Adam(ps).step()
    assert all(math.isfinite(p.data) for p in ps)


def test_clip_grad_norm_refuses_a_value_gradient() -> None:
    p = Value(1.0, label="w")
    p.grad = Value(3.0)  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"clip_grad_norm: w\.grad holds a Value"):
        clip_grad_norm([p], 1.0)


def test_every_optimizer_checks_a_hyper_parameter_by_the_same_rule() -> None:
    for make in (lambda **kw: SGD([Value(0.0)], lr=0.1, **kw),
                 lambda **kw: RMSProp([Value(0.0)], **kw),
                 lambda **kw: Adam([Value(0.0)], **kw), lambda **kw: AdamW([Value(0.0)], **kw)):
        name = type(make()).__name__
        with pytest.raises(ValueError, match=rf"{name}\(weight_decay\) must be >= 0, got -1.0"):
            make(weight_decay=-1.0)
    for flag_name, make in (("nesterov", lambda **kw: SGD([Value(0.0)], lr=0.1, **kw)),
                            ("centered", lambda **kw: RMSProp([Value(0.0)], **kw)),
                            ("amsgrad", lambda **kw: Adam([Value(0.0)], **kw))):
        with pytest.raises(TypeError, match=rf"\({flag_name}\) needs True or False, got int 1"):
            make(**{flag_name: 1})
    opt = SGD([Value(0.0)], lr=0.1, momentum=0.5)
    with pytest.raises(ValueError, match=r"SGD\(dampening\) must be in \[0, 1\]"):
        opt.set_hyper_parameters(momentum=0.9, dampening=2.0)
    assert opt.momentum == 0.5  # all or nothing
    with pytest.raises(KeyError):
        opt.set_hyper_parameters(unknown=1.0)
