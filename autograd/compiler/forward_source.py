"""The forward function of a program: one line per group, in order.

``forward(<arguments>, P, check)`` reads each argument as an array with a row per
number and a column per sample, ``P`` as the parameters' values (a column), and
returns the outputs (a row per output) and the tape, the arrays ``backward`` reads.
``check(x, i)`` looks at an input of an op with a restricted domain (log, sqrt, /...)
and notes the samples whose values it must let the float forward judge.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..declaration import NARY
from ..domains import Domain
from .expressions import Expr
from .grouping import Group
from .rows import Rows, matrix_view

__all__ = ["Forward", "write_forward"]


@dataclass
class Forward:
    text: str
    tape: list[str]
    operands: dict[int, list[Expr]] = field(default_factory=dict)  # per group, as read
    matrices: dict[int, tuple[str, str]] = field(default_factory=dict)  # (matrix, inputs)
    domains: list[tuple[Domain, str]] = field(default_factory=list)


def _restricted(d: Domain) -> bool:
    return d.lo > -math.inf or d.hi < math.inf or bool(d.poles)


def _matrix(rows: Rows, grp: Group, lines: list[str], tape: list[str]) -> str | None:
    """The matrix of a matrix product (a row per node), or None where its entries lie in
    several arrays (the group then runs as n-ary dots)."""
    assert grp.matmul is not None
    entries = grp.matmul[2]
    spaces = rows.spaces([k for row in entries for k in row])
    if len(spaces) != 1:
        return None
    (space,) = spaces
    at = [[rows.plan.loc[k][1] for k in row] for row in entries]
    name = rows.fresh("W")
    view = matrix_view(space.name, at, space.rows)
    lines.append(f"    {name} = {view or f'{space.name}[{rows.index(at)}, 0]'}")
    tape.append(name)
    return name


def _comment(rows: Rows, grp: Group) -> str:
    what = grp.op.name if grp.constant is None else f"{grp.op.name} {grp.constant!r}"
    count = f" x{len(grp.ids)}" if len(grp.ids) > 1 else ""
    label = rows.plan.graph.nodes[grp.ids[0]].label
    named = f" ({label})" if len(grp.ids) == 1 and label and label != grp.space.name else ""
    return f"  # {what}{count}{named}"


def _group(rows: Rows, grp: Group, fw: Forward, lines: list[str]) -> None:
    out, tape = grp.space.name, fw.tape
    if grp.matmul is not None:
        mat = _matrix(rows, grp, lines, tape)
        if mat is not None:
            a = rows.gather(grp.matmul[1], lines, tape, broadcast=False)
            fw.matrices[grp.index] = (mat, a)
            lines.append(f"    {out} = {mat} @ {a}  # dot x{len(grp.ids)}, as one matrix "
                         f"product")
            tape.append(out)
            return
        grp.matmul = None
    op = grp.op
    low = rows.lowering(op, grp.ids, grp.constant, len(grp.slots))
    if op.kind is NARY:
        half = len(grp.slots) // op.groups
        operands = [rows.gather_stack(grp.slots[i * half:(i + 1) * half], lines, tape)
                    for i in range(op.groups)]
    else:
        operands = [Expr(rows.gather(slot, lines, tape)) for slot in grp.slots]
    fw.operands[grp.index] = operands
    lines.append(f"    {out} = {low.forward_text(list(operands), grp.constant)}"
                 f"{_comment(rows, grp)}")
    tape.append(out)
    domains = op.domains(grp.constant)
    for j, x in enumerate(operands):
        d = domains[min(j, len(domains) - 1)]
        if _restricted(d):
            fw.domains.append((d, op.name))
            lines.append(f"    check({x.text}, {len(fw.domains) - 1})  # {op.name} is "
                         f"defined in {d}; the float forward judges any value outside")


def write_forward(rows: Rows) -> Forward:
    p = rows.plan
    args = [s.name for s in p.inputs]
    lines = [f"def forward({', '.join(args)}, P, check):"]
    fw = Forward("", [*args, "P"])
    for row, name in sorted(rows.aliases.items()):
        lines.append(f"    {name} = P[{row}:{row + 1}]")
        fw.tape.append(name)
    for grp in p.groups:
        _group(rows, grp, fw, lines)
    out = rows.gather(p.graph.outputs, lines, fw.tape)
    body = "\n".join(lines)
    for row, name in sorted(rows.aliases.items()):  # a parameter's own name, where used
        if not re.search(rf"\b{name}\b", body.replace(f"    {name} = P[", "", 1)):
            lines.remove(f"    {name} = P[{row}:{row + 1}]")
            fw.tape.remove(name)
            del rows.aliases[row]
    lines.append(f"    return {out}, ({', '.join(fw.tape)},)")
    fw.text = "\n".join(lines)
    return fw
