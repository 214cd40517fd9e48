"""The engine under adversarial use: threads, grad modes, edges of domains, learners' mistakes.

Each test here pins a defect found by an adversarial pass (and failed before its fix).
"""

from __future__ import annotations

import doctest
import importlib
import math
import pkgutil
import subprocess
import sys
import threading
import warnings
from typing import Any

import numpy as np
import pytest

import autograd
from autograd import (
    DomainError,
    GradientAccumulationWarning,
    Value,
    enable_grad,
    grad,
    hessian,
    is_grad_enabled,
    no_grad,
    scope,
    set_grad_enabled,
    warn_accumulation,
)

# --- threads ---------------------------------------------------------------------------------


def test_backward_from_several_threads_into_a_shared_leaf_loses_nothing() -> None:
    w = Value(1.0, label="w")
    per_thread, threads = 2_000, 4
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            (w * 100.0).backward()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert w.grad == 100.0 * per_thread * threads


def test_one_no_grad_object_entered_in_two_threads_keeps_each_threads_mode() -> None:
    block = no_grad()
    inside = threading.Barrier(2)
    seen: dict[str, list[bool]] = {}

    def work(name: str) -> None:
        with block:
            inside.wait()  # both threads are inside the same object's block
            during = is_grad_enabled()
            inside.wait()
        seen[name] = [during, is_grad_enabled()]

    pool = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert seen == {"a": [False, True], "b": [False, True]}


def test_grad_modes_are_reentrant_and_restore_what_they_found() -> None:
    block = no_grad()
    with block:
        with enable_grad():
            assert is_grad_enabled()
            with block:
                assert not is_grad_enabled()
            assert is_grad_enabled()
        set_grad_enabled(True)  # a plain call inside a block lasts until the block ends
        assert is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_on_a_generator_function_applies_inside_the_generator() -> None:
    @no_grad()
    def values(n: int) -> Any:
        for i in range(n):
            yield Value(float(i)) * 2, is_grad_enabled()

    produced = []
    for v, recording in values(3):
        assert is_grad_enabled()  # the caller's own mode between the steps
        produced.append((v._prev, recording))
    assert produced == [((), False)] * 3


def test_a_generator_closed_early_is_closed_in_its_mode() -> None:
    states = []

    @no_grad()
    def gen() -> Any:
        try:
            yield 1
            yield 2
        finally:
            states.append(is_grad_enabled())

    g = gen()
    next(g)
    g.close()
    assert states == [False] and is_grad_enabled()


# --- edges of domains -----------------------------------------------------------------------


def test_hessian_is_symmetric_where_a_derivative_is_undefined() -> None:
    h = hessian(lambda x, y: x ** y)(-2.0, 2.0)
    assert h[0][0] == 2.0
    assert math.isnan(h[0][1]) and math.isnan(h[1][0]) and math.isnan(h[1][1])


def test_higher_derivatives_at_the_edge_of_a_domain_name_the_users_op() -> None:
    with pytest.raises(DomainError, match=r"^sqrt at 0\.0: its derivative cannot be") as info:
        grad(grad(lambda x: x.sqrt()))(0.0)
    assert "rdiv_const" not in str(info.value)
    assert grad(lambda x: x.sqrt())(0.0) == math.inf  # the first derivative there is the limit


def test_a_numpy_array_operand_gets_a_message_naming_it() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"0-d array.*float\(a\)"):
        x + np.array(1.0)
    with pytest.raises(TypeError, match=r"array of shape \(3,\).*autograd.compile"):
        x * np.ones(3)
    assert (x + np.float64(2.0)).data == 3.0  # NumPy scalars are numbers


@pytest.mark.parametrize("slope", [math.nan, -5.0, 1.5, math.inf])
def test_leaky_relu_refuses_a_slope_outside_its_domain(slope: float) -> None:
    with pytest.raises(ValueError, match=r"leaky_relu\(slope\) must be in \(0, 1\)"):
        Value(-1.0).leaky_relu(slope=slope)
    with pytest.raises(TypeError, match="slope"):
        Value(-1.0).leaky_relu(slope="0.1")  # type: ignore[arg-type]


