"""Reading and writing rows of a program's arrays, as source text.

An operation reads one row per node it computes from wherever those nodes live: all of
one array (``t3``), a slice (``P[32:48]``), one row broadcast to all (``x[0:1]``), rows
picked by index (``t3[idx4]``), or pieces of several arrays put together. The reverse
sweep writes gradients back the same way, with ``+=`` (``np.add.at`` where a row is hit
twice), summing over the batch (``.sum(axis=1, keepdims=True)``) where the row written
is shared by every sample.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .expressions import ATOM, Expr
from .grouping import Plan, Space
from .lowering import Lowered, Namespace, lower

__all__ = ["Rows", "contiguous", "matrix_view", "strided"]

Run = tuple[Space, int, int, list[int]]  # space, first position, end position, rows there
_VIEW = re.compile(r"^[A-Za-z_]\w*(\[[^\]]*\])?$")


def contiguous(rows: Sequence[int]) -> bool:
    return all(b == a + 1 for a, b in zip(rows, rows[1:]))


def strided(rows: Sequence[int]) -> str | None:
    """``a:b:s`` when ``rows`` are every s-th row from a (s > 1), else None."""
    if len(rows) < 2 or rows[1] - rows[0] < 2:
        return None
    step = rows[1] - rows[0]
    if any(b - a != step for a, b in zip(rows, rows[1:])):
        return None
    return f"{rows[0]}:{rows[-1] + 1}:{step}"


def matrix_view(name: str, at: list[list[int]], height: int) -> str | None:
    """A view of the column array ``name`` (``height`` rows) as the matrix whose entry
    (i, j) is row ``at[i][j]``: rows of a matrix stored one after another, each possibly
    followed by other values (a neuron's weights, then its bias). None if there is none."""
    m, n = len(at), len(at[0])
    a = at[0][0]
    flat = [r for row in at for r in row]
    if contiguous(flat):
        return f"{name}[{a}:{flat[-1] + 1}, 0].reshape({m}, {n})"
    if m < 2:
        return None
    step = at[1][0] - a
    if step < n or a + m * step > height:
        return None
    if any(at[i][j] != a + i * step + j for i in range(m) for j in range(n)):
        return None
    return f"{name}[{a}:{a + m * step}, 0].reshape({m}, {step})[:, :{n}]"


class Rows:
    """What the forward and backward writers share: the plan, the names made so far."""

    def __init__(self, plan: Plan, write_out: bool = True) -> None:
        self.plan = plan
        self.write_out = write_out  # False: the user's ops by name (see lowering.lower)
        names = {s.name for s in plan.inputs} | {g.space.name for g in plan.groups}
        self.ns = Namespace(names | set(plan.names.values()))
        self.ns["K"] = np.array(plan.consts, dtype=float).reshape(-1, 1)
        self.counter = 0
        self._indices: dict[tuple[Any, ...], str] = {}
        self._lowered: dict[tuple[Any, ...], Lowered] = {}
        self.aliases: dict[int, str] = {}  # row of P -> its parameter's own name
        for k, name in plan.names.items():
            self.aliases[plan.loc[k][1]] = name

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def index(self, rows: Any) -> str:
        """The name of a constant index array."""
        arr = np.asarray(rows, dtype=np.intp)
        key = (arr.shape, tuple(arr.ravel().tolist()))
        if key not in self._indices:
            self._indices[key] = self.ns.bind(self.fresh("idx"), arr)
        return self._indices[key]

    def lowering(self, op: Any, ids: Sequence[int], c: Any, n_args: int) -> Lowered:
        key = (op.name, c, n_args)
        if key not in self._lowered:
            self._lowered[key] = lower(self.plan.graph, op, ids, c, self.ns, self.write_out)
        return self._lowered[key]

    @property
    def notes(self) -> list[str]:
        return sorted({note for low in self._lowered.values() for note in low.notes})

    # --- where sources are ---------------------------------------------------------------

    def runs(self, srcs: Sequence[int]) -> list[Run]:
        out: list[Run] = []
        for i, k in enumerate(srcs):
            space, row = self.plan.loc[k]
            if out and out[-1][0] is space:
                s, first, _, rows = out[-1]
                rows.append(row)
                out[-1] = (s, first, i + 1, rows)
            else:
                out.append((space, i, i + 1, [row]))
        return out

    def spaces(self, srcs: Sequence[int]) -> set[Space]:
        return {self.plan.loc[k][0] for k in srcs}

    # --- reading -------------------------------------------------------------------------

    def select(self, space: Space, rows: list[int], broadcast: bool) -> tuple[str, bool]:
        """Source for ``rows`` of ``space`` in order, and whether it is a view (no copy)."""
        name = space.name
        if space.kind == "P" and len(rows) == 1 and rows[0] in self.aliases:
            return self.aliases[rows[0]], True
        if rows == list(range(space.rows)):
            return name, True
        if len(set(rows)) == 1 and (broadcast or len(rows) == 1):
            return f"{name}[{rows[0]}:{rows[0] + 1}]", True  # one row, broadcast to all
        if contiguous(rows):
            return f"{name}[{rows[0]}:{rows[-1] + 1}]", True
        every = strided(rows)
        if every:
            return f"{name}[{every}]", True
        return f"{name}[{self.index(rows)}]", False

    def gather(self, srcs: Sequence[int], lines: list[str], tape: list[str],
               broadcast: bool = True) -> str:
        """The values of ``srcs`` as one array, one row each: a view, or a named copy.
        With ``broadcast``, one value read by every row may come as one row."""
        rs = self.runs(srcs)
        if len(rs) == 1:
            text, view = self.select(rs[0][0], rs[0][3], broadcast=broadcast)
            if view:
                return text
        else:
            pieces = ", ".join(self.select(s, rows, broadcast=False)[0] for s, _, _, rows in rs)
            if len({s.batched for s, _, _, _ in rs}) > 1:
                text = f"np.concatenate(np.broadcast_arrays({pieces}), axis=0)"
            else:
                text = f"np.concatenate(({pieces}), axis=0)"
        name = self.fresh("a")
        lines.append(f"    {name} = {text}")
        tape.append(name)
        return name

    def gather_stack(self, slots: list[list[int]], lines: list[str], tape: list[str]) -> Expr:
        """The inputs of an n-ary group as one array: axis 0 runs over the op's inputs, then
        rows (one per node), then samples."""
        spaces = self.spaces([k for slot in slots for k in slot])
        name = self.fresh("a")
        if len(spaces) == 1:
            (space,) = spaces
            rows = [[self.plan.loc[k][1] for k in slot] for slot in slots]
            if all(len(r) == 1 for r in rows) and contiguous([r[0] for r in rows]):
                text = f"{space.name}[{rows[0][0]}:{rows[-1][0] + 1}, None]"
            else:
                text = f"{space.name}[{self.index(rows)}]"
        else:
            parts = ", ".join(self.gather(slot, lines, tape, broadcast=False)
                              for slot in slots)
            if len({self.plan.loc[slot[0]][0].batched for slot in slots}) > 1:
                text = f"np.stack(np.broadcast_arrays({parts}))"
            else:
                text = f"np.stack(({parts},))"
        lines.append(f"    {name} = {text}")
        tape.append(name)
        return Expr(name, ATOM, length=len(slots))

    # --- writing gradients back ---------------------------------------------------------------

    def grad_name(self, space: Space, row: int | None = None) -> str:
        if space.kind == "P" and row is not None and row in self.aliases:
            return f"g_{self.aliases[row]}"
        return space.grad


class Scatter:
    """Adds contributions into gradient arrays, allocating each on its first write.

    ``wanted(space)`` says whether a space's gradient is needed at all (constants' is
    not, nor the inputs' unless asked for).
    """

    def __init__(self, rows: Rows, lines: list[str], wanted: Callable[[Space], bool]) -> None:
        self.rows = rows
        self.lines = lines
        self.wanted = wanted
        self.touched: set[str] = set()
        # A gradient may start as a view of the array that brings it (g6 = g7 where g7
        # flows on unchanged): no copy. Such views are written at the end of the step, so
        # that adding into one cannot change what the step still reads (g7); a second
        # view of one array in one step is a copy (both inputs of a sum get g7).
        self.views: dict[str, str] = {}  # gradient -> the view it starts as, this step
        self.viewed: set[str] = set()  # arrays a gradient became a view of, this step

    def step(self) -> None:
        """End a group's step (and start the next): write the views it made."""
        for g, part in self.views.items():
            self.lines.append(f"    {g} = {part}")
        self.views = {}
        self.viewed = set()

    def _settle(self, g: str) -> None:
        """Before adding into ``g``: a view pending for it becomes a copy now."""
        part = self.views.pop(g, None)
        if part is not None:
            self.lines.append(f"    {g} = {part}.copy()")

    def _ensure(self, space: Space) -> str:
        g = space.grad
        self._settle(g)
        if g not in self.touched:
            self.lines.append(f"    {g} = np.zeros_like({space.name})")
            self.touched.add(g)
        return g

    def add(self, contribution: str, srcs: Sequence[int], batched: bool) -> None:
        """Add ``contribution`` (one row per source, one column per sample if ``batched``,
        else one) into the gradients of ``srcs``."""
        rs = [r for r in self.rows.runs(srcs) if self.wanted(r[0])]
        if not rs:
            return
        n = len(srcs)
        if len(rs) > 1:
            if not contribution.isidentifier():
                name = self.rows.fresh("c")
                self.lines.append(f"    {name} = {contribution}")
                contribution = name
        for space, first, end, rows in rs:
            part = contribution if (first, end) == (0, n) else f"{contribution}[{first}:{end}]"
            if batched and not space.batched:  # a shared row: summed over the batch
                part = f"{part if _VIEW.match(part) else f'({part})'}.sum(axis=1, keepdims=True)"
            self._write(space, rows, part)
        if _VIEW.match(contribution):  # its pieces above are disjoint; later ones are not
            self.viewed.add(contribution.split("[")[0])

    def _write(self, space: Space, rows: list[int], part: str) -> None:
        g = space.grad
        lines = self.lines
        if space.kind == "P" and len(rows) == 1 and rows[0] in self.rows.aliases:
            lines.append(f"    {self.rows.grad_name(space, rows[0])} += {part}")
            return
        if rows == list(range(space.rows)):
            if g not in self.touched and space.kind != "P":
                self.touched.add(g)
                if not _VIEW.match(part):
                    lines.append(f"    {g} = {part}")  # a new array
                elif part.split("[")[0] in self.viewed:
                    lines.append(f"    {g} = {part}.copy()")
                else:
                    self.views[g] = part
            else:
                lines.append(f"    {self._ensure(space)} += {part}")
            return
        g = self._ensure(space)
        if len(set(rows)) == 1 and len(rows) > 1:
            part = part if _VIEW.match(part) else f"({part})"
            lines.append(f"    {g}[{rows[0]}:{rows[0] + 1}] += {part}.sum(axis=0, keepdims=True)")
        elif contiguous(rows):
            lines.append(f"    {g}[{rows[0]}:{rows[-1] + 1}] += {part}")
        elif strided(rows):
            lines.append(f"    {g}[{strided(rows)}] += {part}")
        elif len(set(rows)) == len(rows):
            lines.append(f"    {g}[{self.rows.index(rows)}] += {part}")
        else:
            lines.append(f"    np.add.at({g}, {self.rows.index(rows)}, {part})")

    def add_stacked(self, contribution: str, uniform: bool, slots: list[list[int]],
                    batched: bool) -> None:
        """Add the contribution of an n-ary group into its inputs' gradients: ``uniform``,
        one array for every input (rows x samples), else one per input (stacked)."""
        rows = self.rows
        spaces = rows.spaces([k for slot in slots for k in slot])
        if len(spaces) == 1 and self.wanted(next(iter(spaces))):
            (space,) = spaces
            at = [[rows.plan.loc[k][1] for k in slot] for slot in slots]
            part = contribution
            if batched and not space.batched:
                part = f"({part}).sum(axis=-1, keepdims=True)"
            g = self._ensure(space)
            flat = [r for row in at for r in row]
            if all(len(r) == 1 for r in at) and contiguous(flat):
                part = part if uniform else f"{part}[:, 0]"
                self.lines.append(f"    {g}[{flat[0]}:{flat[-1] + 1}] += {part}")
            elif len(set(flat)) == len(flat):
                self.lines.append(f"    {g}[{rows.index(at)}] += {part}")
            else:
                self.lines.append(f"    np.add.at({g}, {rows.index(at)}, {part})")
            return
        if not contribution.isidentifier():
            name = rows.fresh("c")
            self.lines.append(f"    {name} = {contribution}")
            contribution = name
        for i, slot in enumerate(slots):
            self.add(contribution if uniform else f"{contribution}[{i}]", slot, batched)
