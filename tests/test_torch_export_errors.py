"""nn.to_torch, from_torch and load_torch: options, modes, and bad input of every kind.

Bad torch weights (missing or unexpected keys, wrong shapes or dtypes, NaN, another
structure) raise before anything is written, so the model is unchanged; a model that
PyTorch cannot express is refused naming the part; without PyTorch the functions say how
to install it and ``import nn`` does not need it. Tests that need PyTorch are marked
``torch``.
"""

from __future__ import annotations

import doctest
import math
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from test_torch_export import KINDS, ROOT, _inputs, assert_same_function

import nn
from autograd import Value
from nn.torch_export import TorchExportError


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip("torch")


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
    import nn.torch_export
    import nn.torch_layout

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for module in (nn.torch_layout, nn.torch_export):
        for test in doctest.DocTestFinder().find(module):
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
