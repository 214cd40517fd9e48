"""Toy data sets in pure Python, a train/test split, a mini-batch loader and data checks.

Every generator returns ``(X, y)``: ``X`` a list of rows (lists of floats),
``y`` a list of labels. Classification sets use class indices ``0, 1, ...``
(for micrograd's max-margin loss, which wants -1/+1, use
``[2 * t - 1 for t in y]``). Everything random comes from a private
``random.Random`` made from ``seed`` (an int, a ``random.Random`` or None), so
the same seed always gives the same data and the global random state is never
touched.

>>> X, y = make_moons(100, noise=0.1, seed=1)
>>> len(X), len(X[0]), sorted(set(y))
(100, 2, [0, 1])
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from autograd import Value

from ._checks import Seed, as_rng, flag, integer, is_real, non_negative, positive, preview, real

T = TypeVar("T")
Dataset = tuple[list[list[float]], list[int]]


def _linspace(start: float, stop: float, n: int) -> list[float]:
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1)
    return [start + i * step for i in range(n)]


def _finish(
    X: list[list[float]], y: list[Any], noise: float, shuffle: bool, rng: random.Random
) -> tuple[list[list[float]], list[Any]]:
    """Shuffle the samples (when asked), then add Gaussian noise of std ``noise`` to X."""
    flag(shuffle, "shuffle")
    order = list(range(len(X)))
    if shuffle:
        rng.shuffle(order)
    X = [X[i] for i in order]
    y = [y[i] for i in order]
    if noise:
        X = [[v + rng.gauss(0.0, noise) for v in row] for row in X]
    return X, y


def _split(n: int, k: int) -> list[int]:
    """n samples over k groups, as evenly as possible (earlier groups get the extra ones)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def make_xor(n_samples: int = 4, noise: float = 0.0, *, seed: Seed = None) -> Dataset:
    """The XOR truth table: inputs in {0, 1}^2, label ``x0 XOR x1``.

    Sample ``i`` is corner ``i % 4`` of (0,0), (0,1), (1,0), (1,1), plus Gaussian
    noise of std ``noise``; the default is exactly the four-row table.

    >>> make_xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    n = integer(n_samples, "make_xor(n_samples)")
    noise = non_negative(noise, "make_xor(noise)")
    corners = [([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0)]
    X = [list(corners[i % 4][0]) for i in range(n)]
    y = [corners[i % 4][1] for i in range(n)]
    return _finish(X, y, noise, False, as_rng(seed))


# The generators below read alike on purpose: check the arguments, lay out each class's
# points, then _finish shuffles them and adds the noise.
def make_moons(
    n_samples: int = 100, noise: float = 0.0, *, shuffle: bool = True, seed: Seed = None
) -> Dataset:
    """Two interleaving half circles (label 0: the upper moon, 1: the lower one).

    The classic non-linear toy problem of micrograd's demo; ``noise`` is the
    standard deviation of Gaussian noise added to each coordinate.
    """
    n = integer(n_samples, "make_moons(n_samples)")
    noise = non_negative(noise, "make_moons(noise)")
    n_upper, n_lower = _split(n, 2)
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_upper)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_lower)]
    y = [0] * n_upper + [1] * n_lower
    return _finish(X, y, noise, shuffle, as_rng(seed))


def make_circles(
    n_samples: int = 100,
    noise: float = 0.0,
    factor: float = 0.8,
    *,
    shuffle: bool = True,
    seed: Seed = None,
) -> Dataset:
    """A circle of radius 1 (label 0) around a circle of radius ``factor`` (label 1)."""
    n = integer(n_samples, "make_circles(n_samples)")
    noise = non_negative(noise, "make_circles(noise)")
    factor = real(factor, "make_circles(factor)")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles(factor) must be in (0, 1), got {factor!r}")
    n_outer, n_inner = _split(n, 2)
    X = []
    for count, radius in ((n_outer, 1.0), (n_inner, factor)):
        angles = [2 * math.pi * i / count for i in range(count)]
        X += [[radius * math.cos(t), radius * math.sin(t)] for t in angles]
    y = [0] * n_outer + [1] * n_inner
    return _finish(X, y, noise, shuffle, as_rng(seed))


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.0,
    *,
    turns: float = 1.0,
    shuffle: bool = True,
    seed: Seed = None,
) -> Dataset:
    """``n_classes`` interleaved spiral arms growing from the origin to radius 1.

    Arm ``k`` starts at angle ``2 pi k / n_classes`` and winds ``turns`` times.
    """
    n = integer(n_samples, "make_spirals(n_samples)")
    k_classes = integer(n_classes, "make_spirals(n_classes)", minimum=2)
    noise = non_negative(noise, "make_spirals(noise)")
    turns = positive(turns, "make_spirals(turns)")
    X, y = [], []
    for k, count in enumerate(_split(n, k_classes)):
        for i in range(count):
            r = (i + 1) / count
            angle = 2 * math.pi * (k / k_classes + turns * r)
            X.append([r * math.cos(angle), r * math.sin(angle)])
            y.append(k)
    return _finish(X, y, noise, shuffle, as_rng(seed))


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    *,
    center_box: tuple[float, float] = (-10.0, 10.0),
    shuffle: bool = True,
    seed: Seed = None,
) -> Dataset:
    """Gaussian clusters, one class per center.

    ``centers`` is a number of clusters (their centers drawn uniformly from
    ``center_box`` in every coordinate) or an explicit list of center points.
    """
    n = integer(n_samples, "make_blobs(n_samples)")
    std = non_negative(cluster_std, "make_blobs(cluster_std)")
    rng = as_rng(seed)
    if isinstance(centers, Sequence):
        if not centers:
            raise ValueError("make_blobs(centers) is an empty list")
        points = [[real(v, "make_blobs(centers) coordinate") for v in c] for c in centers]
        if len({len(p) for p in points}) != 1 or not points[0]:
            raise ValueError(
                "make_blobs(centers) must be points with the same number of coordinates"
            )
    else:
        k = integer(centers, "make_blobs(centers)")
        d = integer(n_features, "make_blobs(n_features)")
        lo, hi = (real(v, "make_blobs(center_box)") for v in center_box)
        if not lo < hi:
            raise ValueError(f"make_blobs(center_box) must be (low, high) with low < high, "
                             f"got {preview(center_box)}")
        points = [[rng.uniform(lo, hi) for _ in range(d)] for _ in range(k)]
    X, y = [], []
    for label, count in enumerate(_split(n, len(points))):
        for _ in range(count):
            X.append([c + rng.gauss(0.0, std) if std else c for c in points[label]])
            y.append(label)
    return _finish(X, y, 0.0, shuffle, rng)


def make_regression(
    n_samples: int = 100,
    n_features: int = 1,
    noise: float = 0.0,
    *,
    weights: Sequence[float] | None = None,
    bias: float = 0.0,
    seed: Seed = None,
) -> tuple[list[list[float]], list[float]]:
    """A linear regression problem: ``y = w . x + bias + noise``, x ~ N(0, 1) per feature.

    ``weights`` default to draws from U(-2, 2); pass them to know the answer.

    >>> X, y = make_regression(3, n_features=2, weights=[1.0, -1.0], bias=0.5, seed=0)
    >>> all(abs(t - (r[0] - r[1] + 0.5)) < 1e-12 for r, t in zip(X, y))
    True
    """
    n = integer(n_samples, "make_regression(n_samples)")
    d = integer(n_features, "make_regression(n_features)")
    noise = non_negative(noise, "make_regression(noise)")
    bias = real(bias, "make_regression(bias)")
    rng = as_rng(seed)
    if weights is None:
        w = [rng.uniform(-2.0, 2.0) for _ in range(d)]
    else:
        w = [real(v, "make_regression(weights) item") for v in weights]
        if len(w) != d:
            raise ValueError(f"make_regression: {len(w)} weights for {d} features")
    X = [[rng.gauss(0.0, 1.0) for _ in range(d)] for _ in range(n)]
    y = [math.fsum(wi * xi for wi, xi in zip(w, row)) + bias for row in X]
    if noise:
        y = [t + rng.gauss(0.0, noise) for t in y]
    return X, y


def check_dataset(X: Sequence[Any], y: Sequence[Any], what: str = "data") -> None:
    """ValueError unless X and y are non-empty sequences of the same length."""
    for name, seq in (("X", X), ("y", y)):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise TypeError(f"{what}: {name} must be a sequence, got {type(seq).__name__}")
    if len(X) != len(y):
        raise ValueError(f"{what}: X has {len(X)} samples but y has {len(y)} labels")
    if len(X) == 0:
        raise ValueError(f"{what}: no samples (X and y are empty)")


def train_test_split(
    X: Sequence[T],
    y: Sequence[Any],
    test_size: float | int = 0.25,
    *,
    shuffle: bool = True,
    seed: Seed = None,
) -> tuple[list[T], list[T], list[Any], list[Any]]:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order).

    ``test_size`` is a fraction in (0, 1) (rounded up to whole samples) or a
    number of samples; both parts must end up non-empty.
    """
    check_dataset(X, y, "train_test_split")
    n = len(X)
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"train_test_split(test_size) as a fraction must be in (0, 1), "
                             f"got {preview(test_size)}")
        n_test = math.ceil(test_size * n)
    else:
        n_test = integer(test_size, "train_test_split(test_size)")
    if not 1 <= n_test < n:
        raise ValueError(f"train_test_split: a test set of {n_test} out of {n} samples leaves "
                         f"no training or no test data")
    order = list(range(n))
    if flag(shuffle, "shuffle"):
        as_rng(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]


