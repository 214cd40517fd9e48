"""A compiled program: a traced function and its reverse sweep, over a whole batch.

``program(*batch)`` gives the per-sample outputs; ``program.forward(*batch)`` gives a
:class:`Run`, whose ``backward(seed)`` adds the parameters' gradients, summed over the
batch, into their ``.grad`` (as ``backward()`` on the sum of the samples' graphs would)
and returns the inputs'. ``program.check(...)`` runs the function eagerly and compares;
``program.source`` is the NumPy code that runs.
"""

from __future__ import annotations

import itertools
import linecache
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..differential_operators import gradients
from ..engine import Value
from ..errors import AnomalyError
from ..modes import current_mode
from ..real_numbers import is_real, preview
from .backward_source import write_backward
from .batches import as_arrays
from .errors import TraceMismatchError
from .forward_source import Forward
from .replay import raise_first
from .rows import Rows
from .tracing import Trace, describe, record, run, same, signature

__all__ = ["Program", "Run"]

_NUMBERS = itertools.count(1)


def _define(text: str, name: str, ns: dict[str, Any], where: str) -> Callable[..., Any]:
    """Compile ``text`` into ``ns``; its lines show in tracebacks (linecache)."""
    linecache.cache[where] = (len(text), None, text.splitlines(True), where)
    exec(compile(text, where, "exec"), ns)  # noqa: S102 - the program's own generated source
    return ns[name]


class _Suspects:
    """What ``check(x, i)`` found: the samples whose inputs lie outside a declared domain."""

    def __init__(self, domains: Sequence[Any]) -> None:
        self.domains = domains
        self.samples: set[int] = set()

    def check(self, x: np.ndarray, i: int) -> None:
        d = self.domains[i][0]
        bad = ~((x > d.lo) & (x < d.hi))
        for p in d.poles:
            bad |= x == p
        bad &= ~np.isnan(x)
        if bad.any():
            self.flag(bad)

    def flag(self, bad: np.ndarray) -> None:
        cols = bad.reshape(-1, bad.shape[-1]).any(axis=0)
        self.samples.update(np.flatnonzero(cols).tolist() if cols.size > 1 else [0])


class Run:
    """One forward pass over a batch: its outputs, and the tape for :meth:`backward`."""

    def __init__(self, program: Program, arrays: list[np.ndarray], n: int, P: np.ndarray,
                 outputs: np.ndarray, tape: tuple[Any, ...]) -> None:
        self.program = program
        self.arrays = arrays
        self.n = n
        self.P = P
        self._out = outputs
        self.tape = tape

    @property
    def outputs(self) -> np.ndarray:
        """The outputs per sample: shape (n,) for a function returning one Value, (n, k)
        for one returning k."""
        out = np.broadcast_to(self._out, (self._out.shape[0], self.n))
        return np.array(out[0] if self.program.trace.single else out.T)

    def _seed(self, seed: Any) -> np.ndarray:
        k = len(self.program.trace.outputs)
        shape = (self.n,) if self.program.trace.single else (self.n, k)
        if seed is None:
            return np.ones((k, self.n))
        if is_real(seed):
            s = np.full((k, self.n), float(seed))
        else:
            try:
                arr = np.asarray(seed, dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"backward(seed): the seed holds something that is not a "
                                f"number, {preview(seed)}") from None
            if arr.shape != shape:
                raise ValueError(f"backward(seed) has shape {arr.shape}; it takes d(objective)"
                                 f"/d(output) per sample, shape {shape}, or one number")
            s = np.array(arr.reshape(self.n, k).T)
        if current_mode().anomaly and not np.isfinite(s).all():
            raise AnomalyError(f"backward() was seeded with {preview(s)}", "backward")
        return s

    def gradients(self, seed: Any = None, input_grads: bool = True) -> tuple[Any, Any]:
        """(the parameters' gradients in ``program.params`` order, the inputs'), summed over
        the batch and weighted by ``seed``; no ``.grad`` changes."""
        p = self.program
        s = self._seed(seed)
        checked = current_mode().anomaly
        with np.errstate(all="ignore"):
            found = p.backward_fn(input_grads or checked, checked)(self.tape, s)
        gP, gin = found[0], found[1]
        if checked:
            arrays = [g for g in (gP, *(gin or ()), *found[2]) if g is not None]
            bad = [g for g in arrays if not np.isfinite(g).all()]
            if bad:
                p.raise_eager(self.arrays, self.P, anomaly=True, seed=s)
                raise AnomalyError("the compiled backward pass gave a non-finite gradient "
                                   "where the eager engine's replay of each sample did not; "
                                   "nothing was changed", "backward")
        params = np.zeros(len(p.params)) if gP is None else p.in_user_order(gP[:, 0])
        if not input_grads:
            return params, None
        assert gin is not None
        ins = tuple(np.array(g[0] if arg.width is None else g.T)
                    for g, arg in zip(gin, p.trace.args))
        return params, ins

    def backward(self, seed: Any = None, *, input_grads: bool = True) -> Any:
        """Add d(objective)/d(parameter), summed over the batch, into each parameter's
        ``.grad``, and return the inputs' gradients per sample.

        ``seed`` is d(objective)/d(output) per sample, shaped like :attr:`outputs` (default
        ones: the objective is the sum of the outputs; pass ``1 / n`` for their mean).
        The inputs' gradients come back shaped like the batch (a tuple when the function
        has several arguments); ``input_grads=False`` skips them. Like ``backward()``,
        calling it twice adds twice. Nothing changes when it raises.
        """
        params, ins = self.gradients(seed, input_grads)
        for v, g in zip(self.program.params, params.tolist()):
            v.grad += g
        if ins is None:
            return None
        return ins[0] if len(ins) == 1 else ins


