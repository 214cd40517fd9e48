"""Where each weight of an ``nn`` model goes in its PyTorch twin, worked out without PyTorch.

:func:`plan` walks a model and returns its :class:`Plan`: a spec of its structure
(what :mod:`nn.torch_modules` builds from), every torch state-dict key with its
shape, and the place of every chainrule parameter (``layers.1.neurons.3.w0`` ->
``('layers.1.weight', (3, 0))``). A part with no PyTorch equivalent raises
:class:`TorchExportError` naming where it is. :func:`build_model` goes the other
way, from a spec to new ``nn`` modules. :mod:`nn.torch_export` explains the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograd import Value

from ._checks import preview
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
from .module import Module, Sequential

#: The ``nn`` module classes :func:`to_torch` converts (exactly these, not subclasses).
EXPORTABLE: tuple[type[Module], ...] = (MLP, Layer, Neuron, Sequential, Dropout)

#: The slope of nn's ``'leaky_relu'`` (``Value.leaky_relu``'s default), torch's ``negative_slope``.
LEAKY_SLOPE = 0.01

#: Where a chainrule parameter lives in the torch module: (state-dict key, index in the tensor).
Place = tuple[str, tuple[int, ...]]


class TorchExportError(TypeError):
    """A model, or a part of it, that has no PyTorch equivalent here (or the reverse)."""


# --- what a model is, independently of either library -------------------------------------


@dataclass(frozen=True)
class LinearSpec:
    """A Layer, or a Neuron (``neuron=True``: one output, parameters ``w0 ... b``)."""

    neuron: bool
    nin: int
    nout: int
    activation: str
    bias: bool

    def describe(self) -> str:
        if self.neuron:
            return f"Neuron(nin={self.nin}, activation={self.activation!r}, bias={self.bias})"
        return (f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r}, "
                f"bias={self.bias})")


@dataclass(frozen=True)
class MLPSpec:
    """An MLP: its input size, each layer's size and activation."""

    nin: int
    nouts: tuple[int, ...]
    activations: tuple[str, ...]
    bias: bool
    # MLP(activation=): the layers say it, except in an MLP of one layer, where it does nothing.
    hidden: str = field(default="relu", compare=False)

    def describe(self) -> str:
        return (f"MLP(nin={self.nin}, nouts={list(self.nouts)}, activations="
                f"{list(self.activations)}, bias={self.bias})")


@dataclass(frozen=True)
class SequentialSpec:
    steps: tuple[Spec, ...]

    def describe(self) -> str:
        return f"Sequential of {len(self.steps)} step(s)"


@dataclass(frozen=True)
class DropoutSpec:
    # Not compared: p holds no weight, so weights trained with another p still load.
    p: float = field(compare=False)

    def describe(self) -> str:
        return f"Dropout(p={self.p})"


Spec = LinearSpec | MLPSpec | SequentialSpec | DropoutSpec


@dataclass
class Plan:
    """A chainrule model's torch layout: its spec, the torch keys and where each weight goes."""

    spec: Spec
    #: Every key of the torch module's state dict, with its shape.
    shapes: dict[str, tuple[int, ...]]
    #: chainrule parameter name -> its place (the first key of a module used twice).
    places: dict[str, Place]
    #: A key of a module used a second time -> the key its weights are read from.
    aliases: dict[str, str]
    #: (path, module) for every module, parents before children.
    modules: list[tuple[str, Module]]


