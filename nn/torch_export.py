"""Hand an ``nn`` model to PyTorch, and take its weights back.

    tmodel = nn.to_torch(model)          # a torch.nn.Module: float64, the same weights
    ...                                  # train it with torch.optim, on a GPU, with DDP
    nn.load_torch(model, tmodel)         # the trained weights back into model (checked first)
    again = nn.from_torch(tmodel)        # or a new chainrule model built from tmodel

What each module becomes (the PyTorch classes are in :mod:`nn.torch_modules`):

* ``Layer(nin, nout, activation)`` -> ``TorchLayer``, a ``torch.nn.Linear(nin, nout)``
  followed by its activation: ``relu`` -> ``torch.nn.ReLU``, ``tanh`` -> ``Tanh``,
  ``sigmoid`` -> ``Sigmoid``, ``leaky_relu`` -> ``LeakyReLU(0.01)``, ``linear`` ->
  ``Identity``;
* ``Neuron(nin, activation)`` -> ``TorchNeuron``, the same with one output;
* ``MLP`` -> ``TorchMLP``, whose ``layers`` is a ``torch.nn.ModuleList`` of TorchLayers;
* ``Sequential`` -> ``torch.nn.Sequential``; ``Dropout(p)`` -> ``torch.nn.Dropout(p)``.

Names. The torch module's state-dict keys follow the chainrule module structure: a
layer's key is its module path plus ``.weight`` or ``.bias``, and neuron ``j``'s
weight ``k`` is row ``j``, column ``k`` of its layer's weight::

    layers.1.neurons.3.w0  ->  layers.1.weight[3, 0]
    layers.1.neurons.3.b   ->  layers.1.bias[3]
    0.neurons.2.w1         ->  0.weight[2, 1]           (in a Sequential)
    w1, b                  ->  weight[0, 1], bias[0]    (a Neuron)

:func:`torch_names` gives this map for every parameter, in ``named_parameters()``
order. The layers come in the same order on both sides; within a layer chainrule
lists neuron by neuron (each neuron's weights, then its bias), so its parameters
in order are ``torch.cat([weight, bias[:, None]], 1).flatten()``.

Calling conventions differ as each side expects: the torch module maps a tensor of
shape ``(batch, nin)`` (or ``(nin,)``) to ``(batch, nout)``, also for one output,
where a chainrule model returns one Value. Train/eval modes are copied by
``to_torch`` and ``from_torch``; ``load_torch`` copies weights only, like
``load_state_dict``. Dropout masks come from each library's own generator.

A module that has no PyTorch equivalent (a class of your own, or a subclass of an
``nn`` class, whose ``forward`` may compute anything) raises
:class:`TorchExportError` naming its place in the model. PyTorch is imported only
when these functions run: without it they raise an ImportError that says
``pip install "chainrule[torch]"``; ``import nn`` never needs it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from autograd import Value

from ._checks import preview
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
from .module import Module, Sequential, StateDictError

if TYPE_CHECKING:
    import torch

INSTALL = 'pip install "chainrule[torch]"'

#: The ``nn`` module classes :func:`to_torch` converts (exactly these, not subclasses).
EXPORTABLE: tuple[type[Module], ...] = (MLP, Layer, Neuron, Sequential, Dropout)

#: The slope of nn's ``'leaky_relu'`` (``Value.leaky_relu``'s default), torch's ``negative_slope``.
LEAKY_SLOPE = 0.01

#: Where a chainrule parameter lives in the torch module: (state-dict key, index in the tensor).
Place = tuple[str, tuple[int, ...]]


class TorchExportError(TypeError):
    """A model, or a part of it, that has no PyTorch equivalent here (or the reverse)."""


def import_torch(what: str) -> ModuleType:
    """``torch``, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"{what} needs PyTorch, which is not installed: {INSTALL} (PyTorch's CPU build "
            f"is enough)"
        ) from exc
    return torch


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


# --- chainrule -> torch ---------------------------------------------------------------------


def _check_dtype(torch: ModuleType, dtype: Any) -> Any:
    if dtype is None:
        return torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point or dtype.is_complex:
        raise TypeError(f"to_torch(dtype) needs a real floating-point torch dtype such as "
                        f"torch.float64 or torch.float32, got {preview(dtype)}")
    return dtype


