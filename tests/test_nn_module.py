"""nn modules: parameters and names, micrograd compatibility, scopes, init, modes, state dicts."""

from __future__ import annotations

import copy
import importlib
import json
import math
import os
import pickle
import random
from typing import Any

import pytest

import nn
from autograd import Value, no_grad, scope, topological_order
from nn import MLP, SGD, Dropout, Layer, Module, Neuron, Sequential, StateDictError

# --- structure and micrograd compatibility -----------------------------------------------


def test_parameter_counts_match_micrograd_and_the_lecture() -> None:
    assert MLP(2, [16, 16, 1], seed=0).num_parameters() == 337
    assert len(MLP(2, [16, 16, 1], seed=0).parameters()) == 337
    lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    assert lecture.num_parameters() == 41
    assert Neuron(5, seed=0).num_parameters() == 6
    assert Layer(3, 4, bias=False, seed=0).num_parameters() == 12


def test_defaults_are_micrograds_relu_hidden_linear_output_uniform_zero_bias() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert min(weights) < -0.8 and max(weights) > 0.8  # really U(-1, 1), not a narrower range
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


def test_same_weights_and_outputs_as_micrograd_for_the_same_seed() -> None:
    # micrograd is in the test extra, so on CI a missing install is a failure, not a skip.
    mg_nn = (importlib.import_module("micrograd.nn") if os.environ.get("CI")
             else pytest.importorskip("micrograd.nn"))
    state = random.getstate()
    try:
        random.seed(1337)
        theirs = mg_nn.MLP(2, [16, 16, 1])
    finally:
        random.setstate(state)
    ours = MLP(2, [16, 16, 1], seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.5, -1.25], [2.0, 0.75], [-1.0, -1.0]):
        assert ours(x).data == pytest.approx(theirs(x).data, rel=1e-12, abs=1e-12)


def test_micrograd_keywords_and_reprs() -> None:
    assert repr(Neuron(2, seed=0)) == "ReLUNeuron(2)"
    assert repr(Neuron(2, nonlin=False, seed=0)) == "LinearNeuron(2)"
    assert repr(Neuron(2, False, seed=0)) == "LinearNeuron(2)"  # micrograd's positional flag
    assert Neuron(3, nonlin=False, seed=0).nonlin is False
    assert Layer(2, 3, nonlin=False, seed=0).activation == "linear"
    assert Neuron(2, "tanh", seed=0).nonlin is True
    with pytest.raises(TypeError, match="either activation= or nonlin="):
        Neuron(2, "tanh", nonlin=True)


def test_nested_repr_and_summary_read_like_the_model() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert repr(model) == (
        "MLP(\n"
        "  (layers.0): Layer(nin=2, nout=16, activation='relu')\n"
        "  (layers.1): Layer(nin=16, nout=16, activation='relu')\n"
        "  (layers.2): Layer(nin=16, nout=1, activation='linear')\n"
        ")"
    )
    seq = Sequential(Layer(2, 3, seed=0), Dropout(0.25), Sequential(Layer(3, 1, seed=0)))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Layer(nin=2, nout=3, activation='relu')\n"
        "  (1): Dropout(p=0.25)\n"
        "  (2): Sequential(\n"
        "    (0): Layer(nin=3, nout=1, activation='relu')\n"
        "  )\n"
        ")"
    )
    table = model.summary().splitlines()
    assert table[0].split() == ["name", "module", "parameters"]
    assert table[-1].split() == ["total", "337"]
    assert [line.split()[-1] for line in table[1:4]] == ["48", "272", "17"]


def test_single_output_is_a_value_several_outputs_a_list() -> None:
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4 and all(isinstance(v, Value) for v in out)
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert len(Layer(2, 5, seed=0)([1.0, 2.0])) == 5


def test_inputs_may_be_floats_ints_or_values_and_gradients_reach_value_inputs() -> None:
    model = MLP(2, [4, 1], activation="tanh", seed=3)
    a, b = Value(0.3), Value(-0.7)
    out = model([a, b])
    assert out.data == model([0.3, -0.7]).data
    out.backward()
    eps = 1e-6
    numeric = (model([0.3 + eps, -0.7]).data - model([0.3 - eps, -0.7]).data) / (2 * eps)
    assert a.grad == pytest.approx(numeric, rel=1e-6)
    assert model([1, 2]).data == model([1.0, 2.0]).data


