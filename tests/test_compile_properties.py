"""Compiled programs equal the eager engine: on every op, random DAGs and random MLPs.

The graphs come from :mod:`autograd.testing.strategies` (every op of the table features
in its share, and an op declared later is drawn too); some inputs become parameters the
function closes over (shared by the batch, their gradients summed over it), the rest
vary per sample. Each program runs on a batch of samples around the drawn point, fused
and one operation per node, and every output and gradient is compared with the eager
engine's (see ``compiled_checks``). The negative controls are in
``test_compile_negative_controls.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from compiled_checks import check_compiled, samples
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_ops import REFERENCE, Reference

import nn
from autograd import Op, Value
from autograd.compiler import compile
from autograd.ops import OPS
from autograd.testing import MLPLoss
from autograd.testing.strategies import expressions, mlps

IDS = [op.name for op in OPS]
PER_OP = settings.get_profile("per-op")


def dags(op: Op) -> st.SearchStrategy[object]:
    return expressions(featuring=op)


@pytest.mark.parametrize("op", OPS, ids=IDS)
@PER_OP
@given(data=st.data())
def test_compiled_dags_equal_the_eager_engine(op: Op, data: st.DataObject) -> None:
    expr = data.draw(dags(op), label="expr")
    n = expr.n_inputs
    is_param = data.draw(st.lists(st.booleans(), min_size=n, max_size=n), label="is_param")
    if all(is_param):
        is_param[0] = False
    batch = samples(expr.point, 5, data.draw(st.integers(0, 2**16), label="seed"), 1e-3)
    for fuse in (True, False):
        check_compiled(expr, is_param, fuse, batch)


@given(expressions(), st.integers(0, 2**16))
def test_compiled_dags_equal_eager_at_their_point_exactly_as_drawn(expr: object,
                                                                  seed: int) -> None:
    """Every input per sample, the batch the drawn point repeated: no parameters."""
    batch = samples(expr.point, 3, seed, 0.0)  # type: ignore[attr-defined]
    check_compiled(expr, [False] * expr.n_inputs, True, batch)  # type: ignore[attr-defined]


def _mlp_program(mlp: MLPLoss, fuse: bool) -> tuple[list[Value], object]:
    params = [Value(p, label=f"p{i}") for i, p in enumerate(mlp.params)]
    program = compile(lambda x: mlp.loss(params, x), (list(mlp.inputs),), fuse=fuse)
    return params, program


@given(mlps(), st.booleans(), st.integers(0, 2**16))
def test_compiled_mlps_equal_the_eager_engine(mlp: MLPLoss, fuse: bool, seed: int) -> None:
    """An MLP closing over its weights: matrix products per layer when fused."""
    params, program = _mlp_program(mlp, fuse)
    batch = samples(mlp.inputs, 4, seed, 1e-2)
    run = program.forward(batch)  # type: ignore[attr-defined]
    grads = run.backward()
    want_p = [0.0] * len(params)
    for b, row in enumerate(batch):
        ps = [Value(p) for p in mlp.params]
        xs = [Value(float(x)) for x in row]
        out = mlp.loss(ps, xs)
        out.backward()
        assert math.isclose(run.outputs[b], out.data, rel_tol=1e-12, abs_tol=1e-14)
        for got, x in zip(grads[b], xs):
            assert math.isclose(got, x.grad, rel_tol=1e-11, abs_tol=1e-13), (got, x.grad)
        want_p = [w + p.grad for w, p in zip(want_p, ps)]
    for p, want in zip(params, want_p):
        assert math.isclose(p.grad, want, rel_tol=1e-11, abs_tol=1e-13), (p.grad, want)


def micrograd_neuron_chain(ws: list[Value], b: Value, x: list[Value]) -> Value:
    """micrograd's neuron: b + w0*x0 + w1*x1 + ..., a chain of binary + and *."""
    return sum((wi * xi for wi, xi in zip(ws, x)), b).relu()


@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**16))
def test_micrograd_chains_of_additions_compile_to_matrix_products(nin: int, nout: int,
                                                                   seed: int) -> None:
    rng = np.random.default_rng(seed)
    layer = [([Value(float(w)) for w in rng.uniform(-1, 1, nin)], Value(float(rng.normal())))
             for _ in range(nout)]

    def f(x: list[Value]) -> list[Value]:
        return [micrograd_neuron_chain(ws, b, x) for ws, b in layer]

    program = compile(f, ([0.0] * nin,))
    if nin > 1:
        assert " @ " in program.source  # the chain became one matrix product
    X = rng.normal(size=(6, nin))
    out = program(X)
    for b, row in enumerate(X):
        eager = [o.data for o in f([Value(float(v)) for v in row])]
        np.testing.assert_allclose(out[b], eager, rtol=1e-12, atol=1e-14)


