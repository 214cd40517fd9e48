"""Testing toolkit: gradient checking and Hypothesis strategies for scalar graphs.

* :func:`numerical_grad` -- a gradient by central differences with Richardson extrapolation.
* :func:`check_grads` -- the engine's first (and second) derivatives of a function against
  numerical ones; :class:`GradientCheckError` names the argument, both values, the relative
  error and the graph node whose local derivative is wrong.
* :mod:`autograd.testing.strategies` -- ``reals``, ``values``, ``expressions`` (random DAGs
  drawn inside each op's domain), ``applications`` (one op) and ``mlps``.

>>> from autograd.testing import check_grads
>>> check_grads(lambda x: x.tanh() * x, [0.5], order=2)
"""

from .gradcheck import (
    GradientCheckError,
    NodeMismatch,
    NumericalDerivativeError,
    check_grads,
    local_grad_mismatches,
    numerical_grad,
)
from .graphs import MLP, Expression, Graph, Step, apply_op

__all__ = [
    "Expression",
    "Graph",
    "GradientCheckError",
    "MLP",
    "NodeMismatch",
    "NumericalDerivativeError",
    "Step",
    "apply_op",
    "check_grads",
    "local_grad_mismatches",
    "numerical_grad",
]
