"""How each op runs on arrays, derived from its declaration, and checked before use.

The forward: ``op.array_forward`` where the declaration gives one, else the float
``forward`` applied element by element. The local derivative: ``op.deriv`` called on
arrays, which works where it is written with ``+ - * / **`` and
:mod:`autograd.elementary`; else the float ``deriv`` element by element. Each choice is
tried on the values the trace saw (a few nodes of the op, as arrays) and compared with
the float functions there; one that raises or disagrees is replaced by the element-by-
element form, so a program computes what the eager engine computes.

Then each function is written into the program's source: rendered as an expression
(:mod:`.expressions`) where it is a lambda or a NumPy ufunc and the rendering, run on the
same arrays, gives the same numbers; called by its name otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..declaration import BINARY, NARY, UNARY, UNARY_CONST, Op
from ..elementary import sigmoid
from .expressions import Expr, Unrenderable, as_text, render
from .graph_rewrites import Graph, local_grads

__all__ = ["Lowered", "Namespace", "lower", "stacked"]


def stacked(d: Any, n: int) -> Any:
    """The derivatives of an n-ary op (a list or an array, one per input) as one array whose
    first axis runs over the inputs; numbers among them broadcast over the rest."""
    if isinstance(d, np.ndarray) and d.ndim >= 1 and d.shape[0] == n:
        return d
    parts = [np.asarray(x, dtype=float) for x in d]
    if len(parts) != n:
        raise ValueError(f"an n-ary derivative gave {len(parts)} values for {n} inputs")
    shape = np.broadcast_shapes(*(p.shape for p in parts))
    return np.stack([np.broadcast_to(p, shape) for p in parts])


class Namespace(dict[str, Any]):
    """The names a program's source refers to, each bound once."""

    def __init__(self, avoid: set[str] | None = None) -> None:
        super().__init__(np=np, sigmoid=sigmoid, stacked=stacked)
        self.avoid = avoid or set()  # the program's variable names

    def bind(self, name: str, obj: Any) -> str:
        """A name for ``obj`` (``name``, or ``name_2``... if taken by something else)."""
        base = name if name.isidentifier() else "f"
        candidate, i = base, 1
        while candidate in self.avoid or (candidate in self and self[candidate] is not obj):
            i += 1
            candidate = f"{base}_{i}"
        self[candidate] = obj
        return candidate


# --- calling conventions on arrays ---------------------------------------------------------


def call_forward(op: Op, f: Callable[..., Any], operands: Sequence[Any], c: Any) -> Any:
    """``f`` (a forward) called with ``op``'s convention: one operand per input, or for an
    n-ary op one stacked operand per group (``xs``; ``ws, xs`` for dot)."""
    if op.kind is UNARY_CONST:
        return f(operands[0], c)
    return f(*operands)


def call_deriv(op: Op, d: Callable[..., Any], operands: Sequence[Any], out: Any,
               c: Any) -> list[Any]:
    """``d`` called with ``op``'s convention: one derivative per input, or for an n-ary op
    one per group (each a list or array over that group's inputs)."""
    kind = op.kind
    if kind is UNARY:
        return [d(operands[0], out)]
    if kind is UNARY_CONST:
        return [d(operands[0], out, c)]
    if kind is BINARY:
        return list(d(operands[0], operands[1], out))
    found = d(*operands, out)
    return [found] if op.groups == 1 else list(found)


def _elementwise_forward(op: Op) -> Callable[..., Any]:
    f = op.forward
    if op.kind is NARY:
        k = op.groups

        def forward(*groups: Any) -> Any:
            sizes = [len(g) for g in groups]
            cuts = np.cumsum([0, *sizes])

            def one(*v: Any) -> Any:
                return f(*[list(v[cuts[i]:cuts[i + 1]]) for i in range(k)])

            items = [x for g in groups for x in g]
            return np.frompyfunc(one, len(items), 1)(*items).astype(float)
    else:
        arity = 2 if op.kind in (UNARY_CONST, BINARY) else 1

        def forward(*args: Any) -> Any:
            return np.frompyfunc(f, arity, 1)(*args).astype(float)

    forward.__name__ = f"{op.name}_forward_elementwise"
    return forward


