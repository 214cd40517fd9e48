"""Negative controls: a deliberately wrong compiled derivative or fusion must be caught.

Each test breaks one part of the compiler with ``monkeypatch`` (undone afterwards) and
re-runs the property tests of ``test_compile_properties`` with the settings they run
with: they must fail. A property that still passed here would be testing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import test_compile_properties as props
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from op_params import each_op

import autograd.compiler.backward_source as backward_source
import autograd.compiler.graph_rewrites as graph_rewrites
import autograd.compiler.rows as rows
from autograd import Op
from autograd.compiler.expressions import Expr
from autograd.compiler.lowering import Lowered
from autograd.ops import BY_NAME

# The ops each test breaks in the default run (op_params.py); the deeper stage breaks every op.


def _rerun(test: Any, suite: settings | None = None, **strategies: Any) -> Any:
    """A compile property re-run as the suite runs it, derandomized (see
    test_testing_negative_control._as_configured)."""
    configured = settings(suite or settings(), database=None, report_multiple_bugs=False,
                          phases=[Phase.explicit, Phase.generate], derandomize=True)
    return configured(given(**strategies)(test.hypothesis.inner_test))


def _doubled(f: Callable[..., Any]) -> Callable[..., Any]:
    def twice(*args: Any) -> Any:
        found = f(*args)
        if isinstance(found, tuple):
            return tuple(_twice(x) for x in found)
        return _twice(found)

    return twice


def _twice(x: Any) -> Any:
    if isinstance(x, list):
        return [2 * v for v in x]
    return 2 * x


def double_the_compiled_derivative(monkeypatch: pytest.MonkeyPatch, op: Op) -> None:
    """Every local derivative of ``op`` in a compiled program twice what it is, whether
    the program writes it out or calls it by name."""
    lower = rows.lower

    def wrong(*args: Any) -> Lowered:
        low = lower(*args)
        if low.op is not op:
            return low
        ns = args[4]
        if low.deriv_name:
            ns[low.deriv_name] = _doubled(ns[low.deriv_name])
        exprs = low.deriv_exprs

        def deriv_exprs(operands: Any, out: Any, c: Any) -> Any:
            found = exprs(operands, out, c)
            return None if found is None else [
                2.0 * d if isinstance(d, Expr) else 2.0 * float(d) for d in found]

        low.deriv_exprs = deriv_exprs  # type: ignore[method-assign]
        return low

    monkeypatch.setattr(rows, "lower", wrong)


def _caught(op: Op) -> None:
    with pytest.raises(AssertionError):
        _rerun(props.test_compiled_dags_equal_the_eager_engine, suite=props.PER_OP,
               data=st.data())(op=op)


@pytest.mark.parametrize("op", each_op(exclude=("dot",)))
def test_a_doubled_compiled_derivative_is_caught(op: Op,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    double_the_compiled_derivative(monkeypatch, op)
    _caught(op)


def test_a_wrong_matrix_product_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fusion: the weights' gradient of a matrix product twice what it is."""
    matmul = backward_source._matmul

    def wrong(rows_: Any, grp: Any, fw: Any, sc: Any, lines: list[str], needs: Any) -> None:
        before = len(lines)
        matmul(rows_, grp, fw, sc, lines, needs)
        lines[before:] = [line.replace(" += (", " += 2 * (").replace(" += g", " += 2 * g")
                          for line in lines[before:]]

    monkeypatch.setattr(backward_source, "_matmul", wrong)
    with pytest.raises(AssertionError):
        _rerun(props.test_compiled_mlps_equal_the_eager_engine,
               mlp=props.mlps(), fuse=st.just(True), seed=st.integers(0, 2**16))()


