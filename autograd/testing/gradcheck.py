"""Gradient checking: the engine's derivatives against numerical ones, with a diagnosis.

:func:`numerical_grad` estimates a gradient by central differences refined by
Richardson extrapolation. :func:`check_grads` compares it with the engine's
gradient -- both the one ``backward()`` leaves in ``.grad`` and the one the
functional API (``autograd.grad``) returns -- and, for ``order=2``, compares
``autograd.hessian`` with numerical derivatives of the analytical gradient.
When they disagree it raises :class:`GradientCheckError`, which names the
argument, both values and the relative error, and then looks for the culprit:
every node's local derivative is checked against a numerical derivative of its
op's forward function (:func:`local_grad_mismatches`).
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..declaration import Op
from ..differential_operators import gradients, hessian, value_and_grad
from ..engine import Value, topological_order
from ..modes import enable_grad, no_grad
from .graphs import apply_op, domain_of, forward

inf = math.inf

__all__ = [
    "GradientCheckError",
    "NodeMismatch",
    "NumericalDerivativeError",
    "check_grads",
    "local_grad_mismatches",
    "numerical_grad",
]

Number = float | int
#: A function under test: Values in, one Value out.
Function = Callable[..., Value]

DEFAULT_EPS = 1e-4
DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 1e-5


class NumericalDerivativeError(ValueError):
    """A function could not be differentiated numerically at a point.

    It raised or was not finite at the point or next to it (for instance at
    the edge of an op's domain), even with smaller steps.
    """


# ---------------------------------------------------------------------------
# Numerical differentiation

_Difference = tuple[list[float], list[float]]  # central differences, and the noise in each


def _central(g: Callable[[float], list[float]], x: float, h: float) -> _Difference:
    """Central differences with step ``h``, and how far rounding alone may have moved each.

    Each value of ``g`` is taken to be off by up to 256 units in the last place
    of its size (a function of a few hundred operations can build up that much),
    so a difference over the step ``s`` is off by up to ``_NOISE * size / s``.
    Below the smallest normal float the spacing of floats stops shrinking, and
    so does the noise.
    """
    up, down = x + h, x - h
    step = up - down  # the step actually taken, after rounding x + h and x - h
    if not step > 0:
        raise ArithmeticError(f"the step is below the spacing of floats at {x!r}")
    above, below = g(up), g(down)
    d = [(a - b) / step for a, b in zip(above, below)]
    if not all(math.isfinite(v) for v in d):
        raise ArithmeticError("a value next to the point is not finite")
    noise = [_NOISE * max(abs(a), abs(b), _SMALLEST_NORMAL) / step for a, b in zip(above, below)]
    return d, noise


@dataclass(frozen=True)
class _Estimate:
    values: list[float]
    noise: list[float]  # how far rounding alone may have moved each value
    settled: bool  # two successive refinements agreed
    step: float  # the last step used
    grown: bool = False  # the step was widened because rounding noise swamped the differences


# Successive estimates agree when they differ by less than this (relative), or by less
# than the rounding noise of the differences. At most _LEVELS steps are refined, or up
# to _MORE_LEVELS while the estimates are still converging fast (a function that varies
# on a scale far below the first step, such as 1 / x next to its pole).
_AGREE = 1e-8
_NOISE = 512 * 2.0**-52
_SMALLEST_NORMAL = sys.float_info.min
_LEVELS = 10
_MORE_LEVELS = 30
# Steps at which the function fails (outside a domain next to the point) have a budget
# of their own: each quarters the step, and 30 of them reach 1e-18 of the first step.
_FAILED_STEPS = 30
# Where rounding noise swamps the differences (a value of 1e8 changing by 1e-4 over the
# step), the step widens fourfold at a time, at most _GROWTH times, while the noise is
# above _GROWTH_SHARE of what the comparison allows.
_GROWTH = 8
_GROWTH_SHARE = 1 / 16


def _excess(a: float, b: float, noise: float) -> float:
    """How many times the allowed difference two estimates differ by (<= 1: they agree)."""
    diff, allowed = abs(a - b), _AGREE * max(abs(a), abs(b)) + noise
    if diff <= allowed:
        return 0.0
    return diff / allowed if allowed > 0 else inf


def _noisy(first: _Difference, atol: float, rtol: float) -> bool:
    """Whether rounding noise is large next to what a comparison of these differences allows.

    Differences that are all exactly 0 are not: the values on both sides are the same
    float (the function does not depend on the argument, or changes by less than the
    spacing of floats there, which the noise then allows for at any step).
    """
    differences, noise = first
    if not any(differences):
        return False
    return any(n > _GROWTH_SHARE * (atol + rtol * abs(d)) for d, n in zip(differences, noise))


def _grow(
    g: Callable[[float], list[float]],
    x: float,
    h: float,
    first: _Difference,
    atol: float,
    rtol: float,
    max_step: float,
) -> tuple[float, _Difference]:
    """A wider step while rounding noise swamps the differences, as long as the slope holds.

    Once the differences over the wider step and the narrower one disagree by
    more than the narrower one's noise, the function curves (or has a kink)
    within the wider step: widening further would trade noise for truncation.
    """
    for _ in range(_GROWTH):
        if not _noisy(first, atol, rtol) or 4 * h > max_step:
            break
        try:
            wider = _central(g, x, 4 * h)
        except (ValueError, ArithmeticError):
            break
        if any(abs(a - b) > n for a, b, n in zip(wider[0], *first)):
            break
        h, first = 4 * h, wider
    return h, first


def _derivative(
    g: Callable[[float], list[float]],
    x: float,
    h: float,
    richardson: bool,
    what: str,
    *,
    atol: float,
    rtol: float,
    max_step: float = inf,
) -> _Estimate:
    """d g / dx at ``x`` for a vector-valued ``g``, refined until two estimates agree.

    The central differences D(h), D(h/2), D(h/4), ... are combined by
    Richardson extrapolation, R = D(h/2) + (D(h/2) - D(h)) / 3, which cancels
    their h**2 error terms. The step is halved until two successive estimates
    agree: a function that varies fast (sin of a large argument) gets the small
    step it needs, a smooth one stops after two levels.

    Two things happen before that. Where ``g`` fails or is not finite the step
    is quartered, on a budget of its own, and the refinement then starts a
    quarter of the way to the edge that was found, not right next to it. Where
    the first step works but rounding noise is large next to ``atol + rtol *
    |derivative|`` (a big value with a small slope), the step first widens (up
    to ``max_step``). Every estimate carries its noise, for comparisons to
    allow for. NumericalDerivativeError if ``g`` works at no step.
    """
    problems: list[str] = []
    failed = 0

    def central(h: float) -> _Difference | None:
        nonlocal failed
        try:
            return _central(g, x, h)
        except (ValueError, ArithmeticError) as exc:
            failed += 1
            problems.append(f"step {h:.3g}: {type(exc).__name__}: {exc}")
            return None

    first = central(h)
    while first is None and failed < _FAILED_STEPS:
        h /= 4
        first = central(h)
    if first is None:
        raise NumericalDerivativeError(
            f"cannot differentiate {what} numerically at {x!r}: "
            + "; ".join(problems[:4])
            + ". Check the point is inside the domain of every op, away from its edges."
        )
    grown = False
    if failed:
        # g fails at 4h: an edge lies between h and 4h from x. Differences over a step
        # close to it are far from the slope at x, so begin a quarter of the way there.
        h, first = h / 4, None
    else:
        narrow = h
        h, first = _grow(g, x, h, first, atol, rtol, max_step)
        grown = h > narrow

    previous_d: _Difference | None = None
    previous: _Difference | None = None
    best: tuple[float, _Difference] | None = None
    levels, improving, last_excess = 0, False, inf
    while failed < _FAILED_STEPS and (
        levels < _LEVELS or (improving and levels < _MORE_LEVELS)
    ):
        result = first if first is not None else central(h)
        first = None
        if result is None:
            previous_d = previous = None
            h /= 4
            continue
        levels += 1
        estimate = result
        if richardson:
            if previous_d is None:
                previous_d, h = result, h / 2
                continue
            (fine, fine_noise), (coarse, coarse_noise) = result, previous_d
            estimate = (
                [f + (f - c) / 3 for f, c in zip(fine, coarse)],
                [(4 * nf + nc) / 3 for nf, nc in zip(fine_noise, coarse_noise)],
            )
            previous_d = result
        if previous is not None:
            values, noise = estimate
            excess = max(
                (_excess(a, b, n) for a, b, n in zip(values, previous[0], noise)), default=0.0
            )
            if excess <= 1.0:
                return _Estimate(values, noise, True, h, grown)
            # Truncation errors shrink 16-fold a level once the step is small next to the
            # scale the function varies on; rounding noise grows instead.
            improving = excess < last_excess / 2
            last_excess = excess
            if best is None or excess < best[0]:
                best = (excess, estimate)
        previous = estimate
        h /= 2
    if best is not None:
        return _Estimate(*best[1], False, h, grown)
    if previous is not None:
        return _Estimate(*previous, False, h, grown)
    raise NumericalDerivativeError(
        f"cannot differentiate {what} numerically at {x!r}: the step kept failing near "
        f"it ({'; '.join(problems[-2:])}). Check the point is inside the domain of every op, "
        f"away from its edges."
    )


def _step(x: float, eps: float) -> float:
    return eps * max(1.0, abs(x))


def _arguments(args: Any, who: str) -> tuple[list[float], list[str]]:
    """The arguments as floats, and each one's label ('' if none)."""
    items = [args] if isinstance(args, (Value, int, float)) else args
    try:
        items = list(items)
    except TypeError:
        raise TypeError(
            f"{who}: args must be a sequence of numbers or Values, got {type(args).__name__}"
        ) from None
    xs, labels = [], []
    for i, a in enumerate(items):
        if isinstance(a, Value):
            x, label = a.data, a.label
        elif isinstance(a, (int, float)) and not isinstance(a, bool):
            x, label = float(a), ""
        else:
            raise TypeError(
                f"{who}: argument {i} is {type(a).__name__} {a!r}; expected a number or a Value"
            )
        if not math.isfinite(x):
            raise ValueError(f"{who}: argument {i} is {x!r}; the point must be finite")
        xs.append(x)
        labels.append(label)
    return xs, labels


def _checked_output(out: Any, who: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"{who}: the function returned {type(out).__name__} {out!r}, expected a Value. "
            f"A function under test must build its result from its Value arguments "
            f"(a number computed from .data is a constant to the engine)."
        )
    return out


def _value_at(f: Function, xs: Sequence[float], who: str) -> float:
    with no_grad():
        out = _checked_output(f(*[Value(x) for x in xs]), who)
    return out.data


def numerical_grad(
    f: Function,
    args: Sequence[Number | Value] | Number | Value,
    eps: float = DEFAULT_EPS,
    *,
    richardson: bool = True,
) -> list[float]:
    """The gradient of ``f`` at ``args``, by central differences.

    ``f`` takes one Value per argument and returns a Value; ``args`` holds
    numbers (or Values, whose data is used). Argument ``i`` first moves by
    ``h = eps * max(1, |args[i]|)``. With ``richardson`` (the default) the
    differences at steps ``h`` and ``h/2`` are combined so the error is
    O(h**4) instead of O(h**2). The step is then halved until two successive
    estimates agree to about 1e-8, so a function that varies fast still gets a
    faithful derivative. If ``f`` fails or is not finite next to the point,
    smaller steps are tried before :class:`NumericalDerivativeError`; if its
    value is so large next to its slope that rounding swamps the differences
    (``x + 1e8``), a wider step is tried first.

    >>> [round(d, 9) for d in numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])]
    [12.0, 9.0]
    """
    xs, _ = _arguments(args, "numerical_grad")
    _check_eps(eps, "numerical_grad")
    estimates = _numerical_grad(
        f, xs, eps, richardson, "numerical_grad", DEFAULT_ATOL, DEFAULT_RTOL
    )
    return [e.values[0] for e in estimates]


def _numerical_grad(
    f: Function,
    xs: list[float],
    eps: float,
    richardson: bool,
    who: str,
    atol: float,
    rtol: float,
) -> list[_Estimate]:
    at = _value_at(f, xs, who)
    if not math.isfinite(at):
        raise NumericalDerivativeError(f"{who}: f{tuple(xs)} = {at!r} is not finite")
    out = []
    for i, x in enumerate(xs):

        def g(t: float, i: int = i) -> list[float]:
            return [_value_at(f, [*xs[:i], t, *xs[i + 1 :]], who)]

        out.append(
            _derivative(g, x, _step(x, eps), richardson, f"argument {i}", atol=atol, rtol=rtol)
        )
    return out


def _check_eps(eps: float, who: str) -> None:
    if not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError(f"{who}: eps must be a number between 0 and 1, got {eps!r}")


# ---------------------------------------------------------------------------
# Comparisons


def _close(a: float, n: float, atol: float, rtol: float, noise: float = 0.0) -> bool:
    """Whether an analytical ``a`` matches a numerical ``n`` that rounding may have moved by
    up to ``noise``: a numerical estimate is only as good as its noise, so that is allowed
    on top of the tolerances."""
    if a == n:
        return True
    return abs(a - n) <= atol + rtol * abs(n) + noise  # False when either is NaN


def relative_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|): 0 when equal, inf when one is NaN."""
    if a == b:
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return inf
    return abs(a - b) / max(abs(a), abs(b))


def _fmt(x: float) -> str:
    return f"{x:.17g}" if isinstance(x, float) else repr(x)


@dataclass(frozen=True)
class NodeMismatch:
    """A graph node whose local derivative disagrees with a numerical derivative of its op.

    ``check`` names what disagrees: ``'local_grads()'`` (the derivative the
    functional API uses), ``'_backward()'`` (what ``backward()`` adds into the
    parents), ``'local_grads(symbolic=True)'`` (the differentiable derivative
    used for higher orders; ``wrt`` is then the input the second derivative is
    taken against). ``slot`` is the input (the position in ``node._prev``).
    ``noise`` is how far rounding alone may have moved the numerical value (it
    was allowed for).
    """

    node: Value
    check: str
    slot: int
    analytical: float
    numerical: float
    wrt: int | None = None
    note: str = ""
    noise: float = 0.0

    @property
    def op(self) -> Op:
        assert self.node.primitive is not None
        return self.node.primitive

    @property
    def relative_error(self) -> float:
        return relative_error(self.analytical, self.numerical)

    def __str__(self) -> str:
        node = self.node
        inputs = ", ".join(_fmt(p.data) for p in node._prev[:8])
        if len(node._prev) > 8:
            inputs += ", ..."
        about = [self.op.doc] if self.op.doc else []
        if node.constant is not None:
            about.append(f"c = {node.constant!r}")
        where = f"node {self.op.name}" + (f" ({', '.join(about)})" if about else "")
        where += f" with inputs [{inputs}]"
        if node.label:
            where += f", label {node.label!r}"
        if node.scope:
            where += f", scope {node.scope!r}"
        if self.wrt is None:
            what = f"{self.check} for input {self.slot}"
        else:
            what = f"the derivative by input {self.wrt} of {self.check} for input {self.slot}"
        text = (
            f"{where}: {what} gives {_fmt(self.analytical)}, numerically "
            f"{_fmt(self.numerical)} (relative error {self.relative_error:.3g}"
        )
        if self.noise > 0.01 * abs(self.analytical - self.numerical):
            text += f"; rounding alone may move the numerical value by {self.noise:.3g}"
        text += ")"
        return text + (f"; {self.note}" if self.note else "")


def _distance_to_edge(op: Op, slot: int, x: float,
                      c: float | None = None) -> tuple[float, float | None]:
    """How far ``x`` is from the nearest edge, kink or pole of the input's domain, and which."""
    d = domain_of(op, slot, c)
    best, where = inf, None
    for point in (d.lo, d.hi, *d.exclude):
        if math.isfinite(point) and abs(x - point) < best:
            best, where = abs(x - point), point
    return best, where