def test_one_input_modules_accept_a_bare_scalar() -> None:
    model = MLP(1, [3, 1], seed=0)
    assert model(0.5).data == model([0.5]).data
    assert model(Value(0.5)).data == model([0.5]).data


@pytest.mark.parametrize(
    "module, text",
    [
        (MLP(2, [3, 1], seed=0), "MLP(nin=2, nouts=[3, 1]) expects 2 input(s), got 3"),
        (Layer(2, 3, seed=0), "Layer(nin=2, nout=3, activation='relu') expects 2 input(s), got 3"),
        (Neuron(2, seed=0), "ReLUNeuron(2) expects 2 input(s), got 3"),
    ],
)
def test_wrong_number_of_inputs_names_expected_and_actual(module: Module, text: str) -> None:
    with pytest.raises(ValueError) as info:
        module([1.0, 2.0, 3.0])
    assert str(info.value) == text


def test_bad_input_types_are_named() -> None:
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"input x\[1\]: .*got str 'a'"):
        model([1.0, "a"])
    with pytest.raises(TypeError, match="expects a sequence of 2 numbers"):
        model("ab")
    with pytest.raises(TypeError, match="bool"):
        model([1.0, True])
    with pytest.raises(ValueError, match="expects 2 input"):
        model(1.0)  # a bare scalar is one input


def test_constructor_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="must be >= 1, got 0"):
        MLP(0, [1])
    with pytest.raises(TypeError, match="non-empty list"):
        MLP(2, [])
    with pytest.raises(TypeError, match=r"MLP\(nouts\[1\]\) needs an int, got float"):
        MLP(2, [3, 1.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="activation.*'relu', 'tanh'.*got 'swish'"):
        MLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="init must be one of 'uniform', 'xavier', 'he'"):
        Layer(2, 3, init="normal")
    with pytest.raises(TypeError, match="seed needs an int, a random.Random or None"):
        MLP(2, [1], seed=1.5)  # type: ignore[arg-type]


# --- names, scopes and graph size --------------------------------------------------------


def test_named_parameters_are_dotted_paths_matching_scope_and_label() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    named = list(model.named_parameters())
    assert [p for _, p in named] == model.parameters()
    assert named[0][0] == "layers.0.neurons.0.w0"
    assert named[2][0] == "layers.0.neurons.0.b"
    assert named[-1][0] == "layers.2.neurons.0.b"
    assert "layers.1.neurons.3.w15" in dict(named)
    for name, p in named:
        assert name == f"{p.scope}.{p.label}"
    assert len({name for name, _ in named}) == 337
    assert list(model.state_dict()) == [name for name, _ in named]


def test_parameter_scopes_nest_under_an_outer_scope() -> None:
    with scope("critic"):
        model = MLP(2, [2, 1], seed=0)
    assert model.layers[1].neurons[0].b.scope == "critic.layers.1.neurons.0"


def test_a_neuron_is_three_nodes_whatever_its_fan_in() -> None:
    neuron = Neuron(50, seed=0)
    out = neuron([0.1] * 50)
    assert [n._op for n in topological_order(out)] == ["dot", "+", "ReLU"]
    model = MLP(2, [16, 16, 1], seed=0)
    # 32 hidden neurons of 3 nodes, one linear output neuron of 2.
    assert len(topological_order(model([0.5, 0.5]))) == 32 * 3 + 2


def test_forward_nodes_carry_the_scope_of_the_neuron_that_made_them() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -0.5])
    assert out.scope == "layers.2.neurons.0"
    scopes = {n.scope for n in topological_order(out)}
    assert "layers.1.neurons.3" in scopes and "layers.0.neurons.15" in scopes
    assert all(s.startswith("layers.") and ".neurons." in s for s in scopes)
    with scope("model"):
        wrapped = model([0.5, -0.5])
    assert wrapped.scope == "model.layers.2.neurons.0"
    seq = Sequential(Layer(2, 2, seed=0), Layer(2, 1, seed=0))
    assert seq([1.0, 1.0]).scope == "1.neurons.0"


