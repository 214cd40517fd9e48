"""Benchmark chainrule against micrograd, PyTorch and hand-written NumPy, in one process.

    python benchmarks/run.py            # the full run (about ten minutes)
    python benchmarks/run.py --quick    # a smoke run: few rounds, a shorter chain

Set up once: ``pip install -e ".[bench]"`` (micrograd from PyPI); PyTorch is used
when installed. Contenders alternate within every round (A B C ... A B C ...), with
garbage collected (untimed) before each timed run so one contender's garbage is not
charged to another; each keeps the cycle collector on, as a user's program does. Every
figure is the min and the median over the rounds, and every comparison a ratio to a
contender measured in the same run, given as "ratio of the mins - ratio of the
medians": on a shared machine absolute times move from run to run, ratios far less.
Fast contenders run ``BURST`` steps per round and report the time per step.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import moons_steps as ms  # noqa: E402

import autograd  # noqa: E402
import nn  # noqa: E402

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:  # pragma: no cover - depends on the environment
    mg_engine = mg_nn = None  # type: ignore[assignment]

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None  # type: ignore[assignment]

BURST = 20  # steps per round for a contender that takes under a millisecond a step
Times = dict[str, list[float]]

# ---------------------------------------------------------------------------
# 1. One step of micrograd's moons demo, every contender.


def _without_gc(step: ms.Step) -> ms.Step:
    def run(k: int) -> float:
        gc.disable()
        try:
            return step(k)
        finally:
            gc.enable()

    return run


def contenders() -> list[tuple[str, ms.Step, int]]:
    """(name, step, steps per round), all from the same weights."""
    X, y = ms.moons()
    ours = nn.MLP(2, [16, 16, 1], seed=1)
    weights = [p.data for p in ours.parameters()]
    out: list[tuple[str, ms.Step, int]] = [
        ("chainrule, nn.MLP (a dot node per neuron), micrograd's loop",
         ms.make_eager(autograd.Value, ours, X, y), 1)]
    if mg_nn is not None:
        classes = ms.micrograd_classes(autograd.Value)
        verbatim = ms.set_weights(classes.MLP(2, [16, 16, 1]), weights)
        theirs = ms.set_weights(mg_nn.MLP(2, [16, 16, 1]), weights)
        out += [
            ("chainrule, micrograd's own nn.py classes (the same graph as micrograd)",
             ms.make_eager(autograd.Value, verbatim, X, y), 1),
            ("micrograd", ms.make_eager(mg_engine.Value, theirs, X, y), 1),
            ("micrograd, cycle collector off during the step",
             _without_gc(ms.make_eager(mg_engine.Value, ms.set_weights(
                 mg_nn.MLP(2, [16, 16, 1]), weights), X, y)), 1),
        ]
    if torch is not None:
        torch.set_num_threads(1)
        out += [("PyTorch, 0-d tensors (micrograd's loop)",
                 ms.make_torch_scalars(torch, weights, X, y), 1),
                ("PyTorch, vectorized (full-batch tensors)",
                 ms.make_torch_vectorized(torch, weights, X, y), BURST)]
    out += [("NumPy, forward + backward + SGD written by hand", ms.make_numpy(weights, X, y),
             BURST),
            ("chainrule compiled, one array operation per node",
             ms.make_compiled(ms.set_weights(nn.MLP(2, [16, 16, 1], seed=1), weights), X, y,
                              fuse=False), BURST),
            ("chainrule compiled (autograd.compile), fused",
             ms.make_compiled(ms.set_weights(nn.MLP(2, [16, 16, 1], seed=1), weights), X, y),
             BURST)]
    if mg_nn is not None:
        classes = ms.micrograd_classes(autograd.Value)
        model = ms.set_weights(classes.MLP(2, [16, 16, 1]), weights)
        out.append(("chainrule compiled, micrograd's own classes (chains fused into matrix "
                    "products)", ms.make_compiled(model, X, y), BURST))
    return out


def alternate(steps: list[tuple[str, ms.Step, int]], rounds: int) -> tuple[Times, dict]:
    """Per contender, the time per step of each round; and the first round's losses."""
    times: Times = {name: [] for name, _, _ in steps}
    first: dict[str, float] = {}
    for r in range(rounds):
        for name, step, burst in steps:
            gc.collect()
            start = time.perf_counter()
            for k in range(r * burst, (r + 1) * burst):
                loss = step(k)
                first.setdefault(name, loss)  # the very first step's loss
            times[name].append((time.perf_counter() - start) / burst)
    return times, first


def spread(num: list[float], den: list[float]) -> str:
    """num / den as 'ratio of the mins - ratio of the medians'."""
    a = min(num) / min(den)
    b = statistics.median(num) / statistics.median(den)
    lo, hi = sorted((a, b))
    digits = 3 if hi < 10 else 0 if hi >= 100 else 1
    return f"{lo:.{digits}f}-{hi:.{digits}f}x" if f"{lo:.{digits}f}" != f"{hi:.{digits}f}" \
        else f"{lo:.{digits}f}x"