def to_torch(
    model: Module,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> torch.nn.Module:
    """An equivalent ``torch.nn.Module`` holding a copy of ``model``'s weights.

    ``dtype`` is float64 unless you say otherwise (``torch.float32`` rounds the
    weights); ``device`` is where the tensors go (the CPU by default). The torch
    module computes what ``model`` computes, on batches: shape ``(batch, nin)`` to
    ``(batch, nout)``; see the module docstring for the names of its weights.
    Raises :class:`TorchExportError` (naming the part) for a model it cannot express.

    >>> import nn, torch
    >>> tmodel = nn.to_torch(nn.MLP(2, [16, 16, 1], seed=0))
    >>> tmodel(torch.zeros(5, 2, dtype=torch.float64)).shape
    torch.Size([5, 1])
    """
    torch = import_torch("nn.to_torch")
    from . import torch_modules

    dtype = _check_dtype(torch, dtype)
    # None: torch's default device (the CPU unless torch.set_default_device said otherwise).
    device = torch.empty(0).device if device is None else torch.device(device)
    layout = plan(model)
    module = torch_modules.build(layout.spec, dtype=dtype, device=device)
    arrays = {key: _zeros(shape) for key, shape in layout.shapes.items()
              if key not in layout.aliases}
    weights = model.state_dict()
    for name, (key, index) in layout.places.items():
        if not math.isfinite(weights[name]):
            raise ValueError(f"to_torch: the parameter {name!r} is {weights[name]!r}; only "
                             f"finite weights can be exported")
        _set(arrays[key], index, weights[name])
    state = {}
    for key in layout.shapes:
        state[key] = torch.tensor(arrays[layout.aliases.get(key, key)], dtype=dtype,
                                  device=device)
        if not bool(torch.isfinite(state[key]).all()):
            canonical = layout.aliases.get(key, key)
            bad = next(n for n, (k, i) in layout.places.items()
                       if k == canonical and not math.isfinite(float(state[key][i])))
            raise ValueError(f"to_torch: the parameter {bad!r} is {weights[bad]!r}, which "
                             f"overflows {dtype}; export to a wider dtype")
    module.load_state_dict(state, strict=True)
    for path, m in layout.modules:  # parents first: train() sets a whole subtree
        module.get_submodule(path).train(m.training)
    return module


def _zeros(shape: tuple[int, ...]) -> list[Any]:
    if len(shape) == 1:
        return [0.0] * shape[0]
    return [_zeros(shape[1:]) for _ in range(shape[0])]


def _set(array: list[Any], index: tuple[int, ...], value: float) -> None:
    for i in index[:-1]:
        array = array[i]
    array[index[-1]] = value


def _get(array: Any, index: tuple[int, ...]) -> Any:
    for i in index:
        array = array[i]
    return array


# --- torch -> chainrule ---------------------------------------------------------------------


def load_torch(model: Module, module: Any) -> Module:
    """Copy the weights of ``module`` (a torch module, or its ``state_dict()``) into ``model``.

    ``model`` must be one :func:`to_torch` can export, and ``module`` must have its
    layout: the same state-dict keys and tensor shapes (and, for a module made of
    the classes ``to_torch`` builds, the same layers and activations). Everything
    is checked before anything is written, as in ``load_state_dict``: on any error
    ``model`` is unchanged. Raises :class:`nn.StateDictError` (a ValueError) for
    missing or unexpected keys, wrong shapes, a different structure or a NaN or
    infinite weight, TypeError for something that is not a floating-point tensor.
    Weights only: the train/eval mode stays as it was. Returns ``model``.
    """
    torch = import_torch("nn.load_torch")
    layout = plan(model)
    owner = type(model).__name__
    if isinstance(module, torch.nn.Module):
        _compare_structure(module, layout.spec, owner)
        state = module.state_dict()
    elif isinstance(module, Mapping):
        state = module
    else:
        raise TypeError(f"load_torch needs a torch.nn.Module or its state_dict(), got "
                        f"{type(module).__name__} {preview(module)}")
    model.load_state_dict(_read(torch, state, layout, owner))  # checks again, then writes
    return model


def from_torch(module: Any, like: Module | None = None) -> Module:
    """A new chainrule model with the weights of ``module`` (a torch module or a state dict).

    With ``like``, the new model is a copy of ``like`` (left unchanged) loaded as by
    :func:`load_torch`. Without it, ``module`` must be made of the classes
    :func:`to_torch` builds (``TorchMLP``, ``TorchLayer``, ``TorchNeuron``,
    ``torch.nn.Sequential``, ``torch.nn.Dropout``), and the chainrule model is
    rebuilt from it, train/eval modes included.
    """
    torch = import_torch("nn.from_torch")
    if like is not None:
        plan(like)  # refuse a model that cannot be expressed before copying it
        model = copy.deepcopy(like)
        model.zero_grad()
        return load_torch(model, module)
    from . import torch_modules

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch without like= needs a torch.nn.Module to rebuild the model "
                        f"from, got {type(module).__name__} {preview(module)}; for a state dict "
                        f"pass like=model")
    spec = torch_modules.spec_of(module)
    model = _build(spec, {})
    load_torch(model, module)
    for path, m in plan(model).modules:
        m.training = module.get_submodule(path).training
    return model


