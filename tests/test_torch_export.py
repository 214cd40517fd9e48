"""nn.to_torch, from_torch and load_torch: the exported module computes what the model computes.

Proof, in float64: outputs, parameter gradients and input gradients of every nn module
kind and of random MLPs (Hypothesis) agree with the torch module's to 1e-12, relative to
the largest of them (a norm-wise relative error: summation orders differ, so single
entries near 0 can differ in their last bits); the weights round-trip exactly; and
micrograd's moons model trained 20 steps here and in PyTorch, with the same optimiser,
ends with the same weights. Negative controls break the mapping on purpose (transposed
weights, a wrong activation or slope, a perturbed gradient, another learning rate) and
the checks must catch each one.

Tests that need PyTorch are marked ``torch`` (CI's deeper stage runs them and fails if
one skips); the rest (the names, the refusals, the ImportError without torch) need none.
"""

from __future__ import annotations

import ast
import doctest
import functools
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value
from autograd.testing.strategies import mlps, reals
from nn.torch_export import EXPORTABLE, TorchExportError

ROOT = Path(__file__).resolve().parent.parent
REL = 1e-12  # outputs and gradients, norm-wise relative
TRAIN_REL = 1e-12  # weights after 20 training steps, norm-wise relative


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip("torch")


# --- checking that two computations agree --------------------------------------------------


def _flat(x: Any) -> list[float]:
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [float(x)]


def assert_close(got: Any, want: Any, what: str, rel: float = REL) -> None:
    """Norm-wise: the largest difference is at most ``rel`` times the largest |want|."""
    got, want = _flat(got), _flat(want)
    assert len(got) == len(want), f"{what}: {len(got)} numbers against {len(want)}"
    scale = max((abs(w) for w in want), default=0.0)
    worst = max((abs(g - w) for g, w in zip(got, want)), default=0.0)
    assert worst <= rel * scale, (
        f"{what}: largest difference {worst:.3g} exceeds {rel:g} x {scale:.3g}\n"
        f"chainrule {got[:6]}...\ntorch     {want[:6]}..."
    )


def _as_row(out: Any) -> list[Value]:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def chainrule_pass(model: nn.Module, X: Sequence[Sequence[float]],
                   T: Sequence[Sequence[float]]) -> tuple[list[list[float]], dict[str, float],
                                                          list[list[float]]]:
    """Outputs, parameter gradients and input gradients of mean(sum((out - t)**2))."""
    xs = [[Value(v) for v in row] for row in X]
    outs = [_as_row(model(x)) for x in xs]
    terms = [(o - t) ** 2 for row, trow in zip(outs, T) for o, t in zip(row, trow)]
    loss = autograd.sum(terms) * (1.0 / len(X))
    model.zero_grad()
    loss.backward()
    grads = {name: p.grad for name, p in model.named_parameters()}
    return [[o.data for o in row] for row in outs], grads, [[v.grad for v in r] for r in xs]


def torch_pass(torch: Any, tmodel: Any, names: dict[str, Any], X: Sequence[Sequence[float]],
               T: Sequence[Sequence[float]]) -> tuple[list[list[float]], dict[str, float],
                                                      list[list[float]]]:
    """The same for the torch module, its gradients read back under chainrule's names."""
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out = tmodel(x)
    loss = ((out - torch.tensor(T, dtype=torch.float64)) ** 2).sum() / len(X)
    tmodel.zero_grad()
    loss.backward()
    grads = {}
    for name, (key, index) in names.items():
        g = tmodel.get_parameter(key).grad
        grads[name] = 0.0 if g is None else g[index].item()
    return out.tolist(), grads, x.grad.tolist()


def assert_same_function(torch: Any, model: nn.Module, X: Sequence[Sequence[float]],
                         tmodel: Any = None) -> None:
    """The torch module and the model agree on outputs and all gradients at ``X``."""
    tmodel = nn.to_torch(model) if tmodel is None else tmodel
    names = nn.torch_names(model)
    with autograd.no_grad():
        nout = len(_as_row(model(list(X[0]))))
    T = [[0.25 * (i - j) for j in range(nout)] for i in range(len(X))]
    ours = chainrule_pass(model, X, T)
    theirs = torch_pass(torch, tmodel, names, X, T)
    assert_close(ours[0], theirs[0], "outputs")
    assert list(ours[1]) == list(theirs[1])
    assert_close(list(ours[1].values()), list(theirs[1].values()), "parameter gradients")
    assert_close(ours[2], theirs[2], "input gradients")


def _inputs(nin: int, n: int = 7, seed: int = 0) -> list[list[float]]:
    """Inputs on both sides of 0, so every activation's two sides are used."""
    return [[math.sin(1.3 * i + 0.7 * k + seed) * 2.0 for k in range(nin)] for i in range(n)]


