"""chainrule's engine: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(3.0, label='x')
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from typing import TYPE_CHECKING, Any

from .atomic_files import atomic_write
from .engine import Value, topological_order
from .errors import AnomalyError, DomainError
from .functional import grad, gradients, hessian, value_and_grad
from .functions import dot, log_softmax, logsumexp, mean, softmax, sum
from .modes import (
    current_scope,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
    scope_kinds,
    set_grad_enabled,
)
from .ops import OPS, Domain, Op

if TYPE_CHECKING:
    from .render import (  # type: ignore[no-redef]
        DrawOptions,
        GraphTooLargeError,
        GraphvizEngineError,
        GraphvizEngineNotFound,
        draw_dot,
        explain,
        render_text,
        save,
        to_html,
        to_svg,
    )

# Rendering is imported on first use, so the engine alone loads no graphviz.
_RENDER_NAMES = frozenset({
    "GraphTooLargeError", "GraphvizEngineError", "GraphvizEngineNotFound", "draw_dot",
    "explain", "render_text", "save", "to_svg", "to_html", "DrawOptions",
})


def __getattr__(name: str) -> Any:
    if name in _RENDER_NAMES:
        from . import render

        return getattr(render, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _RENDER_NAMES)


__all__ = [
    "AnomalyError",
    "Domain",
    "DomainError",
    "DrawOptions",
    "GraphTooLargeError",
    "GraphvizEngineError",
    "GraphvizEngineNotFound",
    "OPS",
    "Op",
    "Value",
    "atomic_write",
    "detect_anomaly",
    "dot",
    "draw_dot",
    "current_scope",
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
    "scope_kinds",
    "set_grad_enabled",
    "softmax",
    "sum",
    "to_html",
    "to_svg",
    "topological_order",
    "value_and_grad",
]