def _build(spec: Spec, built: dict[int, Module]) -> Module:
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
        model = Sequential(*(_build(step, built) for step in spec.steps))
    else:
        model = Dropout(spec.p)
    built[id(spec)] = model
    return model


def _compare_structure(module: Any, expected: Spec, owner: str) -> None:
    """A module made of to_torch's classes must have the model's layers and activations."""
    from . import torch_modules

    if not torch_modules.made_by_to_torch(module):
        return  # a module of another make: the keys and shapes decide
    try:
        actual = torch_modules.spec_of(module)
    except TorchExportError as exc:
        raise StateDictError(f"the torch module does not compute what the {owner} does: "
                             f"{exc}") from None
    if actual != expected:
        path, theirs, ours = _first_difference(actual, expected, "")
        raise StateDictError(
            f"the torch module is not shaped like the {owner}: at {path or 'the top'} it is "
            f"{theirs.describe()}, where the model has {ours.describe()}"
        )


def _first_difference(a: Spec, b: Spec, path: str) -> tuple[str, Spec, Spec]:
    if isinstance(a, SequentialSpec) and isinstance(b, SequentialSpec) and len(a.steps) == len(
            b.steps):
        for i, (x, y) in enumerate(zip(a.steps, b.steps)):
            if x != y:
                return _first_difference(x, y, _join(path, str(i)))
    return path, a, b


def _read(torch: ModuleType, state: Mapping[str, Any], layout: Plan,
          owner: str) -> dict[str, float]:
    """The checked ``{chainrule name: float}`` that ``state`` (torch keys) holds for ``layout``."""
    missing = [key for key in layout.shapes if key not in state]
    unexpected = [key for key in state if key not in layout.shapes]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} key(s): {_listed(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s): {_listed(unexpected)}")
        expected = _listed(list(layout.shapes))
        raise StateDictError(f"the torch weights do not fit the {owner}: {'; '.join(parts)} "
                             f"(its keys are {expected})")
    lists: dict[str, Any] = {}
    for key, shape in layout.shapes.items():
        tensor = state[key]
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"the torch weight {key!r} must be a tensor, got "
                            f"{type(tensor).__name__} {preview(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"the torch weight {key!r} is a {tensor.dtype} tensor; weights "
                            f"must be floating point")
        if tuple(tensor.shape) != shape:
            raise StateDictError(f"the torch weight {key!r} has shape {tuple(tensor.shape)}, "
                                 f"but the {owner} needs {shape}")
        if tensor.is_meta:
            raise StateDictError(f"the torch weight {key!r} is a meta tensor, which holds no "
                                 f"numbers")
        lists[key] = tensor.detach().to(device="cpu", dtype=torch.float64).tolist()
    for alias, key in layout.aliases.items():
        if lists[alias] != lists[key]:
            raise StateDictError(f"the torch weights {alias!r} and {key!r} belong to one module "
                                 f"used twice in the {owner}, but they differ")
    flat: dict[str, float] = {}
    for name, (key, index) in layout.places.items():
        value = _get(lists[key], index)
        if not math.isfinite(value):
            where = f"{key}[{', '.join(map(str, index))}]"
            raise StateDictError(f"the torch weight {where} (the {owner}'s {name!r}) is "
                                 f"{value!r}; weights must be finite")
        flat[name] = value
    return flat


def _listed(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


__all__ = [
    "EXPORTABLE", "LEAKY_SLOPE", "Place", "TorchExportError", "from_torch", "load_torch",
    "plan", "to_torch", "torch_names",
]
