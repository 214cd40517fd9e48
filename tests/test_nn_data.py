"""Toy data sets, train/test split and the mini-batch loader: seeded, pure Python, checked input."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from typing import Any

import pytest

from nn.data import (
    DataLoader,
    make_blobs,
    make_circles,
    make_moons,
    make_regression,
    make_spirals,
    make_xor,
    train_test_split,
)


def test_xor_is_the_truth_table() -> None:
    assert make_xor() == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    X, y = make_xor(10, noise=0.05, seed=1)
    assert len(X) == 10 and y == [0, 1, 1, 0] * 2 + [0, 1]
    assert all(abs(X[i][1] - [0, 1, 0, 1][i % 4]) < 0.3 for i in range(10))


def test_moons_lie_on_two_half_circles_without_noise() -> None:
    X, y = make_moons(101, shuffle=False)
    assert Counter(y) == {0: 51, 1: 50}
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_generators_are_reproducible_per_seed_and_differ_across_seeds() -> None:
    for make in (make_moons, make_circles, make_spirals, make_blobs):
        a = make(50, seed=3)  # type: ignore[operator]
        assert a == make(50, seed=3)  # type: ignore[operator]
        assert a == make(50, seed=random.Random(3))  # type: ignore[operator]
        assert a != make(50, seed=4)  # type: ignore[operator]
    assert make_moons(30, noise=0.1, seed=1) != make_moons(30, noise=0.1, seed=2)
    assert make_regression(20, seed=5) == make_regression(20, seed=5)


def test_noise_is_gaussian_with_the_given_standard_deviation() -> None:
    clean, _ = make_circles(2000, shuffle=False)
    noisy, _ = make_circles(2000, noise=0.2, shuffle=False, seed=0)
    deltas = [n[0] - c[0] for n, c in zip(noisy, clean)]
    assert statistics.pstdev(deltas) == pytest.approx(0.2, rel=0.08)
    assert abs(statistics.fmean(deltas)) < 0.02


def test_circles_and_spirals_shapes() -> None:
    X, y = make_circles(40, factor=0.5, shuffle=False)
    radii = {label: {round(math.hypot(a, b), 9) for (a, b), t in zip(X, y) if t == label}
             for label in (0, 1)}
    assert radii == {0: {1.0}, 1: {0.5}}
    X, y = make_spirals(90, n_classes=3, seed=0)
    assert Counter(y) == {0: 30, 1: 30, 2: 30}
    assert max(math.hypot(a, b) for a, b in X) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"factor\) must be in \(0, 1\)"):
        make_circles(10, factor=1.0)
    with pytest.raises(ValueError, match="n_classes.*must be >= 2"):
        make_spirals(10, n_classes=1)


def test_blobs_cluster_around_their_centers() -> None:
    centers = [[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]]
    X, y = make_blobs(300, centers=centers, cluster_std=0.3, seed=0)
    assert Counter(y) == {0: 100, 1: 100, 2: 100}
    for (a, b), label in zip(X, y):
        cx, cy = centers[label]
        assert math.hypot(a - cx, b - cy) < 2.0
    X, y = make_blobs(30, centers=4, n_features=3, seed=1)
    assert len(X[0]) == 3 and set(y) == {0, 1, 2, 3}
    assert all(-14 < v < 14 for row in X for v in row)
    with pytest.raises(ValueError, match="same number of coordinates"):
        make_blobs(10, centers=[[0.0], [1.0, 2.0]])


def test_regression_follows_its_weights() -> None:
    X, y = make_regression(50, n_features=3, weights=[1.0, -2.0, 0.5], bias=3.0, seed=0)
    for row, t in zip(X, y):
        assert t == pytest.approx(row[0] - 2 * row[1] + 0.5 * row[2] + 3.0)
    X, y = make_regression(4000, noise=0.5, weights=[2.0], seed=0)
    residuals = [t - 2 * row[0] for row, t in zip(X, y)]
    assert statistics.pstdev(residuals) == pytest.approx(0.5, rel=0.06)
    with pytest.raises(ValueError, match="2 weights for 3 features"):
        make_regression(5, n_features=3, weights=[1.0, 2.0])


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_moons(0), ValueError, r"n_samples\) must be >= 1, got 0"),
    (lambda: make_moons(10, noise=-0.1), ValueError, r"noise\) must be >= 0"),
    (lambda: make_moons(10.5), TypeError, "needs an int, got float"),
    (lambda: make_moons(10, seed="x"), TypeError, "seed needs an int"),
    (lambda: make_xor(noise=math.inf), ValueError, "must be finite"),
])
def test_bad_generator_arguments(call: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_train_test_split_partitions_and_keeps_pairs() -> None:
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert (len(X_train), len(X_test)) == (7, 3)  # the test share is rounded up
    assert sorted(y_train + y_test) == y
    assert all(row[0] == label for row, label in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, seed=0) == train_test_split(X, y, seed=0)
    _, X_test, _, y_test = train_test_split(X, y, test_size=2, shuffle=False)
    assert y_test == [0, 1]
    with pytest.raises(ValueError, match="X has 10 samples but y has 9 labels"):
        train_test_split(X, y[:-1])
    with pytest.raises(ValueError, match=r"must be in \(0, 1\)"):
        train_test_split(X, y, test_size=1.0)
    with pytest.raises(ValueError, match="leaves no training or no test data"):
        train_test_split(X, y, test_size=10)
    with pytest.raises(ValueError, match="no samples"):
        train_test_split([], [])


def test_loader_visits_every_sample_once_per_epoch_and_reshuffles() -> None:
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    loader = DataLoader(X, y, batch_size=4, seed=1)
    assert len(loader) == 3
    epochs = [[label for _, yb in loader for label in yb] for _ in range(3)]
    for order in epochs:
        assert sorted(order) == y
    assert epochs[0] != epochs[1]
    assert [len(yb) for _, yb in loader] == [4, 4, 2]
    again = DataLoader(X, y, batch_size=4, seed=1)
    assert [[label for _, yb in again for label in yb] for _ in range(3)] == epochs
    for Xb, yb in DataLoader(X, y, batch_size=3, seed=2):
        assert [row[0] for row in Xb] == [float(t) for t in yb]
    dropped = DataLoader(X, y, batch_size=4, drop_last=True, shuffle=False)
    assert len(dropped) == 2 and [yb for _, yb in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="batch_size.*must be >= 1"):
        DataLoader(X, y, batch_size=0)
    with pytest.raises(ValueError, match="gives no batches"):
        DataLoader(X, y, batch_size=11, drop_last=True)