def ms_(ts: list[float]) -> str:
    return f"{min(ts) * 1e3:.3g} / {statistics.median(ts) * 1e3:.3g} ms"


def report_moons(times: Times, first: dict[str, float]) -> None:
    base = "micrograd" if "micrograd" in times else None
    vec = "PyTorch, vectorized (full-batch tensors)"
    vec = vec if vec in times else None
    print("| one moons step, MLP(2, [16, 16, 1]), 100 samples | min / median | micrograd's "
          "time / it | it / PyTorch vectorized |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        speedup = spread(times[base], ts) if base else "-"
        vs = spread(ts, times[vec]) if vec else "-"
        print(f"| {name} | {ms_(ts)} | {speedup} | {vs} |")
    losses = list(first.values())
    agree = max(abs(a - losses[0]) for a in losses) / abs(losses[0])
    print(f"\n(every contender's first loss is {losses[0]:.12g}, within {agree:.1g} relative: "
          f"they take the same step)")


def report_targets(times: Times, trace: list[float]) -> None:
    fused = times["chainrule compiled (autograd.compile), fused"]
    numpy = times["NumPy, forward + backward + SGD written by hand"]
    print("\n| target (issue 12) | measured | met |")
    print("|---|---|---|")
    vec = times.get("PyTorch, vectorized (full-batch tensors)")
    if vec is not None:
        worst = max(min(fused) / min(vec), statistics.median(fused) / statistics.median(vec))
        print(f"| compiled step <= 0.5x PyTorch's vectorized step | {spread(fused, vec)} | "
              f"{'yes' if worst <= 0.5 else 'no'} |")
    worst = max(min(fused) / min(numpy), statistics.median(fused) / statistics.median(numpy))
    print(f"| compiled step within 3x of NumPy by hand | {spread(fused, numpy)} | "
          f"{'yes' if worst <= 3 else 'no'} |")
    eager = times["chainrule, nn.MLP (a dot node per neuron), micrograd's loop"]
    print(f"| tracing + compiling once < 0.1 s | {ms_(trace)}, {spread(trace, eager)} an eager "
          f"step | {'yes' if statistics.median(trace) < 0.1 else 'no'} |")


def bench_trace(rounds: int) -> list[float]:
    """autograd.compile of the moons objective: trace, fuse, write and compile the code."""
    X, y = ms.moons()
    model = nn.MLP(2, [16, 16, 1], seed=1)
    out = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        program = autograd.compile(ms.compiled_objective(model), (X[0], 1.0),
                                   params=model.parameters())
        program.backward_fn(False, False)  # the reverse sweep is written on first use
        out.append(time.perf_counter() - start)
    return out


def bench_fit(rounds: int) -> Times:
    """The moons demo's training, 100 epochs through nn.fit, eager and compile=True,
    alternating (each from fresh weights; compile=True includes tracing and its check)."""
    X, labels = nn.data.make_moons(100, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]
    times: Times = {"nn.fit": [], "nn.fit(compile=True)": []}
    for _ in range(rounds):
        for name, flag in (("nn.fit", False), ("nn.fit(compile=True)", True)):
            model = nn.MLP(2, [16, 16, 1], seed=1)
            optimizer = nn.SGD(model, lr=1.0)
            schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
            gc.collect()
            start = time.perf_counter()
            nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=optimizer, scheduler=schedule,
                   epochs=100, verbose=False, compile=flag)
            times[name].append(time.perf_counter() - start)
    return times


def split_moons(rounds: int) -> tuple[Times, int]:
    """Where the eager step goes: each phase per round, and the number of interior nodes.
    ``backward`` excludes the topological sort, timed on its own on the same graph."""
    X, y = ms.moons()
    model = nn.MLP(2, [16, 16, 1], seed=1)
    phases: Times = {}
    nodes = 0
    last = [0.0]

    def mark(phase: str) -> None:
        now = time.perf_counter()
        phases.setdefault(phase, []).append(now - last[0])
        last[0] = now

    for k in range(rounds):
        gc.collect()
        last[0] = time.perf_counter()
        loss = ms.loop_step(autograd.Value, model, X, y, k, mark)
        start = time.perf_counter()
        order = autograd.topological_order(loss)
        phases.setdefault("topological sort", []).append(time.perf_counter() - start)
        nodes = len(order)
    phases["backward"] = [b - s for b, s in zip(phases["backward"], phases["topological sort"])]
    return phases, nodes


# ---------------------------------------------------------------------------
# 2. Build + backward of a long chain; 3. bytes per node and cyclic garbage.


def _chain(Value: Any, n: int) -> tuple[Any, Any]:
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


