"""Graphs described so they can be rebuilt at any input: :class:`Expression`, :class:`MLPLoss`.

(The names say what each is for: an :class:`ExpressionStep` is one step of an
Expression, a :class:`BuiltExpression` the Values one built; the renderer's graph and
``explain``'s steps, and ``nn.MLP``, are other things.)

A gradient test needs the same function at many points (numerical
differentiation evaluates it at perturbed inputs), so the strategies do not
hand out a finished graph of Values: they hand out a *description* that
:meth:`Expression.build` turns into fresh Values from any input floats, and
that a test can also read step by step (an oracle translating it into SymPy or
PyTorch walks :attr:`Expression.steps`).

Every op is applied through :func:`apply_op`, which knows the calling
convention of each kind of op in :data:`autograd.ops.OPS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..declaration import NARY, Op
from ..declare import lookup
from ..domains import Domain
from ..engine import Value
from ..modes import no_grad
from ..ops import dot as _dot
from ..ops import mean as _mean

__all__ = [
    "BuiltExpression",
    "Expression",
    "ExpressionStep",
    "MLPLoss",
    "apply_op",
    "input_counts",
    "resolve_op",
]


def resolve_op(op: Op | str) -> Op:
    """The declared :class:`~autograd.Op` given itself or its name (ValueError naming the
    ops if there is none)."""
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        return lookup(op)
    raise TypeError(f"expected an Op or an op name, got {type(op).__name__} {op!r}")


def input_counts(op: Op, max_inputs: int = 4) -> range:
    """The numbers of inputs a node of ``op`` may be given, up to about ``max_inputs``.

    One count for unary and binary ops; for an n-ary op, the multiples of its
    group count from one group up to ``max_inputs`` (``dot``, which reads
    ``(w1..wn, x1..xn)``, has two groups).
    """
    return op.kind.input_counts(op, max_inputs)


def apply_op(op: Op | str, inputs: Sequence[Value], constant: float | None = None) -> Value:
    """Make a node of ``op`` from Values, whatever the op's kind.

    ``inputs`` holds one Value for a unary op, two for a binary op and any
    number for an n-ary op; ``constant`` is the plain-number constant of a
    ``unary_const`` op (``c`` in ``x * c``) and must be ``None`` for the other kinds.

    >>> from autograd import Value
    >>> apply_op("mul_const", [Value(3.0)], 2.0).data
    6.0
    """
    op = resolve_op(op)
    kind = op.kind
    if kind is not NARY and len(inputs) != kind.arity:
        raise TypeError(f"{op.name} takes {kind.arity} input(s), got {len(inputs)}")
    if kind.constant and constant is None:
        raise TypeError(f"{op.name} needs a constant (c in {op.doc!r})")
    if not kind.constant and constant is not None:
        raise TypeError(f"{op.name} takes no constant, got {constant!r}")
    return kind.apply(op, inputs, constant)


def forward(op: Op, inputs: Sequence[float], constant: float | None = None) -> float:
    """The op's forward function on floats, with the calling convention of its kind."""
    return op.kind.forward(op, inputs, constant)


def domain_of(op: Op, slot: int, constant: float | None = None) -> Domain:
    """The declared domain of input ``slot`` (at ``constant`` for an op whose domain
    depends on it; without one, the domain that holds for every constant)."""
    return op.domain_of(slot, constant)


@dataclass(frozen=True)
class ExpressionStep:
    """One node of an :class:`Expression`: ``op`` applied to earlier slots.

    ``args`` are slot numbers: slots ``0 .. n_inputs - 1`` are the inputs, slot
    ``n_inputs + k`` is the result of step ``k``. A slot may appear in many
    steps (a shared subexpression) and more than once in one step (``x * x``).
    """

    op: Op
    args: tuple[int, ...]
    constant: float | None = None

    def describe(self, names: Sequence[str]) -> str:
        """The step as a call, e.g. ``mul(v2, x0)`` or ``pow_const(x1, c=2.0)``."""
        args = [names[a] for a in self.args]
        if self.constant is not None:
            args.append(f"c={self.constant!r}")
        return f"{self.op.name}({', '.join(args)})"


