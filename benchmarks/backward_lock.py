"""What the lock that makes backward() thread-safe costs a single thread.

    python benchmarks/backward_lock.py

backward() holds one re-entrant lock for the whole pass, so passes from several threads
into shared leaves add up every contribution. This times backward() with that lock and
with it replaced by a no-op, alternated in one process, on a tiny graph (where a fixed
cost shows most) and on one moons step's graph, and prints min and median of each and
the ratio of medians.
"""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd.engine as engine  # noqa: E402
import nn  # noqa: E402
from autograd import Value  # noqa: E402


def tiny() -> Value:
    x = Value(0.5)
    return (x * x + 1.0).tanh()


def moons() -> Value:
    X, y = nn.data.make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    return nn.hinge_loss([model(x) for x in X], [2 * t - 1 for t in y])


def time_backward(root: Value, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        root.backward()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    real_lock = engine._BACKWARD_LOCK
    for name, make, repeats, rounds in (("tiny graph (3 ops)", tiny, 20_000, 15),
                                        ("moons step graph", moons, 3, 15)):
        root = make()
        times: dict[str, list[float]] = {"with the lock": [], "without": []}
        for _ in range(rounds):
            for label, lock in (("with the lock", real_lock),
                                ("without", contextlib.nullcontext())):
                engine._BACKWARD_LOCK = lock  # type: ignore[assignment]
                gc.collect()
                times[label].append(time_backward(root, repeats))
        engine._BACKWARD_LOCK = real_lock
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"{name}: " + ", ".join(
            f"{k} min {min(v) * 1e6:.2f} us, median {med[k] * 1e6:.2f} us"
            for k, v in times.items())
            + f"; with / without (medians) = {med['with the lock'] / med['without']:.3f}")


if __name__ == "__main__":
    main()
