"""Testing toolkit: gradient checking and Hypothesis strategies for scalar graphs.

* :func:`numerical_grad` -- a gradient by central differences with Richardson
  extrapolation (:mod:`~autograd.testing.numerical`); steps shrink where the function
  is undefined or one of its ops would cross a kink, and widen where rounding noise
  swamps the differences.
* :func:`check_grads` -- the engine's first (and second) derivatives of a function
  against numerical ones (:mod:`~autograd.testing.comparison`).
  :class:`GradientCheckError` names the argument, both values, the relative error and
  the graph node whose local derivative is wrong; :class:`RoundingNoiseError` refuses a
  check that rounding noise makes meaningless (a value of 1e15 next to a slope of 1),
  and :class:`RoundingNoiseWarning` says when noise made a passing check looser than
  its tolerances (:mod:`~autograd.testing.reporting`).
* :mod:`autograd.testing.strategies` -- ``reals``, ``values``, ``expressions`` (random
  DAGs), ``applications`` (one op) and ``mlps``; ``op_inputs`` draws an op's input
  across its whole range (:mod:`~autograd.testing.op_ranges`: tiny and huge
  magnitudes, both signs, either side of each kink and pole), and
  :class:`~autograd.testing.reach.Reach` measures how far the drawn inputs went.
* :mod:`autograd.testing.graphs` -- what the strategies hand out: an
  :class:`Expression` of :class:`ExpressionStep` s (rebuilt as a
  :class:`BuiltExpression` at any input) and an :class:`MLPLoss`.

>>> from autograd.testing import check_grads
>>> check_grads(lambda x: x.tanh() * x, [0.5], order=2)
"""

from .comparison import check_grads, local_grad_mismatches
from .graphs import BuiltExpression, Expression, ExpressionStep, MLPLoss, apply_op
from .numerical import NumericalDerivativeError, numerical_grad
from .reporting import (
    GradientCheckError,
    NodeMismatch,
    RoundingNoiseError,
    RoundingNoiseWarning,
)

__all__ = [
    "BuiltExpression",
    "Expression",
    "ExpressionStep",
    "GradientCheckError",
    "MLPLoss",
    "NodeMismatch",
    "NumericalDerivativeError",
    "RoundingNoiseError",
    "RoundingNoiseWarning",
    "apply_op",
    "check_grads",
    "local_grad_mismatches",
    "numerical_grad",
]