# --- every module kind ----------------------------------------------------------------------

ACTS = list(nn.ACTIVATIONS)


def _kinds() -> dict[str, Callable[[], nn.Module]]:
    """One or more models of every kind nn exports, by a readable id."""
    kinds: dict[str, Callable[[], nn.Module]] = {}
    for act in ACTS:
        kinds[f"Neuron-{act}"] = lambda act=act: nn.Neuron(3, act, seed=1)
        kinds[f"Layer-{act}"] = lambda act=act: nn.Layer(3, 4, act, seed=2)
        kinds[f"MLP-{act}"] = lambda act=act: nn.MLP(2, [5, 4, 2], act, output_activation=act,
                                                     seed=3)
    kinds["Neuron-no-bias"] = lambda: nn.Neuron(2, "tanh", bias=False, seed=4)
    kinds["Layer-no-bias"] = lambda: nn.Layer(2, 3, "sigmoid", bias=False, seed=5)
    kinds["MLP-moons"] = lambda: nn.MLP(2, [16, 16, 1], seed=1337)
    kinds["MLP-no-bias-he"] = lambda: nn.MLP(3, [4, 1], "leaky_relu", bias=False, init="he",
                                             seed=6)
    kinds["Sequential"] = lambda: nn.Sequential(
        nn.Layer(2, 4, "tanh", seed=7), nn.Dropout(0.3, seed=0), nn.Neuron(4, "sigmoid", seed=8))
    kinds["Sequential-nested"] = lambda: nn.Sequential(
        nn.MLP(2, [3, 3], seed=9), nn.Sequential(nn.Layer(3, 2, "leaky_relu", seed=10)),
        nn.Neuron(2, "linear", seed=11))
    kinds["Sequential-shared-layer"] = _shared
    kinds["Dropout"] = lambda: nn.Dropout(0.4, seed=0)
    return kinds


def _shared() -> nn.Module:
    layer = nn.Layer(3, 3, "tanh", seed=12)
    return nn.Sequential(layer, layer, nn.Neuron(3, "linear", seed=13))


KINDS = _kinds()


def _nin(model: nn.Module) -> int:
    first = model
    while isinstance(first, nn.Sequential):
        first = first[0]
    return getattr(first, "nin", 3)


def test_every_module_kind_nn_exports_can_be_exported() -> None:
    """A new module class in nn fails here until to_torch knows it (or refuses it on purpose)."""
    exported = {obj for obj in vars(nn).values()
                if isinstance(obj, type) and issubclass(obj, nn.Module) and obj is not nn.Module}
    assert exported == set(EXPORTABLE)
    tested = {type(make()) for make in KINDS.values()}
    assert tested == set(EXPORTABLE)


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_outputs_and_gradients_agree_on_every_kind(torch: Any, kind: str) -> None:
    model = KINDS[kind]().eval()  # eval: the two libraries draw different dropout masks
    assert_same_function(torch, model, _inputs(_nin(model)))


@pytest.mark.torch
@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_on_every_kind(torch: Any, kind: str) -> None:
    model = KINDS[kind]()
    tmodel = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in tmodel.parameters())
    again = nn.from_torch(tmodel)  # rebuilt from the torch module alone
    assert type(again) is type(model) and repr(again) == repr(model)
    assert again.state_dict() == model.state_dict()  # exactly: float64 holds every weight
    assert list(again.state_dict()) == list(model.state_dict())
    like = nn.from_torch(tmodel, like=KINDS[kind]())
    assert like.state_dict() == model.state_dict()
    # Trained in torch (here: every weight moved), loaded back into the model itself.
    with torch.no_grad():
        for i, p in enumerate(tmodel.parameters()):
            p.add_(0.01 * (i + 1))
    before = nn.to_torch(model).state_dict()
    assert nn.load_torch(model, tmodel) is model
    assert model.state_dict() != again.state_dict() or not model.num_parameters()
    for key, tensor in tmodel.state_dict().items():
        assert torch.equal(nn.to_torch(model).state_dict()[key], tensor), key
        assert not torch.equal(before[key], tensor)
    model.eval()
    tmodel.eval()
    assert_same_function(torch, model, _inputs(_nin(model)), tmodel)


@pytest.mark.torch
def test_shared_modules_stay_shared(torch: Any) -> None:
    model = _shared()
    tmodel = nn.to_torch(model)
    assert tmodel[0] is tmodel[1]
    assert list(tmodel.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias",
                                         "2.weight", "2.bias"]
    again = nn.from_torch(tmodel)
    assert again[0] is again[1]
    state = dict(tmodel.state_dict())
    state["1.bias"] = state["1.bias"] + 1.0  # the two copies of one module disagree
    with pytest.raises(nn.StateDictError, match="'1.bias' and '0.bias' belong to one module"):
        nn.load_torch(model, state)


