"""autograd.compile: the program's interface, its source, its checks and its errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import autograd
import nn
from autograd import (
    AnomalyError,
    CompileError,
    DomainError,
    TraceMismatchError,
    Value,
    defop,
    detect_anomaly,
    undefop,
)
from autograd.elementary import exp


def lecture_neuron() -> tuple[list[Value], object]:
    """The Zero-to-Hero lecture's neuron, o = tanh(x1*w1 + x2*w2 + b), as a function."""
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")

    def neuron(x1: Value, x2: Value) -> Value:
        x1w1 = x1 * w1
        x1w1.label = "x1w1"
        x2w2 = x2 * w2
        x2w2.label = "x2w2"
        x1w1x2w2 = x1w1 + x2w2
        x1w1x2w2.label = "x1w1x2w2"
        n = x1w1x2w2 + b
        n.label = "n"
        o = n.tanh()
        o.label = "o"
        return o

    return [w1, w2, b], neuron


def test_the_lecture_neuron_reads_as_its_own_code() -> None:
    (w1, w2, b), neuron = lecture_neuron()
    program = autograd.compile(neuron, (Value(2.0, label="x1"), Value(0.0, label="x2")),
                               fuse=False)
    source = program.source
    for line in ("x1w1 = x1 * w1", "n = x1w1x2w2 + b", "o = np.tanh(n)",
                 "g_n = g_o * dtanh(n, o)", "g_w1 += (g_x1w1 * x1).sum(axis=1, keepdims=True)"):
        assert line in source, line
    run = program.forward(np.array([2.0, 1.0]), np.array([0.0, -1.0]))
    run.backward()
    for i, (x1, x2) in enumerate([(2.0, 0.0), (1.0, -1.0)]):
        assert math.isclose(run.outputs[i], neuron(Value(x1), Value(x2)).data, rel_tol=1e-15)
    # The lecture's numbers: at x1 = 2, x2 = 0, o = 0.7071 and w1.grad = 1.0 from this sample.
    assert round(run.outputs[0], 4) == 0.7071


def test_gradients_are_summed_over_the_batch_and_accumulate() -> None:
    w = Value(0.5)
    program = autograd.compile(lambda x: (w * x).sin(), (1.0,))
    xs = np.array([0.1, 0.2, 0.3])
    run = program.forward(xs)
    gx = run.backward()
    assert w.grad == pytest.approx(math.fsum(x * math.cos(0.5 * x) for x in xs), rel=1e-14)
    np.testing.assert_allclose(gx, 0.5 * np.cos(0.5 * xs), rtol=1e-14)
    run.backward(1.0 / 3)  # a second pass adds, like backward(); 1/n seeds a mean
    assert w.grad == pytest.approx(4 / 3 * math.fsum(x * math.cos(0.5 * x) for x in xs))


def test_batch_sums_that_overflow_are_the_known_limit_the_readme_states() -> None:
    """x * (p - p) at x near 1e308: each sample's two uses of p cancel (eager: 0), the
    program sums each use over the batch first, and those sums overflow."""
    p = Value(0.0)
    program = autograd.compile(lambda x: x * (p - p), (1.0,), fuse=False)
    xs = np.full(5, -6e307)
    program.forward(xs).backward()
    assert not math.isfinite(p.grad)
    eager = Value(0.0)
    for x in xs:
        (Value(float(x)) * (eager - eager)).backward()
    assert eager.grad == 0.0


def test_parameters_are_read_afresh_at_every_call() -> None:
    w = Value(2.0)
    program = autograd.compile(lambda x: w * x, (1.0,))
    assert program(np.array([3.0])).tolist() == [6.0]
    w.data = 5.0  # an optimiser's step
    assert program(np.array([3.0])).tolist() == [15.0]


def test_params_given_make_the_other_leaves_constants() -> None:
    w, c = Value(2.0), Value(10.0)
    program = autograd.compile(lambda x: w * x + c, (1.0,), params=[w])
    assert program.params == (w,)
    c.data = 0.0
    assert program(np.array([1.0])).tolist() == [12.0]  # c was baked in at the trace
    program.forward(np.array([1.0])).backward()
    assert (w.grad, c.grad) == (1.0, 0.0)


