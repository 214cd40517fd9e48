"""Tracing: run a per-sample function once on fresh leaves and record the graph it built.

The record is a :class:`Trace`: the function's arguments (:class:`Arg`, each a number
or a flat list of numbers), and its graph as a list of :class:`TNode` in topological
order (parents first). A node is an input (a fresh leaf made here for one number of
one argument), a parameter (a leaf the function closed over: a model's weights, read
afresh at every call), a constant (a leaf the program bakes in), or an op node.

The trace holds the path the function took at the example inputs, and nothing else:
a Python ``if`` on ``.data`` was decided then, once. :func:`signature` condenses a
trace so that a later eager run at another sample can be compared with it.
"""

from __future__ import annotations

import inspect
import keyword
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..closure_node import ClosureNode
from ..declaration import Op
from ..engine import Value, topological_order
from ..modes import enable_grad
from ..real_numbers import is_real, preview, real
from .errors import CompileError

__all__ = ["Arg", "TNode", "Trace", "parse_example", "signature", "trace"]


@dataclass(frozen=True)
class Arg:
    """One positional argument of the traced function: a number (``width`` None) or a
    flat list of ``width`` numbers; ``labels`` name its leaves."""

    name: str
    width: int | None
    labels: tuple[str, ...]

    @property
    def rows(self) -> int:
        return 1 if self.width is None else self.width


class TNode:
    """One node of a traced graph. ``role`` is 'input', 'param', 'const' or 'op'."""

    __slots__ = ("role", "value", "label", "op", "args", "constant", "arg", "position",
                 "param")

    def __init__(self, role: str, value: float, label: str = "", op: Op | None = None,
                 args: tuple[int, ...] = (), constant: float | None = None, arg: int = -1,
                 position: int = 0, param: int = -1) -> None:
        self.role = role
        self.value = value
        self.label = label
        self.op = op
        self.args = args
        self.constant = constant
        self.arg = arg  # inputs: which argument, and which number of it
        self.position = position
        self.param = param  # parameters: the index in Trace.params


@dataclass
class Params:
    """The parameters given to compile: in order, and each one's position by id."""

    values: list[Value]
    index: dict[int, int]


@dataclass
class Trace:
    """The function's arguments, its graph (parents first), its outputs and parameters."""

    args: tuple[Arg, ...]
    nodes: list[TNode]
    outputs: list[int]
    single: bool  # the function returned one Value (not a list of them)
    params: list[Value]
    name: str
    #: The Values given as params=, or None: every leaf not an input is one.
    chosen: Params | None = None


def _arg_names(fn: Callable[..., Any], count: int) -> list[str]:
    """The names of ``fn``'s first ``count`` positional parameters where they are usable
    as variable names, else ``x`` (one argument) or ``x0, x1, ...``."""
    fallback = ["x"] if count == 1 else [f"x{i}" for i in range(count)]
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return fallback
    names = [p.name for p in params[:count]]
    if len(names) < count or len(set(names)) < count:
        return fallback
    return [n if n.isidentifier() and not keyword.iskeyword(n) else f"x{i}"
            for i, n in enumerate(names)]


def _number(x: Any, where: str) -> tuple[float, str]:
    if isinstance(x, Value):
        return x.data, x.label
    if is_real(x):
        return real(x, where), ""
    raise CompileError(f"compile(example_inputs=...): {where} is {type(x).__name__} "
                       f"{preview(x)}; an argument is a number, a Value, or a flat list of them")


