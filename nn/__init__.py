"""chainrule's tiny neural-network library, built on the :mod:`autograd` engine.

Modules (micrograd's ``Neuron``, ``Layer``, ``MLP`` with PyTorch's conventions),
losses, optimisers and schedules, toy data sets, a training loop, JSON
save/load, and plots (optional extra)::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    history = nn.fit(model, X, [2 * t - 1 for t in y], loss='hinge', l2=1e-4,
                     optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=100)

A bad sample or label fails before training starts, with the model unchanged;
a NaN or infinite loss or gradient stops ``fit`` before that step, keeping the
good steps (see :func:`nn.fit`). A multi-output model returns :class:`Outputs`,
a list that tells you to sum or pick an output if you call ``.backward()`` on it.

Submodules: :mod:`nn.module` (Module, Sequential), :mod:`nn.layers` (and Outputs),
:mod:`nn.init`, :mod:`nn.losses`, :mod:`nn.optim`, :mod:`nn.schedules`,
:mod:`nn.data`, :mod:`nn.training`, :mod:`nn.metrics`, :mod:`nn.serialization`,
:mod:`nn.plots` (needs matplotlib: ``pip install "chainrule[plot]"``; import it
explicitly),
:mod:`nn.torch_export` (``to_torch``, ``from_torch``, ``load_torch``: a model to
PyTorch and back; needs ``pip install "chainrule[torch]"`` only when called).
"""

import autograd as _autograd

from . import data, init, losses, metrics, optim, schedules
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron, Outputs
from .losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from .metrics import accuracy
from .module import LoadResult, Module, Sequential, StateDictError
from .optim import (
    SGD,
    Adam,
    AdamW,
    NonFiniteGradientError,
    Optimizer,
    RMSProp,
    RMSprop,
    clip_grad_norm,
    clip_grad_norm_,
)
from .schedules import CosineAnnealingLR, LinearLR, LRScheduler, StepLR
from .serialization import ModelFileError, load, load_into, save
from .torch_export import TorchExportError, from_torch, load_torch, to_torch, torch_names
from .training import History, evaluate, fit, predict

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "Dropout",
    "History",
    "LRScheduler",
    "Layer",
    "LinearLR",
    "LoadResult",
    "ModelFileError",
    "Module",
    "Neuron",
    "NonFiniteGradientError",
    "Optimizer",
    "Outputs",
    "RMSProp",
    "RMSprop",
    "Sequential",
    "StateDictError",
    "StepLR",
    "TorchExportError",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "clip_grad_norm",
    "clip_grad_norm_",
    "cross_entropy",
    "data",
    "evaluate",
    "fit",
    "from_torch",
    "hinge_loss",
    "init",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "load",
    "load_into",
    "load_torch",
    "losses",
    "metrics",
    "mse_loss",
    "optim",
    "predict",
    "save",
    "schedules",
    "to_torch",
    "torch_names",
]

# Inside detect_anomaly(), a node an nn module makes is reported at the user's line.
_autograd.mark_library("nn")


def __dir__() -> list[str]:
    return sorted(__all__)