# --- random MLPs ------------------------------------------------------------------------------

KINKED = {"relu", "leaky_relu"}


@st.composite
def nn_mlps(draw: st.DrawFn) -> tuple[nn.MLP, list[list[float]]]:
    """An nn.MLP with random sizes, activations and weights (from ``mlps``), and a batch."""
    drawn = draw(mlps(n_inputs=(1, 4), hidden_layers=(0, 3), width=(1, 5), n_outputs=(1, 3),
                      activations=["relu", "tanh", "sigmoid", "leaky_relu"]))
    output = draw(st.sampled_from(ACTS))
    sizes = drawn.sizes
    model = nn.MLP(sizes[0], list(sizes[1:]), drawn.activation, output_activation=output, seed=0)
    model.load_state_dict(dict(zip(model.state_dict(), drawn.params)))
    extra = draw(st.lists(st.lists(reals(-3.0, 3.0), min_size=sizes[0], max_size=sizes[0]),
                          min_size=0, max_size=3))
    X = [list(drawn.inputs), *extra]
    # Away from kinks (mlps keeps its own pre-activations there, for its own slope): at a
    # kink the two libraries' rounding could put a pre-activation on different sides.
    for x in X:
        h: list[Any] = x
        for layer in model.layers:
            pre = [autograd.dot(n.w, h).data + n.b.data for n in layer.neurons]
            if layer.activation in KINKED:
                scale = 1.0 + sum(abs(v) for v in h)
                assume(all(abs(v) > 1e-6 * scale for v in pre))
            with autograd.no_grad():
                h = [v.data for v in layer.outputs([Value(v) for v in h])]
    return model, X


@pytest.mark.torch
@given(nn_mlps())
def test_random_mlps_agree_with_their_export(case: tuple[nn.MLP, list[list[float]]]) -> None:
    torch = pytest.importorskip("torch")
    model, X = case
    assert_same_function(torch, model, X)
    again = nn.from_torch(nn.to_torch(model))
    assert again.state_dict() == model.state_dict() and again.config() == model.config()


# --- negative controls: a wrong mapping must be caught -----------------------------------------


def _transposed_plan(real_plan: Callable[..., Any]) -> Callable[..., Any]:
    def plan(model: nn.Module) -> Any:
        layout = real_plan(model)
        for name, (key, index) in layout.places.items():
            if len(index) == 2 and len(set(layout.shapes[key])) == 1:
                layout.places[name] = (key, index[::-1])
        return layout
    return plan