def parse_example(fn: Callable[..., Any], example_inputs: Any) -> tuple[tuple[Arg, ...],
                                                                        list[list[float]]]:
    """The arguments' shapes and labels, and their numbers, from one call's arguments."""
    if not isinstance(example_inputs, tuple):
        raise CompileError(
            f"compile(example_inputs=...) takes the arguments of one call as a tuple, got "
            f"{type(example_inputs).__name__} {preview(example_inputs)}; for a function of "
            f"one argument write example_inputs=(x,)")
    if not example_inputs:
        raise CompileError("compile(example_inputs=()) : the function needs at least one "
                           "argument that varies from sample to sample")
    names = _arg_names(fn, len(example_inputs))
    args, numbers = [], []
    for i, (name, x) in enumerate(zip(names, example_inputs)):
        if isinstance(x, (list, tuple)) or (hasattr(x, "__len__") and hasattr(x, "__getitem__")
                                            and not isinstance(x, (str, bytes, Value))):
            items = list(x)
            if not items:
                raise CompileError(f"compile(example_inputs=...): argument {i} ({name}) is "
                                   f"empty; a list argument needs at least one number")
            found = [_number(v, f"argument {i} ({name}), item {j}") for j, v in enumerate(items)]
            labels = tuple(lab or f"{name}{j}" for j, (_, lab) in enumerate(found))
            args.append(Arg(name, len(items), labels))
            numbers.append([v for v, _ in found])
        else:
            v, lab = _number(x, f"argument {i} ({name})")
            args.append(Arg(name, None, (lab or name,)))
            numbers.append([v])
    return tuple(args), numbers


def _leaves(args: Sequence[Arg], numbers: Sequence[Sequence[float]]
            ) -> tuple[list[Any], dict[int, tuple[int, int]], list[Value]]:
    """Fresh leaves for the arguments (as the function takes them), where each sits
    (argument, position), and all of them in that order."""
    call: list[Any] = []
    where: dict[int, tuple[int, int]] = {}
    every: list[Value] = []
    for i, (arg, values) in enumerate(zip(args, numbers)):
        leaves = [Value(v, label=lab) for v, lab in zip(values, arg.labels)]
        for j, leaf in enumerate(leaves):
            where[id(leaf)] = (i, j)
        every.extend(leaves)
        call.append(leaves[0] if arg.width is None else leaves)
    return call, where, every


def _outputs(out: Any, name: str) -> tuple[list[Value], bool]:
    if isinstance(out, Value):
        return [out], True
    if isinstance(out, (list, tuple)) and out and all(isinstance(v, Value) for v in out):
        return list(out), False
    if is_real(out):
        raise CompileError(
            f"{name} returned a plain number ({preview(out)}), so there is no graph to "
            f"compile; if that is a surprise, it converted a Value with float() or math "
            f"(math.exp(v)): use the Value methods (v.exp()) instead")
    raise CompileError(f"{name} must return a Value or a list of Values, got "
                       f"{type(out).__name__} {preview(out)}")


def _closure_error(node: Value, name: str) -> CompileError:
    op = node._op or "?"
    label = f" labelled {node.label!r}" if node.label else ""
    return CompileError(
        f"{name} makes a {op!r} node{label} (data={node.data!r}) with a _backward closure, "
        f"the lecture's Value(data, children, {op!r}): a closure gives its derivative only as "
        f"numbers for one sample, which cannot be compiled for a batch. Declare the op once "
        f"with autograd.defop({op!r}, forward=..., deriv=...) and build the node with it; "
        f"then it compiles (and works with grad, hessian and check_grads too)")


def run(fn: Callable[..., Any], args: Sequence[Arg], numbers: Sequence[Sequence[float]],
        name: str) -> tuple[list[Value], bool, dict[int, tuple[int, int]], list[Value]]:
    """Call ``fn`` on fresh leaves, recording: its outputs, whether it returned one Value,
    where the leaves sit, and the leaves."""
    call, where, leaves = _leaves(args, numbers)
    with enable_grad():
        out = fn(*call)
    outputs, single = _outputs(out, name)
    return outputs, single, where, leaves


def trace(fn: Callable[..., Any], example_inputs: Any,
          params: Sequence[Value] | None = None) -> Trace:
    """Run ``fn`` once at ``example_inputs`` and record its graph."""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    if not callable(fn):
        raise CompileError(f"compile needs a function, got {type(fn).__name__} {preview(fn)}")
    chosen: Params | None = None
    if params is not None:
        if isinstance(params, Value) or not hasattr(params, "__iter__"):
            raise CompileError(f"compile(params=...) needs a list of Values, got "
                               f"{type(params).__name__} {preview(params)}")
        chosen = Params([], {})
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise CompileError(f"compile(params=...): item {i} is {type(p).__name__} "
                                   f"{preview(p)}, not a Value")
            if id(p) not in chosen.index:
                chosen.index[id(p)] = len(chosen.values)
                chosen.values.append(p)
    args, numbers = parse_example(fn, example_inputs)
    outputs, single, where, _ = run(fn, args, numbers, name)
    return record(args, outputs, single, where, chosen, name)


