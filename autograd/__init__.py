"""chainrule's engine: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(3.0, label='x')
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from .engine import Value, topological_order
from .errors import AnomalyError, DomainError
from .functional import grad, gradients, hessian, value_and_grad
from .functions import dot, log_softmax, logsumexp, mean, softmax, sum
from .modes import (
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)
from .ops import OPS, Domain, Op
from .render import (
    GraphTooLargeError,
    GraphvizEngineError,
    GraphvizEngineNotFound,
    draw_dot,
    explain,
    render_text,
    save,
    to_svg,
)

__all__ = [
    "AnomalyError",
    "Domain",
    "DomainError",
    "GraphTooLargeError",
    "GraphvizEngineError",
    "GraphvizEngineNotFound",
    "OPS",
    "Op",
    "Value",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "enable_grad",
    "explain",
    "grad",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "log_softmax",
    "logsumexp",
    "mean",
    "no_grad",
    "render_text",
    "save",
    "scope",
    "set_grad_enabled",
    "softmax",
    "sum",
    "to_svg",
    "topological_order",
    "value_and_grad",
]