def test_the_scope_name_cache_stays_bounded() -> None:
    limit = autograd.scopes.CACHE_LIMIT
    for i in range(limit + 50):
        with scope(f"sample{i}"):
            pass
    assert len(autograd.scopes._TOP_LEVEL) <= limit
    assert len(autograd.modes._DEFAULT.inner or {}) <= limit


# --- learners' mistakes ----------------------------------------------------------------------


def test_a_value_stored_in_data_is_refused_at_the_next_op() -> None:
    w = Value(0.5, label="w")
    w.grad = 0.1
    w.data = w - 0.1 * w.grad  # the mistake: a Value where a number belongs
    for next_op in (lambda: w * 2.0, lambda: w.tanh(), lambda: w + Value(1.0),
                    lambda: autograd.dot([w], [Value(1.0)]), lambda: autograd.sum([w])):
        with pytest.raises(TypeError, match=r"'w' \(a Value\) holds a Value.*w.data -= lr \* "
                                            r"w.grad.*\(w - lr \* w.grad\).data"):
            next_op()


def test_an_unlabelled_value_stored_in_data_is_named_by_its_place_in_the_op() -> None:
    w = Value(0.5)
    w.data = w - 0.1  # type: ignore[assignment]
    cases = [(lambda: w * 2.0, r"mul_const: its input x in x \* 2 \(a Value\) holds a Value"),
             (lambda: Value(1.0) * w, r"mul: its input b in a \* b "),
             (lambda: autograd.sum([Value(1.0), w]), r"sum: its input xs\[1\] in sum\(xs\) ")]
    for next_op, message in cases:
        with pytest.raises(TypeError, match=message):
            next_op()


@pytest.mark.parametrize("op", [op for op in autograd.OPS if op.kind.name != "unary"],
                         ids=lambda op: op.name)
def test_every_built_in_op_refuses_a_value_stored_in_data(op: autograd.Op) -> None:
    """Binary ops check only their result (one check per op, not three): this holds only
    if every built-in forward passes a Value in .data on into its result, as it does."""
    w = Value(0.5, label="w")
    w.data = Value(0.5)  # type: ignore[assignment]
    other = Value(1.5)
    c = 0.5 if op.kind.constant else None
    inputs = {"binary": [w, other], "unary_const": [w]}.get(op.kind.name, [w, other])
    with pytest.raises(TypeError, match=r"'w' \(a Value\) holds a Value"):
        op.kind.apply(op, inputs, c)


def test_warn_accumulation_notices_a_forgotten_zero_grad() -> None:
    w = Value(2.0, label="w")
    with warn_accumulation():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (w * w).backward()  # the first pass: nothing to warn about
        with pytest.warns(GradientAccumulationWarning, match=r"w.grad was 4"):
            (w * w).backward()
        w.grad = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            (w * w).backward()  # zeroed: quiet again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (w * w).backward()  # off outside the block


def test_the_seed_of_backward_must_be_a_number() -> None:
    with pytest.raises(TypeError, match=r"backward\(gradient\) needs a real number.*a Value"):
        Value(1.0).backward(Value(2.0))  # type: ignore[arg-type]


# --- the package's surface -------------------------------------------------------------------


def test_dir_lists_only_the_public_api() -> None:
    names = dir(autograd)
    assert names == sorted(autograd.__all__)
    assert "Any" not in names and "TYPE_CHECKING" not in names


def test_render_and_testing_are_reachable_in_a_fresh_interpreter() -> None:
    code = ("import autograd; print(autograd.render.explanation.__name__, "
            "autograd.testing.check_grads.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["explanation", "check_grads"]


ENGINE_MODULES = sorted(
    m.name for m in pkgutil.iter_modules(autograd.__path__, "autograd.") if not m.ispkg
)


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_engine_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    before = {op.name for op in autograd.declared_ops()}
    try:
        result = doctest.testmod(module, optionflags=flags, verbose=False)
    finally:  # an example may declare an op
        for op in autograd.declared_ops():
            if op.name not in before:
                autograd.undefop(op.name)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
