"""The PyTorch modules :func:`nn.to_torch` builds: ``TorchLayer``, ``TorchNeuron``, ``TorchMLP``.

Importing this module imports torch, so ``nn`` imports it only inside
:func:`nn.to_torch`, :func:`nn.from_torch` and :func:`nn.load_torch`. The classes
are ordinary torch modules (``TorchLayer`` is a ``torch.nn.Linear``): you may also
build them yourself, as ``TorchMLP(2, [16, 16, 1])``, and ``from_torch`` turns them
back into ``nn.MLP`` and friends. Their state-dict keys follow chainrule's layer
structure; :mod:`nn.torch_export` explains the names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import torch

from .torch_layout import (
    LEAKY_SLOPE,
    DropoutSpec,
    LinearSpec,
    MLPSpec,
    SequentialSpec,
    Spec,
    TorchExportError,
)

#: nn's activation names -> the torch module that applies each.
ACTIVATIONS: dict[str, Callable[[], torch.nn.Module]] = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "leaky_relu": partial(torch.nn.LeakyReLU, LEAKY_SLOPE),
    "linear": torch.nn.Identity,
}


def activation_module(name: str) -> torch.nn.Module:
    """The torch module for one of nn's activation names."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def activation_name(module: torch.nn.Module) -> str | None:
    """nn's name for a torch activation module, or None if nn has no such activation."""
    kind = type(module)
    if kind is torch.nn.LeakyReLU:
        return "leaky_relu" if module.negative_slope == LEAKY_SLOPE else None
    names = {torch.nn.ReLU: "relu", torch.nn.Tanh: "tanh", torch.nn.Sigmoid: "sigmoid",
             torch.nn.Identity: "linear"}
    return names.get(kind)


