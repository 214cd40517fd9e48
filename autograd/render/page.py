"""The interactive page: one self-contained HTML file to explore a graph and watch the
chain rule run.

``to_html(root)`` returns it, ``save(root, 'graph.html')`` writes it, and in
Jupyter ``draw_dot(root).interactive()`` shows it inline. It holds the laid-out
SVG of the drawing (and of each module or stack expanded one step, laid out
beforehand within the layout budget), the numbers, and a small script:

* pan and zoom (the vendored ``svg-pan-zoom``, BSD-2-Clause, in ``page_assets/``);
* hover a node for its full-precision data and grad; click it for a panel with
  its :func:`~autograd.explain` steps; search nodes by label;
* click a collapsed module or a folded stack to expand it (and go back);
* a stepper (play, pause, step, back, reset; arrow keys and space) that replays
  the forward pass in topological order, values appearing, then the backward
  pass: each edge lights up with local derivative x upstream gradient, and each
  node's grad accumulates to its final value.

It makes no network request of any kind and works from ``file://``: the
script and styles are inline, allowed by their hashes in a Content-Security-
Policy that forbids everything else. Every piece of user text reaches the page
as JSON data or escaped SVG text, and is shown with ``textContent``: a label
can never run script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..atomic_files import atomic_write
from ..engine import Value
from .budget import Choice, choose, make_plan, measure, ranks
from .collapse import Keys
from .draw import _Emitter
from .explain import explanation_in
from .fold import Fold
from .graph import NumberedGraph, module_path, one_line, scope_prefix
from .options import DrawOptions, options_from
from .plan import COPY, GROUP, INPUTS, OP, VALUE, Plan
from .stepper import steps as _steps

#: At most this many drawings (the first, and expansions of modules and stacks) per page.
MAX_VIEWS = 8
#: An expansion drawing more nodes than this is left out (the page says how to draw it).
VIEW_NODES = 400
#: ... and at most this much predicted layout time for all of them, in seconds.
PAGE_SECONDS = 8.0
#: Characters of an explanation shown in the panel (a weight used by 100 samples has 100
#: steps; the panel says how many more there are).
EXPLAIN_LINES = 60

_ASSETS = "page_assets"


def _asset(name: str) -> str:
    return (resources.files(__package__) / _ASSETS / name).read_text(encoding="utf-8")


@dataclass
class Page:
    """An interactive page (its ``html``); Jupyter shows it inline, ``save`` writes it."""

    html: str

    def _repr_html_(self) -> str:
        # A sandboxed frame: the page's own Content-Security-Policy applies inside it, and
        # its script cannot reach the notebook.
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%;height:640px;border:1px solid #d1d5db" '
                f'title="chainrule graph"></iframe>')

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (atomically; missing folders are created)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target, "w") as f:
            f.write(self.html)
        return target

    def __str__(self) -> str:
        return self.html


def to_html(
    root: Value,
    *,
    title: str | None = None,
    max_views: int = MAX_VIEWS,
    options: DrawOptions | None = None,
    **keywords: Any,
) -> str:
    """The interactive page of ``root``'s graph, as one self-contained HTML document.

    ``keywords`` (or ``options``) are :func:`~autograd.draw_dot`'s: the page
    opens on the same drawing. ``title`` heads the page (the root's label by
    default); ``max_views`` bounds how many drawings are laid out beforehand
    (the first one and expansions of its modules and stacks).
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_html needs a Value as its root, got {type(root).__name__}")
    return page_of(root, options_from(options, keywords), title=title, max_views=max_views)


