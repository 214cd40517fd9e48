"""Hand an ``nn`` model to PyTorch, and take its weights back.

    tmodel = nn.to_torch(model)          # a torch.nn.Module: float64, the same weights
    ...                                  # train it with torch.optim, on a GPU, with DDP
    nn.load_torch(model, tmodel)         # the trained weights back into model (checked first)
    again = nn.from_torch(tmodel)        # or a new chainrule model built from tmodel

What each module becomes (the PyTorch classes are in :mod:`nn.torch_modules`; the map
from chainrule names to torch keys is worked out in :mod:`nn.torch_layout`):

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
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._checks import preview
from .module import Module, StateDictError, _names, mismatch
from .torch_layout import (
    EXPORTABLE,
    LEAKY_SLOPE,
    Place,
    Plan,
    Spec,
    TorchExportError,
    build_model,
    first_difference,
    plan,
    torch_names,
)

if TYPE_CHECKING:
    import torch

INSTALL = 'pip install "chainrule[torch]"'


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
    model = build_model(spec)
    load_torch(model, module)
    for path, m in plan(model).modules:
        m.training = module.get_submodule(path).training
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
        path, theirs, ours = first_difference(actual, expected, "")
        raise StateDictError(
            f"the torch module is not shaped like the {owner}: at {path or 'the top'} it is "
            f"{theirs.describe()}, where the model has {ours.describe()}"
        )


def _read(torch: ModuleType, state: Mapping[str, Any], layout: Plan,
          owner: str) -> dict[str, float]:
    """The checked ``{chainrule name: float}`` that ``state`` (torch keys) holds for ``layout``."""
    missing = [key for key in layout.shapes if key not in state]
    unexpected = [key for key in state if key not in layout.shapes]
    if missing or unexpected:
        expected = _names(list(layout.shapes))
        raise StateDictError(f"the torch weights do not fit the {owner}: "
                             f"{mismatch(missing, unexpected, 'key')} "
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


__all__ = [
    "EXPORTABLE", "LEAKY_SLOPE", "Place", "TorchExportError", "from_torch", "load_torch",
    "plan", "to_torch", "torch_names",
]