def test_several_arguments_and_outputs() -> None:
    w = Value(3.0)

    def f(x: list[Value], t: Value) -> list[Value]:
        return [x[0] * w + t, x[1] * t, autograd.logsumexp([x[0], x[1], t])]

    program = autograd.compile(f, ([1.0, 2.0], 0.5))
    X, T = np.array([[1.0, 2.0], [-1.0, 0.5]]), np.array([0.5, 2.0])
    out = program(X, T)
    assert out.shape == (2, 3)
    gx, gt = program.forward(X, T).backward(np.ones((2, 3)))
    assert gx.shape == (2, 2) and gt.shape == (2,)
    for i in range(2):
        xs, t = [Value(v) for v in X[i]], Value(T[i])
        ys = f(xs, t)
        np.testing.assert_allclose(out[i], [y.data for y in ys], rtol=1e-14)
        autograd.sum(ys).backward()
        np.testing.assert_allclose(gx[i], [v.grad for v in xs], rtol=1e-13)
        assert gt[i] == pytest.approx(t.grad, rel=1e-13)


def test_common_subexpressions_are_computed_once() -> None:
    program = autograd.compile(lambda x: (x * 2).tanh() + (x * 2).tanh(), (1.0,))
    assert program.forward_source.count("np.tanh") == 1
    assert program(np.array([0.3]))[0] == pytest.approx(2 * math.tanh(0.6), rel=1e-15)


def test_ops_of_your_own_compile_from_their_declaration() -> None:
    cube = defop("cube_c", lambda x: x**3, lambda x, out: 3 * x * x, replace=True)
    softsign = defop("softsign_c", lambda x: x / (1 + abs(x)),
                     lambda x, out: 1 / ((1 + abs(x)) * (1 + abs(x))), replace=True,
                     array_forward=lambda x: x / (1 + abs(x)))
    spiky = defop("spiky_c", math.atan, lambda x, out: 1 / (1 + x * x) if x > 0 else 0.0,
                  replace=True)  # a deriv that branches: runs element by element
    try:
        program = autograd.compile(lambda x: spiky(softsign(cube(x)) * exp(x)), (0.7,))
        source = program.source
        assert "3 * x * x" in source.replace("t", "x") or "3 * " in source
        assert "no array_forward declared" in source and "does not work on arrays" in source
        xs = np.array([-1.5, 0.2, 0.7, 2.0])
        run = program.forward(xs)
        gx = run.backward()
        for i, x in enumerate(xs):
            v = Value(float(x))
            y = spiky(softsign(cube(v)) * v.exp())
            y.backward()
            assert run.outputs[i] == pytest.approx(y.data, rel=1e-14)
            assert gx[i] == pytest.approx(v.grad, rel=1e-13, abs=1e-300)
    finally:
        for name in ("cube_c", "softsign_c", "spiky_c"):
            undefop(name)


def test_a_closure_node_cannot_be_compiled_and_the_error_says_what_to_do() -> None:
    def cube(x: Value) -> Value:
        out = Value(x.data**3, (x,), "cube")

        def _backward() -> None:
            x.grad += 3 * x.data**2 * out.grad

        out._backward = _backward
        return out

    with pytest.raises(CompileError, match=r"'cube' node.*_backward closure.*autograd\.defop"):
        autograd.compile(lambda x: cube(x) * 2, (1.0,))


def test_a_branch_on_data_is_found_by_check() -> None:
    w = Value(0.5)

    def f(x: Value) -> Value:
        return (x * w).relu() if x.data > 0 else (x * w).tanh()

    program = autograd.compile(f, (1.0,))
    program.check(np.array([0.5, 2.0]))  # the same path: fine
    program.check(3.0)  # one sample, given like the example inputs
    with pytest.raises(TraceMismatchError, match=r"sample 1.*relu.*tanh.*branches in Python"):
        program.check(np.array([1.0, -1.0]))


def test_a_leaf_made_from_data_is_found_by_check() -> None:
    program = autograd.compile(lambda x: x * Value(x.data), (2.0,))
    program.check(np.array([2.0]))
    with pytest.raises(TraceMismatchError, match=r"\(2\.0\).*\(3\.0\).*a leaf from \.data"):
        program.check(np.array([3.0]))
    made_inside = autograd.compile(lambda x: x * Value(2.0, label="two"), (1.0,))
    made_inside.check(np.array([3.0, 4.0]))  # a leaf of its own, the same at every call


BAD_BATCHES = [
    ([[1.0, 2.0], [1.0]], ValueError, r"sample 1 has 1 number"),
    ([[1.0, 2.0], [1.0, "a"]], TypeError, r"sample 1, number 1 .*'a'"),
    ([[1.0, 2.0], [1.0, True]], TypeError, r"bool"),
    (np.array([[1.0, 2.0, 3.0]]), ValueError, r"shape \(1, 3\)"),
    (np.array([1.0, 2.0]), ValueError, r"one sample, pass \[sample\]"),
    (np.array([["1", "2"]]), TypeError, r"strings"),
    (np.array([[True, False]]), TypeError, r"booleans"),
    (np.zeros((0, 2)), ValueError, r"empty"),
    ("ab", TypeError, r"a batch"),
]