def page_of(
    root: Value, options: DrawOptions | None, *, title: str | None = None,
    max_views: int = MAX_VIEWS, **keywords: Any,
) -> str:
    """The page's HTML for ``root`` drawn with ``options`` (and ``keywords``)."""
    if isinstance(max_views, bool) or not isinstance(max_views, int) or max_views < 1:
        raise ValueError(f"max_views must be an int >= 1, got {max_views!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    opts = options_from(options, keywords)
    graph = NumberedGraph(root)
    views = _Views(graph, opts, max_views)
    data = {
        "title": one_line(title if title is not None else (root.label or "graph"), 80),
        "views": views.build(),
    }
    return _html(data)


# --- views: the first drawing and its expansions ------------------------------------------


class _Views:
    """The drawings of one page: the first, and each module or stack expanded, breadth first."""

    def __init__(self, graph: NumberedGraph, opts: DrawOptions, max_views: int) -> None:
        self.graph = graph
        self.max_views = max_views
        self.rank = ranks(graph)
        first = choose(graph, opts, track=True)
        # Every drawing of the page runs the way the first one does.
        self.opts = opts.replace(rankdir=opts.rankdir or ("TB" if first.caption else "LR"))
        self.first = first
        self.base_keys: Keys = first.plan.keys
        self.base_folds: list[Fold] = first.plan.folds
        self.index: dict[tuple[frozenset[str], frozenset[int]], int] = {}
        self._local: dict[int, list[float]] = {}

    def local(self, i: int) -> list[float]:
        """Node ``#i``'s local derivatives (each view's stepper reads them; computed once)."""
        found = self._local.get(i)
        if found is None:
            found = self._local[i] = [float(x) for x in self.graph.nodes[i].local_grads()]
        return found

    def _keys(self, expanded: frozenset[str]) -> Keys:
        """The first drawing's collapse keys with these modules opened one level: a member
        made in a submodule goes to that submodule's summary, one made in the module itself
        is drawn as itself."""
        keys = list(self.base_keys)
        for key in sorted(expanded, key=len):
            depth = len(module_path(key)) + 1
            for i, k in enumerate(keys):
                if k == key:
                    scope = self.graph.nodes[i].scope
                    keys[i] = (scope_prefix(scope, depth) if len(module_path(scope)) >= depth
                               else None)
        return keys

    def _choice(self, expanded: frozenset[str], unfolded: frozenset[int]) -> Choice | None:
        if not expanded and not unfolded:
            return self.first
        keys = self._keys(expanded)
        folds = []
        for j, fold in enumerate(self.base_folds):
            if j not in unfolded:
                folds.append(fold)
                continue
            members = [i for copy in fold.copies for i in copy]
            if any(keys[i] is not None for i in members):
                # Open the stack: the copy drawn in full, its modules' parameters outside.
                for i in members:
                    keys[i] = None
                folds.append(fold)
            # else: the copy is drawn in full already; expanding draws every copy
        plan = make_plan(self.graph, keys, folds, self.opts.cluster_depth, self.rank, track=True)
        size = measure(plan)
        if not size.fits(self.opts.max_nodes) or size.nodes > VIEW_NODES:
            return None
        return Choice(plan, size, [], self.opts.collapse, bool(folds))

    def build(self) -> list[dict[str, Any]]:
        start: tuple[frozenset[str], frozenset[int]] = (frozenset(), frozenset())
        queue = [start]
        choices: list[tuple[tuple[frozenset[str], frozenset[int]], Choice]] = []
        refused: set[tuple[frozenset[str], frozenset[int]]] = set()
        seconds = 0.0
        while queue and len(choices) < self.max_views:
            state = queue.pop(0)
            if state in self.index or state in refused:
                continue
            choice = self._choice(*state)
            if choice is None or (choices and seconds + choice.size.seconds > PAGE_SECONDS):
                refused.add(state)
                continue
            seconds += choice.size.seconds
            self.index[state] = len(choices)
            choices.append((state, choice))
            queue += self._expansions(state, choice.plan)
        return [self._view(state, choice) for state, choice in choices]

    def _expansions(
        self, state: tuple[frozenset[str], frozenset[int]], plan: Plan
    ) -> list[tuple[frozenset[str], frozenset[int]]]:
        expanded, unfolded = state
        out: list[tuple[frozenset[str], frozenset[int]]] = []
        if unfolded:  # a stack drawn one by one is big already: no further expansions
            return out
        drawn = {f.at for f in plan.folds}
        for j, fold in enumerate(self.base_folds):
            if j not in unfolded and fold.at in drawn:
                out.append((expanded, unfolded | {j}))
        for unit in plan.units:
            if unit.kind == GROUP:
                out.append((expanded | {str(unit.ref)}, unfolded))
        return out

    def _view(
        self, state: tuple[frozenset[str], frozenset[int]], choice: Choice
    ) -> dict[str, Any]:
        expanded, unfolded = state
        emitter = _Emitter(self.graph, choice, self.opts)
        g = emitter.run()
        svg = g.pipe(format="svg", encoding="utf-8", quiet=True)
        plan = choice.plan
        units = _units(self.graph, plan, emitter, self.opts.precision)
        for u, unit in enumerate(plan.units):
            if unit.kind == GROUP:
                target = self.index.get((expanded | {str(unit.ref)}, unfolded))
                units[plan.name(u)]["expand"] = -1 if target is None else target
        clusters = {}
        for place, name in emitter.cluster_names.items():
            kind, ref = place[-1]
            if kind == "stack":
                fold = plan.folds[ref]
                j = next(k for k, f in enumerate(self.base_folds) if f.at == fold.at)
                target = self.index.get((expanded, unfolded | {j}))
                clusters[name] = {"label": f"x {fold.size:,} {fold.noun()}",
                                  "expand": -1 if target is None else target,
                                  "info": [f"{fold.size:,} {fold.noun()} of the same structure, "
                                           f"folded into one stack: the copy drawn shows the "
                                           f"range of data and grad over all of them. Click "
                                           f"to open it."]}
        parent = None
        if expanded or unfolded:
            parent = 0
        return {
            "svg": _strip_prolog(svg),
            "caption": [line for text in choice.caption for line in text.split("\n")],
            "units": units,
            "clusters": clusters,
            "steps": _steps(self.graph, plan, units, self.opts.precision, self.local),
            "parent": parent,
            "name": _view_name(expanded, unfolded, self.base_folds),
        }


def _view_name(expanded: Iterable[str], unfolded: Iterable[int], folds: list[Fold]) -> str:
    parts = [f"{k} expanded" for k in sorted(expanded)]
    parts += [f"stack of {folds[j].size:,} opened" for j in sorted(unfolded)]
    return ", ".join(parts) or "as drawn"


def _strip_prolog(svg: str) -> str:
    """The ``<svg>`` element alone: no XML declaration, doctype or comments before it."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# --- what each drawn unit says ------------------------------------------------------------


def _units(
    graph: NumberedGraph, plan: Plan, emitter: _Emitter, precision: int
) -> dict[str, dict[str, Any]]:
    members = plan.members()
    out: dict[str, dict[str, Any]] = {}
    for u, (kind, ref, _) in enumerate(plan.units):
        attrs = emitter._attrs(u)
        info = [line.replace("\\n", "\n") for line in
                _tooltip_lines(attrs.get("tooltip", ""))]
        unit: dict[str, Any] = {"kind": kind, "info": info, "label": "", "explain": ""}
        if kind in (VALUE, COPY):
            i = ref if kind == VALUE else ref[0]
            node = graph.nodes[i]
            unit["label"] = one_line(node.label, 200)
            unit["data"] = repr(node.data)
            unit["grad"] = repr(node.grad)
            if plan.fold_of[i] < 0:
                unit["explain"] = _explain(graph, i)
            else:
                unit["explain"] = ("This node stands for its counterparts in every copy of the "
                                   "stack; expand the stack to see each one.\n\n"
                                   + _explain(graph, i))
        elif kind == OP:
            unit["label"] = one_line(emitter._op(ref)["label"], 200)
        elif kind == GROUP:
            unit["label"] = str(ref)
        elif kind == INPUTS:
            f, g = ref
            unit["label"] = plan.folds[f].inputs[g].name
        unit["members"] = len(members[u])
        out[plan.name(u)] = unit
    return out


def _tooltip_lines(tip: str) -> list[str]:
    # The DOT tooltip joins lines with '\n' (two characters) and escapes '&'.
    return [line.replace("&amp;", "&") for line in str(tip).split("\\n")] if tip else []


def _explain(graph: NumberedGraph, i: int) -> str:
    lines = str(explanation_in(graph, i)).splitlines()
    if len(lines) > EXPLAIN_LINES:
        lines = lines[:EXPLAIN_LINES] + [f"... {len(lines) - EXPLAIN_LINES:,} more lines: "
                                         f"explain(node, root) prints them all"]
    return "\n".join(lines)


# --- the document ---------------------------------------------------------------------------


def _json(data: Any) -> str:
    """JSON that cannot end the script element holding it, whatever strings it carries."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, default=_no_nan)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _no_nan(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() \
        + "'"


def _html(data: dict[str, Any]) -> str:
    pan_zoom = _asset("svg-pan-zoom.min.js")
    script = _asset("page.js")
    style = _asset("page.css")
    csp = (f"default-src 'none'; script-src {_hash(pan_zoom)} {_hash(script)}; "
           f"style-src {_hash(style)}; img-src data:; base-uri 'none'; form-action 'none'")
    title = html.escape(data["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - chainrule</title>
<style>{style}</style>
</head>
<body>
<header>
  <h1 id="title">{title}</h1>
  <input id="search" type="search" placeholder="search labels" aria-label="search labels">
  <span id="matches"></span>
  <button id="back" type="button" title="back to the previous drawing">&#9664; back</button>
  <span class="stepper">
    <button id="reset" type="button" title="reset (Home)">reset</button>
    <button id="prev" type="button" title="step back (left arrow)">&#8592;</button>
    <button id="play" type="button" title="play or pause (space)">play</button>
    <button id="next" type="button" title="step (right arrow)">&#8594;</button>
    <span id="counter"></span>
  </span>
</header>
<div id="say" role="status"></div>
<main>
  <div id="graph"></div>
  <aside id="panel"><p class="hint">Click a node for its data, grad and the chain-rule steps
  behind its grad. Click a module or a stack to expand it. The stepper replays the forward
  pass, then the backward pass.</p></aside>
</main>
<div id="tip" hidden></div>
<script type="application/json" id="chainrule-data">{_json(data)}</script>
<script>{pan_zoom}</script>
<script>{script}</script>
</body>
</html>
"""