def test_a_sum_that_drops_a_term_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fusion: a chain of additions made one sum node, without its last term."""
    sums = graph_rewrites._sums

    def wrong(g: Any) -> None:
        sums(g)
        for k in g.order:
            n = g.nodes[k]
            if n.op is graph_rewrites.SUM and len(n.args) > 3:
                n.args = n.args[:-1]

    monkeypatch.setattr(graph_rewrites, "_sums", wrong)
    with pytest.raises(AssertionError):
        _rerun(props.test_micrograd_chains_of_additions_compile_to_matrix_products,
               nin=st.integers(1, 5), nout=st.integers(1, 4), seed=st.integers(0, 2**16))()


def test_common_subexpressions_that_ignore_the_constant_are_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Fusion: x * 2 and x * 3 taken for one node (the constant left out of the key)."""

    def wrong(g: Any) -> None:
        seen: dict[Any, int] = {}
        same: dict[int, int] = {}
        for k in g.order:
            n = g.nodes[k]
            n.args = [same.get(a, a) for a in n.args]
            if n.role == "op":
                key = (n.op.name, tuple(n.args))
                if key in seen:
                    same[k] = seen[key]
                else:
                    seen[key] = k
        g.outputs = [same.get(k, k) for k in g.outputs]
        graph_rewrites._prune(g)

    monkeypatch.setattr(graph_rewrites, "_common_subexpressions", wrong)
    with pytest.raises(AssertionError):
        _rerun(props.test_compiled_dags_equal_eager_at_their_point_exactly_as_drawn,
               expr=props.expressions(ops=["add_const", "mul_const", "mul", "tanh"],
                                      n_inputs=1),
               seed=st.integers(0, 2**16))()


def test_a_wrong_convention_at_a_kink_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """relu'(0) = 1 in the compiled program (PyTorch's and the engine's is 0)."""
    import test_compile_edges as edges

    lower = rows.lower
    relu = BY_NAME["relu"]

    def wrong(*args: Any) -> Lowered:
        low = lower(*args)
        if low.op is relu:
            low.deriv_exprs = (  # type: ignore[method-assign]
                lambda operands, out, c: [Expr(f"np.where({operands[0].text} >= 0, 1.0, 0.0)")])
        return low

    monkeypatch.setattr(rows, "lower", wrong)
    with pytest.raises(AssertionError):
        edges.test_compiled_ops_match_eager_at_their_edges(relu)


def test_a_fit_whose_compiled_gradient_is_off_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import test_compile_fit as fits

    import nn.compiled_batches as cb

    backward = cb.CompiledBatches.backward

    def wrong(self: Any, outputs: list[Any]) -> None:
        for o in outputs:
            o.grad *= 1.001  # a gradient one part in a thousand off
        backward(self, outputs)

    monkeypatch.setattr(cb.CompiledBatches, "backward", wrong)
    with pytest.raises(AssertionError):
        fits.test_the_moons_demo_has_the_same_history_compiled()


def test_a_check_that_compares_nothing_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    import test_compile as api

    import autograd.compiler.program as program

    monkeypatch.setattr(program, "same", lambda a, b: True)
    monkeypatch.setattr(program.Program, "_compare_numbers", lambda *args: None)
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        api.test_a_branch_on_data_is_found_by_check()


@pytest.mark.torch
def test_a_wrong_torch_export_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exported program with where's branches swapped (relu's forward, at least)."""
    pytest.importorskip("torch")
    import test_compile_torch as exported

    import autograd.compiler.torch_export as torch_export

    where = torch_export._TorchNumpy.where
    monkeypatch.setattr(torch_export._TorchNumpy, "where",
                        lambda self, cond, a, b: where(self, cond, b, a))
    import torch

    with pytest.raises(AssertionError):
        _rerun(exported.test_exported_dags_equal_the_compiled_program, suite=props.PER_OP,
               data=st.data())(torch=torch, op=BY_NAME["relu"])


@pytest.mark.deep
def test_the_sympy_oracle_catches_a_doubled_compiled_derivative(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import test_compile_oracles as oracles
    from test_oracles import ORACLE_SETTINGS

    op = BY_NAME["tanh"]
    double_the_compiled_derivative(monkeypatch, op)
    with pytest.raises(AssertionError):
        _rerun(oracles.test_compiled_dags_match_exact_sympy, suite=ORACLE_SETTINGS,
               data=st.data())(op=op)
