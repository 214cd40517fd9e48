"""A state machine builds graphs step by step and checks every value and gradient.

Rules add leaves, apply any op of the table (sometimes under ``no_grad``), run
``backward()`` from any node with any seed, zero leaf gradients and ask the
functional API for gradients. After every step each node's data and gradient
are compared with a model kept beside the engine: the naive reference of
``reference_ops`` (textbook formulas; gradients pulled from each node's
consumers, where the engine pushes along a topological order), which also
knows what ``backward()`` must leave behind: leaves accumulate across passes,
interior nodes show the last pass through them, other nodes keep theirs.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from reference_ops import RefStep, adjoints, evaluate, local_partials, reference_for

from autograd import Value, gradients, no_grad, topological_order
from autograd.ops import OPS, Op
from autograd.testing import apply_op
from autograd.testing.graphs import domain_of, input_counts
from autograd.testing.strategies import inside, reals

BOUND = 1e3  # no node's value above this, so values and derivatives stay finite
MARGIN = 0.05  # op inputs this far from kinks, poles and domain ends
# Rounding-error allowances, times the error scales (sums over paths of products of
# |partial derivatives|, see reference_ops.ErrorScales).
VALUE_TOL = 1e-13
GRAD_TOL = 1e-11


class GraphMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[Value] = []
        self.steps: list[RefStep] = []  # the model: how each node was made
        self.leaf_data: dict[int, float] = {}
        self.expected_grad: list[float] = []
        self.grad_tol: list[float] = []

    # --- helpers --------------------------------------------------------------------

    def _add(self, node: Value, step: RefStep) -> None:
        if step.op is None:
            self.leaf_data[len(self.nodes)] = node.data
        self.nodes.append(node)
        self.steps.append(step)
        self.expected_grad.append(0.0)
        self.grad_tol.append(0.0)

    def _partials(self) -> list[list[float]]:
        # At the engine's own values, so that gradient checks do not depend on how far
        # values drift apart (the value invariant bounds that separately).
        return local_partials(self.steps, [n.data for n in self.nodes])

    def _candidates(self, op: Op, slot: int) -> list[int]:
        d = domain_of(op, slot)
        return [i for i, n in enumerate(self.nodes) if inside(n.data, d, MARGIN, BOUND)]

    # --- rules ------------------------------------------------------------------------

    @initialize(x=reals(-3.0, 3.0))
    def first_leaf(self, x: float) -> None:
        self._add(Value(x), RefStep(None))

    @rule(x=reals(-3.0, 3.0))
    def leaf(self, x: float) -> None:
        self._add(Value(x), RefStep(None))

    @rule(data=st.data())
    def apply(self, data: st.DataObject) -> None:
        feasible = [
            op
            for op in OPS
            if all(self._candidates(op, j) for j in range(input_counts(op)[0]))
        ]
        # Drawn by name, so that a failing run prints as a readable program.
        name = data.draw(st.sampled_from([op.name for op in feasible]), label="op")
        op = next(op for op in feasible if op.name == name)
        count = data.draw(st.sampled_from(input_counts(op)), label="inputs")
        args = tuple(
            data.draw(st.sampled_from(self._candidates(op, j)), label=f"input {j}")
            for j in range(count)
        )
        c = None
        if op.param is not None:
            c = data.draw(reals(-3.0, 3.0, domain=op.param, margin=MARGIN), label="constant")
        try:
            expected = reference_for(op).value([self.nodes[a].data for a in args], c)
        except (ValueError, ArithmeticError):
            return  # overflow in the reference: too big a value to be interesting
        if not (math.isfinite(expected) and abs(expected) <= BOUND):
            return
        parents = [self.nodes[a] for a in args]
        if data.draw(st.booleans(), label="under no_grad"):
            with no_grad():
                node = apply_op(op, parents, c)
            assert node.is_leaf and node._prev == ()
            self._add(node, RefStep(None))  # a constant now: nothing flows back through it
        else:
            node = apply_op(op, parents, c)
            assert node.op is op and node._prev == tuple(parents) and node.grad == 0.0
            self._add(node, RefStep(op, args, c))

    @rule(data=st.data())
    def backward(self, data: st.DataObject) -> None:
        root = data.draw(st.integers(0, len(self.nodes) - 1), label="root")
        seed = data.draw(st.sampled_from([1.0, -1.0]) | reals(-2.0, 2.0), label="seed")
        partials = self._partials()
        adjoint = adjoints(self.steps, partials, root)
        scale = adjoints(self.steps, partials, root, lambda d: abs(d) + 1.0)
        in_graph = set(topological_order(self.nodes[root]))
        self.nodes[root].backward(seed)
        for i, node in enumerate(self.nodes):
            # Plus a floor for subnormal seeds, where a rounding is a whole unit of 5e-324.
            tol = GRAD_TOL * abs(seed) * scale[i] + 1e-300
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

    @rule(data=st.data())
    def functional_gradients(self, data: st.DataObject) -> None:
        """gradients() gives d(root)/d(node) for some leaves, or one node; no .grad changes."""
        root = data.draw(st.integers(0, len(self.nodes) - 1), label="root")
        if data.draw(st.booleans(), label="one node"):
            chosen = [data.draw(st.integers(0, len(self.nodes) - 1), label="node")]
        else:
            leaves = [i for i, n in enumerate(self.nodes) if n.is_leaf]
            chosen = data.draw(st.lists(st.sampled_from(leaves), max_size=4), label="leaves")
        before = [n.grad for n in self.nodes]
        got = gradients(self.nodes[root], [self.nodes[i] for i in chosen])
        assert [n.grad for n in self.nodes] == before
        partials = self._partials()
        want = adjoints(self.steps, partials, root)
        scale = adjoints(self.steps, partials, root, lambda d: abs(d) + 1.0)
        for i, g in zip(chosen, got):
            assert abs(g - want[i]) <= GRAD_TOL * scale[i], (
                f"gradients() of node {root} by node {i}: grad {g!r}, reference {want[i]!r}"
            )

    # --- invariants, checked after every step ---------------------------------------

    @invariant()
    def values_match_the_reference(self) -> None:
        partials = self._partials()
        values = evaluate(self.steps, self.leaf_data)
        for i, node in enumerate(self.nodes):
            step = self.steps[i]
            if step.op is None:
                assert node.data == self.leaf_data[i], "a leaf's data changed"
                continue
            # The whole way from the leaves, within the rounding errors paths can amplify.
            absolute = adjoints(self.steps, partials, i, abs)
            scale = abs(values[i]) + math.fsum(
                a * abs(n.data) for a, n in zip(absolute, self.nodes)
            )
            assert abs(node.data - values[i]) <= VALUE_TOL * scale, (
                f"node {i} ({step.op.name}): data {node.data!r}, reference {values[i]!r}"
            )

    @invariant()
    def gradients_match_the_model(self) -> None:
        for i, node in enumerate(self.nodes):
            want, tol = self.expected_grad[i], self.grad_tol[i]
            op = self.steps[i].op
            assert node.grad == want or abs(node.grad - want) <= tol, (
                f"node {i} ({op.name if op else 'leaf'}): "
                f"grad {node.grad!r}, reference {want!r} (allowed {tol:.3g})"
            )


TestGraphMachine = GraphMachine.TestCase
