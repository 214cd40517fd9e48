"""Benchmark chainrule against micrograd and PyTorch (0-d tensors), in one process.

    python benchmarks/run.py            # full run, prints a markdown table
    python benchmarks/run.py --quick    # fewer repeats, smaller chain (a smoke run)

Set up once: ``pip install -e ".[bench]"`` (micrograd from PyPI); PyTorch is used
when installed. Engines are timed alternately (A B A B ...), garbage is collected
(untimed) before every timed run so one engine's garbage is not charged to
another, and the table reports medians and ratios measured in this one run.
Each engine keeps the cycle collector on while it runs, as a user's program does.
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


# ---------------------------------------------------------------------------
# 1. One step of micrograd's moons demo, with the notebook's training loop.


def _moons() -> tuple[list[list[float]], list[int]]:
    X, y = nn.data.make_moons(100, noise=0.1, seed=1)
    return [list(map(float, row)) for row in X], [1 if label > 0 else -1 for label in y]


def _no_mark(phase: str) -> None:
    pass


def micrograd_loop_step(
    Value: Any, model: Any, X: list[list[float]], y: list[int], k: int,
    mark: Callable[[str], None] = _no_mark,
) -> Any:
    """The notebook's loop, verbatim in spirit: only ``Value`` and ``model`` differ per engine.

    ``mark(phase)`` is called as each phase ends (for the split of a step's time).
    """
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    alpha = 1e-4
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    mark("forward")
    model.zero_grad()
    mark("zero_grad")
    total_loss.backward()
    mark("backward")
    learning_rate = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    mark("update")
    return total_loss


class _TorchScalarMLP:
    """micrograd's MLP written with 0-d float64 tensors (one tensor per weight)."""

    def __init__(self, nin: int, nouts: list[int], weights: list[float]) -> None:
        sizes = [nin, *nouts]
        it = iter(weights)
        self.layers = []
        for i in range(len(nouts)):
            layer = []
            for _ in range(sizes[i + 1]):
                w = [torch.tensor(next(it), dtype=torch.float64, requires_grad=True)
                     for _ in range(sizes[i])]
                b = torch.tensor(next(it), dtype=torch.float64, requires_grad=True)
                layer.append((w, b))
            self.layers.append((layer, i != len(nouts) - 1))

    def __call__(self, x: list[Any]) -> Any:
        for layer, nonlin in self.layers:
            out = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act.relu() if nonlin else act)
            x = out
        return x[0]

    def parameters(self) -> list[Any]:
        return [p for layer, _ in self.layers for w, b in layer for p in (*w, b)]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None