def bench_chain(n: int, rounds: int) -> list[tuple[str, str]]:
    def chainrule() -> None:
        x, y = _chain(autograd.Value, n)
        y.backward()
        assert x.grad == 1.0

    contenders: list[tuple[str, Callable[[], None]]] = [("chainrule", chainrule)]
    if torch is not None:
        m = min(n, 100_000)

        def pytorch() -> None:
            x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(m):
                y = y * 1.0
            y.backward()

        contenders.append((f"PyTorch, 0-d tensors ({m:,} nodes, scaled to {n:,})", pytorch))
    times: Times = {name: [] for name, _ in contenders}
    for _ in range(rounds):
        for name, run in contenders:
            gc.collect()
            start = time.perf_counter()
            run()
            scale = n / min(n, 100_000) if name.startswith("PyTorch") else 1.0
            times[name].append((time.perf_counter() - start) * scale)
    rows = [(name, f"{min(ts):.2f} / {statistics.median(ts):.2f} s | "
             f"{spread(ts, times['chainrule'])}") for name, ts in times.items()]
    if mg_engine is not None:
        x, y = _chain(mg_engine.Value, n)
        try:
            y.backward()
            rows.append(("micrograd", "completed | -"))
        except RecursionError:
            rows.append(("micrograd", "RecursionError (recursive topological sort) | -"))
        del x, y
        gc.collect()
    return rows


def bytes_per_node(Value: Any, n: int = 10_000) -> tuple[float, float, int]:
    """(bytes per node after the build, after backward, cyclic objects left when dropped).

    micrograd's recursive backward needs a raised recursion limit for this depth.
    """
    gc.collect()
    gc.disable()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * n))
    try:
        tracemalloc.start()
        x, y = _chain(Value, n)
        built = tracemalloc.get_traced_memory()[0]
        y.backward()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        nodes = 2 * n + 1 if Value is not autograd.Value else n + 1  # micrograd wraps constants
        del x, y
        cyclic = gc.collect()
    finally:
        gc.enable()
        sys.setrecursionlimit(limit)
    return built / nodes, after / nodes, cyclic


# ---------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, a shorter chain")
    parser.add_argument("--only-moons", action="store_true", help="the moons tables alone")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 35
    chain_n = 100_000 if args.quick else 1_000_000
    print(f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()}; load average "
          f"{os.getloadavg()[0]:.1f}; Python {platform.python_version()}; "
          f"torch {getattr(torch, '__version__', 'not installed')}; "
          f"micrograd {'installed' if mg_nn else 'not installed'}; {rounds} rounds\n")

    times, first = alternate(contenders(), rounds)
    report_moons(times, first)
    report_targets(times, bench_trace(rounds))
    fits = bench_fit(2 if args.quick else 5)
    eager = fits["nn.fit"]
    print("\n| the moons demo's 100 steps through nn.fit | min / median | eager's time / its |")
    print("|---|---|---|")
    for name, ts in fits.items():
        print(f"| {name} | {min(ts):.2f} / {statistics.median(ts):.2f} s | {spread(eager, ts)} |")

    phases, nodes = split_moons(max(3, rounds // 3))
    step = sum(statistics.median(ts) for ts in phases.values())
    print(f"\n| where the eager step goes ({nodes:,} interior nodes) | min / median | share |")
    print("|---|---|---|")
    names = {"forward": "forward pass (building the graph)", "zero_grad": "zero_grad",
             "topological sort": "topological sort",
             "backward": "backward: reset interior gradients + chain-rule passes",
             "update": "SGD update"}
    for phase in ("forward", "zero_grad", "topological sort", "backward", "update"):
        ts = phases[phase]
        print(f"| {names[phase]} | {ms_(ts)} | {statistics.median(ts) / step:.0%} |")
    if args.only_moons:
        return

    print(f"\n| {chain_n:,}-node chain, build + backward | min / median | x chainrule |")
    print("|---|---|---|")
    for name, text in bench_chain(chain_n, 3 if args.quick else 5):
        print(f"| {name} | {text} |")

    print("\n| memory (tracemalloc, 10,000-step chain) | bytes/node built | after backward "
          "| cyclic objects left |")
    print("|---|---|---|---|")
    engines = [("chainrule", autograd.Value)]
    if mg_engine is not None:
        engines.append(("micrograd", mg_engine.Value))
    for name, V in engines:
        built, after, cyclic = bytes_per_node(V)
        print(f"| {name} | {built:.0f} | {after:.0f} | {cyclic:,} |")

    import render_bench  # drawing: the default budget's verdicts and times

    print()
    render_bench.default_budget(3 if args.quick else 5)

    import fit_bench  # what nn.fit's collector pause and Optimizer.step's checks cost

    print("\n" + fit_bench.report(args.quick))


if __name__ == "__main__":
    main()
