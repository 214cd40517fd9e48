"""A compiled program as a PyTorch module: the same per-sample graph, on tensors.

``program.to_torch()`` runs the program's forward source with PyTorch in place of
NumPy (``np.where`` is ``torch.where``, ``W @ x`` a tensor product), so PyTorch's
autograd differentiates it and its optimisers, ``torch.compile`` and devices apply. The
parameters are one ``torch.nn.Parameter``, ``module.params``, in ``program.params``
order. An op of the user's own runs through a ``torch.autograd.Function`` built from
its declaration: its forward and its deriv, on NumPy arrays (moved to the CPU and
back), so the numbers are the program's; such an op cannot be differentiated twice
(``create_graph=True``), and says so.

Needs PyTorch: ``pip install "chainrule[torch]"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..declaration import NARY, UNARY_CONST, Op
from ..elementary import sigmoid
from ..ops import array_logsumexp
from .forward_source import write_forward
from .lowering import call_deriv, call_forward, stacked
from .rows import Rows

if TYPE_CHECKING:
    from .program import Program

__all__ = ["INSTALL", "to_torch"]

INSTALL = 'pip install "chainrule[torch]"'


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(f"program.to_torch() needs PyTorch, which is not installed: "
                          f"{INSTALL} (a CPU build is enough)") from None
    return torch


class _TorchNumpy:
    """The NumPy names a program's forward source uses, on tensors."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.inf, self.nan = float("inf"), float("nan")

    def _t(self, x: Any, like: Any) -> Any:
        return x if self.torch.is_tensor(x) else self.torch.as_tensor(
            x, dtype=like.dtype, device=like.device)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        like = a if self.torch.is_tensor(a) else b if self.torch.is_tensor(b) else cond
        return self.torch.where(cond, self._t(a, like), self._t(b, like))

    def maximum(self, a: Any, b: Any) -> Any:
        return self.torch.maximum(a, self._t(b, a))

    def minimum(self, a: Any, b: Any) -> Any:
        return self.torch.minimum(a, self._t(b, a))

    def sum(self, x: Any, axis: int | None = None) -> Any:
        return x.sum() if axis is None else x.sum(dim=axis)

    def mean(self, x: Any, axis: int | None = None) -> Any:
        return x.mean() if axis is None else x.mean(dim=axis)

    def concatenate(self, xs: Any, axis: int = 0) -> Any:
        return self.torch.cat(list(xs), dim=axis)

    def stack(self, xs: Any, axis: int = 0) -> Any:
        return self.torch.stack(list(xs), dim=axis)

    def broadcast_arrays(self, *xs: Any) -> Any:
        return self.torch.broadcast_tensors(*xs)

    def multiply(self, a: Any, b: Any) -> Any:
        return a * b

    def power(self, a: Any, b: Any) -> Any:
        return a**b

    def __getattr__(self, name: str) -> Any:  # exp, log, log1p, sqrt, tanh, sin, cos, ...
        return getattr(self.torch, name)


def _torch_logsumexp(torch: Any) -> Callable[[Any], Any]:
    def logsumexp(x: Any) -> Any:
        """The engine's logsumexp on tensors: the largest (the first, as Python's max)
        plus log1p of the others."""
        m, top = x[0], torch.zeros(x.shape[1:], dtype=torch.long, device=x.device)
        for k in range(1, x.shape[0]):
            bigger = x[k] > m
            m, top = torch.where(bigger, x[k], m), torch.where(bigger, k, top)
        e = torch.exp(x - m).scatter(0, top.unsqueeze(0), 0.0)
        return torch.where(torch.isinf(m), m, m + torch.log1p(e.sum(dim=0)))

    return logsumexp


def _sum_to(g: Any, shape: Any) -> Any:
    """A gradient summed over the axes along which its input was broadcast."""
    while g.dim() > len(shape):
        g = g.sum(dim=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(dim=i, keepdim=True)
    return g


def _function(torch: Any, op: Op, forward: Callable[..., Any], deriv: Callable[..., Any],
              c: Any) -> Callable[..., Any]:
    """A torch.autograd.Function running ``op``'s declared forward and deriv in NumPy."""

    def arrays(ts: Any) -> list[Any]:
        return [t.detach().cpu().numpy() for t in ts]

    class OpFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, *ts: Any) -> Any:
            with np.errstate(all="ignore"):
                out = np.asarray(call_forward(op, forward, arrays(ts), c), dtype=float)
            result = torch.as_tensor(out, dtype=ts[0].dtype, device=ts[0].device)
            ctx.save_for_backward(*ts, result)
            return result

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            if torch.is_grad_enabled():
                raise RuntimeError(
                    f"the op {op.name!r} of a compiled program runs its declared deriv in "
                    f"NumPy, so PyTorch cannot differentiate it again (create_graph=True); "
                    f"take higher derivatives in chainrule (autograd.hessian, grad(grad(f)))")
            *ts, out = ctx.saved_tensors
            with np.errstate(all="ignore"):
                found = call_deriv(op, deriv, arrays(ts), out.detach().cpu().numpy(), c)
            grads = []
            for t, d in zip(ts, found):
                if op.kind is NARY:
                    d = stacked(d, t.shape[0])
                d = torch.as_tensor(np.asarray(d, dtype=float), dtype=g.dtype, device=g.device)
                grads.append(_sum_to(g * d, t.shape))
            return tuple(grads)

    OpFunction.__name__ = f"{op.name}_function"

    def apply(*args: Any) -> Any:
        tensors = args[:-1] if op.kind is UNARY_CONST else args
        return OpFunction.apply(*tensors)

    return apply