class Program:
    """A function of Values compiled to NumPy for batches (see :func:`autograd.compile`)."""

    def __init__(self, fn: Callable[..., Any], trace: Trace, rows: Rows, fw: Forward) -> None:
        self.fn = fn
        self.trace = trace
        self.params: tuple[Value, ...] = tuple(trace.params)
        self._rows = rows
        self._fw = fw
        self._chosen = trace.chosen
        self._layout = [trace.params[i] for i in rows.plan.param_rows]
        self._order = np.argsort(np.asarray(rows.plan.param_rows, dtype=np.intp))
        self._signature = signature(trace)
        self._name = trace.name
        self._where = f"<compiled {trace.name} #{next(_NUMBERS)}>"  # tracebacks show it
        self._forward = _define(fw.text, "forward", rows.ns, self._where + " forward")
        self._backwards: dict[tuple[bool, bool], Callable[..., Any]] = {}

    # --- running ---------------------------------------------------------------------------

    def read_params(self) -> np.ndarray:
        """The parameters' values now, as the column ``P`` (in the program's row order)."""
        values = np.array([v.data for v in self._layout])
        if values.dtype.kind in "fi" and values.ndim == 1:
            return values.astype(float, copy=False).reshape(-1, 1)
        for v in self._layout:  # a Value, a string, a list... in .data: name it
            if not is_real(v.data):
                name = repr(v.label) if v.label else "a parameter"
                raise TypeError(f"{self._name}: {name} holds {type(v.data).__name__} "
                                f"{preview(v.data)} in .data; it must be a float (write "
                                f"`w.data -= lr * w.grad`). Nothing was changed.")
        return np.array([float(v.data) for v in self._layout]).reshape(-1, 1)

    def in_user_order(self, g: np.ndarray) -> np.ndarray:
        return np.asarray(g)[self._order]

    def backward_fn(self, want_inputs: bool, checked: bool) -> Callable[..., Any]:
        key = (want_inputs, checked)
        if key not in self._backwards:
            text = write_backward(self._rows, self._fw, want_inputs, checked)
            self._backwards[key] = _define(text, "backward", self._rows.ns,
                                           f"{self._where} backward {key}")
        return self._backwards[key]

    def raise_eager(self, arrays: list[np.ndarray], P: np.ndarray, samples: Any = None, *,
                    anomaly: bool = False, seed: np.ndarray | None = None) -> None:
        """Replay samples eagerly (all, by default) and raise the first eager error."""
        values = self.in_user_order(P[:, 0]).tolist()
        todo = range(arrays[0].shape[1]) if samples is None else sorted(samples)
        raise_first(self.trace, arrays, values, todo, anomaly=anomaly, seed=seed)

    def forward(self, *batch: Any) -> Run:
        """Evaluate the program over a batch; the :class:`Run` has the outputs and backward."""
        arrays, n = as_arrays(batch, self.trace.args, self._name)
        P = self.read_params()
        suspects = _Suspects(self._fw.domains)
        with np.errstate(all="ignore"):
            try:
                out, tape = self._forward(*arrays, P, suspects.check)
            except (ArithmeticError, ValueError, TypeError):
                # A forward running element by element refused a value: the eager engine
                # names it.
                self.raise_eager(arrays, P)
                raise
        if current_mode().anomaly:
            anomaly = True
            for i, x in enumerate(tape):
                if i >= len(arrays) + 1 and isinstance(x, np.ndarray) and x.dtype.kind == "f" \
                        and not np.isfinite(x).all():
                    suspects.flag(~np.isfinite(x))
        else:
            anomaly = False
        if suspects.samples:
            self.raise_eager(arrays, P, suspects.samples, anomaly=anomaly)
        return Run(self, arrays, n, P, out, tape)

    def __call__(self, *batch: Any) -> np.ndarray:
        """The outputs per sample (no gradients): shape (n,), or (n, k) for k outputs."""
        return self.forward(*batch).outputs

    # --- reading ---------------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The program as Python: ``forward`` then ``backward``, the code that runs."""
        notes = "".join(f"# note: {n}\n" for n in self._rows.notes)
        head = (f"# {self._name}, compiled for batches: rows are values, columns samples.\n"
                f"# P holds the parameters, one row each ({len(self.params)}); "
                f"K the constants.\n{notes}")
        return f"{head}\n{self._fw.text}\n\n\n{self.backward_source}\n"

    @property
    def backward_source(self) -> str:
        self.backward_fn(True, False)
        return write_backward(self._rows, self._fw, True, False)

    @property
    def forward_source(self) -> str:
        return self._fw.text

    def __repr__(self) -> str:
        args = ", ".join(a.name if a.width is None else f"{a.name}[{a.width}]"
                         for a in self.trace.args)
        k = len(self.trace.outputs)
        return (f"<compiled {self._name}({args}) -> {'1 output' if k == 1 else f'{k} outputs'}"
                f": {len(self._rows.plan.groups)} array operations, {len(self.params)} "
                f"parameters>")

    # --- elsewhere ---------------------------------------------------------------------------

    def to_torch(self, dtype: Any = None, device: Any = None) -> Any:
        """The program as a ``torch.nn.Module`` over batched tensors (any device): the same
        per-sample graph with torch ops, so PyTorch's autograd, optimisers and
        ``torch.compile`` apply. ``module(*batch)`` gives the outputs per sample;
        ``module.params`` (a Parameter) holds the parameters in :attr:`params` order,
        float64 unless ``dtype`` says otherwise. The user's own ops run through a
        ``torch.autograd.Function`` of their declaration. Needs
        ``pip install "chainrule[torch]"``.
        """
        from .torch_export import to_torch

        return to_torch(self, dtype, device)

    # --- checking the trace ----------------------------------------------------------------

    def check(self, *inputs: Any, rtol: float = 1e-7) -> None:
        """Run the function eagerly on each sample of a batch (or on one sample, given like
        the example inputs) and compare it with the program; TraceMismatchError where the
        function built another graph or the numbers differ."""
        batch = self._as_batch(inputs)
        arrays, n = as_arrays(batch, self.trace.args, f"{self._name}.check")
        compiled = self.forward(*batch)
        outs = np.broadcast_to(compiled._out, (compiled._out.shape[0], n))
        for i in range(n):
            numbers = [a[:, i].tolist() for a in arrays]
            outputs, single, where, leaves = run(self.fn, self.trace.args, numbers, self._name)
            t = record(self.trace.args, outputs, single, where, self._chosen, self._name)
            self._compare_graphs(t, i)
            one = self.forward(*[a[0, i:i + 1] if arg.width is None else a[:, i:i + 1].T
                                 for a, arg in zip(arrays, self.trace.args)])
            params, ins = one.gradients(None, True)
            root = outputs[0] if len(outputs) == 1 else sum(outputs[1:], outputs[0])
            want = gradients(root, [*t.params, *leaves])  # this run's own leaves
            got = [*params.tolist(), *np.concatenate([g.ravel() for g in ins]).tolist()]
            self._compare_numbers("output", outs[:, i].tolist(), [o.data for o in outputs],
                                  rtol, i)
            self._compare_numbers("gradient", got, [float(w) for w in want], rtol, i)

    def _as_batch(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """One sample (given like the example inputs) as a batch of one; a batch as it is."""
        def one(x: Any, width: int | None) -> bool:
            if width is None:
                return is_real(x) or isinstance(x, Value)
            return hasattr(x, "__len__") and len(x) == width and all(
                is_real(v) or isinstance(v, Value) for v in x)
        if len(inputs) == len(self.trace.args) and all(
                one(x, a.width) for x, a in zip(inputs, self.trace.args)):
            return tuple([x.data if isinstance(x, Value) else x] if a.width is None else
                         [[v.data if isinstance(v, Value) else v for v in x]]
                         for x, a in zip(inputs, self.trace.args))
        return inputs

    def _compare_graphs(self, t: Trace, sample: int) -> None:
        sig = signature(t)
        k = next((i for i, (a, b) in enumerate(zip(sig, self._signature)) if not same(a, b)),
                 None if len(sig) == len(self._signature) else min(len(sig),
                                                                   len(self._signature)))
        if k is None:
            return
        raise TraceMismatchError(
            f"{self._name} at sample {sample} builds another graph than the one compiled: "
            f"where the trace has {describe(self.trace, k)}, this run has {describe(t, k)}. "
            f"A compiled program is specialised to the path the function took at its example "
            f"inputs; this function takes another here (it branches in Python on .data, e.g. "
            f"`if x.data > 0`, draws random numbers, or makes a leaf from .data). Write the "
            f"branch with ops (relu, abs, a product with step(x)), or run it eagerly.", sample)

    def _compare_numbers(self, what: str, got: list[float], want: list[float], rtol: float,
                         sample: int) -> None:
        scale = max((abs(w) for w in want if math.isfinite(w)), default=0.0)
        for j, (a, b) in enumerate(zip(got, want)):
            if a == b or (math.isnan(a) and math.isnan(b)):
                continue
            if not abs(a - b) <= rtol * (abs(a) + abs(b) + scale):
                raise TraceMismatchError(
                    f"{self._name} at sample {sample}: the compiled {what} {j} is {a!r}, the "
                    f"eager one {b!r}, although both build the same graph; please report "
                    f"this with program.source", sample)