def test_sequential_chains_its_steps_and_names_them_by_position() -> None:
    first, second = Layer(2, 3, activation="tanh", seed=1), Layer(3, 2, seed=2)
    model = Sequential(first, second)
    x = [0.4, -0.2]
    assert [v.data for v in model(x)] == [v.data for v in second(first(x))]
    assert len(model) == 2 and model[1] is second and list(model) == [first, second]
    assert next(iter(model.named_parameters()))[0] == "0.neurons.0.w0"
    assert model.num_parameters() == first.num_parameters() + second.num_parameters()
    assert model.nin == 2
    with pytest.raises(ValueError, match="at least one module"):
        Sequential()
    with pytest.raises(TypeError, match=r"modules\[1\] is int 3, not a Module"):
        Sequential(first, 3)  # type: ignore[arg-type]


def test_custom_modules_find_parameters_in_their_attributes() -> None:
    class Affine(Module):
        def __init__(self) -> None:
            self.scale = Value(2.0, label="scale")
            self.shift = [Value(0.5), Value(-0.5)]
            self.body = Neuron(1, seed=0)
            self.heads = [Neuron(1, seed=1), Neuron(1, seed=2)]
            self.tied = self.scale  # shared: counted once
            self._cache = Value(9.0)  # private: not a parameter
            self.name = "affine"

        def forward(self, x: Value) -> Value:
            return self.body([x * self.scale + self.shift[0]])

    model = Affine()
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "scale", "shift0", "shift1", "body.w0", "body.b",
        "heads.0.w0", "heads.0.b", "heads.1.w0", "heads.1.b",
    ]
    assert model.num_parameters() == 9
    assert [name for name, _ in model.named_children()] == ["body", "heads.0", "heads.1"]
    assert isinstance(model(Value(1.0)), Value)
    with pytest.raises(NotImplementedError, match="does not define forward"):
        Module()(1.0)


def test_parameters_in_nested_and_mixed_lists_are_found_with_their_positions() -> None:
    class Grid(Module):
        def __init__(self) -> None:
            self.W = [[Value(1.0), Value(2.0)], (Value(3.0), Value(4.0))]
            self.mixed = [Layer(1, 1, seed=0), Value(5.0), [Neuron(1, seed=1)], "note", 3]
            self.sizes = [2, 3]  # numbers only: nothing to find

    model = Grid()
    assert [name for name, _ in model.named_parameters()] == [
        "W.0.0", "W.0.1", "W.1.0", "W.1.1",
        "mixed.0.neurons.0.w0", "mixed.0.neurons.0.b", "mixed.1", "mixed.2.0.w0", "mixed.2.0.b",
    ]
    assert model.num_parameters() == 9
    assert [p.data for p in model.parameters()[:4]] == [1.0, 2.0, 3.0, 4.0]
    assert [name for name, _ in model.named_children()] == ["mixed.0", "mixed.2.0"]
    target = Grid()
    target.load_state_dict({name: 0.5 for name in model.state_dict()})
    assert target.W[1][0].data == 0.5


def test_parameters_that_would_be_dropped_or_collide_are_errors() -> None:
    class Heads(Module):
        def __init__(self) -> None:
            self.heads = {"a": Neuron(1, seed=0)}

    with pytest.raises(TypeError, match="Heads.heads holds Values or modules in a dict; "
                                        "nn finds parameters only in attributes, lists"):
        Heads().parameters()

    class Tags(Module):
        def __init__(self) -> None:
            self.tags = {"scale": 1.0}  # no Values: an ordinary attribute
            self._cache = {"out": Value(0.0)}  # private: never searched
            self.nested = [{Value(1.0)}]

    with pytest.raises(TypeError, match=r"Tags.nested holds Values or modules in a set"):
        Tags().parameters()

    class Clash(Module):
        def __init__(self) -> None:
            self.w = [Value(0.0), Value(1.0)]  # w0, w1
            self.w1 = Value(2.0)

    with pytest.raises(ValueError, match="two different parameters are both named 'w1'"):
        Clash().state_dict()


def test_a_sequential_subclass_keeps_its_own_parameters() -> None:
    class Scaled(Sequential):
        def __init__(self) -> None:
            super().__init__(Neuron(1, seed=0))
            self.gain = Value(2.0, label="gain")

    assert [name for name, _ in Scaled().named_parameters()] == ["0.w0", "0.b", "gain"]


# --- initialisation and seeds ------------------------------------------------------------