def record(args: tuple[Arg, ...], outputs: list[Value], single: bool,
           where: dict[int, tuple[int, int]], chosen: Params | None, name: str) -> Trace:
    """The Trace of the graph behind ``outputs`` (see :func:`trace`)."""
    index: dict[int, int] = {}
    nodes: list[TNode] = []
    # The parameters: those given, in their order (reached or not), else every leaf that
    # is not an input, in the order the graph reaches them.
    found_params: list[Value] = [] if chosen is None else list(chosen.values)
    for root in outputs:
        for node in topological_order(root, leaves=True):
            if id(node) in index:
                continue
            index[id(node)] = len(nodes)
            nodes.append(_node(node, index, where, chosen, found_params, name))
    return Trace(args, nodes, [index[id(v)] for v in outputs], single, found_params, name,
                 chosen)


def _node(node: Value, index: dict[int, int], where: dict[int, tuple[int, int]],
          chosen: Params | None, found: list[Value], name: str) -> TNode:
    value = node.data
    if type(value) is not float:
        if not is_real(value):
            raise CompileError(f"{name}: a node{' ' + repr(node.label) if node.label else ''} "
                               f"holds {type(value).__name__} {preview(value)} in .data; "
                               f".data must be a number")
        value = float(value)
    label = node.label
    if node.is_leaf:
        key = id(node)
        if key in where:
            arg, position = where[key]
            return TNode("input", value, label, arg=arg, position=position)
        if chosen is not None and key in chosen.index:
            return TNode("param", value, label, param=chosen.index[key])
        if chosen is None:
            found.append(node)
            return TNode("param", value, label, param=len(found) - 1)
        return TNode("const", value, label)
    op = node.primitive
    if op is None or isinstance(node, ClosureNode):  # a node of the user's own
        raise _closure_error(node, name)
    return TNode("op", value, label, op=op, args=tuple([index[id(p)] for p in node._prev]),
                 constant=node.constant)


def signature(t: Trace) -> list[tuple[Any, ...]]:
    """The trace condensed for comparison with another run: per node, what it is and what it
    reads, and the value of a constant (a leaf made inside the function from ``.data`` is a
    constant that depends on the sample)."""
    out: list[tuple[Any, ...]] = []
    for n in t.nodes:
        if n.role == "op":
            assert n.op is not None
            out.append(("op", n.op.name, n.constant, n.args))
        elif n.role == "input":
            out.append(("input", n.arg, n.position))
        elif n.role == "param":
            v = t.params[n.param]
            out.append(("param", id(v), v.data, v.label))
        else:
            out.append(("const", n.value if not math.isnan(n.value) else "nan"))
    return [*out, ("outputs", tuple(t.outputs), t.single)]


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Two entries of :func:`signature` alike: equal, or two parameters that are the same
    Value, or two leaves the function made itself with the same number and label."""
    if a == b:
        return True
    return a[0] == b[0] == "param" and a[2:] == b[2:]


def describe(t: Trace, k: int) -> str:
    """Node ``k`` of a trace in words, for messages: 'tanh of node 5', 'input x[1]'."""
    if k >= len(t.nodes):
        return "the end of the graph"
    n = t.nodes[k]
    label = f" {n.label!r}" if n.label else ""
    if n.role == "op":
        assert n.op is not None
        c = "" if n.constant is None else f" (constant {n.constant!r})"
        return f"node {k}{label}: {n.op.name}{c} of nodes {list(n.args)}"
    if n.role == "input":
        arg = t.args[n.arg]
        return f"node {k}{label}: input {arg.name}" + (
            f"[{n.position}]" if arg.width is not None else "")
    return f"node {k}{label}: a {'parameter' if n.role == 'param' else 'constant'} " \
           f"({n.value!r})"