@pytest.mark.torch
def test_transposed_weights_are_caught_by_the_outputs_not_by_a_round_trip(
    torch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nn.torch_export as export

    model = nn.MLP(3, [3, 3, 1], "tanh", seed=0)  # square layers: transposing fits the shapes
    monkeypatch.setattr(export, "plan", _transposed_plan(export.plan))
    tmodel = nn.to_torch(model)
    # Export and import make the same mistake both ways, so a round trip alone passes ...
    assert nn.from_torch(tmodel, like=model).state_dict() == model.state_dict()
    # ... and comparing what the two compute does not.
    with pytest.raises(AssertionError, match="outputs"):
        assert_same_function(torch, model, _inputs(3), tmodel)


@pytest.mark.torch
@pytest.mark.parametrize("act, wrong", [("tanh", "Sigmoid"), ("relu", "Identity"),
                                        ("sigmoid", "Tanh"), ("linear", "ReLU")])
def test_a_wrong_activation_is_caught(
    torch: Any, monkeypatch: pytest.MonkeyPatch, act: str, wrong: str
) -> None:
    import nn.torch_modules as tm

    monkeypatch.setitem(tm.ACTIVATIONS, act, getattr(torch.nn, wrong))
    model = nn.Layer(2, 3, act, seed=0)
    with pytest.raises(AssertionError, match="outputs"):
        assert_same_function(torch, model, _inputs(2))


@pytest.mark.torch
def test_a_wrong_leaky_slope_is_caught(torch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    import nn.torch_modules as tm

    monkeypatch.setitem(tm.ACTIVATIONS, "leaky_relu", functools.partial(torch.nn.LeakyReLU, 0.02))
    with pytest.raises(AssertionError, match="outputs"):
        assert_same_function(torch, nn.Layer(2, 3, "leaky_relu", seed=0), _inputs(2))


@pytest.mark.torch
@pytest.mark.parametrize("where", ["output", "gradient"])
def test_the_checks_see_a_difference_of_one_part_in_a_billion(
    torch: Any, where: str
) -> None:
    model = nn.MLP(2, [4, 2], "tanh", seed=0)
    tmodel = nn.to_torch(model)
    if where == "output":
        tmodel.layers[1].register_forward_hook(lambda m, i, out: out * (1 + 1e-9))
    else:
        tmodel.layers[0].weight.register_hook(lambda g: g * (1 + 1e-9))
    with pytest.raises(AssertionError, match="outputs" if where == "output" else "parameter"):
        assert_same_function(torch, model, _inputs(2), tmodel)


# --- training both for 20 steps ------------------------------------------------------------

MOONS = nn.data.make_moons(100, noise=0.1, seed=1)

# name -> (nn optimiser, torch optimiser, kwargs both take)
OPTIMISERS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "SGD": ("SGD", "SGD", {"lr": 1.0}),
    "SGD-momentum-nesterov": ("SGD", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    "Adam": ("Adam", "Adam", {"lr": 0.02}),
    "AdamW": ("AdamW", "AdamW", {"lr": 0.02, "weight_decay": 0.05}),
    "RMSProp": ("RMSProp", "RMSprop", {"lr": 0.01, "momentum": 0.5}),
}


def _setup(optimiser: str, batch_size: int | None) -> tuple[Any, Any, Any, dict[str, Any], int]:
    X, labels = MOONS
    y = [2 * t - 1 for t in labels]
    epochs = 20 if batch_size is None else 20 * batch_size // len(X)  # 20 steps either way
    return X, y, OPTIMISERS[optimiser], {"batch_size": batch_size}, epochs


def _moons_model() -> nn.MLP:
    return nn.MLP(2, [16, 16, 1], seed=1337)


@functools.cache
def _trained_here(optimiser: str, batch_size: int | None, schedule: bool) -> dict[str, float]:
    """micrograd's moons model after 20 steps of nn.fit: SVM loss + 1e-4 L2, micrograd's decay."""
    X, y, (ours, _, kwargs), _, epochs = _setup(optimiser, batch_size)
    model = _moons_model()
    opt = getattr(nn, ours)(model.parameters(), **kwargs)
    sched = nn.LinearLR(opt, 1.0, 0.1, 100) if schedule else None
    nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=opt, scheduler=sched, epochs=epochs,
           batch_size=batch_size, shuffle=batch_size is not None, seed=5, verbose=False)
    return model.state_dict()


def _trained_in_torch(torch: Any, optimiser: str, batch_size: int | None, schedule: bool,
                      lr_factor: float = 1.0) -> dict[str, float]:
    """The same 20 steps on the exported model, with torch's optimiser and loss, brought back."""
    X, y, (_, theirs, kwargs), _, epochs = _setup(optimiser, batch_size)
    model = _moons_model()
    tmodel = nn.to_torch(model)
    topt = getattr(torch.optim, theirs)(tmodel.parameters(),
                                        **{**kwargs, "lr": kwargs["lr"] * lr_factor})
    tsched = torch.optim.lr_scheduler.LinearLR(topt, 1.0, 0.1, 100) if schedule else None
    # The same batches in the same order: fit's loader, made again from the same seed.
    loader = nn.data.DataLoader(X, y, batch_size or len(X), shuffle=batch_size is not None,
                                seed=5)
    for _ in range(epochs):
        for Xb, yb in loader:
            scores = tmodel(torch.tensor(Xb, dtype=torch.float64)).squeeze(1)
            target = torch.tensor(yb, dtype=torch.float64)
            loss = torch.relu(1 - target * scores).mean()
            loss = loss + 1e-4 * sum((p * p).sum() for p in tmodel.parameters())
            topt.zero_grad()
            loss.backward()
            topt.step()
        if tsched is not None:
            tsched.step()
    return nn.from_torch(tmodel, like=model).state_dict()


def _check_training(torch: Any, optimiser: str, batch_size: int | None = None) -> None:
    schedule = optimiser == "SGD"
    ours = _trained_here(optimiser, batch_size, schedule)
    start = _moons_model().state_dict()
    moved = max(abs(ours[k] - start[k]) for k in start)
    assert moved > 0.05, f"training barely moved the weights ({moved}); the test would be weak"
    theirs = _trained_in_torch(torch, optimiser, batch_size, schedule)
    assert_close(list(ours.values()), list(theirs.values()), "weights after 20 steps", TRAIN_REL)


@pytest.mark.torch
@pytest.mark.parametrize("optimiser", ["SGD", "Adam"])
def test_twenty_moons_steps_end_with_the_same_weights(torch: Any, optimiser: str) -> None:
    """SGD with micrograd's learning-rate decay (LinearLR), and Adam; full batch."""
    _check_training(torch, optimiser)


@pytest.mark.torch
@pytest.mark.deep
@pytest.mark.parametrize("optimiser", ["SGD-momentum-nesterov", "AdamW", "RMSProp"])
def test_twenty_moons_steps_with_more_optimisers(torch: Any, optimiser: str) -> None:
    _check_training(torch, optimiser)


@pytest.mark.torch
@pytest.mark.deep
def test_twenty_mini_batch_steps_end_with_the_same_weights(torch: Any) -> None:
    _check_training(torch, "Adam", batch_size=25)


@pytest.mark.torch
@pytest.mark.parametrize("optimiser", ["SGD", "Adam"])
def test_training_with_another_learning_rate_is_caught(torch: Any, optimiser: str) -> None:
    schedule = optimiser == "SGD"
    ours = _trained_here(optimiser, None, schedule)
    theirs = _trained_in_torch(torch, optimiser, None, schedule, lr_factor=1.0 + 1e-6)
    with pytest.raises(AssertionError, match="weights after 20 steps"):
        assert_close(list(ours.values()), list(theirs.values()), "weights after 20 steps",
                     TRAIN_REL)


# --- options, modes and bad input ------------------------------------------------------------


@pytest.mark.torch
def test_dtype_device_and_modes(torch: Any) -> None:
    model = nn.Sequential(nn.Layer(2, 3, seed=0), nn.Dropout(0.5, seed=0), nn.Neuron(3, seed=0))
    t32 = nn.to_torch(model, dtype=torch.float32, device="cpu")
    assert {p.dtype for p in t32.parameters()} == {torch.float32}
    back = nn.from_torch(t32, like=model)
    for name, value in model.state_dict().items():  # rounded to float32, no further
        assert back.state_dict()[name] == float(torch.tensor(value, dtype=torch.float32))
    assert t32.training and t32[1].training
    model[1].eval()
    t = nn.to_torch(model)
    assert t.training and not t[1].training and t[0].training
    assert nn.from_torch(t)[1].training is False
    model.eval()
    assert not any(m.training for m in nn.to_torch(model).modules())
    # load_torch copies weights only, as load_state_dict does
    model.train()
    nn.load_torch(model, nn.to_torch(model.eval()).train())
    assert not model.training
    with pytest.raises(TypeError, match=r"to_torch\(dtype\) needs a real floating-point"):
        nn.to_torch(model, dtype=torch.int64)
    with pytest.raises(TypeError, match="floating-point"):
        nn.to_torch(model, dtype="float64")  # type: ignore[arg-type]
    big = nn.Neuron(1, seed=0)
    big.w[0].data = 1e6
    with pytest.raises(ValueError, match="'w0' is 1000000.0, which overflows torch.float16"):
        nn.to_torch(big, dtype=torch.float16)
    big.w[0].data = math.nan
    with pytest.raises(ValueError, match="'w0' is nan; only finite weights"):
        nn.to_torch(big)


@pytest.mark.torch
def test_export_leaves_torchs_random_state_alone(torch: Any) -> None:
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    nn.to_torch(nn.MLP(2, [16, 16, 1], seed=0))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.torch
def test_the_torch_module_is_made_of_standard_parts(torch: Any) -> None:
    from nn.torch_modules import TorchLayer, TorchMLP, TorchNeuron

    tmodel = nn.to_torch(nn.MLP(2, [16, 16, 1], "leaky_relu", output_activation="sigmoid",
                                seed=0))
    assert type(tmodel) is TorchMLP and isinstance(tmodel.layers, torch.nn.ModuleList)
    assert all(isinstance(layer, torch.nn.Linear) for layer in tmodel.layers)
    assert [type(layer.activation).__name__ for layer in tmodel.layers] == [
        "LeakyReLU", "LeakyReLU", "Sigmoid"]
    assert tmodel.layers[0].activation.negative_slope == 0.01
    assert list(tmodel.state_dict()) == [f"layers.{i}.{w}" for i in range(3)
                                         for w in ("weight", "bias")]
    assert type(nn.to_torch(nn.Neuron(3, seed=0))) is TorchNeuron
    assert isinstance(nn.to_torch(nn.Neuron(3, seed=0)), TorchLayer)
    # one sample in, one out; a batch keeps its batch dimension, also for one output
    x = torch.zeros(2, dtype=torch.float64)
    assert tmodel(x).shape == (1,) and tmodel(torch.zeros(5, 2, dtype=torch.float64)).shape == (
        5, 1)
    # TorchMLP built by hand (random weights) comes back as an nn.MLP
    hand = TorchMLP(3, [4, 2], "tanh", output_activation="sigmoid").double()
    back = nn.from_torch(hand)
    assert isinstance(back, nn.MLP) and back.config() == nn.MLP(
        3, [4, 2], "tanh", "sigmoid").config()
    assert_same_function(torch, back, _inputs(3), hand)


def _damaged(torch: Any, model: nn.Module) -> dict[str, Callable[[], Any]]:
    """Torch weights that must not load into ``model``, each with nothing written."""
    good = nn.to_torch(model).state_dict()

    def changed(**edits: Any) -> dict[str, Any]:
        state = dict(good)
        for key, value in edits.items():
            key = key.replace("__", ".")
            if value is None:
                del state[key]
            else:
                state[key] = value
        return state

    nan_last = good["layers.1.bias"].clone()
    nan_last[-1] = math.nan
    return {
        "missing": lambda: changed(layers__1__bias=None),
        "unexpected": lambda: {**good, "layers.2.weight": torch.zeros(1, 4)},
        "shape": lambda: changed(layers__0__weight=torch.zeros(2, 4, dtype=torch.float64)),
        "int": lambda: changed(layers__0__bias=torch.zeros(4, dtype=torch.int64)),
        "not a tensor": lambda: changed(layers__0__bias=[0.0] * 4),
        "nan": lambda: changed(layers__1__bias=nan_last),
        "inf": lambda: changed(layers__1__weight=good["layers.1.weight"] / 0.0),
        "activation": lambda: nn.to_torch(nn.MLP(2, [4, 1], "tanh", seed=0)),
        "plain torch": lambda: torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(),
                                                   torch.nn.Linear(4, 1)).double(),
        "not a module": lambda: "model.pt",
    }


