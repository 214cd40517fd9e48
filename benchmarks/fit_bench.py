"""What nn.fit's own work costs, each against the same code without it, in one process.

    python benchmarks/fit_bench.py          # or as part of benchmarks/run.py

Two questions, each answered by alternating the two contenders (A B A B ...)
and reporting the min and median of each and the ratio of the medians:

* the cycle collector paused during each step (as ``fit`` does) against left
  running: the engine's graphs hold no cycles, so the collector only walks the
  live graph; its cost grows with the batch, so two batch sizes are timed;
* ``Optimizer.step()``'s checks (one type test per number and a sum of squares
  of the gradients, before anything moves) against the same update without them,
  for Adam on micrograd's 337-parameter moons MLP.

Times are the process's CPU time (``time.process_time``), which other programs on
a shared machine inflate far less than wall-clock time.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nn  # noqa: E402
import nn.training  # noqa: E402


def _alternate(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            gc.collect()
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return times


# A stand-in for the gc module inside nn.training whose disable() does nothing: fit
# then runs exactly as shipped, with the collector left running during its steps.
_COLLECTOR_LEFT_ON = types.SimpleNamespace(isenabled=gc.isenabled, enable=gc.enable,
                                           disable=lambda: None)


def bench_collector(samples: int, rounds: int) -> dict[str, list[float]]:
    """Three full-batch epochs of micrograd's moons recipe, collector paused against left on."""
    X, y = nn.data.make_moons(samples, noise=0.1, seed=1)
    y = [2 * t - 1 for t in y]
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    opt = nn.SGD(model, lr=0.01)

    def epoch() -> None:  # three epochs, so the steps outweigh fit's one check pass
        nn.fit(model, X, y, loss="hinge", l2=1e-4, optimizer=opt, epochs=3, verbose=False)

    def epoch_collector_on() -> None:
        nn.training.gc = _COLLECTOR_LEFT_ON  # type: ignore[assignment]
        try:
            epoch()
        finally:
            nn.training.gc = gc

    was = gc.isenabled()
    gc.enable()  # as a user's program has it
    try:
        return _alternate({"paused during steps (fit)": epoch,
                           "left on": epoch_collector_on}, rounds)
    finally:
        (gc.enable if was else gc.disable)()


class _UncheckedAdam(nn.Adam):
    """Adam's step as it was before the checks: hooks, then the updates.

    A deliberate copy of ``Adam.step`` and ``Optimizer.step`` less the checks: the
    contender the checks are measured against.
    """

    def step(self) -> None:
        b1, b2 = self.betas
        t = self.steps + 1
        self._step_size = self.lr / (1.0 - b1**t)
        self._correction2 = (1.0 - b2**t) ** 0.5
        for hook in self.hooks:
            hook(self.params)
        self.steps += 1
        state = self.state
        for p in self.params:
            s = state.get(p)
            if s is None:
                s = state[p] = {}
            self.update_one(p, s)


def bench_step_checks(rounds: int, steps: int = 200) -> dict[str, list[float]]:
    """``steps`` Adam steps on 337 parameters, with and without the checks (per step)."""
    model = nn.MLP(2, [16, 16, 1], seed=1)
    for p in model.parameters():
        p.grad = 1e-3
    checked, unchecked = nn.Adam(model, lr=1e-9), _UncheckedAdam(model, lr=1e-9)

    def run(opt: nn.Optimizer) -> Callable[[], None]:
        def go() -> None:
            for _ in range(steps):
                opt.step()
        return go

    times = _alternate({"Adam.step() with its checks": run(checked),
                        "the same update unchecked": run(unchecked)}, rounds)
    return {name: [t / steps for t in ts] for name, ts in times.items()}


def _row(name: str, ts: list[float], base: float, unit: float, label: str) -> str:
    med = statistics.median(ts)
    return (f"| {name} | {min(ts) / unit:.3g} {label} | {med / unit:.3g} {label} "
            f"| {med / base:.3f}x |")


def report(quick: bool = False) -> str:
    """The markdown tables run.py prints."""
    rounds = 5 if quick else 21
    lines = ["| fit, 3 epochs, moons MLP(2, [16, 16, 1]), full batch (CPU time) | min | median "
             "| x paused |", "|---|---|---|---|"]
    for samples in (100, 1000):
        times = bench_collector(samples, rounds if samples == 100 else max(3, rounds // 4))
        base = statistics.median(times["paused during steps (fit)"])
        for name, ts in times.items():
            lines.append(_row(f"{samples} samples, collector {name}", ts, base, 1e-3, "ms"))
    times = bench_step_checks(rounds)
    base = statistics.median(times["the same update unchecked"])
    lines += ["", "| one Adam step, 337 parameters (CPU time) | min | median | x unchecked |",
              "|---|---|---|---|"]
    for name, ts in times.items():
        lines.append(_row(name, ts, base, 1e-6, "us"))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(quick="--quick" in sys.argv))