class DataLoader:
    """Mini-batches ``(X_batch, y_batch)`` over a data set, reshuffled on every pass.

    >>> loader = DataLoader([[0.0], [1.0], [2.0]], [0, 1, 0], batch_size=2, shuffle=False)
    >>> list(loader), len(loader)
    ([([[0.0], [1.0]], [0, 1]), ([[2.0]], [0])], 2)

    The shuffling uses its own generator made from ``seed``, so two loaders with
    the same seed give the same batches, epoch after epoch. ``drop_last``
    skips a final batch smaller than ``batch_size``.
    """

    def __init__(
        self,
        X: Sequence[Any],
        y: Sequence[Any],
        batch_size: int = 32,
        *,
        shuffle: bool = True,
        seed: Seed = None,
        drop_last: bool = False,
    ) -> None:
        check_dataset(X, y, "DataLoader")
        self.X, self.y = X, y
        self.batch_size = integer(batch_size, "DataLoader(batch_size)")
        if not isinstance(shuffle, bool) or not isinstance(drop_last, bool):
            raise TypeError("DataLoader(shuffle, drop_last) need True or False")
        if drop_last and self.batch_size > len(X):
            raise ValueError(f"DataLoader: drop_last with batch_size {self.batch_size} > "
                             f"{len(X)} samples gives no batches at all")
        self.shuffle, self.drop_last = shuffle, drop_last
        self._rng = as_rng(seed)

    def __len__(self) -> int:
        n, b = len(self.X), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[list[Any], list[Any]]]:
        order = list(range(len(self.X)))
        if self.shuffle:
            self._rng.shuffle(order)
        b = self.batch_size
        for k in range(len(self)):
            idx = order[k * b:(k + 1) * b]
            yield [self.X[i] for i in idx], [self.y[i] for i in idx]