@dataclass(frozen=True)
class BuiltExpression:
    """The Values an :class:`Expression` built: its input leaves, one node per step, the output."""

    inputs: tuple[Value, ...]
    nodes: tuple[Value, ...]
    output: Value


@dataclass(frozen=True)
class Expression:
    """A random computational graph as a small program over ``n_inputs`` inputs.

    ``point`` holds the input values it was drawn at: there, every step's inputs
    lie inside its op's domain (away from kinks and poles). The output is the
    last step. Use it as a function of Values (``expr(*values)``), with
    :func:`~autograd.testing.check_grads` (``check_grads(expr, expr.point)``),
    or build fresh Values with :meth:`build`.
    """

    n_inputs: int
    steps: tuple[ExpressionStep, ...]
    point: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.point) != self.n_inputs:
            raise ValueError(f"point has {len(self.point)} values for {self.n_inputs} inputs")
        for k, step in enumerate(self.steps):
            for a in step.args:
                if not 0 <= a < self.n_inputs + k:
                    raise ValueError(f"step {k} ({step.op.name}) reads slot {a}, not made yet")

    @property
    def names(self) -> tuple[str, ...]:
        """Slot names: ``x0, x1, ...`` for the inputs, ``v<slot>`` for the steps."""
        n = self.n_inputs
        return tuple(f"x{i}" for i in range(n)) + tuple(
            f"v{n + k}" for k in range(len(self.steps))
        )

    @property
    def output_slot(self) -> int:
        return self.n_inputs + len(self.steps) - 1 if self.steps else 0

    @property
    def shared_nodes(self) -> tuple[int, ...]:
        """The slots of op nodes that two or more later nodes read: shared subexpressions.

        ``x * x`` alone shares nothing (one node reads ``x`` twice), and inputs do not
        count: what they share is plain fan-out of a leaf.
        """
        readers: dict[int, set[int]] = {}
        for k, step in enumerate(self.steps):
            for a in step.args:
                readers.setdefault(a, set()).add(k)
        return tuple(
            slot for slot in range(self.n_inputs, self.n_inputs + len(self.steps))
            if len(readers.get(slot, ())) >= 2
        )

    def build(self, inputs: Sequence[float | Value] | None = None) -> BuiltExpression:
        """Fresh Values for the whole graph, at ``inputs`` (default: :attr:`point`).

        Numbers become new leaves labelled ``x0, x1, ...``; Values are used as they are.
        """
        given = self.point if inputs is None else inputs
        if len(given) != self.n_inputs:
            raise ValueError(f"expected {self.n_inputs} input(s), got {len(given)}")
        leaves = tuple(
            v if isinstance(v, Value) else Value(v, label=f"x{i}") for i, v in enumerate(given)
        )
        slots: list[Value] = list(leaves)
        for step in self.steps:
            slots.append(apply_op(step.op, [slots[a] for a in step.args], step.constant))
        return BuiltExpression(leaves, tuple(slots[self.n_inputs :]), slots[self.output_slot])

    def __call__(self, *inputs: Value) -> Value:
        """The output, computed from the given Values (a function for ``check_grads``/``grad``)."""
        return self.build(inputs).output

    def evaluate(self, inputs: Sequence[float] | None = None) -> float:
        """The output's value as a float, without recording a graph."""
        with no_grad():
            return self.build(inputs).output.data

    def describe(self) -> str:
        """The program, one line per step."""
        names = self.names
        lines = [f"{names[i]} = {x!r}" for i, x in enumerate(self.point)]
        for k, step in enumerate(self.steps):
            lines.append(f"{names[self.n_inputs + k]} = {step.describe(names)}")
        lines.append(f"output: {names[self.output_slot]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        names = self.names
        inputs = ", ".join(f"{names[i]}={x!r}" for i, x in enumerate(self.point))
        body = "; ".join(
            f"{names[self.n_inputs + k]} = {s.describe(names)}" for k, s in enumerate(self.steps)
        )
        return f"<Expression {inputs}: {body or names[0]}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints falsifying examples with this hook: the program reads
        # far better than the nested dataclasses.
        printer.text(repr(self))


@dataclass(frozen=True)
class MLPLoss:
    """The loss of a small multilayer perceptron on one example, as a function to check.

    A description, built from engine ops (not an ``nn.MLP``): the layer sizes, the
    activation, the parameters, one input example and its targets.

    Every layer computes ``activation(dot(w, x) + b)`` per neuron (the last
    layer is linear); the loss is the mean squared error against ``targets``.
    ``params`` lists, layer by layer and neuron by neuron, the weights then the
    bias. Called with Values for ``params + inputs`` (in that order) it returns
    the loss, so ``check_grads(mlp, mlp.point)`` checks every derivative.
    """

    sizes: tuple[int, ...]
    activation: str
    params: tuple[float, ...]
    inputs: tuple[float, ...]
    targets: tuple[float, ...]
    slope: float | None = None

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise ValueError(f"sizes needs an input and an output size >= 1, got {self.sizes}")
        if len(self.params) != self.n_params:
            raise ValueError(f"expected {self.n_params} parameters, got {len(self.params)}")
        if len(self.inputs) != self.sizes[0] or len(self.targets) != self.sizes[-1]:
            raise ValueError("inputs and targets must match the first and last sizes")
        op = resolve_op(self.activation)
        if op.kind.arity != 1 or op.kind is NARY or op.kind.constant != (
            self.slope is not None
        ):
            raise ValueError(
                f"activation {op.name!r} must be a unary op (with a slope iff it takes a constant)"
            )

    @property
    def n_params(self) -> int:
        return sum((n_in + 1) * n_out for n_in, n_out in zip(self.sizes, self.sizes[1:]))

    @property
    def point(self) -> tuple[float, ...]:
        """The arguments of ``self(...)``: parameters, then inputs."""
        return self.params + self.inputs

    def activate(self, x: Value) -> Value:
        return apply_op(self.activation, [x], self.slope)

    def pre_activations(
        self, params: Sequence[Value], inputs: Sequence[Value]
    ) -> tuple[list[list[Value]], list[Value]]:
        """Each hidden layer's pre-activations, and the outputs."""
        if len(params) != self.n_params or len(inputs) != self.sizes[0]:
            raise ValueError(
                f"expected {self.n_params} parameters and {self.sizes[0]} inputs, "
                f"got {len(params)} and {len(inputs)}"
            )
        hidden: list[list[Value]] = []
        x: list[Value] = list(inputs)
        at = 0
        layers = list(zip(self.sizes, self.sizes[1:]))
        for index, (n_in, n_out) in enumerate(layers):
            pre = []
            for _ in range(n_out):
                w, b = params[at : at + n_in], params[at + n_in]
                at += n_in + 1
                pre.append(_dot(w, x) + b)
            if index == len(layers) - 1:
                return hidden, pre
            hidden.append(pre)
            x = [self.activate(p) for p in pre]
        raise AssertionError("unreachable: an MLP has at least one layer")

    def forward(self, params: Sequence[Value], inputs: Sequence[Value]) -> list[Value]:
        """The network's outputs."""
        return self.pre_activations(params, inputs)[1]

    def loss(self, params: Sequence[Value], inputs: Sequence[Value]) -> Value:
        """Mean squared error of the outputs against :attr:`targets`."""
        outputs = self.forward(params, inputs)
        return _mean([(y - t) * (y - t) for y, t in zip(outputs, self.targets)])

    def __call__(self, *args: Value) -> Value:
        n = self.n_params
        return self.loss(args[:n], args[n:])

    def build(self) -> tuple[list[Value], list[Value], Value]:
        """Fresh parameter and input leaves at :attr:`point`, and the loss built from them."""
        params = [Value(p, label=f"p{i}") for i, p in enumerate(self.params)]
        inputs = [Value(x, label=f"x{i}") for i, x in enumerate(self.inputs)]
        return params, inputs, self.loss(params, inputs)

