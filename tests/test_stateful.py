"""A state machine builds graphs step by step and checks every value and gradient.

Rules add leaves, apply any op of the table (alone, in chains, over the nodes
nothing reads yet, or under ``no_grad``), run ``backward()`` from any node
(mostly op nodes) with any seed, zero leaf gradients and ask the functional API
for gradients. After every step each node's data and gradient are compared
with a model kept beside the engine: the naive reference of ``reference_ops``
(textbook formulas; gradients pulled from each node's consumers, where the
engine pushes along a topological order), which also
knows what ``backward()`` must leave behind: leaves accumulate across passes,
interior nodes show the last pass through them, other nodes keep theirs.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from known_engine_issues import known_engine_issue
from reference_ops import RefStep, adjoints, local_partials, reference_for

from autograd import Domain, Op, Value, gradients, no_grad, topological_order
from autograd.ops import OPS
from autograd.testing import apply_op
from autograd.testing.edges import distance_to_edge
from autograd.testing.graphs import domain_of, forward, input_counts
from autograd.testing.numerical import NumericalDerivativeError, derivative, step_for
from autograd.testing.op_ranges import typical_constant
from autograd.testing.strategies import applications, constants, inside, reals

BOUND = 1e3  # no node's value above this, so values and derivatives stay finite
MARGIN = 0.05  # op inputs this far from kinks, poles and domain ends
# Rounding-error allowances, times the error scales (sums over paths of products of
# |partial derivatives|, see reference_ops.ErrorScales).
VALUE_TOL = 1e-13
GRAD_TOL = 1e-11
# A seed as small as 1e-313 makes gradients subnormal, where floats have fewer digits than
# any relative tolerance assumes: differences this small are underflow, not a wrong rule.
UNDERFLOW = 1e-300


class GraphMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[Value] = []
        self.steps: list[RefStep] = []  # the model: how each node was made
        self.expected_value: list[float] = []  # by the reference formulas, from the leaves
        self.value_tol: list[float] = []
        self.expected_grad: list[float] = []
        self.grad_tol: list[float] = []
        self.fits: dict[Domain, list[int]] = {}  # the nodes inside each domain, oldest first
        self.differentiated = 0  # nodes before this one have been checked as roots

    # --- helpers --------------------------------------------------------------------

    def _add(self, node: Value, step: RefStep) -> None:
        """Record a node and what the model expects of it.

        A node's value never changes once made, so its reference value and tolerance
        are computed here, once, and every later step only compares.
        """
        i = len(self.nodes)
        self.nodes.append(node)
        self.steps.append(step)
        self.expected_grad.append(0.0)
        self.grad_tol.append(0.0)
        for d, fitting in self.fits.items():
            if inside(node.data, d, MARGIN, BOUND):
                fitting.append(i)
        if step.op is None:
            self.expected_value.append(node.data)
            self.value_tol.append(0.0)  # leaves keep their data exactly
            return
        parents = [self.expected_value[a] for a in step.args]
        value = reference_for(step.op).value(parents, step.constant)
        # The whole way from the leaves, within the rounding errors paths can amplify.
        absolute = adjoints(self.steps, self._partials(), i, abs)
        scale = abs(value) + math.fsum(a * abs(n.data) for a, n in zip(absolute, self.nodes))
        self.expected_value.append(value)
        self.value_tol.append(VALUE_TOL * scale)

    def _partials(self) -> list[list[float]]:
        # At the engine's own values, so that gradient checks do not depend on how far
        # values drift apart (the value invariant bounds that separately).
        return local_partials(self.steps, [n.data for n in self.nodes])

    def _candidates(self, op: Op, slot: int, c: float | None = None) -> list[int]:
        """The nodes an input of ``op`` (at constant ``c``) can read, newest first (so
        graphs grow deep).

        Kept per domain (the table has a handful) as nodes are added: every op's inputs
        are screened before one is drawn, and that would otherwise be most of a run.
        """
        d = domain_of(op, slot, c)
        if d not in self.fits:
            self.fits[d] = [
                i for i, n in enumerate(self.nodes) if inside(n.data, d, MARGIN, BOUND)
            ]
        return self.fits[d][::-1]

    def _has_an_op_node(self) -> bool:
        return any(step.op is not None for step in self.steps)

    def _draw_root(self, data: st.DataObject) -> int:
        """A node to differentiate: mostly an op node, newest first; now and then a leaf.

        Leaves outnumber op nodes early on (and every node made under no_grad is one),
        so a root drawn from all nodes would seldom have a graph behind it.
        """
        leaf = data.draw(st.integers(0, 9).map(lambda k: k == 9), label="a leaf as root")
        pool = [
            i for i in reversed(range(len(self.nodes))) if (self.steps[i].op is None) == leaf
        ]
        return pool[data.draw(st.integers(0, len(pool) - 1), label="root (newest first)")]

    # --- rules ------------------------------------------------------------------------

    @initialize(x=reals(-3.0, 3.0))
    def first_leaf(self, x: float) -> None:
        self._add(Value(x), RefStep(None))

    @rule(x=reals(-3.0, 3.0))
    def leaf(self, x: float) -> None:
        self._add(Value(x), RefStep(None))

    def _apply(self, data: st.DataObject, newest: bool, graph: bool = True) -> bool:
        """Apply a drawn op to drawn nodes; ``newest``: its first input is the newest node
        that fits. Under no_grad (``graph=False``) the node is a constant. False when the
        value would be too large to be interesting (nothing is added then)."""
        def fits(op: Op, c: float | None) -> bool:
            return all(self._candidates(op, j, c) for j in range(input_counts(op)[0]))

        # An op with a constant may be defined on more at some constants (x ** 2 at x < 0).
        feasible = [op for op in OPS if fits(op, None) or fits(op, typical_constant(op))]
        # Drawn by name, so that a failing run prints as a readable program.
        name = data.draw(st.sampled_from([op.name for op in feasible]), label="op")
        op = next(op for op in feasible if op.name == name)
        c = None
        if op.param is not None:  # first: the domains are read at it
            c = data.draw(constants(op, 3.0, MARGIN), label="constant")
            if not fits(op, c):
                return False
        count = data.draw(st.sampled_from(input_counts(op)), label="inputs")
        args = tuple(
            self._candidates(op, j, c)[0]
            if newest and j == 0
            else data.draw(st.sampled_from(self._candidates(op, j, c)), label=f"input {j}")
            for j in range(count)
        )
        return self._make(op, args, c, graph)

    def _make(self, op: Op, args: tuple[int, ...], c: float | None, graph: bool = True) -> bool:
        try:
            expected = reference_for(op).value([self.nodes[a].data for a in args], c)
        except (ValueError, ArithmeticError):
            return False  # overflow in the reference: too big a value to be interesting
        if not (math.isfinite(expected) and abs(expected) <= BOUND):
            return False
        parents = [self.nodes[a] for a in args]
        if not graph:
            with no_grad():
                node = apply_op(op, parents, c)
            assert node.is_leaf and node._prev == ()
            self._add(node, RefStep(None))  # a constant now: nothing flows back through it
            return True
        node = apply_op(op, parents, c)
        assert node.primitive is op and node._prev == tuple(parents) and node.grad == 0.0
        self._add(node, RefStep(op, args, c))
        return True

    # Several rules make op nodes: Hypothesis switches random subsets of rules off for a
    # whole run (swarm testing), and a run without op nodes tests little.

    @rule(data=st.data())
    def apply(self, data: st.DataObject) -> None:
        self._apply(data, newest=False)

    @rule(data=st.data(), length=st.integers(1, 4))
    def extend(self, data: st.DataObject, length: int) -> None:
        """A chain of ops, each reading the node made before it: graphs grow deep."""
        for _ in range(length):
            self._apply(data, newest=True)

    def _unread(self) -> list[int]:
        """The nodes no op node reads, newest first."""
        read = {a for step in self.steps for a in step.args}
        return [i for i in reversed(range(len(self.nodes))) if i not in read]

    @precondition(lambda self: len(self._unread()) >= 2)
    @rule(data=st.data())
    def gather(self, data: st.DataObject) -> None:
        """One node reading the nodes nothing reads yet: a root whose backward pass goes
        through most of the graph (in a random DAG a node's ancestors are few)."""
        unread = self._unread()
        gatherers = [op for op in OPS if op.kind.name in ("binary", "nary")]
        if not gatherers:
            return
        name = data.draw(st.sampled_from([op.name for op in gatherers]), label="op")
        op = next(op for op in gatherers if op.name == name)
        args: list[int] = []
        for i in unread:
            if len(args) < max(input_counts(op, len(unread))) and inside(
                self.nodes[i].data, domain_of(op, len(args)), MARGIN, BOUND
            ):
                args.append(i)
        counts = [k for k in input_counts(op, len(unread)) if 2 <= k <= len(args)]
        if counts:
            self._make(op, tuple(args[: max(counts)]), None)

    @rule(data=st.data())
    def apply_under_no_grad(self, data: st.DataObject) -> None:
        self._apply(data, newest=False, graph=False)

    @precondition(_has_an_op_node)
    @rule(data=st.data())
    def backward(self, data: st.DataObject) -> None:
        root = self._draw_root(data)
        seed = data.draw(st.sampled_from([1.0, -1.0]) | reals(-2.0, 2.0), label="seed")
        partials = self._partials()
        adjoint = adjoints(self.steps, partials, root)
        scale = adjoints(self.steps, partials, root, lambda d: abs(d) + 1.0)
        in_graph = set(topological_order(self.nodes[root]))
        self.nodes[root].backward(seed)
        for i, node in enumerate(self.nodes):
            tol = GRAD_TOL * abs(seed) * scale[i]  # the invariant adds UNDERFLOW
            if node.is_leaf:
                self.expected_grad[i] += seed * adjoint[i]
                self.grad_tol[i] += tol
            elif node in in_graph:
                self.expected_grad[i] = seed * adjoint[i]
                self.grad_tol[i] = tol

    @precondition(lambda self: any(n.is_leaf for n in self.nodes))
    @rule(data=st.data())
    def zero_a_leaf(self, data: st.DataObject) -> None:
        leaves = [i for i, n in enumerate(self.nodes) if n.is_leaf]
        i = data.draw(st.sampled_from(leaves), label="leaf")
        self.nodes[i].grad = 0.0
        self.expected_grad[i] = self.grad_tol[i] = 0.0

    @precondition(_has_an_op_node)
    @rule(data=st.data())
    def functional_gradients(self, data: st.DataObject) -> None:
        """gradients() gives d(root)/d(node) for some leaves, or one node; no .grad changes."""
        root = self._draw_root(data)
        if data.draw(st.booleans(), label="one node"):
            chosen = [data.draw(st.integers(0, len(self.nodes) - 1), label="node")]
        else:
            leaves = [i for i, n in enumerate(self.nodes) if n.is_leaf]
            chosen = data.draw(st.lists(st.sampled_from(leaves), max_size=4), label="leaves")
        self._check_gradients(root, chosen)

    def _check_gradients(self, root: int, chosen: list[int]) -> None:
        before = [n.grad for n in self.nodes]
        got = gradients(self.nodes[root], [self.nodes[i] for i in chosen])
        assert [n.grad for n in self.nodes] == before
        partials = self._partials()
        want = adjoints(self.steps, partials, root)
        scale = adjoints(self.steps, partials, root, lambda d: abs(d) + 1.0)
        for i, g in zip(chosen, got):
            assert abs(g - want[i]) <= GRAD_TOL * scale[i] + UNDERFLOW, (
                f"gradients() of node {root} by node {i}: grad {g!r}, reference {want[i]!r}"
            )

    # --- invariants, checked after every step ---------------------------------------

    @invariant()
    def a_new_node_has_the_reference_gradients(self) -> None:
        """Each op node, once made, is differentiated by everything (gradients(), which
        changes no .grad): every node is checked at least once, whichever rules Hypothesis
        switches off in a run, and however seldom backward() reaches it."""
        while self.differentiated < len(self.nodes):
            root = self.differentiated
            self.differentiated += 1
            if self.steps[root].op is not None:
                self._check_gradients(root, list(range(root)))

    @invariant()
    def values_match_the_reference(self) -> None:
        for i, node in enumerate(self.nodes):
            op, want = self.steps[i].op, self.expected_value[i]
            assert node.data == want or abs(node.data - want) <= self.value_tol[i], (
                f"node {i} ({op.name if op else 'leaf'}): data {node.data!r}, reference {want!r}"
                f" (allowed {self.value_tol[i]:.3g})"
            )

    @invariant()
    def gradients_match_the_model(self) -> None:
        for i, node in enumerate(self.nodes):
            want, tol = self.expected_grad[i], self.grad_tol[i] + UNDERFLOW
            op = self.steps[i].op
            assert node.grad == want or abs(node.grad - want) <= tol, (
                f"node {i} ({op.name if op else 'leaf'}): "
                f"grad {node.grad!r}, reference {want!r} (allowed {tol:.3g})"
            )


TestGraphMachine = GraphMachine.TestCase


# --- the reference itself --------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings.get_profile("per-op")  # each op its share: the formulas are few and smooth
@given(data=st.data())
def test_every_op_has_a_reference(op: Op, data: st.DataObject) -> None:
    """The reference covers the op table, and agrees with each op's forward function and
    with numerical derivatives of it, across the whole range the strategies draw from: a
    wrong reference would pass a wrong engine (or fail a right one) in every suite that
    uses it. A partial the numerical estimate cannot resolve there is not compared."""
    node = data.draw(applications(op), label="node")
    (step,) = node.steps
    xs, c = list(node.point), step.constant
    ref = reference_for(op)
    if known_engine_issue(node, 1):  # (where numerical derivatives cannot judge it either)
        reject()
    assert ref.value(xs, c) == pytest.approx(forward(op, xs, c), rel=1e-12, abs=1e-300)

    for j, partial in enumerate(ref.partials(xs, c)):

        def g(t: float, j: int = j) -> list[float]:
            # The op's forward function on floats: no derivative of the engine's.
            return [forward(op, [*xs[:j], t, *xs[j + 1 :]], c)]

        reach = distance_to_edge(op, j, xs[j], c)[0] / 4  # steps stay off kinks and poles
        try:
            e = derivative(g, xs[j], min(step_for(xs[j], 1e-4), reach), max_step=reach,
                           rtol=1e-6)
        except NumericalDerivativeError:
            if math.isinf(partial):
                continue  # the slope itself overflows (d/dy 6e203 ** y at 1.5 is 2.3e308)
            raise
        n, noise = e.values[0], e.noise[0]
        if not e.settled or abs(n) <= 3 * noise:
            continue  # rounding swamps it here
        assert abs(partial - n) <= 1e-6 * abs(n) + noise + 1e-300, (op.name, j, xs, c, n)