def _edge_note(op: Op, slot: int, x: float, within: float, c: float | None = None) -> str:
    dist, point = _distance_to_edge(op, slot, x, c)
    if point is None or dist > within:
        return ""
    d = domain_of(op, slot, c)
    why = d.note or f"the edge of its domain {d}"
    return (
        f"input {slot} = {x!r} is {dist:.3g} from {point:g}, where {op.name} is not "
        f"smooth ({why}), so a numerical derivative there means little"
    )


def _local_derivative(
    g: Callable[[float], list[float]],
    op: Op,
    slot: int,
    x: float,
    eps: float,
    atol: float,
    rtol: float,
) -> _Estimate | None:
    """d g / d(input ``slot``) of one node: its steps stay within a quarter of the way to
    the nearest edge, kink or pole of the op (known here, unlike for a whole function).
    None if the op cannot be differentiated numerically there."""
    dist, _ = _distance_to_edge(op, slot, x)
    h = _step(x, eps)
    reach = dist / 4 if dist > 0 else inf
    try:
        return _derivative(
            g, x, min(h, reach), True, op.name, atol=atol, rtol=rtol, max_step=reach
        )
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
        return _edge_note(op, slot, data[slot], 8 * _step(data[slot], eps), c)

    numeric: list[_Estimate | None] = []
    for j, x in enumerate(data):

        def g(t: float, j: int = j) -> list[float]:
            return [forward(op, [*data[:j], t, *data[j + 1 :]], c)]

        numeric.append(_local_derivative(g, op, j, x, eps, atol, rtol))

    local = node.local_grads()
    for j, (a, n) in enumerate(zip(local, numeric)):
        if n is not None and not _close(float(a), n.values[0], atol, rtol, n.noise[0]):
            found.append(
                NodeMismatch(
                    node, "local_grads()", j, float(a), n.values[0], note=note(j),
                    noise=n.noise[0],
                )
            )

    # _backward() alone: upstream gradient 1 into parents reset to 0. A parent that
    # fills several inputs (x * x) receives the sum over those inputs.
    saved = [(p, p.grad) for p in (node, *parents)]
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = 1.0
        node._backward()
        received = {id(p): p.grad for p in parents}
    finally:
        for p, g0 in saved:
            p.grad = g0
    for j, p in enumerate(parents):
        slots = [k for k, q in enumerate(parents) if q is p]
        estimates = [numeric[k] for k in slots]
        if slots[0] != j:
            continue
        expected = math.fsum(e.values[0] for e in estimates if e is not None)
        noise = math.fsum(e.noise[0] for e in estimates if e is not None)
        if None in estimates or _close(received[id(p)], expected, atol, rtol, noise):
            continue
        found.append(
            NodeMismatch(
                node, "_backward()", j, received[id(p)], expected, note=note(j), noise=noise
            )
        )

    if order == 2:
        found.extend(_check_node_symbolic(node, op, data, c, local, eps, atol, rtol))
    return found


