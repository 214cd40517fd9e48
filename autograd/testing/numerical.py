"""Numerical derivatives: central differences refined by Richardson extrapolation.

A derivative of ``g`` (a function of one float with one or more float values, such as
``f`` with one argument moved and the others held) is estimated at ``x`` in three
stages, each a function below:

1. :func:`_first_step`: a step that works. Beyond an edge of a domain ``g`` raises or
   is not finite, and a step that crosses a kink raises
   :class:`~autograd.testing.edges.StepCrossesAnEdge`;
   such steps shrink (ever faster, then narrowed down by bisection) until one works,
   and the refinement then starts a quarter of the way to the edge.
2. :func:`_widen`: where rounding noise swamps the differences (a value of 1e8
   changing by 1e-4 over the step), the step widens while the slope holds.
3. :func:`_refine`: the step halves until two successive Richardson estimates agree.

Every estimate carries its *noise*: how far rounding alone may have moved it. The
comparisons of :mod:`autograd.testing.comparison` allow for it, and refuse a check the
noise makes meaningless.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..engine import Value
from .under_test import AtPoints, Function, Number, at_points, read_arguments

inf = math.inf

__all__ = ["NumericalDerivativeError", "numerical_grad"]

DEFAULT_EPS = 1e-4


class NumericalDerivativeError(ValueError):
    """A function could not be differentiated numerically at a point.

    It raised or was not finite at the point or next to it (for instance at
    the edge of an op's domain), even with smaller steps; or rounding noise
    swamps its slope there (:class:`~autograd.testing.RoundingNoiseError`).
    """


class _StepTooSmall(ArithmeticError):
    """The step is below the spacing of floats at the point: no smaller one exists."""


Difference = tuple[list[float], list[float]]  # central differences, and the noise in each


@dataclass(frozen=True)
class Estimate:
    """A numerical derivative of a vector-valued function, one value per output."""

    values: list[float]
    noise: list[float]  # how far rounding alone may have moved each value
    settled: bool  # two successive refinements agreed
    step: float  # the last step used
    grown: bool = False  # the step was widened because rounding noise swamped the differences


# Each value of g is taken to be off by up to 256 units in the last place of its size (a
# function of a few hundred operations can build up that much), so a difference over
# the step s is off by up to _NOISE * size / s. Below the smallest normal float the
# spacing of floats stops shrinking, and so does the noise.
_NOISE = 512 * 2.0**-52
_SMALLEST_NORMAL = sys.float_info.min
# Successive estimates agree when they differ by less than this (relative), or by less
# than the rounding noise of the differences. At most _LEVELS steps are refined, or up
# to _MORE_LEVELS while the estimates are still converging fast (a function that varies
# on a scale far below the first step, such as 1 / x next to its pole).
_AGREE = 1e-8
_LEVELS = 10
_MORE_LEVELS = 30
# Failed steps have a budget of their own: enough to narrow a step from 1e-4 down to an
# edge 1e-300 away (the shrinking factor squares at each failure: 4, 16, 256, ...).
_FAILED_STEPS = 40
# Where rounding noise swamps the differences, the step widens fourfold at a time, at
# most _GROWTH times, while the noise is above _GROWTH_SHARE of what a comparison allows.
_GROWTH = 8
_GROWTH_SHARE = 1 / 16


def central(g: Callable[[float], list[float]], x: float, h: float,
            scale: float | Sequence[float] = 0.0) -> Difference:
    """Central differences of ``g`` at ``x`` with step ``h``, and the noise in each (from
    the size of the values, or ``scale`` where values that large round inside ``g``: one
    for all of its values, or one each)."""
    up, down = x + h, x - h
    step = up - down  # the step actually taken, after rounding x + h and x - h
    if not step > 0:
        raise _StepTooSmall(f"the step {h:.3g} is below the spacing of floats at {x!r}")
    above, below = g(up), g(down)
    d = [(a - b) / step for a, b in zip(above, below)]
    if not all(math.isfinite(v) for v in d):
        raise ArithmeticError("a value next to the point is not finite")
    floors = [scale] * len(above) if isinstance(scale, (int, float)) else scale
    noise = [_NOISE * max(abs(a), abs(b), s, _SMALLEST_NORMAL) / step
             for a, b, s in zip(above, below, floors)]
    return d, noise


def step_for(x: float, eps: float) -> float:
    """The first step for a derivative at ``x``: ``eps``, relative to ``x`` once |x| > 1."""
    return eps * max(1.0, abs(x))


class _Attempts:
    """Calls of ``central`` at one point, with a record of the steps that failed."""

    def __init__(self, g: Callable[[float], list[float]], x: float, what: str,
                 scale: float | Sequence[float] = 0.0) -> None:
        self.g, self.x, self.what, self.scale = g, x, what, scale
        self.problems: list[str] = []
        self.failed = 0

    def __call__(self, h: float) -> Difference | None:
        try:
            return central(self.g, self.x, h, self.scale)
        except _StepTooSmall as exc:
            self.failed = _FAILED_STEPS  # nothing smaller can work: stop here
            self.problems.append(str(exc))
            return None
        except (ValueError, ArithmeticError) as exc:
            self.failed += 1
            self.problems.append(f"step {h:.3g}: {type(exc).__name__}: {exc}")
            return None

    @property
    def exhausted(self) -> bool:
        return self.failed >= _FAILED_STEPS

    def error(self, why: str) -> NumericalDerivativeError:
        shown = self.problems[:3] + (["..."] if len(self.problems) > 4 else []) \
            + self.problems[3:][-1:]
        return NumericalDerivativeError(
            f"cannot differentiate {self.what} numerically at {self.x!r}: {why} "
            f"({'; '.join(shown)}). Check the point is inside the domain of every op, "
            f"away from its edges."
        )


def _first_step(attempts: _Attempts, h: float) -> tuple[float, Difference | None]:
    """A step that works, and its differences (None: begin refining at the step).

    Where the first step fails, steps shrink by 4, 16, 256, ... (the factor squares, so
    that an edge 1e-300 away is reached in a dozen tries) until one works; bisection
    (in the logarithm of the step) then narrows the gap to a factor of 4, and the
    refinement begins a quarter of the way below the working step: differences over a
    step close to an edge are far from the slope at the point.
    """
    first = attempts(h)
    if first is not None:
        return h, first
    failing, factor = h, 4.0
    while True:
        if attempts.exhausted:
            raise attempts.error("the function fails next to it at every step tried")
        h = failing / factor
        if attempts(h) is not None:
            break
        failing, factor = h, min(factor * factor, 2.0**64)
    while failing / h > 4 and not attempts.exhausted:
        middle = math.sqrt(h) * math.sqrt(failing)  # h * failing may underflow
        if attempts(middle) is None:
            failing = middle
        else:
            h = middle
    return h / 4, None


def _noisy(first: Difference, atol: float, rtol: float) -> bool:
    """Whether rounding noise is large next to what a comparison of these differences allows.

    Differences that are all exactly 0 are not: the values on both sides are the same
    float (the function does not depend on the argument, or changes by less than the
    spacing of floats there). Widening the step would show a change only by taking in
    the function's curvature (1 - tanh(x)**2 is 1.0 for |x| < 1e-8), so the estimate
    stays 0 with its noise, and a comparison that needs more is refused.
    """
    differences, noise = first
    if not any(differences):
        return False
    return any(n > _GROWTH_SHARE * (atol + rtol * abs(d)) for d, n in zip(differences, noise))


def _widen(
    attempts: _Attempts, h: float, first: Difference, atol: float, rtol: float,
    max_step: float,
) -> tuple[float, Difference]:
    """A wider step while rounding noise swamps the differences, as long as the slope holds.

    Once the differences over the wider step and the narrower one disagree by
    more than the narrower one's noise, the function curves (or has a kink)
    within the wider step: widening further would trade noise for truncation.
    """
    for _ in range(_GROWTH):
        if not _noisy(first, atol, rtol) or 4 * h > max_step:
            break
        wider = attempts(4 * h)
        if wider is None or any(abs(a - b) > n for a, b, n in zip(wider[0], *first)):
            break
        h, first = 4 * h, wider
    return h, first


def _excess(a: float, b: float, noise: float) -> float:
    """How many times the allowed difference two estimates differ by (<= 1: they agree)."""
    diff, allowed = abs(a - b), _AGREE * max(abs(a), abs(b)) + noise
    if diff <= allowed:
        return 0.0
    return diff / allowed if allowed > 0 else inf


def _extrapolate(fine: Difference, coarse: Difference) -> Difference:
    """Richardson: D(h/2) + (D(h/2) - D(h)) / 3 cancels the h**2 error terms."""
    return (
        [f + (f - c) / 3 for f, c in zip(fine[0], coarse[0])],
        [(4 * nf + nc) / 3 for nf, nc in zip(fine[1], coarse[1])],
    )


def _refine(
    attempts: _Attempts, h: float, first: Difference | None, richardson: bool, grown: bool
) -> Estimate:
    """Halve the step until two successive estimates agree (or the levels run out: the
    estimate closest to settling, marked not settled)."""
    previous_d: Difference | None = None  # the last differences, for Richardson
    previous: Difference | None = None  # the last estimate
    best: tuple[float, Difference, float] | None = None  # excess, estimate, its step
    levels, improving, last_excess, changed = 0, False, inf, False
    while not attempts.exhausted and (levels < _LEVELS or (improving and levels < _MORE_LEVELS)):
        result = first if first is not None else attempts(h)
        first = None
        if result is None:  # a failure while refining: start the pairs again, smaller
            previous_d = previous = None
            h /= 4
            continue
        if changed and not any(result[0]):
            # The value stopped changing at all: below the spacing of floats of some
            # value inside the function (1 - (1 + sqrt(x))), where two zeros would
            # "agree" on nothing. Finer steps only show the same.
            if best is None and previous is None:
                return Estimate(*result, False, h, grown)
            break
        changed = changed or any(result[0])
        levels += 1
        estimate = result
        if richardson:
            if previous_d is None:
                previous_d, h = result, h / 2
                continue
            estimate, previous_d = _extrapolate(result, previous_d), result
        if previous is not None:
            excess = max(
                (_excess(a, b, n) for a, b, n in zip(estimate[0], previous[0], estimate[1])),
                default=0.0,
            )
            if excess <= 1.0:
                return Estimate(*estimate, True, h, grown)
            # Truncation errors shrink 16-fold a level once the step is small next to the
            # scale the function varies on; rounding noise grows instead.
            improving, last_excess = excess < last_excess / 2, excess
            if best is None or excess < best[0]:
                best = (excess, estimate, h)
        previous = estimate
        h /= 2
    if best is not None:
        return Estimate(*best[1], False, best[2], grown)
    if previous is not None:
        return Estimate(*previous, False, 2 * h, grown)
    raise attempts.error("the step kept failing near it")


@dataclass(frozen=True)
class _How:
    """How one derivative is estimated (the arguments of :func:`derivative`)."""

    g: Callable[[float], list[float]]
    x: float
    richardson: bool
    what: str
    atol: float
    rtol: float
    max_step: float
    scale: float | Sequence[float]


def _estimate(how: _How, h: float) -> Estimate:
    """One estimate from a first step ``h``: the three stages of the module docstring."""
    attempts = _Attempts(how.g, how.x, how.what, how.scale)
    h, first = _first_step(attempts, min(h, how.max_step))
    grown = False
    if first is not None:
        narrow = h
        h, first = _widen(attempts, h, first, how.atol, how.rtol, how.max_step)
        grown = h > narrow
    e = _refine(attempts, h, first, how.richardson, grown)
    if not any(e.values):
        e = _flat(attempts, h, e)
    return e


def _flat(attempts: _Attempts, h: float, e: Estimate) -> Estimate:
    """An estimate of exactly 0 from steps that never saw the value change. Over the
    widest step that works, does it change? If not (relu below 0), 0 it is; if it does,
    the steps were below the spacing of floats of some value inside the function
    (1 - (1 + sqrt(x)) next to 0), and the slope could be anything up to the change
    seen (a difference of one spacing over 2 h may stand for a slope three times it,
    with each end off by a spacing): that is the estimate's noise."""
    for wide in (4 * h, h):
        coarse = attempts(wide)
        if coarse is not None:
            noise = [max(n, 3 * abs(d)) for n, d in zip(e.noise, coarse[0])]
            return Estimate(e.values, noise, e.settled, e.step, e.grown)
    return e


def _good(e: Estimate, atol: float, rtol: float) -> bool:
    return e.settled and not _noisy((e.values, e.noise), atol, rtol)


def _relative_noise(e: Estimate) -> float:
    return max((n / abs(v) if v else (inf if n else 0.0) for v, n in zip(e.values, e.noise)),
               default=0.0)


def _agree(a: Estimate, b: Estimate) -> bool:
    return all(abs(u - v) <= nu + nv + _AGREE * max(abs(u), abs(v))
               for u, v, nu, nv in zip(a.values, b.values, a.noise, b.noise))


def _try(how: _How, h: float) -> Estimate | None:
    try:
        return _estimate(how, h)
    except NumericalDerivativeError:
        return None


def _roughness(g: Callable[[float], list[float]], x: float, h: float) -> list[float] | None:
    """How far ``g`` strays from a straight line over ``[x - h, x + h]``, measured: the
    largest residual of 9 values from their least-squares line (None if fewer than 5 of
    them could be taken). Over a small step the line is all there is to a smooth
    function, and the residuals are rounding: the error the noise model cannot see when
    the value passes through a large intermediate one (1 - (1 + sqrt(x)) at 1e-19)."""
    ts, ys = [], []
    for k in range(-4, 5):
        t = x + k * h / 4
        try:
            y = g(t)
        except (ValueError, ArithmeticError):
            continue
        if all(math.isfinite(v) for v in y):
            ts.append((t - x) / h)  # in units of the step: no overflow at 1e300
            ys.append(y)
    if len(set(ts)) < 5:  # below the spacing of floats at x, the points coincide
        return None
    mean_t = math.fsum(ts) / len(ts)
    spread = math.fsum((t - mean_t) ** 2 for t in ts)
    if not spread > 0:
        return None
    out = []
    for i in range(len(ys[0])):
        scale = max(abs(y[i]) for y in ys) or 1.0  # near 1e308 a sum of values overflows
        column = [y[i] / scale for y in ys]
        mean_y = math.fsum(column) / len(column)
        slope = math.fsum((t - mean_t) * (y - mean_y) for t, y in zip(ts, column)) / spread
        out.append(scale * max(abs(y - mean_y - slope * (t - mean_t))
                               for t, y in zip(ts, column)))
    return out


def _measured(g: Callable[[float], list[float]], x: float, e: Estimate) -> Estimate:
    """``e`` with its noise raised to what the roughness of ``g`` over its step shows (a
    Richardson estimate over step h carries up to about 3 residuals / h; twice that)."""
    rough = _roughness(g, x, e.step)
    if rough is None:
        return e
    noise = [max(n, 6 * r / e.step) for n, r in zip(e.noise, rough)]
    return Estimate(e.values, noise, e.settled, e.step, e.grown)


def derivative(
    g: Callable[[float], list[float]],
    x: float,
    h: float,
    *,
    richardson: bool = True,
    what: str = "the function",
    atol: float = 0.0,
    rtol: float = 0.0,
    max_step: float = inf,
    scale: float | Sequence[float] = 0.0,
) -> Estimate:
    """d g / dx at ``x`` for a vector-valued ``g``, starting with step ``h``.

    The central differences D(h), D(h/2), D(h/4), ... are combined by Richardson
    extrapolation and the step is halved until two estimates agree: a function that
    varies fast (sin of a large argument) gets the small step it needs, a smooth one
    stops after two levels. Where ``g`` fails next to ``x`` the step first shrinks;
    where rounding noise is large next to ``atol + rtol * |derivative|`` it first
    widens (up to ``max_step``). NumericalDerivativeError if ``g`` works at no step.

    A step relative to a large ``x`` can span whole periods of a function that varies
    on a scale of 1 (cos at 6e9, whose differences over 6e5 agree on nonsense), so
    there a first step on that scale is tried too, and where the two disagree the
    smaller one is believed; at a tiny ``x`` where rounding swamps the estimate (x ** 2
    at 1e-20, which varies on the scale of x), a step relative to x is tried. Where the
    step ends far below ``h`` (next to an edge, or relative to a tiny x) the noise is
    also measured, from how far ``g`` strays from a line over the step. ``scale``: how
    large the values that round inside ``g`` are, where larger than its own (see
    :func:`~autograd.testing.under_test.rounding_scales`).
    """
    how = _How(g, x, richardson, what, atol, rtol, max_step, scale)
    best = _try(how, h)
    a = abs(x)
    if a > 16 and h / a <= max_step:
        small = _try(how, h / a)
        if small is not None and small.settled and (
                best is None or not _agree(best, small)
                or _relative_noise(small) < _relative_noise(best)):
            best = small
    elif 0 < a < 1 / 16 and (best is None or not any(best.values)
                             or _noisy((best.values, best.noise), atol, rtol)):
        tiny = _try(how, h * a)
        if tiny is not None and (best is None or (any(tiny.values) and _good(tiny, atol, rtol))):
            best = tiny
    if best is None:  # no start worked: the first one's error
        return _estimate(how, h)
    return _measured(g, x, best) if best.step < min(h, max_step) / 64 else best


def check_eps(eps: float, who: str) -> None:
    if not (isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 < eps < 1):
        raise ValueError(f"{who}: eps must be a number between 0 and 1, got {eps!r}")


def gradient_estimates(
    function: AtPoints, eps: float, *, richardson: bool = True, atol: float = 0.0,
    rtol: float = 0.0,
) -> list[Estimate]:
    """The numerical gradient of a function at its point: one :class:`Estimate` per argument.

    A step that takes a node's input across a kink, pole or end of its op's domain
    counts as a failed step (see :func:`~autograd.testing.under_test.at_points`)."""
    xs = function.xs
    if not math.isfinite(function.value):
        raise NumericalDerivativeError(
            f"{function.who}: f{tuple(xs)} = {function.value!r} is not finite")
    out = []
    for i, x in enumerate(xs):
        out.append(derivative(function.moving(i), x, step_for(x, eps), richardson=richardson,
                              what=f"argument {i}", atol=atol, rtol=rtol,
                              scale=function.scales[i]))
    return out


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
    faithful derivative. If ``f`` fails or is not finite next to the point, or
    a step would take one of its ops across a kink (``relu`` at 1e-9), smaller
    steps are tried before :class:`NumericalDerivativeError`; if its value is
    so large next to its slope that rounding swamps the differences
    (``x + 1e8``), a wider step is tried first.

    >>> [round(d, 9) for d in numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])]
    [12.0, 9.0]
    """
    xs, _ = read_arguments(args, "numerical_grad")
    check_eps(eps, "numerical_grad")
    estimates = gradient_estimates(at_points(f, xs, "numerical_grad"), eps,
                                   richardson=richardson, atol=1e-6, rtol=1e-5)
    return [e.values[0] for e in estimates]
