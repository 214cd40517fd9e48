"""What a gradient check says: its errors, its warning, and the words of each.

* :class:`GradientCheckError` -- the engine's derivative disagrees with the numerical
  one: the argument, both values, the relative error, and the graph nodes whose own
  local derivatives disagree with their ops' (:class:`NodeMismatch`).
* :class:`RoundingNoiseError` -- the check cannot be made: rounding noise in the
  function's values swamps its slope, so even a derivative wrong by a factor of 2
  would pass. It says what to do instead.
* a plain :class:`~autograd.testing.NumericalDerivativeError` -- the numerical
  estimate never settled as the step shrank (the function varies too fast on the scale
  of the steps), and the analytical value disagrees with it: nothing can be concluded.
* :class:`RoundingNoiseWarning` -- the check passed, but only to within a noise wider
  than the tolerances asked for; it says by how much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..declaration import Op
from ..engine import Value
from .numerical import Estimate, NumericalDerivativeError

inf = math.inf

__all__ = [
    "Disagreement",
    "GradientCheckError",
    "NodeMismatch",
    "RoundingNoiseError",
    "RoundingNoiseWarning",
    "relative_error",
]


def relative_error(a: float, b: float) -> float:
    """|a - b| / max(|a|, |b|): 0 when equal, inf when one is NaN."""
    if a == b:
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return inf
    return abs(a - b) / max(abs(a), abs(b))


def fmt(x: float) -> str:
    return f"{x:.17g}" if isinstance(x, float) else repr(x)


@dataclass(frozen=True)
class Disagreement:
    """One derivative of a function compared with its numerical estimate."""

    index: tuple[int, ...]  # (i,) for a first derivative, (i, j) for a second
    method: str  # 'backward()', 'autograd.grad' or 'autograd.hessian'
    analytical: float
    numerical: float
    noise: float  # how far rounding alone may have moved the numerical value
    tolerance: float  # atol + rtol * |numerical|: what the caller allows


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
        inputs = ", ".join(fmt(p.data) for p in node._prev[:8])
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
            f"{where}: {what} gives {fmt(self.analytical)}, numerically "
            f"{fmt(self.numerical)} (relative error {self.relative_error:.3g}"
        )
        if self.noise > 0.01 * abs(self.analytical - self.numerical):
            text += f"; rounding alone may move the numerical value by {self.noise:.3g}"
        text += ")"
        return text + (f"; {self.note}" if self.note else "")


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


class RoundingNoiseError(NumericalDerivativeError):
    """A derivative cannot be checked at this point: the function's values are so large
    next to how much they change over any usable step that rounding noise swamps the
    numerical estimate (a derivative wrong by a factor of 2 would pass).

    Attributes: ``argument`` (index, or pair of indices for a second derivative),
    ``order``, ``numerical``, ``noise`` (how far rounding alone may have moved the
    numerical value) and ``value`` (the function's value at the point).
    """

    def __init__(self, message: str, *, argument: int | tuple[int, int], order: int,
                 numerical: float, noise: float, value: float) -> None:
        super().__init__(message)
        self.argument = argument
        self.order = order
        self.numerical = numerical
        self.noise = noise
        self.value = value


class RoundingNoiseWarning(UserWarning):
    """A gradient check passed, but rounding noise made it looser than its tolerances:
    the message says by how much, and how to make the check sharper."""


# --- the words ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a message is about: the function, its arguments' names and the point."""

    fname: str  # the function's name ('' for a lambda)
    names: list[str]
    xs: Sequence[float]

    def argument(self, i: int) -> str:
        return (f"argument {i}" + (f" ({self.names[i]!r})" if self.names[i] else "")
                + f" = {self.xs[i]!r}")

    def arguments(self, index: tuple[int, ...]) -> str:
        return ", ".join(self.argument(i) for i in sorted(set(index)))

    def derivative(self, index: tuple[int, ...]) -> str:
        fn = self.fname or "f"

        def name(i: int) -> str:
            return self.names[i] or f"args[{i}]"

        if len(index) == 1:
            return f"d {fn} / d {name(index[0])}"
        i, j = index
        return f"d2 {fn} / d {name(i)} d {name(j)}"

    @property
    def of(self) -> str:
        return f" of {self.fname}" if self.fname else ""


def failure(
    subject: Subject,
    order: int,
    wrong: list[Disagreement],
    estimate: Estimate,
    atol: float,
    rtol: float,
    nodes: list[NodeMismatch],
    near: list[str],
    problem: str = "",
) -> GradientCheckError:
    """The error for derivatives that disagree, ``wrong[0]`` first, with the diagnosis:
    the culprit nodes (``nodes``), or notes on nodes next to an edge (``near``)."""
    first = wrong[0]
    lines = [
        f"check_grads{subject.of}: {subject.derivative(first.index)} (order {order}) is wrong, "
        f"at {subject.arguments(first.index)}:",
        f"  {first.method + ':':<17} {fmt(first.analytical)}",
        f"  {'numerical:':<17} {fmt(first.numerical)}",
        f"  {'relative error:':<17} {relative_error(first.analytical, first.numerical):.3g} "
        f"(allowed: |analytical - numerical| <= {atol:g} + {rtol:g} * |numerical|"
        + (f" + {first.noise:.3g} for rounding)" if first.noise else ")"),
    ]
    if first.noise > first.tolerance:
        lines.append(
            f"  note: the numerical estimate is limited by rounding noise: the "
            f"{'value' if len(first.index) == 1 else 'gradient'} is large next to how much it "
            f"changes over a step of "
            f"{estimate.step:.3g}" + (" (already widened for this)" if estimate.grown else "")
            + f", so the estimate may be off by up to {first.noise:.3g}, which is allowed for "
            f"above; subtracting the large constant part from the function checks it more "
            f"sharply"
        )
    others = wrong[1:7]
    for d in others:
        lines.append(
            f"  also {subject.derivative(d.index)} by {d.method}: {fmt(d.analytical)} vs "
            f"{fmt(d.numerical)} numerically"
        )
    if len(wrong) > 1 + len(others):
        lines.append(f"  ... and {len(wrong) - 1 - len(others)} more")
    lines.extend(_diagnosis(nodes, near, problem))
    return GradientCheckError(
        "\n".join(lines),
        argument=first.index[0] if len(first.index) == 1 else (first.index[0], first.index[1]),
        name=subject.names[first.index[0]],
        order=order,
        method=first.method,
        analytical=first.analytical,
        numerical=first.numerical,
        nodes=nodes,
        point=subject.xs,
    )


def _diagnosis(nodes: list[NodeMismatch], near: list[str], problem: str) -> list[str]:
    if problem:
        return [f"(the graph could not be checked node by node: {problem})"]
    if nodes:
        culprits = len({id(m.node) for m in nodes})
        head = (
            "The culprit: a node whose local derivative disagrees with a numerical "
            "derivative of its op's forward function:"
            if culprits == 1
            else f"The culprits: {culprits} nodes whose local derivatives disagree with "
            "numerical derivatives of their ops' forward functions:"
        )
        return [head, *(f"  {m}" for m in nodes[:8])]
    return [
        "Every node's local derivative agrees with its op's numerical derivative here, "
        "so the difference comes from the function rather than from one op: a number "
        "taken from a Value (.data, float()) is a constant to the engine; or the "
        "function is not smooth at this point (or the numerical step crosses a kink); "
        "or it is badly conditioned here.",
        *(f"  note: {n}" for n in near[:4]),
    ]


def _share(noise: float, numerical: float) -> str:
    if not numerical:
        return ""
    percent = 100 * noise / abs(numerical)
    return f" ({percent:.2g}% of it)" if percent < 100 else f" ({percent:,.0f}% of it)"


def _large(order: int, value: float) -> str:
    if order == 1:
        return f"the function's value ({value:.3g}) is"
    return f"the gradient's values (up to {value:.3g}) are"


def _advice(order: int, value: float) -> str:
    if order == 1:
        return (f"Subtract the large constant part (check f - {value:.6g} instead of f), or "
                f"check the part of the function that varies on its own.")
    return ("Check the term whose gradient is large (1e15 * x, say) apart from the rest, or "
            "scale the function down.")


def refusal(subject: Subject, d: Disagreement, estimate: Estimate,
            value: float) -> RoundingNoiseError:
    """The error for a derivative that rounding noise makes impossible to check
    (``value``: the function's value at the point, or for a second derivative the
    largest first derivative)."""
    order = len(d.index)
    text = (
        f"check_grads{subject.of} cannot check {subject.derivative(d.index)} (order {order}) "
        f"at {subject.arguments(d.index)}: {_large(order, value)} so large next to how much "
        f"{'it changes' if order == 1 else 'they change'} over a step of {estimate.step:.3g}"
        + (" (already widened as far as the slope holds)" if estimate.grown else "")
        + f" that rounding swamps the slope. The numerical estimate, {d.numerical:.6g}, may be "
        f"off by up to {d.noise:.3g}{_share(d.noise, d.numerical)}, so even a derivative wrong "
        f"by a factor of 2 would pass ({d.method} gave {d.analytical:.6g}). "
        + _advice(order, value)
    )
    return RoundingNoiseError(
        text, argument=d.index[0] if order == 1 else (d.index[0], d.index[1]),
        order=order, numerical=d.numerical, noise=d.noise, value=value,
    )


def unsettled(subject: Subject, d: Disagreement, estimate: Estimate
              ) -> NumericalDerivativeError:
    """The error for a derivative whose numerical estimate never settled, and disagrees."""
    order = len(d.index)
    return NumericalDerivativeError(
        f"check_grads{subject.of} cannot check {subject.derivative(d.index)} (order {order}) "
        f"at {subject.arguments(d.index)}: the numerical estimate did not settle (refining "
        f"the step down to {estimate.step:.3g} kept changing it; the closest two levels came "
        f"to {d.numerical:.9g}), so the function varies too fast here, on the scale of the "
        f"steps, for finite differences, and {d.method}'s {d.analytical:.9g} can be neither "
        f"confirmed nor refuted. Check at a point where the function is smoother, or with a "
        f"smaller eps."
    )


def limited(subject: Subject, looser: list[Disagreement], values: dict[int, float]
            ) -> RoundingNoiseWarning:
    """The warning for checks that passed only within a noise above their tolerances
    (``values``: for each order, what :func:`refusal` calls ``value``)."""
    worst = max(looser, key=lambda d: abs(d.analytical - d.numerical) / max(
        abs(d.numerical), d.tolerance, 1e-300))
    others = len({d.index for d in looser}) - 1
    order = len(worst.index)
    text = (
        f"check_grads{subject.of}: {subject.derivative(worst.index)} (order {order}) at "
        f"{subject.arguments(worst.index)} passed only because the numerical estimate is "
        f"limited by rounding noise: {worst.method} gave {worst.analytical:.9g}, numerically "
        f"{worst.numerical:.9g}, a difference above the tolerances ({worst.tolerance:.3g}) "
        f"but within the noise: derivatives within {worst.noise:.3g}"
        f"{_share(worst.noise, worst.numerical)} of the estimate pass here, because "
        f"{_large(order, values[order])} large "
        f"next to how much {'it changes' if order == 1 else 'they change'} over a step"
        + (f" ({others} more derivative(s) likewise)" if others > 0 else "")
        + ". " + _advice(order, values[order]).replace(", or", " for a sharper check, or", 1)
    )
    return RoundingNoiseWarning(text)