def test_a_model_compiles_to_one_matrix_product_per_layer() -> None:
    model = nn.MLP(2, [16, 16, 1], seed=1)
    program = compile(model, ([0.5, -0.5],), params=model.parameters())
    assert program.forward_source.count(" @ ") == 3
    assert "np.where(" in program.forward_source  # the ReLUs, one line per layer
    X, _ = nn.data.make_moons(50, noise=0.1, seed=1)
    np.testing.assert_allclose(program(X), [model(x).data for x in X], rtol=1e-12, atol=1e-14)


def _user_ops() -> list[Op]:
    """Ops declared the way a user would: one with a NumPy forward and a derivative written
    with autograd.elementary, one with float functions only (math), one n-ary."""
    from autograd import defop
    from autograd.domains import POSITIVE
    from autograd.elementary import exp as eexp
    from autograd.elementary import recip

    return [
        defop("softsign_u", lambda x: x / (1 + abs(x)),
              lambda x, out: recip((1 + abs(x)) * (1 + abs(x))),
              array_forward=lambda x: x / (1 + abs(x)), replace=True),
        defop("log1p_u", math.log1p, lambda x, out: 1 / (1 + x) if x > -1 else math.nan,
              domain=POSITIVE, replace=True),
        defop("smooth_max_u", lambda xs: math.log(math.fsum(math.exp(x) for x in xs)),
              lambda xs, out: [eexp(x - out) for x in xs], kind="nary", replace=True),
    ]


def _lse(xs: list[float]) -> float:
    top = max(xs)
    return top + math.log(math.fsum(math.exp(x - top) for x in xs))


# Their values and partials from the calculus, for the error scales (reference_ops).
USER_REFERENCE = {
    "softsign_u": Reference(lambda v, c: v[0] / (1 + abs(v[0])),
                            lambda v, c: [1 / (1 + abs(v[0])) ** 2]),
    "log1p_u": Reference(lambda v, c: math.log1p(v[0]), lambda v, c: [1 / (1 + v[0])]),
    "smooth_max_u": Reference(lambda v, c: _lse(v),
                              lambda v, c: [math.exp(x - _lse(v)) for x in v]),
}


def test_ops_of_your_own_compile_on_random_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd import undefop

    for name, ref in USER_REFERENCE.items():
        monkeypatch.setitem(REFERENCE, name, ref)
    ops = _user_ops()
    try:
        for op in ops:
            strategy = expressions(featuring=op, max_magnitude=50.0)

            @settings(PER_OP, max_examples=max(10, PER_OP.max_examples))
            @given(expr=strategy, params=st.lists(st.booleans(), min_size=3, max_size=3),
                   seed=st.integers(0, 2**16))
            def check(expr: object, params: list[bool], seed: int) -> None:
                n = expr.n_inputs  # type: ignore[attr-defined]
                is_param = params[:n]
                if all(is_param):
                    is_param[0] = False
                batch = samples(expr.point, 4, seed, 1e-3)  # type: ignore[attr-defined]
                for fuse in (True, False):
                    check_compiled(expr, is_param, fuse, batch)  # type: ignore[arg-type]

            check()
    finally:
        for op in ops:
            undefop(op.name)


# Graphs the extended run found (each broke a version of the compiler): kept as examples.
FOUND = [
    # two n-ary groups whose inputs lie in several arrays, one input read by every row
    ("add(0, 0); dot(1, 1, 1, 0); dot(1, 1, 1, 1); add(3, 2)", (0.0,)),
    ("sin(0); add(1, 1); add_const(1, c=0.0); add_const(3, c=1.0); sum(4, 2); sum(4, 4); "
     "add(6, 5)", (0.0,)),
    # one group's gradient rows read after a view of them was added into (add(v, v))
    ("pow(1, 0); add(2, 2); add(3, 3); add(4, 4); add(5, 4); add(4, 5); sub(7, 6)",
     (0.0, 1.0)),
    # a matrix product whose inputs are one node twice
    ("dot(1, 1, 0, 0); add(2, 2); add(3, 3)", (0.0, 1.0)),
]


@pytest.mark.parametrize(("text", "point"), FOUND, ids=[str(i) for i in range(len(FOUND))])
def test_graphs_found_by_the_extended_run(text: str, point: tuple[float, ...]) -> None:
    from test_oracles import _expression

    expr = _expression(text, point)
    for is_param in ([False] * expr.n_inputs, [False] + [True] * (expr.n_inputs - 1)):
        for fuse in (True, False):
            check_compiled(expr, is_param, fuse, samples(point, 4, 0, 1e-3))
