"""Comparing the engine's derivatives with numerical ones: :func:`check_grads` and
:func:`local_grad_mismatches`.

A derivative passes when ``|analytical - numerical| <= atol + rtol * |numerical| +
noise``, where ``noise`` bounds how far rounding alone may have moved the numerical
estimate (:mod:`autograd.testing.numerical`). Allowing for the noise keeps a right
derivative from failing where the function is large next to its slope; where the
noise is so large that a derivative wrong by a factor of 2 would pass too, the check
is refused (:class:`~autograd.testing.RoundingNoiseError`), and where it merely made
the check looser than its tolerances, a :class:`~autograd.testing.RoundingNoiseWarning`
says by how much. A check never passes in silence what it could not have caught.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..declaration import Op
from ..differential_operators import gradients, hessian, value_and_grad
from ..engine import Value, topological_order
from ..modes import enable_grad
from .edges import distance_to_edge, edge_note
from .graphs import apply_op, forward
from .numerical import (
    DEFAULT_EPS,
    Estimate,
    NumericalDerivativeError,
    check_eps,
    derivative,
    gradient_estimates,
    step_for,
)
from .reporting import (
    Disagreement,
    NodeMismatch,
    Subject,
    failure,
    limited,
    refusal,
    unsettled,
)
from .under_test import AtPoints, Function, Number, at_points, checked_output, read_arguments

inf = math.inf

__all__ = ["check_grads", "local_grad_mismatches"]

DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


# Below the smallest normal float, floats are spaced 2**-1074 apart whatever their size: a
# derivative that small is known to a few of those spacings at best (x ** -3.9 at 1e66),
# and to a few thousand where an even smaller value on the way is multiplied up (the second
# derivative of a ** b at a = 1.8e131, b = -1.4375 is -5.2e-318, taken through
# a ** (b - 1) = 1.2e-320 times 1 + b log a = -433: 300 spacings off).
SUBNORMAL_SLACK = 4096 * 2.0**-1074


def close(a: float, n: float, atol: float, rtol: float, noise: float = 0.0) -> bool:
    """Whether an analytical ``a`` matches a numerical ``n`` that rounding may have moved by
    up to ``noise``: a numerical estimate is only as good as its noise, so that is allowed
    on top of the tolerances (and a few spacings of the subnormal floats)."""
    if a == n:
        return True
    return abs(a - n) <= atol + rtol * abs(n) + noise + SUBNORMAL_SLACK  # False for NaN


def _compare(index: tuple[int, ...], method: str, a: float, n: float, noise: float,
             atol: float, rtol: float) -> Disagreement:
    return Disagreement(index, method, a, n, noise, atol + rtol * abs(n) + SUBNORMAL_SLACK)


def _passed(d: Disagreement) -> bool:
    return close(d.analytical, d.numerical, d.tolerance, 0.0, d.noise)


def swamped(d: Disagreement) -> bool:
    """Whether rounding noise, not the tolerances, would let a derivative wrong by a
    factor of 2 pass: with the true slope within ``noise`` of the estimate ``n``, twice
    or half of it stays within ``tolerance + noise`` of ``n`` unless
    ``|n| > 2 * tolerance + 3 * noise``. A derivative that is 0 both ways is not: 0 is
    what a factor of 2 leaves it."""
    if d.noise <= d.tolerance or d.analytical == d.numerical == 0.0:
        return False
    return abs(d.numerical) <= 2 * d.tolerance + 3 * d.noise


def _names(f: Function, labels: list[str]) -> list[str]:
    """Each argument's label, else the function's parameter name, else ''."""
    params: list[str] = []
    try:
        for p in inspect.signature(f).parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                params.append(p.name)
    except (TypeError, ValueError):
        pass
    return [label or (params[i] if i < len(params) else "") for i, label in enumerate(labels)]


def _backward_grads(f: Function, xs: Sequence[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    with enable_grad():
        out = checked_output(f(*leaves), "check_grads")
    out.backward()
    return [leaf.grad for leaf in leaves]


def _functional_grads(f: Function, xs: Sequence[float]) -> list[float]:
    _, gs = value_and_grad(f, tuple(range(len(xs))))(*xs)
    return [float(g) for g in gs]


def _check_settings(order: int, atol: float, rtol: float, eps: float) -> None:
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"check_grads: order must be 1 or 2, got {order!r}")
    for tol, what in ((atol, "atol"), (rtol, "rtol")):
        if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol >= 0
                and math.isfinite(tol)):
            raise ValueError(f"check_grads: {what} must be a finite number >= 0, got {tol!r}")
    check_eps(eps, "check_grads")


def check_grads(
    f: Function,
    args: Sequence[Number | Value] | Number | Value,
    order: int = 1,
    *,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    eps: float = DEFAULT_EPS,
) -> None:
    """Check the engine's derivatives of ``f`` at ``args`` against numerical derivatives.

    ``f`` takes one Value per argument and returns a Value built from them;
    ``args`` holds numbers (or Values: their data is used, their labels name
    them in messages). ``order=1`` checks the gradient, both as ``backward()``
    leaves it in ``.grad`` and as ``autograd.grad`` returns it; ``order=2``
    also checks ``autograd.hessian`` against numerical derivatives of the
    analytical gradient. A derivative passes when
    ``|analytical - numerical| <= atol + rtol * |numerical| + noise``, where
    ``noise`` bounds how far rounding alone may have moved the numerical value
    (it matters where ``f`` is large next to its slope, as in ``x + 1e8``:
    there the numerical step is first widened to keep it small). Numerical
    steps never take a node of the graph across a kink, pole or domain end of
    its op (``relu`` at ``1e-9``): they shrink instead.

    Raises :class:`GradientCheckError` on the first order that disagrees,
    naming the argument, both values, the relative error, and the graph nodes
    whose own local derivative disagrees with their op's numerical derivative.
    Raises :class:`RoundingNoiseError` (a :class:`NumericalDerivativeError`)
    where rounding noise is so large that a derivative wrong by a factor of 2
    would pass (``x.tanh() + 1e15``): subtract the constant and check again.
    Warns with :class:`RoundingNoiseWarning` where the noise made a passing
    check looser than ``atol`` and ``rtol``, saying by how much. Raises
    :class:`NumericalDerivativeError` if ``f`` cannot be differentiated
    numerically there (not finite, or outside a domain next to the point).

    >>> check_grads(lambda x, y: (x * y).sin() + y.exp(), [0.3, -1.2], order=2)
    """
    _check_settings(order, atol, rtol, eps)
    xs, labels = read_arguments(args, "check_grads")
    if not xs:
        raise ValueError("check_grads: the function needs at least one argument to check")
    fname = getattr(f, "__name__", "")
    subject = Subject("" if fname == "<lambda>" else fname, _names(f, labels), xs)

    function = at_points(f, xs, "check_grads")
    estimates = gradient_estimates(function, eps, atol=atol, rtol=rtol)
    value = function.value
    compared = []
    for method, analytic in (
        ("backward()", _backward_grads(f, xs)),
        ("autograd.grad", _functional_grads(f, xs)),
    ):
        for i, (a, e) in enumerate(zip(analytic, estimates)):
            compared.append(_compare((i,), method, a, e.values[0], e.noise[0], atol, rtol))
    looser = _judge(f, subject, 1, compared, estimates, atol, rtol, eps, value)
    values = {1: value}
    if order == 2:
        values[2] = max(abs(d.analytical) for d in compared)
        looser += _check_hessian(function, subject, atol, rtol, eps, values[2])
    if looser:
        warnings.warn(limited(subject, looser, values), stacklevel=2)


def _judge(
    f: Function, subject: Subject, order: int, compared: list[Disagreement],
    estimates: list[Estimate], atol: float, rtol: float, eps: float, value: float,
) -> list[Disagreement]:
    """Raise for the first wrong derivative (with a diagnosis), else for one whose estimate
    did not settle or rounding noise swamps; return those that passed only within the
    noise allowance (for a warning)."""
    wrong = [d for d in compared if not _passed(d)]
    if wrong and all(not estimates[d.index[-1]].settled for d in wrong):
        # The estimate kept changing as the step shrank: it says nothing either way.
        raise unsettled(subject, wrong[0], estimates[wrong[0].index[-1]])
    wrong = [d for d in wrong if estimates[d.index[-1]].settled]
    if wrong:
        nodes, near, problem = _diagnose(f, subject, order, eps, atol, rtol)
        raise failure(subject, order, wrong, estimates[wrong[0].index[-1]], atol, rtol,
                      nodes, near, problem)
    for d in compared:
        if swamped(d):
            raise refusal(subject, d, estimates[d.index[-1]], value)
    # Those that passed only thanks to the noise allowance: a looser check than asked for.
    return [d for d in compared if abs(d.analytical - d.numerical) > d.tolerance]


def _check_hessian(function: AtPoints, subject: Subject, atol: float, rtol: float,
                   eps: float, largest: float) -> list[Disagreement]:
    f, xs = function.f, function.xs
    analytic = [[float(h) for h in row] for row in hessian(f)(*xs)]
    # Column j: how the analytical gradient moves with argument j (on the same side of
    # every edge of the graph as at the point).
    columns = []
    for j, x in enumerate(xs):

        def g(t: float, j: int = j) -> list[float]:
            point = [*xs[:j], t, *xs[j + 1:]]
            function.guard(point)
            return _functional_grads(f, point)

        columns.append(derivative(g, x, step_for(x, eps), what=f"the gradient by argument {j}",
                                  atol=atol, rtol=rtol, scale=function.gradient_scales))
    compared = [
        _compare((i, j), "autograd.hessian", analytic[i][j], columns[j].values[i],
                 columns[j].noise[i], atol, rtol)
        for i in range(len(xs)) for j in range(len(xs))
    ]
    return _judge(f, subject, 2, compared, columns, atol, rtol, eps, largest)


def _diagnose(f: Function, subject: Subject, order: int, eps: float, atol: float,
              rtol: float) -> tuple[list[NodeMismatch], list[str], str]:
    """The nodes whose local derivatives are wrong, notes on nodes next to an edge, or
    why the graph could not be checked: the diagnosis must never hide the finding."""
    try:
        leaves = [Value(x, label=subject.names[i]) for i, x in enumerate(subject.xs)]
        with enable_grad():
            out = f(*leaves)
        if not isinstance(out, Value):
            return [], [], ""
        nodes = local_grad_mismatches(out, order, eps=eps, atol=atol, rtol=rtol)
        return nodes, _near_edges(out, eps), ""
    except Exception as exc:
        return [], [], f"{type(exc).__name__}: {exc}"


def _near_edges(out: Value, eps: float) -> list[str]:
    """Notes on nodes whose inputs are close to a kink, pole or domain edge of their op."""
    notes = []
    for node in topological_order(out):
        op = node.primitive
        if op is None:
            continue
        for j, p in enumerate(node._prev):
            text = edge_note(op, j, p.data, 100 * step_for(p.data, eps), node.constant)
            if text:
                notes.append(f"node {op.name}: {text}")
    return notes


# --- node by node -----------------------------------------------------------------------------


def _local_derivative(
    g: Callable[[float], list[float]], op: Op, slot: int, x: float, c: float | None,
    eps: float, atol: float, rtol: float,
) -> Estimate | None:
    """d g / d(input ``slot``) of one node: its steps stay within a quarter of the way to
    the nearest edge, kink or pole of the op (known here, unlike for a whole function).
    None if the op cannot be differentiated numerically there."""
    dist, _ = distance_to_edge(op, slot, x, c)
    reach = dist / 4 if dist > 0 else inf
    try:
        return derivative(g, x, min(step_for(x, eps), reach), what=op.name, atol=atol,
                          rtol=rtol, max_step=reach)
    except NumericalDerivativeError:
        return None


def local_grad_mismatches(
    output: Value,
    order: int = 1,
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
) -> list[NodeMismatch]:
    """Check every node of ``output``'s graph against numerical derivatives of its op.

    For each node: ``local_grads()`` against central differences of the op's
    forward function at the node's input data; ``_backward()`` run alone (with
    an upstream gradient of 1) against the same; with ``order=2`` also the
    differentiable ``local_grads(symbolic=True)``: its value, and its
    derivative against numerical derivatives of ``local_grads()``. Returns the
    disagreements, parents before children (empty when all agree). Gradients
    in the graph are left as they were.
    """
    if order not in (1, 2):
        raise ValueError(f"local_grad_mismatches: order must be 1 or 2, got {order!r}")
    found: list[NodeMismatch] = []
    for node in topological_order(output):
        found.extend(_check_node(node, order, eps, atol, rtol))
    return found


def _backward_alone(node: Value) -> dict[int, float]:
    """What ``node._backward()`` adds into each parent for an upstream gradient of 1 (a
    parent that fills several inputs, as in x * x, receives the sum); grads restored."""
    parents = node._prev
    saved = [(p, p.grad) for p in (node, *parents)]
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = 1.0
        node._backward()
        return {id(p): p.grad for p in parents}
    finally:
        for p, g0 in saved:
            p.grad = g0


def _check_node(
    node: Value, order: int, eps: float, atol: float, rtol: float
) -> list[NodeMismatch]:
    op = node.primitive
    if op is None:  # a node of your own: no forward function to differentiate numerically
        return []
    parents = node._prev
    data = [p.data for p in parents]
    c = node.constant
    found: list[NodeMismatch] = []

    def note(slot: int) -> str:
        return edge_note(op, slot, data[slot], 8 * step_for(data[slot], eps), c)

    numeric: list[Estimate | None] = []
    for j, x in enumerate(data):

        def g(t: float, j: int = j) -> list[float]:
            return [forward(op, [*data[:j], t, *data[j + 1:]], c)]

        numeric.append(_local_derivative(g, op, j, x, c, eps, atol, rtol))

    local = node.local_grads()
    for j, (a, n) in enumerate(zip(local, numeric)):
        if n is not None and not close(float(a), n.values[0], atol, rtol, n.noise[0]):
            found.append(NodeMismatch(node, "local_grads()", j, float(a), n.values[0],
                                      note=note(j), noise=n.noise[0]))

    received = _backward_alone(node)
    for j, p in enumerate(parents):
        slots = [k for k, q in enumerate(parents) if q is p]
        estimates = [numeric[k] for k in slots]
        if slots[0] != j:
            continue
        expected = math.fsum(e.values[0] for e in estimates if e is not None)
        noise = math.fsum(e.noise[0] for e in estimates if e is not None)
        if None in estimates or close(received[id(p)], expected, atol, rtol, noise):
            continue
        found.append(NodeMismatch(node, "_backward()", j, received[id(p)], expected,
                                  note=note(j), noise=noise))

    if order == 2:
        found.extend(_check_node_symbolic(node, op, data, c, local, eps, atol, rtol))
    return found


def _check_node_symbolic(
    node: Value, op: Op, data: list[float], c: Any, local: list[Any], eps: float,
    atol: float, rtol: float,
) -> list[NodeMismatch]:
    found: list[NodeMismatch] = []
    with enable_grad():
        leaves = [Value(x) for x in data]  # one leaf per input, even where parents repeat
        fresh = apply_op(op, leaves, c)
        symbolic = fresh.local_grads(symbolic=True)
    for j, s in enumerate(symbolic):
        value = s.data if isinstance(s, Value) else float(s)
        if not close(value, float(local[j]), atol, rtol):
            found.append(
                NodeMismatch(node, "local_grads(symbolic=True)", j, value, float(local[j]))
            )
            continue
        second = gradients(s, leaves) if isinstance(s, Value) else [0.0] * len(leaves)
        for k, x in enumerate(data):

            def g(t: float, j: int = j, k: int = k) -> list[float]:
                with enable_grad():
                    moved = [Value(v) for v in (*data[:k], t, *data[k + 1:])]
                    return [float(apply_op(op, moved, c).local_grads()[j])]

            n = _local_derivative(g, op, k, x, c, eps, atol, rtol)
            if n is None or close(float(second[k]), n.values[0], atol, rtol, n.noise[0]):
                continue
            found.append(
                NodeMismatch(
                    node, "local_grads(symbolic=True)", j, float(second[k]), n.values[0],
                    wrt=k, note=edge_note(op, k, x, 8 * step_for(x, eps), c),
                    noise=n.noise[0],
                )
            )
    return found