def _torch_step(model: _TorchScalarMLP, X: list[list[float]], y: list[int], k: int) -> Any:
    T = lambda v: torch.tensor(v, dtype=torch.float64)  # noqa: E731
    inputs = [list(map(T, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    lr = 1.0 - 0.9 * k / 100
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return total_loss


def _torch_vectorized(X: list[list[float]], y: list[int]) -> Callable[[int], Any]:
    tX = torch.tensor(X, dtype=torch.float64)
    ty = torch.tensor(y, dtype=torch.float64)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).double()

    def step(k: int) -> Any:
        scores = net(tX).squeeze(1)
        loss = torch.relu(1 - ty * scores).mean()
        loss = loss + 1e-4 * sum((p * p).sum() for p in net.parameters())
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= (1.0 - 0.9 * k / 100) * p.grad
        return loss

    return step


def _without_gc(step: Callable[[], Any]) -> Any:
    gc.disable()
    try:
        return step()
    finally:
        gc.enable()


def bench_moons(repeats: int) -> list[tuple[str, float]]:
    X, y = _moons()
    ours = nn.MLP(2, [16, 16, 1], seed=1)
    weights = [p.data for p in ours.parameters()]
    contenders: list[tuple[str, Callable[[int], Any]]] = [
        ("chainrule", lambda k: micrograd_loop_step(autograd.Value, ours, X, y, k)),
    ]
    if mg_nn is not None:
        theirs = mg_nn.MLP(2, [16, 16, 1])
        for p, w in zip(theirs.parameters(), weights):
            p.data = w
        contenders.append(
            ("micrograd", lambda k: micrograd_loop_step(mg_engine.Value, theirs, X, y, k))
        )
        # The same, with the cycle collector off during the step: how much of micrograd's
        # time goes to collecting the reference cycles its closures make.
        contenders.append(("micrograd, cycle collector off", lambda k: _without_gc(
            lambda: micrograd_loop_step(mg_engine.Value, theirs, X, y, k))))
    if torch is not None:
        torch.set_num_threads(1)
        tmodel = _TorchScalarMLP(2, [16, 16, 1], weights)
        contenders.append(("PyTorch, 0-d tensors", lambda k: _torch_step(tmodel, X, y, k)))
        contenders.append(("PyTorch, vectorized MLP", _torch_vectorized(X, y)))
    times: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for k in range(repeats):
        for name, step in contenders:
            gc.collect()
            start = time.perf_counter()
            step(k)
            times[name].append(time.perf_counter() - start)
    return [(name, statistics.median(ts)) for name, ts in times.items()]


def split_moons(repeats: int) -> tuple[dict[str, float], int]:
    """Where chainrule's moons step spends its time: medians per phase, and the node count.

    ``backward`` is split further into the topological sort (timed on its own, on the
    same graph) and the rest (resetting interior gradients and the chain-rule passes).
    """
    X, y = _moons()
    model = nn.MLP(2, [16, 16, 1], seed=1)
    phases: dict[str, list[float]] = {}
    nodes = 0
    last = [0.0]

    def mark(phase: str) -> None:
        now = time.perf_counter()
        phases.setdefault(phase, []).append(now - last[0])
        last[0] = now

    for k in range(repeats):
        gc.collect()
        last[0] = time.perf_counter()
        loss = micrograd_loop_step(autograd.Value, model, X, y, k, mark)
        start = time.perf_counter()
        order = autograd.topological_order(loss)
        phases.setdefault("topological sort", []).append(time.perf_counter() - start)
        nodes = len(order)
    split = {name: statistics.median(ts) for name, ts in phases.items()}
    split["backward"] -= split["topological sort"]
    return split, nodes


# ---------------------------------------------------------------------------
# 2. Build + backward of a long chain; 3. bytes per node and cyclic garbage.


def _chain(Value: Any, n: int) -> tuple[Any, Any]:
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


def bench_chain(n: int, repeats: int) -> list[tuple[str, str]]:
    rows = []
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        x, y = _chain(autograd.Value, n)
        y.backward()
        times.append(time.perf_counter() - start)
        assert x.grad == 1.0
        del x, y
    rows.append(("chainrule", f"{statistics.median(times):.2f} s"))
    if mg_engine is not None:
        gc.collect()
        x, y = _chain(mg_engine.Value, n)
        try:
            y.backward()
            rows.append(("micrograd", "completed"))
        except RecursionError:
            rows.append(("micrograd", "RecursionError (recursive topological sort)"))
        del x, y
        gc.collect()
    if torch is not None and n <= 200_000:
        gc.collect()
        start = time.perf_counter()
        x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        y = x
        for _ in range(n):
            y = y * 1.0
        y.backward()
        rows.append(("PyTorch, 0-d tensors", f"{time.perf_counter() - start:.2f} s"))
        del x, y
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
# 4. Draw + render a 2,000-node graph.


def bench_render(repeats: int) -> list[tuple[str, dict[str, float]]]:
    """draw_dot + layout to SVG for two ~2,000-Value shapes (see render_bench.py)."""
    import render_bench

    cases = [
        ("micrograd MLP 3-24-24-1, one sample", lambda: render_bench.micrograd_mlp((3, 24, 24, 1))),
        ("recurrence h = tanh(w h + x), 500 steps", lambda: render_bench.recurrence(500)),
    ]
    return [(name, render_bench.time_one(make, repeats)) for name, make in cases]


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
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter chain")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    chain_n = 100_000 if args.quick else 1_000_000
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

    print(f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()}; "
          f"Python {platform.python_version()}; "
          f"torch {getattr(torch, '__version__', 'not installed')}; "
          f"micrograd {'installed' if mg_nn else 'not installed'}\n")

    moons = bench_moons(repeats)
    base = dict(moons)["chainrule"]
    print("| one moons step (micrograd's loop, MLP(2, [16, 16, 1])) "
          "| median | x chainrule's time |")
    print("|---|---|---|")
    for name, t in moons:
        print(f"| {name} | {t * 1e3:.1f} ms | {t / base:.3g}x |")

    split, nodes = split_moons(repeats)
    step = sum(split.values())
    print(f"\n| where chainrule's moons step goes ({nodes:,} interior nodes, {step * 1e3:.1f} ms) "
          f"| median | share |")
    print("|---|---|---|")
    names = {"forward": "forward pass (building the graph)", "zero_grad": "zero_grad",
             "topological sort": "topological sort",
             "backward": "backward: reset interior gradients + chain-rule passes",
             "update": "SGD update"}
    for phase in ("forward", "zero_grad", "topological sort", "backward", "update"):
        print(f"| {names[phase]} | {split[phase] * 1e3:.2f} ms | {split[phase] / step:.0%} |")

    print(f"\n| {chain_n:,}-node chain, build + backward | time |")
    print("|---|---|")
    for name, text in bench_chain(chain_n, 3 if not args.quick else 1):
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

    print("\n| draw + render to SVG (graphviz-pure) | Values | draw_dot | layout | total |")
    print("|---|---:|---:|---:|---:|")
    for name, r in bench_render(repeats):
        print(f"| {name} | {r['values']:,.0f} | {r['build']:.2f} s | {r['render']:.2f} s "
              f"| {r['total']:.2f} s |")

    import fit_bench  # what nn.fit's collector pause and Optimizer.step's checks cost

    print("\n" + fit_bench.report(args.quick))

if __name__ == "__main__":
    main()