DAMAGE = {
    "missing": (nn.StateDictError, r"missing 1 key\(s\): 'layers.1.bias'"),
    "unexpected": (nn.StateDictError, r"unexpected 1 key\(s\): 'layers.2.weight'"),
    "shape": (nn.StateDictError, r"'layers.0.weight' has shape \(2, 4\), but the MLP needs "
                                 r"\(4, 2\)"),
    "int": (TypeError, "'layers.0.bias' is a torch.int64 tensor"),
    "not a tensor": (TypeError, "'layers.0.bias' must be a tensor, got list"),
    "nan": (nn.StateDictError, r"layers.1.bias\[0\] \(the MLP's 'layers.1.neurons.0.b'\) is nan"),
    "inf": (nn.StateDictError, r"layers.1.weight\[0, 0\] .* is (inf|-inf|nan)"),
    "activation": (nn.StateDictError, "not shaped like the MLP: at the top it is MLP.*'tanh'.*"
                                      "where the model has MLP.*'relu'"),
    "plain torch": (nn.StateDictError, "missing 4 key"),
    "not a module": (TypeError, "needs a torch.nn.Module or its state_dict"),
}


@pytest.mark.torch
@pytest.mark.parametrize("damage", DAMAGE)
def test_bad_torch_weights_leave_the_model_unchanged(torch: Any, damage: str) -> None:
    model = nn.MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    source = _damaged(torch, model)[damage]()
    error, match = DAMAGE[damage]
    with pytest.raises(error, match=match):
        nn.load_torch(model, source)
    assert model.state_dict() == before
    with pytest.raises(error, match=match):
        nn.from_torch(source, like=model)
    assert model.state_dict() == before