def _check_node_symbolic(
    node: Value,
    op: Op,
    data: list[float],
    c: Any,
    local: list[Any],
    eps: float,
    atol: float,
    rtol: float,
) -> list[NodeMismatch]:
    found: list[NodeMismatch] = []
    with enable_grad():
        leaves = [Value(x) for x in data]  # one leaf per input, even where parents repeat
        fresh = apply_op(op, leaves, c)
        symbolic = fresh.local_grads(symbolic=True)
    for j, s in enumerate(symbolic):
        value = s.data if isinstance(s, Value) else float(s)
        if not _close(value, float(local[j]), atol, rtol):
            found.append(
                NodeMismatch(node, "local_grads(symbolic=True)", j, value, float(local[j]))
            )
            continue
        second = gradients(s, leaves) if isinstance(s, Value) else [0.0] * len(leaves)
        for k, x in enumerate(data):

            def g(t: float, j: int = j, k: int = k) -> list[float]:
                with enable_grad():
                    moved = [Value(v) for v in (*data[:k], t, *data[k + 1 :])]
                    return [float(apply_op(op, moved, c).local_grads()[j])]

            n = _local_derivative(g, op, k, x, eps, atol, rtol)
            if n is None or _close(float(second[k]), n.values[0], atol, rtol, n.noise[0]):
                continue
            found.append(
                NodeMismatch(
                    node, "local_grads(symbolic=True)", j, float(second[k]), n.values[0],
                    wrt=k, note=_edge_note(op, k, x, 8 * _step(x, eps)), noise=n.noise[0],
                )
            )
    return found