@pytest.mark.parametrize(("batch", "error", "match"), BAD_BATCHES,
                         ids=[str(i) for i in range(len(BAD_BATCHES))])
def test_bad_batches_get_clear_typed_errors(batch: object, error: type, match: str) -> None:
    w = Value(1.0)
    program = autograd.compile(lambda x: x[0] * x[1] * w, ([1.0, 2.0],))
    with pytest.raises(error, match=match):
        program(batch)


def test_a_domain_error_is_the_eager_engines_own_and_names_the_sample() -> None:
    w = Value(1.0, label="w")
    program = autograd.compile(lambda x: (x * w).log(), (1.0,))
    with pytest.raises(DomainError, match=r"sample 2 of the batch: log .* x = -1\.0") as info:
        program.forward(np.array([1.0, 2.0, -1.0, -2.0])).backward()
    assert info.value.op == "log" and w.grad == 0.0
    division = autograd.compile(lambda x: 1 / x, (1.0,))
    with pytest.raises(ZeroDivisionError, match="sample 1"):
        division(np.array([1.0, 0.0]))
    assert autograd.compile(lambda x: x.sqrt(), (1.0,))(np.array([0.0, 4.0])).tolist() == \
        [0.0, 2.0]  # the declared domain flags 0; the float forward says it is fine


def test_nan_under_detect_anomaly_raises_as_eagerly_and_changes_nothing() -> None:
    w = Value(2.0, label="w")
    program = autograd.compile(lambda x: (x * w).exp(), (1.0,))
    assert math.isnan(program(np.array([math.nan]))[0])  # without anomaly mode: NaN
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"sample 1 .*mul produced nan"):
        program(np.array([1.0, math.nan]))
    run = program.forward(np.array([1.0, 400.0]))  # exp(800) is inf: gradients too
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"exp produced inf"):
        run.backward()
    assert w.grad == 0.0


def test_a_wrong_seed_is_refused() -> None:
    program = autograd.compile(lambda x: x * 2, (1.0,))
    run = program.forward(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        run.backward(np.ones(3))
    with pytest.raises(TypeError, match="not a number"):
        run.backward(["a", "b"])


def test_example_inputs_must_be_a_tuple_of_numbers() -> None:
    with pytest.raises(CompileError, match=r"example_inputs=\(x,\)"):
        autograd.compile(lambda x: x, [1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(CompileError, match="'a'"):
        autograd.compile(lambda x: x, ("a",))
    with pytest.raises(CompileError, match="plain number"):
        autograd.compile(lambda x: float(x.data), (1.0,))


def test_a_model_with_a_non_float_parameter_is_refused_at_the_call() -> None:
    model = nn.MLP(2, [2, 1], seed=0)
    program = autograd.compile(model, ([0.0, 0.0],), params=model.parameters())
    model.parameters()[0].data = Value(1.0)  # the classic slip: w.data = w - lr * w.grad
    with pytest.raises(TypeError, match=r"holds Value .*w\.data -= lr \* w\.grad"):
        program(np.zeros((1, 2)))


def test_repr_and_source_describe_the_program() -> None:
    model = nn.MLP(2, [3, 1], seed=0)
    program = autograd.compile(model, ([0.0, 0.0],), params=model.parameters())
    assert re.fullmatch(r"<compiled MLP\(x\[2\]\) -> 1 output: \d+ array operations, "
                        r"13 parameters>", repr(program))
    compile(program.source, "<source>", "exec")  # it is Python
    assert "def forward(x, P, check):" in program.source
    assert "def backward(tape, seed):" in program.source


def test_the_engine_and_nn_load_without_numpy() -> None:
    """NumPy is imported when a program is compiled, not with `import autograd, nn`."""
    import subprocess
    import sys

    code = "import autograd, nn, sys; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_the_compilers_docstring_examples_run() -> None:
    import doctest
    import importlib
    import pkgutil

    import autograd.compiler

    names = ["autograd.compiler"] + [m.name for m in pkgutil.iter_modules(
        autograd.compiler.__path__, "autograd.compiler.")]
    for name in names:
        result = doctest.testmod(importlib.import_module(name), verbose=False,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, name
