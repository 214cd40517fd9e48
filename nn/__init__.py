"""chainrule's tiny neural-network library, built on the :mod:`autograd` engine."""

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
    StepLR,
    clip_grad_norm,
    clip_grad_norm_,
)
from .training import History, accuracy, evaluate, fit, predict

__all__ = [
    "ACTIVATIONS", "MLP", "SGD", "Adam", "AdamW", "CosineAnnealingLR", "Dropout", "LRScheduler",
    "Layer", "LinearLR", "LoadResult", "Module", "Neuron", "Optimizer", "RMSProp", "Sequential",
    "StateDictError", "StepLR", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "clip_grad_norm", "clip_grad_norm_", "cross_entropy", "data", "hinge_loss", "init", "l1_loss",
    "l1_penalty", "l2_penalty", "losses", "mse_loss", "optim",
    "History", "accuracy", "evaluate", "fit", "predict",
]
