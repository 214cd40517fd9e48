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
one skips). Bad input and refusals: test_torch_export_errors.py.
"""

from __future__ import annotations

import functools
import math
import re
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
from nn.torch_export import EXPORTABLE

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