def check_finite(X: Sequence[Any], y: Sequence[Any], what: str) -> None:
    """ValueError naming the first number in ``X`` or ``y`` that is NaN or infinite.

    Numbers are looked for in nested lists, tuples and arrays and in Values'
    ``.data``; anything else is left for the model and the loss to judge.

    >>> check_finite([[0.0, 1.0], [2.0, float('nan')]], [0, 1], 'fit')
    Traceback (most recent call last):
    ...
    ValueError: fit: X[1][1] = nan; every input and label must be a finite number ...
    """
    for name, rows in (("X", X), ("y", y)):
        for i, row in enumerate(rows):
            try:
                if all(map(math.isfinite, row)):  # the common case: a row of floats
                    continue
            except (TypeError, OverflowError):
                pass  # a scalar, nested rows, an int too large for a float, not numbers
            bad = _non_finite(row, f"{name}[{i}]")
            if bad is not None:
                raise ValueError(
                    f"{what}: {bad[0]} = {bad[1]}; every input and label must be a finite "
                    f"number (look for missing or overflowed values in the data); nothing "
                    f"was trained"
                )


def _non_finite(item: Any, where: str, depth: int = 0) -> tuple[str, str] | None:
    """(position, shown value) of the first NaN or infinite number in ``item``, else None."""
    if isinstance(item, Value):
        item = item.data
    if is_real(item):
        try:
            number = float(item)
        except OverflowError:
            return where, f"{preview(item)} (too large for a float)"
        return None if math.isfinite(number) else (where, repr(number))
    if depth < 8 and not isinstance(item, (str, bytes)) and hasattr(item, "__len__"):
        try:
            entries = list(item)
        except TypeError:
            return None
        for j, entry in enumerate(entries):
            bad = _non_finite(entry, f"{where}[{j}]", depth + 1)
            if bad is not None:
                return bad
    return None
