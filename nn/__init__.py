"""chainrule's tiny neural-network library, built on the :mod:`autograd` engine.

Modules (micrograd's ``Neuron``, ``Layer``, ``MLP`` with PyTorch's conventions),
losses, optimisers and schedules, toy data sets, a training loop, JSON
save/load, and plots (optional extra)::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    history = nn.fit(model, X, [2 * t - 1 for t in y], loss='hinge', l2=1e-4,
                     optimizer=nn.SGD(model.parameters(), lr=0.5), epochs=100)

Submodules: :mod:`nn.module` (Module, Sequential), :mod:`nn.layers`,
:mod:`nn.init`, :mod:`nn.losses`, :mod:`nn.optim`, :mod:`nn.data`,
:mod:`nn.training`, :mod:`nn.serialization`, :mod:`nn.plots` (needs
matplotlib: ``pip install "chainrule[plot]"``; import it explicitly),
:mod:`nn.torch_export` (``to_torch``, ``from_torch``, ``load_torch``: a model to
PyTorch and back; needs ``pip install "chainrule[torch]"`` only when called).
"""

from . import data, init, losses, optim
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
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
from .module import LoadResult, Module, Sequential, StateDictError
from .optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    LinearLR,
    LRScheduler,
    Optimizer,
    RMSProp,
    RMSprop,
    StepLR,
    clip_grad_norm,
    clip_grad_norm_,
)
from .serialization import ModelFileError, load, load_into, save
from .torch_export import TorchExportError, from_torch, load_torch, to_torch, torch_names
from .training import History, accuracy, evaluate, fit, predict

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
    "Optimizer",
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
    "mse_loss",
    "optim",
    "predict",
    "save",
    "to_torch",
    "torch_names",
]
