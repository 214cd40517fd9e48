"""The graph as text, for terminals and for notebooks without a layout engine.

Two styles: a table in topological order (parents first, the root last) and
an indented tree from the root back to the leaves. Both number nodes as the
picture and :func:`~autograd.explain` do (``#0``, ``#1``, ...).

>>> from autograd import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> e = a * b; e.label = 'e'
>>> L = e + 1; L.label = 'L'
>>> L.backward()
>>> print(render_text(L))
#  label  op   inputs     data     grad
0  a                    2.0000  -3.0000
1  b                   -3.0000   2.0000
2  e      *    #0 #1   -6.0000   1.0000
3  L      + 1  #2      -5.0000   1.0000
>>> print(render_text(L, style='tree'))
L (#3)  + 1  data -5.0000  grad 1.0000
`-- e (#2)  *  data -6.0000  grad 1.0000
    |-- a (#0)  data 2.0000  grad -3.0000
    `-- b (#1)  data -3.0000  grad 2.0000
"""

from __future__ import annotations

from ..engine import Value
from .graph import NumberedGraph, format_number, one_line, op_label

STYLES = ("table", "tree")
_MAX_INPUTS_SHOWN = 6
_MAX_LABEL = 24


def render_text(
    root: Value | NumberedGraph,
    *,
    style: str = "table",
    max_rows: int | None = None,
    max_depth: int = 40,
    precision: int = 4,
) -> str:
    """The graph of ``root`` as plain text: a ``'table'`` or a ``'tree'``.

    The table's columns and the tree's branches are ASCII; labels and scopes
    appear as they are (Unicode included) on one line each, with control
    characters as spaces and long ones cut short.

    ``max_rows`` limits the output (the table keeps its first and last rows,
    the tree its first lines); ``max_depth`` limits how deep the tree goes.
    Numbers read as in the picture: ``precision`` decimals, with an exponent
    for very small or very large magnitudes.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 2):
        raise ValueError(f"max_rows must be an int >= 2 or None, got {max_rows!r}")
    if not isinstance(max_depth, int) or max_depth < 1:
        raise ValueError(f"max_depth must be an int >= 1, got {max_depth!r}")
    graph = root if isinstance(root, NumberedGraph) else NumberedGraph(root)
    if style == "table":
        return _table(graph, max_rows, precision)
    return _tree(graph, max_rows, max_depth, precision)


def _inputs(parents: tuple[int, ...]) -> str:
    shown = " ".join(f"#{p}" for p in parents[:_MAX_INPUTS_SHOWN])
    if len(parents) > _MAX_INPUTS_SHOWN:
        shown += f" ... ({len(parents)} inputs)"
    return shown


def _table(graph: NumberedGraph, max_rows: int | None, precision: int) -> str:
    nodes = graph.nodes
    n = len(nodes)
    show_scope = any(node.scope for node in nodes)
    if max_rows is None or n <= max_rows:
        picked: list[int | None] = list(range(n))
    else:
        head = max_rows // 2
        picked = [*range(head), None, *range(n - (max_rows - head), n)]
    header = ["#", "label", "op", "inputs", "data", "grad"] + (["scope"] if show_scope else [])
    right = {0, 4, 5}
    rows: list[list[str]] = []
    for i in picked:
        if i is None:
            continue
        node = nodes[i]
        row = [
            str(i), one_line(node.label, _MAX_LABEL), op_label(node), _inputs(graph.parents[i]),
            format_number(node.data, precision), format_number(node.grad, precision),
        ]
        if show_scope:
            row.append(one_line(node.scope, 40))
        rows.append(row)
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]

    def line(cells: list[str]) -> str:
        out = [c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in
               enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    lines = [line(header)]
    it = iter(rows)
    for i in picked:
        if i is None:
            hidden = n - len(rows)
            lines.append(f"... {hidden} rows not shown (max_rows={max_rows}) ...")
        else:
            lines.append(line(next(it)))
    return "\n".join(lines)


def _tree(graph: NumberedGraph, max_rows: int | None, max_depth: int, precision: int) -> str:
    nodes, parents = graph.nodes, graph.parents
    lines: list[str] = []
    shown: set[int] = set()
    # (node, prefix of its line, prefix of its children's lines, depth); iterative.
    stack: list[tuple[int, str, str, int]] = [(len(nodes) - 1, "", "", 0)]
    while stack:
        if max_rows is not None and len(lines) >= max_rows:
            lines.append(f"... more lines not shown (max_rows={max_rows})")
            break
        i, prefix, child_prefix, depth = stack.pop()
        node = nodes[i]
        name = f"{one_line(node.label, _MAX_LABEL)} (#{i})" if node.label else f"#{i}"
        if i in shown and parents[i]:
            lines.append(f"{prefix}{name}  (shown above)")
            continue
        shown.add(i)
        op = op_label(node)
        numbers = (f"data {format_number(node.data, precision)}  "
                   f"grad {format_number(node.grad, precision)}")
        lines.append(f"{prefix}{name}  {op + '  ' if op else ''}{numbers}")
        ps = parents[i]
        if not ps:
            continue
        if depth + 1 > max_depth:
            lines.append(f"{child_prefix}`-- ... (deeper nodes not shown; max_depth={max_depth})")
            continue
        for k in range(len(ps) - 1, -1, -1):
            last = k == len(ps) - 1
            stack.append((
                ps[k],
                child_prefix + ("`-- " if last else "|-- "),
                child_prefix + ("    " if last else "|   "),
                depth + 1,
            ))
    return "\n".join(lines)