def _elementwise_deriv(op: Op) -> Callable[..., Any]:
    d = op.deriv
    if op.kind is NARY:
        k = op.groups

        def deriv(*args: Any) -> Any:
            groups, out = args[:-1], args[-1]
            sizes = [len(g) for g in groups]
            cuts = np.cumsum([0, *sizes])

            def one(*v: Any) -> Any:
                found = d(*[list(v[cuts[i]:cuts[i + 1]]) for i in range(k)], v[-1])
                flat = list(found) if k == 1 else [x for g in found for x in g]
                return tuple(flat) if len(flat) > 1 else flat[0]

            items = [x for g in groups for x in g]
            res = np.frompyfunc(one, len(items) + 1, len(items))(*items, out)
            res = [np.asarray(r, dtype=float) for r in (res if len(items) > 1 else [res])]
            found_groups = [np.stack(res[cuts[i]:cuts[i + 1]]) for i in range(k)]
            return found_groups[0] if k == 1 else tuple(found_groups)
    else:
        nin = {UNARY: 2, UNARY_CONST: 3, BINARY: 3}[op.kind]
        nout = 2 if op.kind is BINARY else 1

        def deriv(*args: Any) -> Any:
            res = np.frompyfunc(d, nin, nout)(*args)
            if nout == 1:
                return np.asarray(res, dtype=float)
            return tuple(np.asarray(r, dtype=float) for r in res)

    deriv.__name__ = f"{op.name}_deriv_elementwise"
    return deriv


# --- checking a choice on the values of the trace ---------------------------------------------


@dataclass
class Probe:
    """A few nodes of one op at the values the trace saw, as arrays (one column per node)."""

    operands: list[Any]  # as call_forward takes them
    out: Any
    c: Any
    grads: list[Any]  # per group of inputs (n-ary) or per input: the float derivatives
    scale: Any  # how large rounding errors in the value can get


def probe(g: Graph, op: Op, ids: Sequence[int], c: Any) -> Probe:
    ids = list(ids[:6])
    if len(ids) == 1:
        ids = ids * 2  # two columns: a function that branches on an array fails loudly
    nodes = [g.nodes[k] for k in ids]
    n_args = len(nodes[0].args)
    cols = np.array([[g.nodes[a].value for a in nd.args] for nd in nodes]).T  # (n_args, k)
    grads = np.array([local_grads(nd, g.nodes) for nd in nodes]).T
    out = np.array([[nd.value for nd in nodes]])
    with np.errstate(over="ignore"):  # a scale beyond the largest float: inf, anything is near
        scale = np.abs(out) + np.abs(cols).sum(axis=0)
    if op.kind is NARY:
        half = n_args // op.groups
        operands = [cols[i * half:(i + 1) * half, None, :] for i in range(op.groups)]
        dgrads = [grads[i * half:(i + 1) * half, None, :] for i in range(op.groups)]
        if op.groups == 2:
            with np.errstate(over="ignore"):
                scale = scale + np.abs(cols[:half] * cols[half:]).sum(axis=0)
    else:
        operands = [cols[i][None, :] for i in range(n_args)]
        dgrads = [grads[i][None, :] for i in range(n_args)]
    return Probe(operands, out, c, dgrads, scale)


def _close(got: Any, want: Any, scale: Any, rtol: float) -> bool:
    try:
        got = np.broadcast_to(np.asarray(got, dtype=float), np.shape(want))
    except (ValueError, TypeError):
        return False
    want = np.asarray(want, dtype=float)
    same = (got == want) | (np.isnan(got) & np.isnan(want))
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is not near: same says
        near = np.abs(got - want) <= rtol * (np.abs(want) + scale) + 1e-300
    return bool(np.all(same | near))


def _agrees_forward(op: Op, f: Callable[..., Any], p: Probe) -> bool:
    try:
        with np.errstate(all="ignore"):
            return _close(call_forward(op, f, p.operands, p.c), p.out, p.scale, 1e-12)
    except Exception:  # noqa: BLE001 - any failure means: not usable on arrays
        return False


def _agrees_deriv(op: Op, d: Callable[..., Any], p: Probe) -> bool:
    try:
        with np.errstate(all="ignore"):
            found = call_deriv(op, d, p.operands, p.out, p.c)
        if len(found) != len(p.grads):
            return False
        for got, want in zip(found, p.grads):
            if op.kind is NARY:
                got = stacked(got, want.shape[0])
            if not _close(got, want, np.abs(want), 1e-10):
                return False
        return True
    except Exception:  # noqa: BLE001
        return False


# --- the choice, and how it reads ------------------------------------------------------------


@dataclass
class Lowered:
    """How one op (at one constant, with one number of inputs) runs in a program."""

    op: Op
    forward: Callable[..., Any]
    deriv: Callable[..., Any]
    forward_text: Callable[[list[Any], Any], str] = field(repr=False)
    #: Per group (n-ary) or input: a number, an Expr, or None (call the deriv by name).
    deriv_exprs: Callable[[list[Any], Any, Any], list[Any] | None] = field(repr=False)
    deriv_name: str = ""
    notes: list[str] = field(default_factory=list)