@pytest.mark.parametrize("scheme, bound", [
    ("uniform", lambda fan_in, fan_out: 1.0),
    ("xavier", lambda fan_in, fan_out: math.sqrt(6 / (fan_in + fan_out))),
    ("he", lambda fan_in, fan_out: math.sqrt(6 / fan_in)),
])
def test_init_schemes_draw_within_their_bounds(scheme: str, bound: object) -> None:
    layer = Layer(40, 30, init=scheme, seed=5)
    limit = bound(40, 30)  # type: ignore[operator]
    weights = [w.data for n in layer.neurons for w in n.w]
    assert all(-limit <= w <= limit for w in weights)
    assert max(abs(w) for w in weights) > 0.95 * limit  # fills the range
    mean_square = sum(w * w for w in weights) / len(weights)
    assert mean_square == pytest.approx(limit**2 / 3, rel=0.1)  # variance of U(-a, a)


def test_custom_init_callable_receives_fans() -> None:
    seen = []

    def constant(rng: random.Random, fan_in: int, fan_out: int) -> float:
        seen.append((fan_in, fan_out))
        return 0.25

    layer = Layer(3, 2, init=constant, seed=0)
    assert all(w.data == 0.25 for n in layer.neurons for w in n.w)
    assert set(seen) == {(3, 2)}
    with pytest.raises(ValueError, match="must return a finite float"):
        Neuron(2, init=lambda rng, i, o: math.nan)


def test_seeds_reproduce_and_never_touch_the_global_random_state() -> None:
    state = random.getstate()
    a, b = MLP(2, [8, 1], seed=7), MLP(2, [8, 1], seed=7)
    assert a.state_dict() == b.state_dict()
    assert MLP(2, [8, 1], seed=8).state_dict() != a.state_dict()
    rng = random.Random(7)
    assert MLP(2, [8, 1], seed=rng).state_dict() == a.state_dict()
    assert random.getstate() == state


def test_nothing_without_a_seed_touches_the_global_random_state() -> None:
    """Everything that draws, with seed=None: its own generator seeded by the OS."""
    state = random.getstate()
    MLP(2, [8, 1])
    MLP(2, [4, 1], init="xavier")
    Layer(3, 2, init="he")
    Neuron(2)
    model = Sequential(Layer(2, 4), Dropout(0.5), Layer(4, 1, "linear"))
    Dropout(0.5)([Value(1.0)] * 10)
    for make in (nn.data.make_moons, nn.data.make_circles, nn.data.make_spirals,
                 nn.data.make_regression):
        make(20, noise=0.1)  # type: ignore[operator]
    nn.data.make_blobs(20)
    nn.data.make_xor(8, noise=0.1)
    X, y = nn.data.make_moons(20, noise=0.1, seed=0)
    nn.data.train_test_split(X, y)
    for _ in nn.data.DataLoader(X, y, batch_size=4):
        pass
    # fit shuffles its batches and runs the dropout in training mode.
    nn.fit(model, X, y, loss="bce_with_logits", epochs=2, batch_size=5, verbose=False)
    nn.predict(model, X)
    assert random.getstate() == state


# --- modes, gradients, dropout -----------------------------------------------------------


def test_zero_grad_train_and_eval() -> None:
    model = Sequential(Layer(2, 3, "tanh", seed=0), Dropout(0.5, seed=0),
                       Layer(3, 1, "linear", seed=0))
    for _ in range(5):  # some passes keep units that dropout zeroed in others
        model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="True or False"):
        model.train("yes")  # type: ignore[arg-type]