# ---------------------------------------------------------------------------
# check_grads


@dataclass(frozen=True)
class _Disagreement:
    index: tuple[int, ...]  # (i,) for a first derivative, (i, j) for a second
    method: str
    analytical: float
    numerical: float
    noise: float  # how far rounding alone may have moved the numerical value


class GradientCheckError(AssertionError):
    """The engine's derivative of a function disagrees with the numerical one.

    Attributes: ``argument`` (index of the first wrong argument; for a second
    derivative, the pair of indices), ``name`` (its label or parameter name,
    '' if none), ``order``, ``method`` (``'backward()'``, ``'autograd.grad'`` or
    ``'autograd.hessian'``), ``analytical``, ``numerical``, ``relative_error``,
    ``nodes`` (the :class:`NodeMismatch` es found in the graph, possibly none)
    and ``point`` (the arguments).
    """

    def __init__(
        self,
        message: str,
        *,
        argument: int | tuple[int, int],
        name: str,
        order: int,
        method: str,
        analytical: float,
        numerical: float,
        nodes: Sequence[NodeMismatch] = (),
        point: Sequence[float] = (),
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.name = name
        self.order = order
        self.method = method
        self.analytical = analytical
        self.numerical = numerical
        self.relative_error = relative_error(analytical, numerical)
        self.nodes = tuple(nodes)
        self.point = tuple(point)


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
        out = _checked_output(f(*leaves), "check_grads")
    out.backward()
    return [leaf.grad for leaf in leaves]


def _functional_grads(f: Function, xs: Sequence[float]) -> list[float]:
    _, gs = value_and_grad(f, tuple(range(len(xs))))(*xs)
    return [float(g) for g in gs]


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
    there the numerical step is first widened to keep it small).

    Raises :class:`GradientCheckError` on the first order that disagrees,
    naming the argument, both values, the relative error, and the graph nodes
    whose own local derivative disagrees with their op's numerical derivative.
    Raises :class:`NumericalDerivativeError` if ``f`` cannot be differentiated
    numerically there (not finite, or outside a domain next to the point).

    >>> check_grads(lambda x, y: (x * y).sin() + y.exp(), [0.3, -1.2], order=2)
    """
    if order not in (1, 2):
        raise ValueError(f"check_grads: order must be 1 or 2, got {order!r}")
    for tol, what in ((atol, "atol"), (rtol, "rtol")):
        if not (isinstance(tol, (int, float)) and tol >= 0):
            raise ValueError(f"check_grads: {what} must be a number >= 0, got {tol!r}")
    _check_eps(eps, "check_grads")
    xs, labels = _arguments(args, "check_grads")
    if not xs:
        raise ValueError("check_grads: the function needs at least one argument to check")
    names = _names(f, labels)

    estimates = _numerical_grad(f, xs, eps, True, "check_grads", atol, rtol)
    wrong = []
    for method, analytic in (
        ("backward()", _backward_grads(f, xs)),
        ("autograd.grad", _functional_grads(f, xs)),
    ):
        for i, (a, e) in enumerate(zip(analytic, estimates)):
            n, noise = e.values[0], e.noise[0]
            if not _close(a, n, atol, rtol, noise):
                wrong.append(_Disagreement((i,), method, a, n, noise))
    if wrong:
        raise _failure(f, xs, names, 1, wrong, atol, rtol, eps, estimates)
    if order == 1:
        return

    analytic_h = [[float(h) for h in row] for row in hessian(f)(*xs)]
    # Column j: how the analytical gradient moves with argument j.
    columns = []
    for j, x in enumerate(xs):

        def g(t: float, j: int = j) -> list[float]:
            return _functional_grads(f, [*xs[:j], t, *xs[j + 1 :]])

        columns.append(
            _derivative(
                g, x, _step(x, eps), True, f"the gradient by argument {j}", atol=atol, rtol=rtol
            )
        )
    for i in range(len(xs)):
        for j in range(len(xs)):
            a, n, noise = analytic_h[i][j], columns[j].values[i], columns[j].noise[i]
            if not _close(a, n, atol, rtol, noise):
                wrong.append(_Disagreement((i, j), "autograd.hessian", a, n, noise))
    if wrong:
        raise _failure(f, xs, names, 2, wrong, atol, rtol, eps, columns)


def _arg_text(i: int, names: list[str], xs: Sequence[float]) -> str:
    return f"argument {i}" + (f" ({names[i]!r})" if names[i] else "") + f" = {xs[i]!r}"


def _derivative_text(d: _Disagreement, names: list[str], fname: str) -> str:
    def name(i: int) -> str:
        return names[i] or f"args[{i}]"

    if len(d.index) == 1:
        return f"d {fname} / d {name(d.index[0])}"
    i, j = d.index
    return f"d2 {fname} / d {name(i)} d {name(j)}"


def _failure(
    f: Function,
    xs: Sequence[float],
    names: list[str],
    order: int,
    wrong: list[_Disagreement],
    atol: float,
    rtol: float,
    eps: float,
    estimates: list[_Estimate],
) -> GradientCheckError:
    first = wrong[0]
    fname = getattr(f, "__name__", "")
    fname = "" if fname == "<lambda>" else fname
    fn = fname or "f"
    args = ", ".join(_arg_text(i, names, xs) for i in sorted(set(first.index)))
    lines = [
        f"check_grads{' of ' + fname if fname else ''}: {_derivative_text(first, names, fn)} "
        f"(order {order}) is wrong, at {args}:",
        f"  {first.method + ':':<17} {_fmt(first.analytical)}",
        f"  {'numerical:':<17} {_fmt(first.numerical)}",
        f"  {'relative error:':<17} {relative_error(first.analytical, first.numerical):.3g} "
        f"(allowed: |analytical - numerical| <= {atol:g} + {rtol:g} * |numerical|"
        + (f" + {first.noise:.3g} for rounding)" if first.noise else ")"),
    ]
    estimate = estimates[first.index[-1]]
    if first.noise > atol + rtol * abs(first.numerical):
        lines.append(
            f"  note: the numerical estimate is limited by rounding noise: the function's "
            f"value is large next to how much it changes over a step of {estimate.step:.3g}"
            + (" (already widened for this)" if estimate.grown else "")
            + f", so the estimate may be off by up to {first.noise:.3g}, which is allowed for "
            f"above; subtracting the large constant part from the function checks it more "
            f"sharply"
        )
    if not estimate.settled:
        lines.append(
            f"  note: the numerical estimate did not settle: refining the step down to "
            f"{estimate.step:.3g} kept changing it, so the function varies too fast here for "
            f"finite differences and the analytical value may well be right"
        )
    others = wrong[1:7]
    for d in others:
        lines.append(
            f"  also {_derivative_text(d, names, fn)} by {d.method}: {_fmt(d.analytical)} vs "
            f"{_fmt(d.numerical)} numerically"
        )
    if len(wrong) > 1 + len(others):
        lines.append(f"  ... and {len(wrong) - 1 - len(others)} more")

    nodes: list[NodeMismatch] = []
    try:
        leaves = [Value(x, label=names[i]) for i, x in enumerate(xs)]
        with enable_grad():
            out = f(*leaves)
        if isinstance(out, Value):
            nodes = local_grad_mismatches(out, order, eps=eps, atol=atol, rtol=rtol)
            near = _near_edges(out, eps)
        else:
            near = []
    except Exception as exc:  # the diagnosis must never hide the finding itself
        lines.append(f"(the graph could not be checked node by node: {type(exc).__name__}: {exc})")
        near = []
    else:
        if nodes:
            culprits = len({id(m.node) for m in nodes})
            lines.append(
                "The culprit: a node whose local derivative disagrees with a numerical "
                "derivative of its op's forward function:"
                if culprits == 1
                else f"The culprits: {culprits} nodes whose local derivatives disagree with "
                "numerical derivatives of their ops' forward functions:"
            )
            lines.extend(f"  {m}" for m in nodes[:8])
        else:
            lines.append(
                "Every node's local derivative agrees with its op's numerical derivative here, "
                "so the difference comes from the function rather than from one op: a number "
                "taken from a Value (.data, float()) is a constant to the engine; or the "
                "function is not smooth at this point (or the numerical step crosses a kink); "
                "or it is badly conditioned here."
            )
            lines.extend(f"  note: {n}" for n in near[:4])
    return GradientCheckError(
        "\n".join(lines),
        argument=first.index[0] if len(first.index) == 1 else (first.index[0], first.index[1]),
        name=names[first.index[0]],
        order=order,
        method=first.method,
        analytical=first.analytical,
        numerical=first.numerical,
        nodes=nodes,
        point=xs,
    )


def _near_edges(out: Value, eps: float) -> list[str]:
    """Notes on nodes whose inputs are close to a kink, pole or domain edge of their op."""
    notes = []
    for node in topological_order(out):
        op = node.primitive
        if op is None:
            continue
        for j, p in enumerate(node._prev):
            text = _edge_note(op, j, p.data, 100 * _step(p.data, eps), node.constant)
            if text:
                notes.append(f"node {op.name}: {text}")
    return notes
