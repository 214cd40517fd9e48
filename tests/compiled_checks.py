"""Comparing compiled programs with the eager engine, for the compile test suites.

:func:`check_compiled` takes a random expression (an
:class:`~autograd.testing.Expression`), splits its inputs into per-sample inputs and
parameters the function closes over, compiles it, runs it on a batch of samples around
the drawn point, and compares every output, every input gradient and the parameters'
gradients (summed over the batch) with the eager engine's, sample by sample. A sample
where the eager engine raises must make the program raise the same type.

Tolerances follow ``test_oracles``: a rounding error anywhere reaches a result scaled
by the graph's absolute adjoints (``reference_ops.error_scales``), so values agree to
``TOL * scale.value`` and gradients to ``TOL * scale.grads[i]``; a wrong derivative or
a wrong fusion is off by the size of the result itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from reference_ops import ErrorScales, error_scales

from autograd import Value
from autograd.compiler import compile
from autograd.testing import Expression

TOL = 1e-12


def _eager(expr: Expression, xs: Sequence[float]) -> tuple[float, list[float], ErrorScales]:
    e = Expression(expr.n_inputs, expr.steps, tuple(xs))
    graph = e.build()
    graph.output.backward()
    return graph.output.data, [leaf.grad for leaf in graph.inputs], error_scales(e)


def _close(got: float, want: float, tol: float) -> bool:
    return got == want or abs(got - want) <= tol + 1e-300 or (math.isnan(got)
                                                              and math.isnan(want))


def samples(point: Sequence[float], n: int, seed: int, spread: float) -> np.ndarray:
    """``n`` samples: the point itself, then points near it (relative ``spread``)."""
    rng = np.random.default_rng(seed)
    base = np.array(point, dtype=float)
    rows = [base] + [base * (1 + spread * rng.standard_normal(len(base))) for _ in range(n - 1)]
    return np.array(rows)


def check_compiled(expr: Expression, is_param: Sequence[bool], fuse: bool,
                   batch: np.ndarray) -> None:
    """``expr`` compiled with the inputs marked ``is_param`` as closed-over parameters,
    against the eager engine on every row of ``batch`` (one column per input)."""
    n = expr.n_inputs
    params = {i: Value(float(batch[0, i]), label=f"p{i}") for i in range(n) if is_param[i]}
    ins = [i for i in range(n) if not is_param[i]]

    def fn(*values: Value) -> Value:
        it = iter(values)
        return expr(*[params[i] if i in params else next(it) for i in range(n)])

    program = compile(fn, tuple(float(batch[0, i]) for i in ins), fuse=fuse)
    results: list[Any] = []
    for row in batch:
        xs = [params[i].data if i in params else row[i] for i in range(n)]
        try:
            results.append(_eager(expr, xs))
        except (ValueError, ArithmeticError) as exc:
            results.append(exc)
    failed = next((r for r in results if isinstance(r, Exception)), None)
    if failed is not None:  # the program raises the same error; the other samples compare
        try:
            program.forward(*[batch[:, i] for i in ins])
        except (ValueError, ArithmeticError) as exc:
            assert type(exc) is type(failed), (exc, failed, program.source)
        else:
            raise AssertionError(f"the eager engine raised {failed!r}; the program did not:\n"
                                 f"{expr.describe()}\n{program.source}")
        keep = [b for b, r in enumerate(results) if not isinstance(r, Exception)]
        if not keep:
            return
        batch, results = batch[keep], [results[b] for b in keep]
    columns = [batch[:, i] for i in ins]
    run = program.forward(*columns)
    grads = run.backward()
    if not isinstance(grads, tuple):
        grads = (grads,)
    where = f"\n{expr.describe()}\n{program.source}"
    for b, (value, eager_grads, scales) in enumerate(results):
        got = float(run.outputs[b])
        assert _close(got, value, TOL * scales.value), (b, got, value, where)
        for j, i in enumerate(ins):
            got = float(grads[j][b])
            assert _close(got, eager_grads[i], TOL * scales.grads[i]), \
                (b, f"x{i}", got, eager_grads[i], where)
    for i, p in params.items():
        scale = sum(r[2].grads[i] for r in results)
        if math.isinf(scale) and not math.isfinite(p.grad):
            # The program sums each use of a parameter over the batch before it adds the
            # uses up; where those sums overflow (terms near 1e308 that cancel per sample),
            # its gradient overflows where the eager one, summed per sample, does not.
            continue
        try:
            want = math.fsum(r[1][i] for r in results)
        except OverflowError:  # on the way only: the batch's terms cancel
            want = sum(r[1][i] for r in results)
        assert _close(p.grad, want, TOL * scale), (f"p{i}", p.grad, want, where)