def _renderable(f: Any) -> bool:
    """Lambdas, NumPy ufuncs and builtins are written out; a function with a name of its
    own (``dtanh``, ``sigmoid``) is called by that name, which says more."""
    code = getattr(f, "__code__", None)
    return code is None or getattr(f, "__name__", "") == "<lambda>"


def _placeholders(op: Op, p: Probe) -> list[Expr]:
    if op.kind is NARY:
        return [Expr(f"a{i}", length=len(x)) for i, x in enumerate(p.operands)]
    return [Expr(f"a{i}") for i in range(len(p.operands))]


def _evaluates_alike(texts: list[str], want: list[Any], env: dict[str, Any]) -> bool:
    try:
        with np.errstate(all="ignore"):
            for text, w in zip(texts, want):
                got = eval(text, dict(env))  # noqa: S307 - source written here, from Exprs
                if not _close(got, w, 0.0, 1e-13):
                    return False
        return True
    except Exception:  # noqa: BLE001
        return False


def lower(g: Graph, op: Op, ids: Sequence[int], c: Any, ns: Namespace,
          write_out: bool = True) -> Lowered:
    """Choose, check and name how ``op`` runs on arrays, for the nodes ``ids``.

    ``write_out=False`` calls an op of the user's by name even where its formula could be
    written out (the PyTorch export maps such an op through its own declaration).
    """
    p = probe(g, op, ids, c)
    notes: list[str] = []
    forward = op.array_forward
    if forward is None or not _agrees_forward(op, forward, p):
        if forward is not None:
            notes.append(f"{op.name}: array_forward disagrees with forward on the traced "
                         f"values, so the float forward runs element by element")
        else:
            notes.append(f"{op.name}: no array_forward declared, so the float forward runs "
                         f"element by element (declare array_forward= for speed)")
        forward = _elementwise_forward(op)
    deriv = op.deriv
    if not _agrees_deriv(op, deriv, p):
        notes.append(f"{op.name}: its deriv does not work on arrays, so it runs element by "
                     f"element (write it with autograd.elementary for speed)")
        deriv = _elementwise_deriv(op)
    env = {**ns, **{f"a{i}": x for i, x in enumerate(p.operands)}, "out": p.out}
    holders = _placeholders(op, p)

    forward_name = ""
    if not write_out and not op.builtin:
        forward_name = ns.bind(f"{op.name}_forward", forward)
    elif _renderable(forward):
        try:
            text = as_text(render(lambda *a: call_forward(op, forward, a, c), list(holders)))
            want = call_forward(op, forward, p.operands, c)
            if not _evaluates_alike([text], [want], env):
                raise Unrenderable("the written form computes something else")
        except Unrenderable:
            forward_name = ns.bind(f"{op.name}_forward", forward)
    else:
        forward_name = ns.bind(getattr(forward, "__name__", f"{op.name}_forward"), forward)

    def forward_text(operands: list[Any], c: Any) -> str:
        if forward_name:
            args = [as_text(x) for x in operands] + ([as_text(c)] if op.kind.constant else [])
            return f"{forward_name}({', '.join(args)})"
        return as_text(render(lambda *a: call_forward(op, forward, a, c), list(operands)))

    renders = False
    if _renderable(deriv):
        try:
            found = render(lambda *a: call_deriv(op, deriv, a[:-1], a[-1], c),
                           [*holders, Expr("out")])
            want = call_deriv(op, deriv, p.operands, p.out, c)
            texts, wants = [], []
            for f_, w in zip(found, want):
                if op.kind is NARY and isinstance(f_, (list, tuple)):
                    if len({float(x) if not isinstance(x, Expr) else x.text for x in f_}) != 1 \
                            or any(isinstance(x, Expr) for x in f_):
                        raise Unrenderable("different derivatives for the inputs")
                    continue  # one number for every input: checked by value below
                texts.append(as_text(f_))
                wants.append(w)
            renders = _evaluates_alike(texts, wants, env)
        except Unrenderable:
            renders = False
    deriv_name = "" if renders else ns.bind(
        deriv.__name__ if not _renderable(deriv) else f"{op.name}_deriv", deriv)

    def deriv_exprs(operands: list[Any], out: Any, c: Any) -> list[Any] | None:
        if deriv_name:
            return None
        found = render(lambda *a: call_deriv(op, deriv, a[:-1], a[-1], c), [*operands, out])
        if op.kind is NARY:
            return [x[0] if isinstance(x, (list, tuple)) else x for x in found]
        return found

    return Lowered(op, forward, deriv, forward_text, deriv_exprs, deriv_name, notes)
