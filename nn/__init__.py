"""chainrule's tiny neural-network library, built on the :mod:`autograd` engine."""

from . import data, init
from .layers import ACTIVATIONS, MLP, Dropout, Layer, Neuron
from .module import LoadResult, Module, Sequential, StateDictError

__all__ = [
    "ACTIVATIONS", "MLP", "Dropout", "Layer", "LoadResult", "Module", "Neuron", "Sequential",
    "StateDictError", "data", "init",
]