def _where(path: str) -> str:
    return "the model" if not path else f"the part {path!r} of the model"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Planner:
    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.aliases: dict[str, str] = {}
        self.value_places: dict[Value, Place] = {}
        self.value_paths: dict[Value, str] = {}
        self.seen: dict[int, tuple[str, Spec]] = {}
        self.modules: list[tuple[str, Module]] = []

    def walk(self, m: Any, path: str) -> Spec:
        prior = self.seen.get(id(m))
        if prior is not None:  # one module in two places: torch shares it the same way
            first, known = prior  # never the root: a model cannot contain itself
            for key in list(self.shapes):
                if key.startswith(f"{first}."):
                    alias = _join(path, key[len(first) + 1:])
                    self.shapes[alias] = self.shapes[key]
                    self.aliases[alias] = self.aliases.get(key, key)
            return known
        kind = type(m)
        if kind not in EXPORTABLE:
            raise TorchExportError(_refusal(m, path))
        self.modules.append((path, m))
        spec: Spec
        if kind is Neuron:
            spec = self.linear([m], path, m.nin, m.activation, neuron=True)
        elif kind is Layer:
            spec = self.layer(m, path)
        elif kind is MLP:
            spec = self.mlp(m, path)
        elif kind is Sequential:
            # As Sequential.forward runs them: the steps paired with their names.
            steps = tuple(self.walk(step, _join(path, name))
                          for name, step in zip(m._scopes, m.steps))
            spec = SequentialSpec(steps)
        else:
            spec = DropoutSpec(m.p)
        self.seen[id(m)] = (path, spec)
        return spec

    def layer(self, layer: Layer, path: str) -> LinearSpec:
        neurons = layer.neurons
        if not isinstance(neurons, list) or len(neurons) != layer.nout:
            raise TorchExportError(f"cannot export {_where(path)}: a Layer with nout="
                                   f"{layer.nout} holds {preview(neurons)} as its neurons")
        for j, n in enumerate(neurons):
            where = _join(path, f"neurons.{j}")
            if type(n) is not Neuron:
                raise TorchExportError(_refusal(n, where))
            if n.activation != layer.activation:
                raise TorchExportError(
                    f"cannot export {_where(where)}: it applies {n.activation!r} in a Layer of "
                    f"{layer.activation!r} neurons; a torch Linear layer has one activation"
                )
        return self.linear(neurons, path, layer.nin, layer.activation, neuron=False)

    def linear(self, neurons: list[Neuron], path: str, nin: int, activation: str,
               neuron: bool) -> LinearSpec:
        bias = neurons[0].b is not None
        weight, bias_key = _join(path, "weight"), _join(path, "bias")
        for j, n in enumerate(neurons):
            where = path if neuron else _join(path, f"neurons.{j}")
            if activation not in ACTIVATIONS or n._act is not ACTIVATIONS[activation]:
                raise TorchExportError(
                    f"cannot export {_where(where)}: its activation {activation!r} is not one of "
                    f"{sorted(ACTIVATIONS)} as nn.layers.ACTIVATIONS defines them"
                )
            w = n.w
            if not isinstance(w, (list, tuple)) or len(w) != nin or n.nin != nin:
                raise TorchExportError(f"cannot export {_where(where)}: it should read {nin} "
                                       f"input(s) but holds the weights {preview(w)}")
            if (n.b is not None) != bias:
                raise TorchExportError(f"cannot export {_where(where)}: some neurons of its "
                                       f"layer have a bias and some do not")
            for k, p in enumerate(w):
                self.place(p, _join(where, f"w{k}"), (weight, (j, k)))
            if n.b is not None:
                self.place(n.b, _join(where, "b"), (bias_key, (j,)))
        self.shapes[weight] = (len(neurons), nin)
        if bias:
            self.shapes[bias_key] = (len(neurons),)
        return LinearSpec(neuron, nin, len(neurons), activation, bias)

    def place(self, p: Any, where: str, place: Place) -> None:
        if not isinstance(p, Value):
            raise TorchExportError(f"cannot export {where!r} of the model: it is "
                                   f"{type(p).__name__} {preview(p)}, not a Value")
        if p in self.value_places:
            raise TorchExportError(
                f"cannot export the model: {self.value_paths[p]!r} and {where!r} are the same "
                f"Value (a weight tied between two layers), which torch Linear layers cannot "
                f"share; share whole modules instead (the same Layer twice in a Sequential)"
            )
        self.value_places[p] = place
        self.value_paths[p] = where

    def mlp(self, mlp: MLP, path: str) -> MLPSpec:
        layers = mlp.layers
        if not isinstance(layers, list) or not layers:
            raise TorchExportError(f"cannot export {_where(path)}: an MLP whose layers are "
                                   f"{preview(layers)}")
        nin = mlp.nin
        nouts: list[int] = []
        acts: list[str] = []
        biases: set[bool] = set()
        for i, layer in enumerate(layers):
            where = _join(path, f"layers.{i}")
            if type(layer) is not Layer:
                raise TorchExportError(_refusal(layer, where))
            if layer.nin != (nouts[-1] if nouts else nin):
                raise TorchExportError(
                    f"cannot export {_where(where)}: it reads {layer.nin} input(s) but the "
                    f"layer before it gives {nouts[-1] if nouts else nin}"
                )
            spec = self.walk(layer, where)
            assert isinstance(spec, LinearSpec)
            nouts.append(spec.nout)
            acts.append(spec.activation)
            biases.add(spec.bias)
        if len(biases) > 1:
            raise TorchExportError(f"cannot export {_where(path)}: some of its layers have "
                                   f"biases and some do not")
        hidden = set(acts[:-1])
        if len(hidden) > 1:
            raise TorchExportError(f"cannot export {_where(path)}: its hidden layers apply "
                                   f"different activations {acts[:-1]}; use a Sequential")
        return MLPSpec(nin, tuple(nouts), tuple(acts), biases.pop(), mlp.activation)