@pytest.mark.torch
def test_a_torch_module_of_your_own_loads_by_its_keys(torch: Any) -> None:
    class Twin(torch.nn.Module):  # written by hand, with the keys of MLP(2, [4, 1])
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 4), torch.nn.Linear(4, 1)])

        def forward(self, x: Any) -> Any:
            return self.layers[1](torch.relu(self.layers[0](x)))

    twin = Twin().double()
    model = nn.load_torch(nn.MLP(2, [4, 1], seed=0), twin)
    assert_same_function(torch, model, _inputs(2), twin)
    with pytest.raises(TorchExportError, match="it is Twin; from_torch rebuilds .* pass like="):
        nn.from_torch(twin)
    with pytest.raises(TorchExportError, match=r"the part '0' of the torch module: it is Linear"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)))
    gelu = nn.to_torch(nn.Layer(2, 2, seed=0))
    gelu.activation = torch.nn.GELU()
    with pytest.raises(TorchExportError, match="its activation is GELU"):
        nn.from_torch(gelu)
    with pytest.raises(nn.StateDictError, match="does not compute what the Layer does"):
        nn.load_torch(nn.Layer(2, 2, seed=0), gelu)
    with pytest.raises(TypeError, match="without like= needs a torch.nn.Module"):
        nn.from_torch(gelu.state_dict())


