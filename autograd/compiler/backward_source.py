"""The reverse sweep of a program: the chain rule, one group at a time, last first.

``backward(tape, seed)`` starts from the outputs' gradients (``seed``, a row per output
and a column per sample) and lets each group add its gradient times its local
derivatives into the gradients of what it read. The local derivatives are the op's own
``deriv``: written out where it is a formula (``g3 = g5 * t4`` for a product), called by
name where the engine uses a named helper (``dtanh(t6, t7)``, the stable form). Only
what leads to a wanted gradient is computed: the parameters', and the inputs' when asked.
"""

from __future__ import annotations

from typing import Any

from ..declaration import NARY
from .expressions import PRODUCT, Expr, as_text, binary
from .forward_source import Forward
from .grouping import Group, Space
from .rows import Rows, Scatter, matrix_view

__all__ = ["write_backward"]


def _needs(rows: Rows, want_inputs: bool) -> set[int]:
    """The nodes that depend on a wanted leaf: only their gradients are computed."""
    g = rows.plan.graph
    out: set[int] = set()
    for k in g.order:
        n = g.nodes[k]
        if n.role == "param" or (n.role == "input" and want_inputs) or \
                any(a in out for a in n.args):
            out.add(k)
    return out


def _times(g: str, d: Any) -> str | None:
    """The text of gradient ``g`` times local derivative ``d`` (None where d is 0)."""
    if not isinstance(d, Expr):
        d = float(d)
        if d == 0.0:
            return None
        if d == 1.0:
            return g
        if d == -1.0:
            return f"-{g}"
    return as_text(binary("*", PRODUCT, Expr(g), d))


def _by_name(rows: Rows, grp: Group, fw: Forward, lines: list[str], name: str) -> list[Any]:
    """Call the op's deriv by its name; its results as Exprs (stacked for n-ary ops)."""
    op = grp.op
    args = [x.text for x in fw.operands[grp.index]] + [grp.space.name]
    if op.kind.constant:
        args.append(repr(grp.constant))
    d = rows.fresh("d")
    call = f"{name}({', '.join(args)})"
    if op.kind is NARY:
        half = len(grp.slots) // op.groups
        if op.groups == 1:
            lines.append(f"    {d} = stacked({call}, {half})")
            return [Expr(d)]
        names = [f"{d}_{i}" for i in range(op.groups)]
        lines.append(f"    {', '.join(names)} = {call}")
        for nm in names:
            lines.append(f"    {nm} = stacked({nm}, {half})")
        return [Expr(nm) for nm in names]
    if op.kind.arity == 1:
        return [Expr(call)]
    names = [f"{d}_{i}" for i in range(op.kind.arity or 0)]
    lines.append(f"    {', '.join(names)} = {call}")
    return [Expr(nm) for nm in names]


def _matmul(rows: Rows, grp: Group, fw: Forward, sc: Scatter, lines: list[str],
            needs: set[int]) -> None:
    assert grp.matmul is not None
    g = grp.space.grad
    mat, a = fw.matrices[grp.index]
    common, entries = grp.matmul[1], grp.matmul[2]
    if any(k in needs for k in common):
        sc.add(f"{mat}.T @ {g}", common, grp.batched)
    flat_ids = [k for row in entries for k in row]
    if not any(k in needs for k in flat_ids):
        return
    (space,) = rows.spaces(flat_ids)
    if not sc.wanted(space):
        return
    at = [[rows.plan.loc[k][1] for k in row] for row in entries]
    flat = [r for row in at for r in row]
    target = sc._ensure(space)
    view = matrix_view(target, at, space.rows)
    if view:  # a view of the gradient array: adding into it adds into its rows
        lines.append(f"    g{mat} = {view}")
        lines.append(f"    g{mat} += {g} @ {a}.T")
    elif len(set(flat)) == len(flat):
        lines.append(f"    {target}[{rows.index(at)}, 0] += {g} @ {a}.T")
    else:
        lines.append(f"    np.add.at({target}[:, 0], {rows.index(at)}, {g} @ {a}.T)")


def _group(rows: Rows, grp: Group, fw: Forward, sc: Scatter, lines: list[str],
           needs: set[int]) -> None:
    g = grp.space.grad
    if grp.matmul is not None:
        _matmul(rows, grp, fw, sc, lines, needs)
        return
    op = grp.op
    low = rows.lowering(op, grp.ids, grp.constant, len(grp.slots))
    operands = fw.operands[grp.index]
    found = low.deriv_exprs(list(operands), Expr(grp.space.name), grp.constant)
    if op.kind is NARY:
        half = len(grp.slots) // op.groups
        groups = [grp.slots[i * half:(i + 1) * half] for i in range(op.groups)]
        wanted = [any(k in needs for slot in slots for k in slot) for slots in groups]
        if not any(wanted):
            return
        if found is None:
            found = _by_name(rows, grp, fw, lines, low.deriv_name)
        for slots, d, want in zip(groups, found, wanted):
            text = _times(g, d)
            if want and text is not None:  # a number: the same for every input
                sc.add_stacked(text, not isinstance(d, Expr), slots, grp.batched)
        return
    wanted = [any(k in needs for k in slot) for slot in grp.slots]
    if not any(wanted):
        return
    if found is None:
        found = _by_name(rows, grp, fw, lines, low.deriv_name)
    for slot, d, want in zip(grp.slots, found, wanted):
        text = _times(g, d)
        if want and text is not None:
            sc.add(text, slot, grp.batched)


def write_backward(rows: Rows, fw: Forward, want_inputs: bool, checked: bool) -> str:
    """The source of ``backward(tape, seed)``; it returns the parameters' gradient (a column,
    or None without parameters), the inputs' (a tuple, or None unless ``want_inputs``) and,
    when ``checked``, every group's gradient (for detect_anomaly's look at each step)."""
    p = rows.plan
    needs = _needs(rows, want_inputs)
    group_needs = {grp.index: any(k in needs for k in grp.ids) for grp in p.groups}

    def wanted(space: Space) -> bool:
        if space.kind == "P":
            return space.rows > 0
        if space.kind == "input":
            return want_inputs
        if space.kind == "group":
            return group_needs[space.index]
        return False

    lines = ["def backward(tape, seed):", f"    {', '.join(fw.tape)}, = tape"]
    sc = Scatter(rows, lines, wanted)
    if p.P.rows:
        lines.append("    gP = np.zeros_like(P)")
        sc.touched.add("gP")
        for row, name in sorted(rows.aliases.items()):
            lines.append(f"    g_{name} = gP[{row}:{row + 1}]")
    sc.add("seed", p.graph.outputs, True)
    for grp in reversed(p.groups):
        if group_needs[grp.index] and grp.space.grad in sc.touched:
            sc.step()
            _group(rows, grp, fw, sc, lines, needs)
    sc.step()
    grads = "gP" if p.P.rows else "None"
    if want_inputs:
        ins = [s.grad if s.grad in sc.touched else f"np.zeros_like({s.name})"
               for s in p.inputs]
        inputs = f"({', '.join(ins)},)"
    else:
        inputs = "None"
    extra = ""
    if checked:
        mine = [grp.space.grad for grp in p.groups if grp.space.grad in sc.touched]
        extra = f", ({', '.join(mine)}{',' if mine else ''})"
    lines.append(f"    return {grads}, {inputs}{extra}")
    return "\n".join(lines)
