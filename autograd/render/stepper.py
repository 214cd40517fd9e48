"""The page's stepper: the forward pass (values appear, in topological order), then the
backward pass (each edge: local derivative x upstream gradient, added into the grad of the
node it leaves), as a list of steps the page's script replays.

Each step is ``{"say": text, "edges": [edge titles], "set": [[unit, field, text, full]],
"node": unit, "mark": short text}``; the page starts with every data and grad hidden.
A Value's grad is accumulated step by step in the order backward() adds its terms and,
at its last term, shown as the Value's own grad when the two agree up to rounding.
"""

from __future__ import annotations

import math
from typing import Any

from .graph import NumberedGraph, format_number
from .plan import COPY, GROUP, INPUTS, OP, VALUE, Plan


def _time(plan: Plan, members: list[list[int]]) -> list[int]:
    """When each unit's value is complete in the forward pass (its latest member)."""
    return [max(m) if m else -1 for m in members]


def steps(
    graph: NumberedGraph, plan: Plan, units: dict[str, dict[str, Any]], precision: int,
    local_of: Any,
) -> list[dict[str, Any]]:
    """The forward pass (values appear, in topological order), then the backward pass (each
    edge: local derivative x upstream gradient, added into the grad of the node it leaves).

    Each step is ``{"say": text, "edges": [titles], "set": [[unit, field, text]],
    "node": unit}``; the page starts with every data and grad hidden.
    """
    nodes = graph.nodes
    members = plan.members()
    when = _time(plan, members)
    name = plan.name
    out: list[dict[str, Any]] = []
    shown = [u for u, unit in enumerate(plan.units) if unit.kind in (VALUE, GROUP, INPUTS)]
    copies_of: dict[int, list[int]] = {}
    for u, unit in enumerate(plan.units):
        if unit.kind == COPY:
            copies_of.setdefault(plan.value_unit[unit.ref[0]], []).append(u)
    # Forward: each unit once its value is complete.
    into: dict[int, list[tuple[int, int]]] = {}
    for src, dst in plan.edges:
        into.setdefault(dst, []).append((src, dst))
    for u in sorted(shown, key=lambda u: (when[u], u)):
        unit = plan.units[u]
        edges = [f"{name(s)}->{name(d)}" for s, d in into.get(u, [])]
        if unit.kind == VALUE and plan.op_unit[unit.ref] >= 0:
            edges += [f"{name(s)}->{name(d)}"
                      for s, d in into.get(plan.op_unit[unit.ref], [])]
        sets = [[name(w), "data", "final"] for w in [u, *copies_of.get(u, [])]]
        label = _who(plan, units, u)
        if unit.kind == VALUE and not plan.graph.parents[unit.ref]:
            say = f"forward: {label} is given: data = {units[name(u)]['data']}"
        elif unit.kind == VALUE:
            say = f"forward: {label} = {units[name(u)]['data']}"
        else:
            say = f"forward: {label} computed"
        out.append({"say": say, "edges": edges, "set": sets, "node": name(u)})
    # Backward: the root's seed, then edges from the latest consumer back.
    root = len(nodes) - 1
    ru = plan.value_unit[root]
    out.append({"say": f"backward: start at {_who(plan, units, ru)} with "
                         f"grad = {nodes[root].grad!r} (the seed)",
                  "edges": [], "set": [[name(ru), "grad", "final"]], "node": name(ru)})
    running: dict[int, float] = {}
    pending: dict[int, int] = {}
    assert plan.uses is not None
    order = sorted(plan.edges, key=lambda e: (-when[e[1]], -e[1], e[0]))
    for src, dst in order:
        if plan.units[dst].kind in (VALUE,) and plan.units[src].kind == OP:
            continue  # op -> its Value: nothing flows back along it but the grad itself
        target = _target(plan, src)
        pending[target] = pending.get(target, 0) + 1
    for src, dst in order:
        if plan.units[dst].kind == VALUE and plan.units[src].kind == OP:
            continue
        uses = plan.uses[(src, dst)]
        terms = [(c, pos, local_of(c)[pos], nodes[c].grad) for c, pos in uses]
        total = math.fsum(local * up for _, _, local, up in terms)
        target = _target(plan, src)
        pending[target] -= 1
        changes: list[list[str]] = []
        single = plan.units[target].kind == VALUE and plan.fold_of[
            plan.units[target].ref] < 0
        if single:
            i: int = plan.units[target].ref
            running[target] = running.get(target, 0.0) + total
            value = running[target]
            done = pending[target] == 0
            if done and _close(value, nodes[i].grad):
                value = nodes[i].grad
            text = "final" if done and value == nodes[i].grad else \
                f"grad {format_number(value, precision)}"
            for w in [target, *copies_of.get(target, [])]:
                changes.append([name(w), "grad", text, repr(value)])
        elif pending[target] == 0:
            changes += [[name(w), "grad", "final"] for w in [target, *copies_of.get(target, [])]]
        edge = f"{name(src)}->{name(dst)}"
        parent = _who(plan, units, src)
        if len(terms) == 1:
            c, pos, local, up = terms[0]
            consumer = _who(plan, units, plan.value_unit[c])
            say = (f"backward: d({consumer})/d({parent}) = {local:.6g}  x  upstream grad "
                   f"{up:.6g}  =  {local * up:.6g}, added to {parent}.grad")
            mark = f"{local:.4g} x {up:.4g} = {local * up:.4g}"
        else:
            say = (f"backward: {len(terms):,} uses along this edge (all copies): "
                   f"sum of local derivative x upstream grad = {total:.6g}, added to "
                   f"{parent}.grad")
            mark = f"sum of {len(terms):,}: {total:.4g}"
        ops = [f"{name(dst)}->{name(plan.value_unit[c])}" for c, _ in uses[:1]
               if plan.units[dst].kind == OP]
        out.append({"say": say, "edges": [edge, *ops], "set": changes, "node": name(src),
                      "mark": mark})
    out.append({"say": "done: every grad shown is the Value's own .grad", "edges": [],
                  "set": [[name(u), "grad", "final"] for u in range(len(plan.units))
                          if plan.units[u].kind in (VALUE, GROUP, INPUTS, COPY)],
                  "node": None})
    return out


def _who(plan: Plan, units: dict[str, dict[str, Any]], u: int) -> str:
    """How the stepper names unit ``u``: its label, else ``#i`` for a Value."""
    label = units[plan.name(u)]["label"]
    if label:
        return str(label)
    kind, ref, _ = plan.units[u]
    return f"#{ref}" if kind == VALUE else f"#{ref[0]}" if kind == COPY else plan.name(u)


def _target(plan: Plan, u: int) -> int:
    """The unit whose grad an edge out of unit ``u`` adds to (a leaf drawn again: the leaf's)."""
    kind, ref, _ = plan.units[u]
    if kind == COPY:
        return plan.value_unit[ref[0]]
    return u


def _close(a: float, b: float) -> bool:
    return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
