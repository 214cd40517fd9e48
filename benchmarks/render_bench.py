"""How long drawing a graph takes, and whether the layout budget keeps every drawing it lets
through under 3 s.

    python benchmarks/render_bench.py            # 5 rounds, min and median
    python benchmarks/render_bench.py --rounds 9
    python benchmarks/render_bench.py --calibrate > times.csv   # data for the time model

Each round times every graph once, in turn (contenders alternate, so a busy moment of a
shared machine hits them all alike); min and median over rounds are reported.

Table 1, "the default budget": what ``draw_dot`` does with each graph at its defaults
(drawn, folded, collapsed or refused), the layout time the budget predicted, and the
measured times of ``draw_dot`` and of the layout to SVG (graphviz-pure), against the 3 s a
drawing may take. The shapes: the README's big example (and ``collapse=2`` of it, which took
12 s before the budget predicted time), micrograd's MLP on one sample, recurrences (long and
thin), a recurrence with a loss at every step and a chain reusing random earlier values
(small graphs whose long edges make slow layouts).

Table 2, "unbounded": the same graphs with ``max_nodes=None`` (everything drawn), stopped
after ``--timeout`` seconds, as a ratio to the budgeted drawing's layout in the same run.

Not a test: timings depend on the machine. Uses whichever layout program
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
import nn  # noqa: E402
from autograd import GraphTooLargeError, GraphvizEngineError, Value, draw_dot, scope  # noqa: E402
from autograd.render import DrawOptions, NumberedGraph, find_engine  # noqa: E402
from autograd.render.budget import choose  # noqa: E402

#: What a drawing the default budget lets through may take to lay out (issue target).
LIMIT = 3.0


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
                    layer.append(([Value(rng.uniform(-1, 1), label=f"w{k}") for k in range(nin)],
                                  Value(0.0, label="b")))
            layers.append(layer)
    losses = []
    for _ in range(samples):
        x = [Value(rng.uniform(-2, 2), label=f"x{k}") for k in range(sizes[0])]
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


def readme_big_example(samples: int = 100) -> Value:
    """The README's "Big graphs" example: nn's MLP 2-16-16-1, a loss over 100 samples."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    xs = [[0.1 * i, -0.2 * i] for i in range(samples)]
    loss = autograd.sum([(model(x) - 1.0) ** 2 for x in xs]) * 0.01
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


CASES: list[tuple[str, Callable[[], Value], dict[str, object]]] = [
    ("README big example (MLP 2-16-16-1, 100 samples)", readme_big_example, {}),
    ("  the same, collapse=2", readme_big_example, {"collapse": 2}),
    ("  the same, collapse=1", readme_big_example, {"collapse": 1}),
    ("scoped MLP 2-16-16-1, 30 samples", lambda: scoped_mlp((2, 16, 16, 1), 30), {}),
    ("micrograd MLP 3-24-24-1, 1 sample", lambda: micrograd_mlp((3, 24, 24, 1)), {}),
    ("recurrence, 500 steps", lambda: recurrence(500), {}),
    ("recurrence, 1,000 steps", lambda: recurrence(1000), {}),
    ("recurrence with a loss per step, T=20", lambda: recurrence_with_losses(20), {}),
    ("recurrence with a loss per step, T=50", lambda: recurrence_with_losses(50), {}),
    ("recurrence with a loss per step, T=100", lambda: recurrence_with_losses(100), {}),
    ("random reuse of earlier values, 40 steps", lambda: random_reuse(40), {}),
    ("random reuse of earlier values, 100 steps", lambda: random_reuse(100), {}),
]


def _verdict(g: object) -> str:
    caption = getattr(g, "caption", "")
    if not caption:
        return "drawn"
    parts = (["folded"] if "stack" in caption else []) + (
        ["collapsed"] if "collapsed" in caption else [])
    return " + ".join(parts) or "reduced"


