"""Derivatives as functions, in the style of HIPS autograd: grad, value_and_grad, hessian.

Floats in, floats out::

    >>> from autograd import grad
    >>> grad(lambda x: x * x * x)(2.0)
    12.0

When the arguments are Values (because an outer ``grad`` is tracing the
call), the results are Values too, so the operators compose to any order:
``grad(grad(grad(f)))``. These functions never touch ``.grad``.
"""

from __future__ import annotations

import contextvars
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from .anomaly import check_backward_step
from .engine import Value, topological_order
from .errors import DomainError
from .modes import current_mode, enable_grad
from .real_numbers import real as _real

ArgNum = int | Sequence[int]

# How many grad/value_and_grad/hessian calls are tracing a function in this thread.
_TRACING: contextvars.ContextVar[int] = contextvars.ContextVar("chainrule_tracing", default=0)


def gradients(root: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d(root)/d(input) for each input, without touching any ``.grad``.

    With ``create_graph`` the results are Values built from the graph, so they
    can be differentiated again; otherwise they are floats.

    This is the chain rule of ``backward()`` computed into a table instead of into
    ``.grad``: each node, last made first, adds local derivative x its gradient into
    its parents' entries. It cannot share backward()'s sweep, which lets each node
    write into its parents' ``.grad`` directly (and a node of your own, a closure, can
    only do that), because these gradients may be Values and ``.grad`` holds floats.
    """
    # No early stop at the inputs: an input may depend on another input, and the
    # paths through it count too.
    order = topological_order(root)
    grads: dict[Value, Any] = {root: 1.0}
    # Inside detect_anomaly() the steps are checked as in backward(); with create_graph
    # the derivative graph's own ops check themselves as they are made.
    checked = current_mode().anomaly and not create_graph
    with enable_grad():
        for node in reversed(order):
            g = grads.get(node)
            if g is None:
                continue
            locals_ = _local_grads(node, create_graph)
            for parent, d in zip(node._prev, locals_):
                contribution = g if (type(d) is float and d == 1.0) else d * g
                old = grads.get(parent)
                total = contribution if old is None else old + contribution
                if checked:
                    check_backward_step(node, d, g, contribution, old or 0.0, total)
                grads[parent] = total
    return [grads.get(x, 0.0) for x in inputs]


def _local_grads(node: Value, symbolic: bool) -> list[Any]:
    """A node's local derivatives, as differentiable Values when ``symbolic``.

    Where a derivative is undefined (NaN) it must stay NaN when differentiated again,
    not become a constant whose derivative is 0: ``node * nan`` depends on what the
    node depends on, with NaN slopes, so a Hessian is NaN on both sides of its diagonal.
    A derivative that cannot be formed at all (sqrt's at 0, 0.5 / sqrt(x)) is an error
    in terms of the op the user wrote.
    """
    if not symbolic:
        return node.local_grads()
    try:
        found = node.local_grads(True)
    except (DomainError, ZeroDivisionError) as exc:
        op = node.primitive
        name = op.name if op is not None else node._op
        inputs = ", ".join(repr(p.data) for p in node._prev[:4])
        raise DomainError(
            f"{name} at {inputs}: its derivative cannot be differentiated there (it is "
            f"infinite or undefined at this point of {name}'s domain"
            f"{': ' + str(op.domains(node.constant)[0]) if op is not None else ''}), so a "
            f"second or higher derivative does not exist. Move the point inside the domain.",
            name, tuple(p.data for p in node._prev),
        ) from exc
    return [node * math.nan if type(d) is float and d != d else d for d in found]


def _argnums(argnum: ArgNum, nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnum,) if isinstance(argnum, int) else tuple(argnum)
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"{name}: argnum must be an int or a sequence of ints, got {n!r}")
        if not -nargs <= n < nargs:
            raise IndexError(
                f"{name}: argnum {n} is out of range for a call with {nargs} argument(s)"
            )
    return tuple(n % nargs for n in nums)


def _trace(
    fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
    nums: Sequence[int], name: str, stacklevel: int,
):
    """Call ``fun`` on fresh nodes for the chosen arguments; return (output, nodes, nested).

    Of the other arguments, floats become constant Values (so ``y.sin()`` works on
    them); ints and everything else, and keyword arguments, pass through unchanged,
    so an int can still be a count or an index.

    ``nested`` is true when an outer ``grad`` is tracing this call, seen either in
    the arguments (Values) or in the thread's trace depth (the function closes over
    an outer Value): the results must then be Values, differentiable again.
    """
    nested = _TRACING.get() > 0 or any(
        isinstance(a, Value) for a in (*args, *kwargs.values())
    )
    call = [Value(a) if type(a) is float else a for a in args]
    with enable_grad():
        for i in nums:
            a = args[i]
            # A fresh node per argument, so repeated or shared arguments stay apart.
            call[i] = a + 0.0 if isinstance(a, Value) else Value(_real(a, f"{name}: arg {i}"))
        token = _TRACING.set(_TRACING.get() + 1)
        try:
            out = fun(*call, **kwargs)
        finally:
            _TRACING.reset(token)
    if not isinstance(out, Value):
        out = Value(_real(out, f"{name}: the function's result"))
        warnings.warn(
            f"{name}: {getattr(fun, '__name__', 'the function')} returned a plain number, so "
            f"its derivative is 0. If that is a surprise, it converted a Value with float() "
            f"or math (math.exp(v)): use the Value methods (v.exp()) instead.",
            stacklevel=stacklevel,
        )
    return out, [call[i] for i in nums], nested


def _result(x: Any, nested: bool) -> Any:
    if nested:
        return x if isinstance(x, Value) else Value(float(x))
    return float(x.data) if isinstance(x, Value) else float(x)


def _value_and_grad(
    fun: Callable[..., Any], argnum: ArgNum, args: tuple[Any, ...], kwargs: dict[str, Any],
    name: str,
) -> tuple[Any, Any]:
    nums = _argnums(argnum, len(args), name)
    # stacklevel 4: a warning names the user's line (user -> grad_fun -> here -> _trace).
    out, nodes, nested = _trace(fun, args, kwargs, nums, name, stacklevel=4)
    gs = [_result(g, nested) for g in gradients(out, nodes, create_graph=nested)]
    g = gs[0] if isinstance(argnum, int) else tuple(gs)
    return _result(out, nested), g


def value_and_grad(fun: Callable[..., Any], argnum: ArgNum = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(fun(*args), d fun / d args[argnum])``.

    ``argnum`` may be a tuple: the gradient is then a tuple, one entry per argument.
    """

    def value_and_grad_fun(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _value_and_grad(fun, argnum, args, kwargs, "value_and_grad")

    value_and_grad_fun.__name__ = f"value_and_grad({getattr(fun, '__name__', 'fun')})"
    return value_and_grad_fun


def grad(fun: Callable[..., Any], argnum: ArgNum = 0) -> Callable[..., Any]:
    """The derivative of ``fun`` with respect to argument ``argnum``, as a function.

    >>> from autograd import grad
    >>> import math
    >>> d3 = grad(grad(grad(lambda x: x.tanh())))
    >>> abs(d3(0.5) - (6 * math.tanh(0.5)**2 - 2) * (1 - math.tanh(0.5)**2)) < 1e-12
    True
    """

    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        return _value_and_grad(fun, argnum, args, kwargs, "grad")[1]

    grad_fun.__name__ = f"grad({getattr(fun, '__name__', 'fun')})"
    return grad_fun


def hessian(fun: Callable[..., Any]) -> Callable[..., list[list[Any]]]:
    """The matrix of second derivatives of a function of several scalars, as nested lists.

    >>> from autograd import hessian
    >>> hessian(lambda x, y: x * x * y)(1.0, 3.0)
    [[6.0, 2.0], [2.0, 0.0]]
    """

    def hessian_fun(*args: Any, **kwargs: Any) -> list[list[Any]]:
        if not args:
            raise TypeError("hessian: the function needs at least one argument")
        nums = tuple(range(len(args)))
        out, nodes, nested = _trace(fun, args, kwargs, nums, "hessian", stacklevel=3)
        rows = []
        for g in gradients(out, nodes, create_graph=True):
            if isinstance(g, Value):
                row = gradients(g, nodes, create_graph=nested)
            else:
                row = [0.0] * len(nodes)
            rows.append([_result(h, nested) for h in row])
        return rows

    hessian_fun.__name__ = f"hessian({getattr(fun, '__name__', 'fun')})"
    return hessian_fun
