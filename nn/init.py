"""Weight initialisation schemes.

A scheme draws one weight from a private ``random.Random``, given the fan-in
(inputs of the neuron) and the fan-out (neurons in its layer):

* ``'uniform'``: U(-1, 1), micrograd's choice;
* ``'xavier'`` (Glorot): U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), which
  keeps the variance of activations and gradients about constant through tanh
  and sigmoid layers (PyTorch's ``xavier_uniform_``);
* ``'he'`` (Kaiming): U(-a, a) with a = sqrt(6 / fan_in), the ReLU counterpart
  (PyTorch's ``kaiming_uniform_`` with ``nonlinearity='relu'``).

Any callable ``scheme(rng, fan_in, fan_out) -> float`` works as a custom scheme.
Biases start at 0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from ._checks import choice, preview

Initializer = Callable[[random.Random, int, int], float]


def uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-1, 1), independent of the fan-in and fan-out (micrograd)."""
    return rng.uniform(-1.0, 1.0)


def xavier(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound)


def he(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-a, a), a = sqrt(6 / fan_in): variance 2 / fan_in (He et al., 2015)."""
    bound = math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound)


SCHEMES: dict[str, Initializer] = {"uniform": uniform, "xavier": xavier, "he": he}


def get(scheme: str | Initializer) -> Initializer:
    """The initializer for a scheme name, or ``scheme`` itself if it is callable."""
    if callable(scheme):
        return scheme
    return SCHEMES[choice(scheme, "init", tuple(SCHEMES))]


def weights(
    scheme: str | Initializer, rng: random.Random, fan_in: int, fan_out: int
) -> list[float]:
    """``fan_in`` weights for one neuron, drawn in order from ``rng``."""
    draw = get(scheme)
    out = []
    for _ in range(fan_in):
        w = draw(rng, fan_in, fan_out)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w):
            raise ValueError(
                f"init scheme {preview(scheme)} returned {preview(w)}; it must return a finite "
                f"float"
            )
        out.append(float(w))
    return out