def test_dropout_is_inverted_in_training_and_the_identity_in_eval() -> None:
    drop = Dropout(0.25, seed=1)
    xs = [Value(2.0) for _ in range(4000)]
    out = drop(xs)
    kept = [v.data for v in out if v.data != 0.0]
    assert set(kept) == {2.0 / 0.75}
    assert len(kept) / len(xs) == pytest.approx(0.75, abs=0.03)
    out[0].backward()
    assert xs[0].grad in (0.0, 1 / 0.75)
    drop.eval()
    assert drop(xs) is xs
    single = Value(3.0)
    assert drop(single) is single
    drop.train()
    assert isinstance(drop(single), Value)
    assert [v.data for v in Dropout(1.0, seed=0)(xs[:5])] == [0.0] * 5
    same = [v.data for v in Dropout(0.5, seed=9)(xs[:50])]
    assert same == [v.data for v in Dropout(0.5, seed=9)(xs[:50])]
    with pytest.raises(ValueError, match=r"Dropout\(p\) must be in \[0, 1\], got 1.5"):
        Dropout(1.5)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_every_activation_is_applied(name: str) -> None:
    neuron = Neuron(2, name, seed=4)
    x = [0.3, -2.0]
    z = sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data
    expected = {
        "relu": max(z, 0.0), "tanh": math.tanh(z), "sigmoid": 1 / (1 + math.exp(-z)),
        "leaky_relu": z if z > 0 else 0.01 * z, "linear": z,
    }[name]
    assert neuron(x).data == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_no_grad_forward_records_nothing() -> None:
    model = MLP(2, [4, 1], seed=0)
    with no_grad():
        out = model([1.0, 2.0])
    assert out.is_leaf


# --- state dicts -------------------------------------------------------------------------


def test_state_dict_round_trips_exactly() -> None:
    source, target = MLP(2, [5, 1], seed=1), MLP(2, [5, 1], seed=2)
    result = target.load_state_dict(source.state_dict())
    assert result == nn.LoadResult([], [])
    assert target.state_dict() == source.state_dict()
    x = [0.25, -0.75]
    assert target(x).data == source(x).data


def _unchanged_after(model: Module, bad: object, error: type[Exception], match: str) -> None:
    before = model.state_dict()
    with pytest.raises(error, match=match):
        model.load_state_dict(bad)  # type: ignore[arg-type]
    assert model.state_dict() == before


def test_load_state_dict_rejects_bad_states_and_leaves_the_model_unchanged() -> None:
    model = MLP(2, [3, 1], seed=0)
    good = {name: 0.5 for name in model.state_dict()}
    missing = dict(good)
    del missing["layers.1.neurons.0.b"]
    _unchanged_after(model, missing, StateDictError, r"missing 1 name\(s\): 'layers.1.neurons.0.b'")
    _unchanged_after(model, {**good, "extra.w0": 1.0}, StateDictError, "unexpected 1 name")
    last = list(good)[-1]
    _unchanged_after(model, {**good, last: math.nan}, StateDictError, f"'{last}' is nan")
    _unchanged_after(model, {**good, last: math.inf}, StateDictError, "must be finite")
    _unchanged_after(model, {**good, last: "0.5"}, TypeError, "must be a real number, got str")
    _unchanged_after(model, {**good, last: True}, TypeError, "got bool")
    _unchanged_after(model, {**good, last: None}, TypeError, "got NoneType")
    _unchanged_after(model, [1.0, 2.0], TypeError, "mapping of parameter names")
    _unchanged_after(model, {1: 0.5}, TypeError, "names must be str")
    assert isinstance(StateDictError("x"), ValueError)


def test_load_state_dict_non_strict_loads_what_matches_and_reports_the_rest() -> None:
    model = MLP(2, [3, 1], seed=0)
    first = next(iter(model.state_dict()))
    result = model.load_state_dict({first: 0.125, "other": 1.0}, strict=False)
    assert model.state_dict()[first] == 0.125
    assert result.unexpected_keys == ["other"]
    assert len(result.missing_keys) == model.num_parameters() - 1
    assert first not in result.missing_keys
    with pytest.raises(TypeError, match="strict needs True or False"):
        model.load_state_dict({}, strict="no")  # type: ignore[arg-type]


# --- a module that refers back to its parent ---------------------------------------------


class Child(Module):
    def __init__(self, parent: Module | None = None) -> None:
        self.w = Value(1.0, label="w")
        self.parent = parent


class Parent(Module):
    def __init__(self) -> None:
        self.layer = Layer(2, 2, seed=0)
        self.child = Child(self)