class TorchLayer(torch.nn.Linear):
    """``nn.Layer`` in PyTorch: a ``torch.nn.Linear`` followed by its activation.

    ``weight[j, k]`` is neuron ``j``'s weight ``k`` (chainrule's ``neurons.j.wk``) and
    ``bias[j]`` its bias (``neurons.j.b``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str = "relu",
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        self.activation = activation_module(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.activation(super().forward(x))
        return result


class TorchNeuron(TorchLayer):
    """``nn.Neuron`` in PyTorch: a TorchLayer with one output; ``weight[0, k]`` is ``wk``."""

    def __init__(
        self,
        in_features: int,
        activation: str = "relu",
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(in_features, 1, activation, bias=bias, device=device, dtype=dtype)


class TorchMLP(torch.nn.Module):
    """``nn.MLP`` in PyTorch: ``layers`` holds one TorchLayer per entry of ``nouts``.

    The arguments are nn.MLP's: hidden layers apply ``activation``, the last one
    ``output_activation`` (``None``: linear). ``layers[i].weight`` holds chainrule's
    ``layers.i.neurons.j.wk`` at ``[j, k]``.
    """

    # The same arguments as nn.MLP's, on purpose: a model here and there reads alike.
    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.activation = activation  # what nn.MLP(activation=) was, also with no hidden layer
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = torch.nn.ModuleList(
            TorchLayer(sizes[i], sizes[i + 1],
                       activation if i < last else output_activation or "linear",
                       bias=bias, device=device, dtype=dtype)
            for i in range(len(nouts))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def build(spec: Spec, dtype: Any, device: Any) -> torch.nn.Module:
    """The torch module for ``spec``, its weights left uninitialised (the caller fills them)."""
    built: dict[int, torch.nn.Module] = {}

    def make(spec: Spec) -> torch.nn.Module:
        if id(spec) in built:  # a chainrule module used twice is one torch module too
            return built[id(spec)]
        module: torch.nn.Module
        # skip_init: no random initialisation, so the caller's torch random state is untouched.
        if isinstance(spec, LinearSpec) and spec.neuron:
            module = torch.nn.utils.skip_init(TorchNeuron, spec.nin, spec.activation,
                                              bias=spec.bias, device=device, dtype=dtype)
        elif isinstance(spec, LinearSpec):
            module = torch.nn.utils.skip_init(TorchLayer, spec.nin, spec.nout, spec.activation,
                                              bias=spec.bias, device=device, dtype=dtype)
        elif isinstance(spec, MLPSpec):
            module = torch.nn.utils.skip_init(TorchMLP, spec.nin, list(spec.nouts), spec.hidden,
                                              spec.activations[-1], bias=spec.bias,
                                              device=device, dtype=dtype)
        elif isinstance(spec, SequentialSpec):
            module = torch.nn.Sequential(*(make(step) for step in spec.steps))
        else:
            module = torch.nn.Dropout(spec.p)
        built[id(spec)] = module
        return module

    return make(spec)


def made_by_to_torch(module: torch.nn.Module) -> bool:
    """True if ``module`` holds any of the classes above (so it claims nn's structure)."""
    return any(isinstance(m, (TorchLayer, TorchMLP)) for m in module.modules())


def linear_spec(m: TorchLayer, where: str) -> LinearSpec:
    """The Layer (or Neuron) a TorchLayer (TorchNeuron) is."""
    name = activation_name(m.activation)
    if name is None:
        raise TorchExportError(
            f"cannot bring back {where}: its activation is {m.activation!r}, which nn does not "
            f"have (nn has {sorted(ACTIVATIONS)}, leaky_relu with slope {LEAKY_SLOPE})"
        )
    neuron = type(m) is TorchNeuron
    if neuron and m.out_features != 1:
        raise TorchExportError(f"cannot bring back {where}: a TorchNeuron with "
                               f"{m.out_features} outputs")
    return LinearSpec(neuron, m.in_features, m.out_features, name, m.bias is not None)


def spec_of(module: torch.nn.Module) -> Spec:
    """What chainrule model ``module`` is; TorchExportError, naming the part, if it is none."""
    seen: dict[int, Spec] = {}

    def describe(m: Any, path: str) -> Spec:
        if id(m) in seen:
            return seen[id(m)]
        where = "the torch module" if not path else f"the part {path!r} of the torch module"
        kind = type(m)
        spec: Spec
        if kind in (TorchLayer, TorchNeuron):
            spec = linear_spec(m, where)
        elif kind is TorchMLP:
            layers: list[LinearSpec] = []
            for i, layer in enumerate(m.layers):
                if type(layer) is not TorchLayer:
                    raise TorchExportError(f"cannot bring back {where}: its layer {i} is "
                                           f"{type(layer).__name__}, not a TorchLayer")
                part = f"{path}.layers.{i}" if path else f"layers.{i}"
                layers.append(linear_spec(layer, f"the part {part!r} of the torch module"))
            if not layers:
                raise TorchExportError(f"cannot bring back {where}: a TorchMLP with no layers")
            sizes = [layers[0].nin, *(s.nout for s in layers)]
            for i, s in enumerate(layers):
                if s.nin != sizes[i]:
                    raise TorchExportError(f"cannot bring back {where}: layer {i} reads "
                                           f"{s.nin} inputs but gets {sizes[i]}")
            acts = tuple(s.activation for s in layers)
            if len(set(acts[:-1])) > 1 or len({s.bias for s in layers}) > 1:
                raise TorchExportError(
                    f"cannot bring back {where}: nn.MLP has one hidden activation and a bias "
                    f"in every layer or none, but its layers are {[s.describe() for s in layers]}"
                )
            hidden = acts[0] if len(acts) > 1 else getattr(m, "activation", "relu")
            if hidden not in ACTIVATIONS:
                hidden = "relu"
            spec = MLPSpec(sizes[0], tuple(sizes[1:]), acts, layers[0].bias, hidden)
        elif kind is torch.nn.Sequential:
            # Not named_children(): it lists a module used twice once.
            children = list(m._modules.items())
            names = [name for name, _ in children]
            if names != [str(i) for i in range(len(names))] or not names:
                raise TorchExportError(f"cannot bring back {where}: an nn.Sequential names its "
                                       f"steps 0, 1, ..., not {names}")
            spec = SequentialSpec(tuple(describe(child, f"{path}.{name}" if path else name)
                                        for name, child in children))
        elif kind is torch.nn.Dropout:
            spec = DropoutSpec(float(m.p))
        else:
            raise TorchExportError(
                f"cannot bring back {where}: it is {kind.__name__}; from_torch rebuilds the "
                f"modules to_torch makes (TorchMLP, TorchLayer, TorchNeuron, torch.nn.Sequential "
                f"and torch.nn.Dropout). For another module pass like=model, a chainrule model "
                f"with the same state-dict keys (nn.torch_names(model) lists them)"
            )
        seen[id(m)] = spec
        return spec

    return describe(module, "")
