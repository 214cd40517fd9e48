"""chainrule's engine: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(3.0, label='x')
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

The layers, each importing only those before it: numbers, domains and modes
(``real_numbers``, ``domains``, ``modes``, ``scopes``, ``errors``) -> the engine
(``engine``: Value and backward) -> declaring ops (``declaration``, ``op_nodes``,
``declare``) -> the built-in ops (``ops``, with ``elementary`` for derivatives) ->
``differential_operators`` (grad, hessian), ``composites`` (softmax) -> ``render``,
``testing`` and ``compiler`` (``compile``, which needs NumPy), imported on first use.
"""

from typing import TYPE_CHECKING, Any

from .accumulation import GradientAccumulationWarning, warn_accumulation
from .anomaly import mark_library
from .atomic_files import atomic_write
from .closure_node import ClosureNode
from .composites import log_softmax, softmax
from .declaration import Kind, Op
from .declare import declared_ops, defop, lookup, undefop
from .differential_operators import grad, gradients, hessian, value_and_grad
from .domains import Domain
from .engine import Value, topological_order
from .errors import AnomalyError, ClosureDerivativeError, DomainError
from .modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .ops import OPS, dot, logsumexp, mean, sum  # declaring the ops builds Value's surface
from .scopes import current_scope, scope, scope_kinds

if TYPE_CHECKING:
    from . import compiler, render, testing
    from .compiler import CompileError, TraceMismatchError, compile
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

# Rendering and the testing toolkit are imported on first use, so the engine alone
# loads neither graphviz nor Hypothesis.
_RENDER_NAMES = frozenset({
    "GraphTooLargeError", "GraphvizEngineError", "GraphvizEngineNotFound", "draw_dot",
    "explain", "render_text", "save", "to_svg", "to_html", "DrawOptions",
})
_SUBPACKAGES = frozenset({"render", "testing", "compiler"})
# autograd.compile and its errors load NumPy: on first use too.
_COMPILER_NAMES = frozenset({"compile", "CompileError", "TraceMismatchError"})


def __getattr__(name: str) -> Any:
    if name in _RENDER_NAMES:
        from . import render

        return getattr(render, name)
    if name in _COMPILER_NAMES:
        from . import compiler

        return getattr(compiler, name)
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


__all__ = [
    "AnomalyError",
    "ClosureDerivativeError",
    "ClosureNode",
    "CompileError",
    "Domain",
    "DomainError",
    "DrawOptions",
    "GradientAccumulationWarning",
    "GraphTooLargeError",
    "GraphvizEngineError",
    "GraphvizEngineNotFound",
    "Kind",
    "OPS",
    "Op",
    "TraceMismatchError",
    "Value",
    "atomic_write",
    "compile",
    "compiler",
    "current_scope",
    "declared_ops",
    "defop",
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
    "lookup",
    "mark_library",
    "mean",
    "no_grad",
    "render",
    "render_text",
    "save",
    "scope",
    "scope_kinds",
    "set_grad_enabled",
    "softmax",
    "sum",
    "testing",
    "to_html",
    "to_svg",
    "topological_order",
    "undefop",
    "value_and_grad",
    "warn_accumulation",
]


def __dir__() -> list[str]:
    return sorted(__all__)
