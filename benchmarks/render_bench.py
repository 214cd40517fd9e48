"""How long drawing a graph takes: build the DOT (draw_dot) and lay it out to SVG.

    python benchmarks/render_bench.py            # 5 runs per graph, medians
    python benchmarks/render_bench.py --runs 9

The target: a 2,000-node graph is built and rendered in at most 2 s. Layout time
depends on the shape of a graph as much as on its size, so three shapes of about
2,000 Values are timed, plus a big scoped network that draw_dot collapses:

* micrograd's MLP, one sample, forward pass made of binary ``*`` and ``+`` (the
  lecture's picture, scaled up);
* a recurrence ``h = tanh(w * h + x_t)`` unrolled over many steps (long and thin,
  one weight reused at every step);
* an MLP with ``dot`` neurons inside scopes, on a batch (dense: every sample reads
  every weight), collapsed automatically by the node limit.

A second table has small graphs that are slow to lay out because their edges
are long: a recurrence with a loss at every step summed at the end, and a chain
that reuses random earlier values. For each: what ``draw_dot`` does with its
default budget (draw, collapse, or refuse, and how long that takes), and how
long the layout takes when the budget is lifted (``max_nodes=None``), stopped
after ``--timeout`` seconds.

Not a test: timings depend on the machine. Uses whichever layout engine
``autograd.render`` finds (graphviz-pure when installed with chainrule).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd  # noqa: E402
from autograd import (  # noqa: E402
    GraphTooLargeError,
    GraphvizEngineError,
    Value,
    draw_dot,
    scope,
)
from autograd.render import NumberedGraph, find_engine  # noqa: E402


def micrograd_mlp(sizes: tuple[int, ...], seed: int = 0) -> Value:
    """micrograd's ``MLP`` forward on one sample: ``sum(wi * xi) + b`` with binary ops, tanh."""
    rng = random.Random(seed)
    x = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(sizes[0])]
    for nin, nout in zip(sizes, sizes[1:]):
        out = []
        for _ in range(nout):
            act = Value(0.0, label="b")
            for i in range(nin):
                act = act + Value(rng.uniform(-1, 1), label=f"w{i}") * x[i]
            out.append(act.tanh())
        x = out
    root = x[0]
    root.label = "out"
    return root