def to_torch(program: Program, dtype: Any = None, device: Any = None) -> Any:
    """See :meth:`autograd.compiler.Program.to_torch`."""
    torch = _torch()
    dtype = torch.float64 if dtype is None else dtype
    plan = program._rows.plan
    rows = Rows(plan, write_out=False)
    fw = write_forward(rows)
    ns: dict[str, Any] = dict(rows.ns)
    ns["np"] = _TorchNumpy(torch)
    ns["sigmoid"] = torch.sigmoid
    for name, obj in list(ns.items()):
        if obj is sigmoid and name != "sigmoid":
            ns[name] = torch.sigmoid
        elif obj is array_logsumexp:
            ns[name] = _torch_logsumexp(torch)
    for key, low in rows._lowered.items():
        op = low.op
        if not op.builtin:
            name = f"{op.name}_forward"
            ns[name] = _function(torch, op, low.forward, low.deriv, key[1])
    module = CompiledModule.make(torch, program, fw.text, ns, dtype, device)
    return module


class CompiledModule:
    """Made by :func:`to_torch`: a ``torch.nn.Module`` subclass built on first use."""

    @staticmethod
    def make(torch: Any, program: Program, text: str, ns: dict[str, Any], dtype: Any,
             device: Any) -> Any:
        from .program import _define

        forward = _define(text, "forward", ns, f"<compiled {program.trace.name} for torch>")
        buffers = {k: v for k, v in ns.items() if isinstance(v, np.ndarray)}
        args = program.trace.args
        single = program.trace.single
        k_out = len(program.trace.outputs)
        layout = torch.as_tensor(np.asarray(plan_rows(program)), dtype=torch.long)

        class Compiled(torch.nn.Module):
            """The compiled program on tensors: ``module(*batch)`` gives the outputs per
            sample (shape (n,) or (n, k)); ``module.params`` holds the parameters."""

            def __init__(self) -> None:
                super().__init__()
                values = [float(p.data) for p in program.params]
                self.params = torch.nn.Parameter(torch.tensor(values, dtype=dtype,
                                                              device=device))
                self.register_buffer("layout", layout.to(device), persistent=False)
                for name, arr in buffers.items():
                    t = torch.as_tensor(arr, device=device)
                    self.register_buffer(f"const_{name}", t.to(dtype) if arr.dtype.kind == "f"
                                         else t, persistent=False)

            def forward(self, *batch: Any) -> Any:
                if len(batch) != len(args):
                    raise TypeError(f"the compiled {program.trace.name} takes {len(args)} "
                                    f"batch(es), got {len(batch)}")
                laid = []
                for x, arg in zip(batch, args):
                    if not torch.is_tensor(x):
                        raise TypeError(f"{arg.name} must be a tensor, got "
                                        f"{type(x).__name__}; torch.as_tensor(...) first")
                    want = 1 if arg.width is None else 2
                    if x.dim() != want or (want == 2 and x.shape[1] != arg.width):
                        raise ValueError(f"{arg.name} has shape {tuple(x.shape)}; expected "
                                         f"(n,)" if want == 1 else
                                         f"{arg.name} has shape {tuple(x.shape)}; expected "
                                         f"(n, {arg.width})")
                    x = x.to(self.params.dtype)
                    laid.append(x.unsqueeze(0) if arg.width is None else x.T)
                for name in buffers:
                    ns[name] = getattr(self, f"const_{name}")
                P = self.params[self.layout].unsqueeze(1) if len(program.params) else \
                    self.params.reshape(0, 1)
                out, _ = forward(*laid, P, _no_check)
                out = out.expand(k_out, laid[0].shape[1])
                return out[0] if single else out.T

            def extra_repr(self) -> str:
                return f"{program!r}"

        return Compiled()


def _no_check(x: Any, i: int) -> None:
    """Domains are not checked on tensors (PyTorch gives NaN where the engine raises)."""


def plan_rows(program: Program) -> list[int]:
    return list(program._rows.plan.param_rows)