def default_budget(rounds: int) -> None:
    roots = []
    for name, make, options in CASES:
        root = make()
        root.backward()
        roots.append((name, root, options))
    draws: dict[str, list[float]] = {name: [] for name, _, _ in roots}
    layouts: dict[str, list[float]] = {name: [] for name, _, _ in roots}
    verdicts: dict[str, str] = {}
    predicted: dict[str, float] = {}
    for _ in range(rounds):
        for name, root, options in roots:  # contenders alternate within each round
            t0 = time.perf_counter()
            try:
                g = draw_dot(root, **options)  # type: ignore[arg-type]
            except GraphTooLargeError as exc:
                verdicts[name] = f"refused ({', '.join(exc.over)})"
                draws[name].append(time.perf_counter() - t0)
                continue
            t1 = time.perf_counter()
            g.pipe(format="svg", quiet=True)
            t2 = time.perf_counter()
            draws[name].append(t1 - t0)
            layouts[name].append(t2 - t1)
            verdicts[name] = _verdict(g)
            graph = NumberedGraph(root)
            predicted[name] = choose(graph, DrawOptions(**options)).size.seconds  # type: ignore[arg-type]
    print(f"## the default budget (min / median of {rounds} rounds; a drawing may take "
          f"{LIMIT:g} s)\n")
    print("| graph | Values | draw_dot does | predicted layout | draw_dot | layout | "
          "layout / 3 s |")
    print("|---|---:|---|---:|---:|---:|---:|")
    worst = 0.0
    for name, root, _ in roots:
        d, lay = draws[name], layouts[name]
        n = len(NumberedGraph(root))
        if lay:
            worst = max(worst, min(lay))
            cells = (f"{predicted[name]:.2f} s | {min(d):.2f} / {statistics.median(d):.2f} s | "
                     f"{min(lay):.2f} / {statistics.median(lay):.2f} s | "
                     f"{min(lay) / LIMIT:.2f} / {statistics.median(lay) / LIMIT:.2f}")
        else:
            cells = f"- | {min(d):.2f} / {statistics.median(d):.2f} s | - | -"
        print(f"| {name} | {n:,} | {verdicts[name]} | {cells} |")
    print(f"\nslowest layout the default budget let through: {worst:.2f} s (min), "
          f"{'within' if worst <= LIMIT else 'OVER'} the {LIMIT:g} s target\n")


def unbounded(timeout: float) -> None:
    print(f"## unbounded (max_nodes=None, stopped after {timeout:g} s), as a ratio to the "
          f"budgeted drawing's layout in the same run\n")
    print("| graph | budgeted layout | unbounded layout | unbounded / budgeted |")
    print("|---|---:|---:|---:|")
    for name, make, options in CASES:
        root = make()
        root.backward()
        try:
            g = draw_dot(root, **options)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            g.pipe(format="svg", quiet=True)
            budgeted = time.perf_counter() - t0
        except GraphTooLargeError:
            budgeted = float("nan")
        g = draw_dot(root, max_nodes=None, timeout=timeout,
                     **{k: v for k, v in options.items() if k != "fold"})  # type: ignore[arg-type]
        t0 = time.perf_counter()
        try:
            g.pipe(format="svg", quiet=True)
            full = time.perf_counter() - t0
            shown = f"{full:.2f} s"
        except GraphvizEngineError:
            full = float("inf")
            shown = f"> {timeout:g} s"
        ratio = "-" if budgeted != budgeted else f"{full / budgeted:.1f}x"
        b = "refused" if budgeted != budgeted else f"{budgeted:.2f} s"
        print(f"| {name} | {b} | {shown} | {ratio} |", flush=True)


def calibrate(rounds: int, timeout: float) -> None:
    """CSV: the plan's measures and the measured layout time (min over rounds) of each case,
    without a budget: the data :data:`autograd.render.budget` fits its time model to."""
    fields = ["nodes", "edges", "skips", "drawn", "crowd", "widest", "crossings", "bends",
              "fans", "predicted", "measured"]
    print("graph," + ",".join(fields))
    for name, make, options in CASES:
        root = make()
        root.backward()
        graph = NumberedGraph(root)
        opts = DrawOptions(max_nodes=None, timeout=timeout, **options)  # type: ignore[arg-type]
        size = choose(graph, opts).size
        g = draw_dot(root, options=opts)
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            try:
                g.pipe(format="svg", quiet=True)
            except GraphvizEngineError:
                times.append(float("inf"))
                break
            times.append(time.perf_counter() - t0)
        print(f"{name.strip()}," + ",".join(str(x) for x in size) +
              f",{size.seconds:.3f},{min(times):.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds (min and median)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds an unbounded layout may take")
    parser.add_argument("--calibrate", action="store_true",
                        help="print CSV for fitting the layout-time model instead")
    parser.add_argument("--no-unbounded", action="store_true", help="skip table 2")
    args = parser.parse_args()
    engine = find_engine()
    version = subprocess.run([engine.path, "-V"], capture_output=True, text=True, check=False)
    print(f"layout program: {engine.path} ({(version.stderr or version.stdout).strip()})\n")
    if args.calibrate:
        calibrate(args.rounds, args.timeout)
        return
    default_budget(args.rounds)
    if not args.no_unbounded:
        unbounded(args.timeout)


if __name__ == "__main__":
    main()