def _refusal(m: Any, path: str) -> str:
    kind = type(m)
    known = ", ".join(c.__name__ for c in EXPORTABLE)
    if isinstance(m, Module) and issubclass(kind, EXPORTABLE):
        base = next(c for c in EXPORTABLE if issubclass(kind, c))
        what = (f"{kind.__name__} is a subclass of nn.{base.__name__}, and its forward() may "
                f"compute something else than {base.__name__}'s")
    elif isinstance(m, Module):
        what = (f"{kind.__name__} is a module of your own, and to_torch cannot read what its "
                f"forward() computes")
    else:
        what = f"it is {kind.__name__} {preview(m)}, not an nn Module"
    return (f"cannot export {_where(path)}: {what}. to_torch converts nn's {known}: build the "
            f"model from those, or write its PyTorch version yourself and copy the weights "
            f"between the two state dicts")


def plan(model: Module) -> Plan:
    """The torch layout of ``model``; :class:`TorchExportError` if a part has none."""
    if not isinstance(model, Module):
        raise TypeError(f"expected an nn Module, got {type(model).__name__} {preview(model)}")
    planner = _Planner()
    spec = planner.walk(model, "")
    places: dict[str, Place] = {}
    for name, p in model.named_parameters():
        place = planner.value_places.get(p)
        if place is None:
            raise TorchExportError(
                f"cannot export the model: its parameter {name!r} is not a weight or bias of a "
                f"layer (an attribute added to a module?), so the torch module has no place for it"
            )
        places[name] = place
    return Plan(spec, planner.shapes, places, planner.aliases, planner.modules)


def torch_names(model: Module) -> dict[str, Place]:
    """``{chainrule name: (torch state-dict key, index)}``, in ``named_parameters()`` order.

    Needs no PyTorch. Raises :class:`TorchExportError` for a model ``to_torch`` refuses.

    >>> import nn
    >>> names = nn.torch_names(nn.MLP(2, [3, 1], seed=0))
    >>> names['layers.0.neurons.2.w1'], names['layers.1.neurons.0.b']
    (('layers.0.weight', (2, 1)), ('layers.1.bias', (0,)))
    """
    return dict(plan(model).places)


def build_model(spec: Spec, built: dict[int, Module] | None = None) -> Module:
    """New ``nn`` modules for ``spec`` (weights from seed 0: the caller overwrites them)."""
    built = {} if built is None else built
    if id(spec) in built:  # a torch module used twice stays one module
        return built[id(spec)]
    model: Module
    if isinstance(spec, LinearSpec):
        if spec.neuron:
            model = Neuron(spec.nin, spec.activation, bias=spec.bias, seed=0)
        else:
            model = Layer(spec.nin, spec.nout, spec.activation, bias=spec.bias, seed=0)
    elif isinstance(spec, MLPSpec):
        model = MLP(spec.nin, list(spec.nouts), spec.hidden, spec.activations[-1],
                    bias=spec.bias, seed=0)
    elif isinstance(spec, SequentialSpec):
        model = Sequential(*(build_model(step, built) for step in spec.steps))
    else:
        model = Dropout(spec.p)
    built[id(spec)] = model
    return model


def first_difference(a: Spec, b: Spec, path: str) -> tuple[str, Spec, Spec]:
    """Where two specs first differ (the path below ``path``), and the two specs there."""
    if isinstance(a, SequentialSpec) and isinstance(b, SequentialSpec) and len(a.steps) == len(
            b.steps):
        for i, (x, y) in enumerate(zip(a.steps, b.steps)):
            if x != y:
                return first_difference(x, y, _join(path, str(i)))
    return path, a, b


__all__ = [
    "EXPORTABLE", "LEAKY_SLOPE", "DropoutSpec", "LinearSpec", "MLPSpec", "Place", "Plan",
    "SequentialSpec", "Spec", "TorchExportError", "build_model", "first_difference", "plan",
    "torch_names",
]