def recurrence(steps: int, seed: int = 0) -> Value:
    """``h = tanh(w * h + x_t)``: a long, thin graph with one weight used at every step."""
    rng = random.Random(seed)
    w = Value(0.8, label="w")
    h = Value(0.0, label="h0")
    for t in range(steps):
        h = (w * h + Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
    h.label = "h"
    return h


def scoped_mlp(sizes: tuple[int, ...], samples: int, seed: int = 0) -> Value:
    """An MLP built the way ``nn`` builds one (``dot`` neurons in scopes), on a batch."""
    rng = random.Random(seed)
    layers = []
    for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
        with scope(f"layers.{i}"):
            layer = []
            for j in range(nout):
                with scope(f"neurons.{j}"):
                    layer.append(([Value(rng.uniform(-1, 1), f"w{k}") for k in range(nin)],
                                  Value(0.0, "b")))
            layers.append(layer)
    losses = []
    for _ in range(samples):
        x = [Value(rng.uniform(-2, 2), f"x{k}") for k in range(sizes[0])]
        for i, layer in enumerate(layers):
            with scope(f"layers.{i}"):
                out = []
                for j, (w, b) in enumerate(layer):
                    with scope(f"neurons.{j}"):
                        act = autograd.dot(w, x) + b
                        out.append(act.relu() if i < len(layers) - 1 else act)
                x = out
        losses.append((1 + -rng.choice([-1.0, 1.0]) * x[0]).relu())
    loss = autograd.sum(losses) * (1.0 / samples)
    loss.label = "loss"
    return loss


def recurrence_with_losses(steps: int, seed: int = 0) -> Value:
    """``h = tanh(w*h + u*x_t)`` with a loss at every step, summed: the early losses' edges to
    the sum skip most of the graph's ranks."""
    rng = random.Random(seed)
    w, u, h = Value(0.5, label="w"), Value(0.8, label="u"), Value(0.0, label="h0")
    losses = []
    for t in range(steps):
        h = (w * h + u * Value(rng.uniform(-1, 1), label=f"x{t}")).tanh()
        losses.append((h - rng.uniform(-1, 1)) ** 2)
    loss = autograd.sum(losses)
    loss.label = "loss"
    return loss


def random_reuse(steps: int, seed: int = 0) -> Value:
    """A chain whose every step also reads a random earlier value (edges of any length)."""
    rng = random.Random(seed)
    values = [Value(0.5, label="x0"), Value(-0.5, label="x1")]
    for _ in range(steps):
        a, b = values[-1], rng.choice(values)
        values.append((a * b).tanh() if rng.random() < 0.5 else a + b)
    return values[-1]


def time_one(make: Callable[[], Value], runs: int) -> dict[str, float]:
    root = make()
    root.backward()
    builds, renders, totals = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        g = draw_dot(root)
        t1 = time.perf_counter()
        svg = g.pipe(format="svg", quiet=True)
        t2 = time.perf_counter()
        assert svg.lstrip().startswith(b"<?xml")
        builds.append(t1 - t0)
        renders.append(t2 - t1)
        totals.append(t2 - t0)
    lines = g.source.splitlines()
    return {
        "values": len(NumberedGraph(root)),
        "drawn": sum(1 for line in lines if "[label=" in line and "->" not in line),
        "edges": sum(1 for line in lines if "->" in line),
        "build": statistics.median(builds),
        "render": statistics.median(renders),
        "total": statistics.median(totals),
    }


def long_edges(make: Callable[[], Value], timeout: float) -> dict[str, str]:
    """What draw_dot does with the default budget, and the layout time without it."""
    root = make()
    root.backward()
    t0 = time.perf_counter()
    try:
        g = draw_dot(root)
        caption = g.graph_attr.get("label", "")
        verdict = "collapsed" if "collapsed" in caption else "drawn"
        g.pipe(format="svg", quiet=True)
    except GraphTooLargeError as exc:
        verdict = f"refused ({exc.skipped_ranks:,} skipped ranks)"
    except GraphvizEngineError as exc:
        verdict = "timed out" if exc.returncode is None else f"engine failed ({exc.returncode})"
    default = f"{verdict}, {time.perf_counter() - t0:.2f} s"
    g = draw_dot(root, max_nodes=None, timeout=timeout)
    t0 = time.perf_counter()
    try:
        g.pipe(format="svg", quiet=True)
        unbounded = f"{time.perf_counter() - t0:.2f} s"
    except GraphvizEngineError as exc:
        unbounded = (f"> {timeout:g} s (stopped)" if exc.returncode is None
                     else f"engine failed ({exc.returncode})")
    return {"values": f"{len(NumberedGraph(root)):,}", "default": default, "unbounded": unbounded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per graph (median reported)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a layout without the budget may take (long-edge table)")
    args = parser.parse_args()
    engine = find_engine()
    version = subprocess.run([engine.path, "-V"], capture_output=True, text=True, check=False)
    print(f"engine: {engine.path} ({(version.stderr or version.stdout).strip()})")
    cases: list[tuple[str, Callable[[], Value]]] = [
        ("micrograd MLP 3-24-24-1, 1 sample", lambda: micrograd_mlp((3, 24, 24, 1))),
        ("recurrence, 500 steps", lambda: recurrence(500)),
        ("scoped MLP 2-16-16-1, 100 samples", lambda: scoped_mlp((2, 16, 16, 1), 100)),
    ]
    print(f"median of {args.runs} runs\n")
    print("| graph | Values | drawn nodes | edges | draw_dot | layout to SVG | total |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make in cases:
        r = time_one(make, args.runs)
        print(f"| {name} | {r['values']:,} | {r['drawn']:,} | {r['edges']:,} | "
              f"{r['build']:.2f} s | {r['render']:.2f} s | {r['total']:.2f} s |")
    slow: list[tuple[str, Callable[[], Value]]] = [
        *((f"recurrence with a loss per step, T={t}", lambda t=t: recurrence_with_losses(t))
          for t in (30, 40, 50, 100, 200)),
        *((f"random reuse of earlier values, {n} steps", lambda n=n: random_reuse(n))
          for n in (100, 200)),
    ]
    print("\nlong edges: draw_dot + layout with the default budget; layout with max_nodes=None\n")
    print("| graph | Values | default budget | max_nodes=None |")
    print("|---|---:|---|---:|")
    for name, make in slow:
        r2 = long_edges(make, args.timeout)
        print(f"| {name} | {r2['values']} | {r2['default']} | {r2['unbounded']} |", flush=True)


if __name__ == "__main__":
    main()