def test_a_back_reference_to_a_parent_is_a_clear_error_not_a_recursion_error() -> None:
    model = Parent()
    walks = [
        model.parameters, model.zero_grad, model.train, model.eval, model.state_dict,
        lambda: list(model.named_modules()), model.summary, model.num_parameters,
        lambda: SGD(model, lr=0.1),
    ]
    for walk in walks:
        with pytest.raises(TypeError, match=r"Child\.parent refers back to Parent, which "
                                            r"contains it \('child\.parent' leads back to "
                                            r"where it started\): a cycle in the module tree.*"
                                            r"starts with _ \(self\._parent = parent"):
            walk()
    with pytest.raises(TypeError, match=r"Parent\.child refers back to Child, .*'parent\.child'"):
        model.child.parameters()  # from the child, the loop closes at the parent
    # repr never raises: it shows the back-reference.
    assert repr(model) == (
        "Parent(\n"
        "  (layer): Layer(nin=2, nout=2, activation='relu')\n"
        "  (child): Child(\n"
        "    (parent): <refers back to Parent>\n"
        "  )\n"
        ")"
    )
    # The fix the message names works.
    model.child._parent = model.child.parent
    del model.child.parent
    assert [n for n, _ in model.named_parameters()][-1] == "child.w"
    model.train(False)
    assert not model.child.training


def test_a_module_shared_twice_is_not_a_cycle_and_a_list_holding_itself_ends() -> None:
    class Twice(Module):
        def __init__(self) -> None:
            shared = Layer(2, 1, seed=0)
            self.a, self.b = shared, shared
            self.loop: list[Any] = [Value(2.0, label="v")]
            self.loop.append(self.loop)

    model = Twice()
    assert [n for n, _ in model.named_parameters()] == ["a.neurons.0.w0", "a.neurons.0.w1",
                                                       "a.neurons.0.b", "loop.0"]
    assert len(list(model.named_modules())) == 5  # the model, a and its neuron, b and its neuron


# --- multi-output results ---------------------------------------------------------------


def test_a_multi_output_result_says_to_sum_or_pick_an_output() -> None:
    for module in (MLP(2, [3, 2], seed=0), Layer(2, 3, seed=0)):
        out = module([1.0, 2.0])
        assert isinstance(out, list) and isinstance(out, nn.Outputs)
        with pytest.raises(AttributeError, match=r"list of \d outputs .* no \.backward\(\): "
                                                 r"make one loss from them, e\.g\. "
                                                 r"autograd\.sum\(outputs\)\.backward\(\).*"
                                                 r"or pick one: outputs\[0\]\.backward\(\)"):
            out.backward()
        with pytest.raises(AttributeError, match=r"no \.data: .*\[v\.data for v in outputs\]"):
            out.data  # noqa: B018
        with pytest.raises(AttributeError, match=r"no \.grad: .*\[v\.grad for v in outputs\]"):
            out.grad  # noqa: B018
        assert not hasattr(out, "backward")
    # Everything else is a list's.
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert out == list(out) and len(out[:1]) == 1 and out + [] == list(out)
    assert json.dumps([v.data for v in out]) and copy.copy(out) == out
    assert pickle.loads(pickle.dumps([1.0, 2.0])) == [1.0, 2.0]
    assert nn.mse_loss(out, [0.0, 1.0]).data >= 0
    dropped = nn.Dropout(0.5, seed=0)(out)
    assert isinstance(dropped, nn.Outputs)


# --- one description per module -----------------------------------------------------------


def test_every_description_comes_from_describe() -> None:
    layer = Layer(16, 16, seed=0)
    assert layer.describe() == repr(layer) == "Layer(nin=16, nout=16, activation='relu')"
    assert layer.describe(short=True) == "Layer(16, 16, ReLU)"
    neuron = Neuron(3, "tanh", seed=0)
    assert neuron.describe() == neuron.describe(short=True) == repr(neuron) == "TanhNeuron(3)"
    assert MLP(2, [3, 1], seed=0).describe() == "MLP(nin=2, nouts=[3, 1])"
    seq = Sequential(Layer(2, 1, seed=0), Neuron(1, seed=0))
    assert seq._kinds == ["Layer(2, 1, ReLU)", "ReLUNeuron(1)"]
    # the table names a neuron as its repr does (it used to say Neuron(1))
    assert seq.summary().splitlines()[2].split()[:2] == ["1", "ReLUNeuron(1)"]

    class Bare(Module):
        def __init__(self) -> None:
            self.w = Value(1.0)

    class Told(Bare):
        def describe(self, short: bool = False) -> str:
            return "T" if short else "Told(k=3)"

    assert repr(Bare()) == "Bare()" and Bare().describe() == "Bare"  # PyTorch's Name()
    told = Sequential(Told())
    assert repr(told) == "Sequential(\n  (0): Told(k=3)\n)" and told._kinds == ["T"]