# --- the names, and what cannot be exported (no PyTorch needed) --------------------------------


def test_names_follow_the_layer_structure() -> None:
    names = nn.torch_names(nn.MLP(2, [3, 1], seed=0))
    assert list(names) == list(nn.MLP(2, [3, 1], seed=0).state_dict())
    assert names["layers.0.neurons.2.w1"] == ("layers.0.weight", (2, 1))
    assert names["layers.0.neurons.2.b"] == ("layers.0.bias", (2,))
    assert names["layers.1.neurons.0.w2"] == ("layers.1.weight", (0, 2))
    assert nn.torch_names(nn.Neuron(2, seed=0)) == {
        "w0": ("weight", (0, 0)), "w1": ("weight", (0, 1)), "b": ("bias", (0,))}
    seq = nn.torch_names(nn.Sequential(nn.Dropout(0.1), nn.Layer(1, 2, seed=0)))
    assert seq == {"1.neurons.0.w0": ("1.weight", (0, 0)), "1.neurons.0.b": ("1.bias", (0,)),
                   "1.neurons.1.w0": ("1.weight", (1, 0)), "1.neurons.1.b": ("1.bias", (1,))}
    # Every chainrule name of a model has its own place.
    model = KINDS["Sequential-nested"]()
    places = list(nn.torch_names(model).values())
    assert len(set(places)) == len(places) == model.num_parameters()


class Custom(nn.Module):
    def __init__(self) -> None:
        self.a = nn.Layer(2, 2, seed=0)

    def forward(self, x: Any) -> Any:
        return self.a(x)


class MyLayer(nn.Layer):
    pass


def _tied() -> nn.Module:
    first, second = nn.Layer(2, 2, seed=0), nn.Layer(2, 2, seed=1)
    second.neurons[1].w[0] = first.neurons[0].w[1]
    return nn.Sequential(first, second)


def _mixed_layer() -> nn.Module:
    layer = nn.Layer(2, 2, seed=0)
    layer.neurons[1] = nn.Neuron(2, "tanh", seed=0)
    return nn.Sequential(layer)


def _extra_parameter() -> nn.Module:
    model = nn.MLP(2, [2], seed=0)
    model.scale = Value(2.0)
    return model


REFUSED = {
    "custom": (Custom, "cannot export the model: Custom is a module of your own"),
    "custom inside": (lambda: nn.Sequential(nn.Layer(2, 2, seed=0), Custom()),
                      "cannot export the part '1' of the model: Custom is a module of your own"),
    "subclass": (lambda: nn.Sequential(MyLayer(2, 2, seed=0)),
                 "the part '0' of the model: MyLayer is a subclass of nn.Layer"),
    "tied weights": (_tied, "'0.neurons.0.w1' and '1.neurons.1.w0' are the same Value"),
    "mixed activations": (_mixed_layer, "'0.neurons.1' of the model: it applies 'tanh' in a "
                                        "Layer of 'relu' neurons"),
    "extra parameter": (_extra_parameter, "its parameter 'scale' is not a weight or bias"),
    "not a module": (lambda: [nn.Layer(2, 2, seed=0)], "expected an nn Module, got list"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_model_torch_cannot_express_is_refused_by_name(case: str) -> None:
    make, message = REFUSED[case]
    error = TypeError if case == "not a module" else TorchExportError
    with pytest.raises(error, match=re.escape(message)):
        nn.torch_names(make())


@pytest.mark.torch
def test_to_torch_refuses_the_same_models(torch: Any) -> None:
    for case, (make, message) in REFUSED.items():
        error = TypeError if case == "not a module" else TorchExportError
        with pytest.raises(error, match=re.escape(message)):
            nn.to_torch(make())
        if case != "not a module":
            with pytest.raises(TorchExportError, match=re.escape(message)):
                nn.from_torch(torch.nn.Sequential(), like=make())


def _doctests(names: set[str] | None) -> doctest.TestResults:
    import nn.torch_export as export

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(export):
        if test.examples and (names is None or test.name.rpartition(".")[2] in names):
            runner.run(test)
    return runner.summarize(verbose=False)


def test_the_names_docstring_example_runs_without_torch() -> None:
    assert _doctests({"torch_names"}) == (0, 3)


@pytest.mark.torch
def test_every_docstring_example_runs(torch: Any) -> None:
    result = _doctests(None)
    assert result.failed == 0 and result.attempted >= 5


def test_without_torch_the_functions_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    model = nn.MLP(2, [1], seed=0)
    for call in (lambda: nn.to_torch(model), lambda: nn.from_torch(object(), like=model),
                 lambda: nn.load_torch(model, {})):
        with pytest.raises(ImportError, match=re.escape('pip install "chainrule[torch]"')):
            call()
    assert nn.torch_names(model)  # the names need no torch


def test_nn_imports_without_torch() -> None:
    code = ("import sys; sys.modules['torch'] = None\n"
            "import nn; m = nn.MLP(2, [3, 1], seed=0); print(len(nn.torch_names(m)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "13"
    code = "import sys, nn; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.stdout.strip() == "False", "import nn imported torch"


# --- the README's example -------------------------------------------------------------------


def _readme_example() -> str:
    """The README's torch example: fenced skip-test there, since the default run has no torch."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## When you outgrow chainrule\n"):]
    found = re.search(r"^```python skip-test\n(.*?)^```$", section, re.M | re.S)
    assert found, "the README's section has no example block"
    return found.group(1)


@pytest.mark.torch
def test_the_readme_example_runs(torch: Any, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_readme_example(), "README.md (When you outgrow chainrule)", "exec"),
         {"__name__": "__main__"})
    assert capsys.readouterr().out == "('layers.1.weight', (3, 0))\n"


# --- every test that needs PyTorch is marked, so CI's deeper stage runs it ---------------------


def _needs_torch(tree: ast.Module) -> set[str]:
    """Names of the functions in a test module that import torch (importorskip), and of the
    functions that use one of those (as a fixture argument or by calling it), transitively."""
    functions = {node.name: node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    used = {name: {a.arg for a in node.args.args}
            | {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for name, node in functions.items()}

    def imports_torch(node: ast.AST) -> bool:
        return any(isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "importorskip"
                   and n.args and isinstance(n.args[0], ast.Constant)
                   and n.args[0].value == "torch" for n in ast.walk(node))

    needs = {name for name, node in functions.items() if imports_torch(node)}
    while True:
        more = set()
        for name in functions:
            if name not in needs and used[name] & needs:
                more.add(name)
        if not more:
            return needs
        needs |= more


def _marked_torch(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any("mark.torch" in ast.unparse(d) for d in node.decorator_list)


def unmarked_torch_tests(source: str) -> list[str]:
    if 'importorskip("torch")' not in source:
        return []
    tree = ast.parse(source)
    if any(isinstance(n, ast.Assign) and "pytestmark" in ast.unparse(n.targets[0])
           and "torch" in ast.unparse(n.value) for n in tree.body):
        return []
    needs = _needs_torch(tree)
    return [node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_") and node.name in needs and not _marked_torch(node)
            and "marks=pytest.mark.torch" not in ast.unparse(node)]


def test_every_test_that_needs_torch_is_marked_torch() -> None:
    """An unmarked one is skipped by the README's test run (no torch there) and not selected
    by the deeper stage's -m "deep or browser or torch": it would never run in CI."""
    unmarked = {path.name: found for path in sorted((ROOT / "tests").glob("test_*.py"))
                if (found := unmarked_torch_tests(path.read_text(encoding="utf-8")))}
    assert not unmarked, f"tests that need PyTorch without @pytest.mark.torch: {unmarked}"


def test_the_marker_check_sees_an_unmarked_torch_test() -> None:
    source = '''
import pytest

@pytest.fixture
def torch():
    return pytest.importorskip("torch")

def helper():
    return pytest.importorskip("torch")

@pytest.mark.torch
def test_marked(torch):
    pass

def test_fixture(torch):
    pass

def test_helper():
    helper()

def test_direct():
    pytest.importorskip("torch")

def test_plain():
    pass
'''
    assert sorted(unmarked_torch_tests(source)) == ["test_direct", "test_fixture", "test_helper"]


@pytest.mark.deep  # two pytest runs in subprocesses
def test_a_skipped_torch_test_fails_the_deeper_stage() -> None:
    """CHAINRULE_NO_SKIP=1 (set by .ci/run's deeper stage) turns a skip into a failed run."""
    code = ("import sys; sys.modules['torch'] = None  # as if PyTorch were not installed\n"
            "import pytest\n"
            "raise SystemExit(pytest.main(['-q', '-p', 'no:cacheprovider', '-m', 'torch', "
            "'tests/test_nn_losses.py::test_regression_losses_match_pytorch']))\n")
    results = {}
    for no_skip in ("1", ""):
        env = {**os.environ, "CHAINRULE_NO_SKIP": no_skip}
        results[no_skip] = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                          text=True, timeout=300, cwd=ROOT, env=env)
    assert "1 skipped" in results["1"].stdout
    assert results["1"].returncode == 1, results["1"].stdout[-2000:]
    assert "CHAINRULE_NO_SKIP=1: 1 test(s) skipped, which fails this run" in results["1"].stdout
    assert results[""].returncode == 0, results[""].stdout[-2000:]  # the control
