"""Backpropagation by hand vs the engine, on the source articles' two-layer network.

    z1 = W1 x + b1,  h = sigmoid(z1),  z2 = W2 h + b2,  y_hat = z2,  L = 1/2 |y_hat - y|^2

The source articles (the five Chinese-language articles on backpropagation this
project grew from) derive this network's gradients by hand, layer by layer. Those
hand-derived gradients (the layer-wise error terms) are printed beside the
engine's; they must agree to 1e-12. The engine's graph of L, with every node's
data and gradient, is drawn to network_graph.svg.
"""

from __future__ import annotations

import math
import random

from _common import check, parse_args, picture

import autograd
from autograd import Value, dot
from autograd.render import save


def hand_gradients(W1, b1, W2, b2, x, y):  # type: ignore[no-untyped-def]
    """The chain rule written out layer by layer, on plain floats."""
    sig = lambda z: 1.0 / (1.0 + math.exp(-z))  # noqa: E731
    z1 = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(W1, b1)]
    h = [sig(z) for z in z1]
    z2 = [sum(w * hi for w, hi in zip(row, h)) + b for row, b in zip(W2, b2)]
    loss = 0.5 * sum((yh - t) ** 2 for yh, t in zip(z2, y))
    dz2 = [yh - t for yh, t in zip(z2, y)]  # dL/dy_hat = dL/dz2 (linear output)
    dW2 = [[d * hj for hj in h] for d in dz2]  # dL/dW2 = dz2 . h^T
    db2 = dz2
    dh = [sum(W2[i][j] * dz2[i] for i in range(len(dz2))) for j in range(len(h))]  # W2^T dz2
    dz1 = [dh[j] * h[j] * (1 - h[j]) for j in range(len(h))]  # sigmoid'(z) = h (1 - h)
    dW1 = [[d * xi for xi in x] for d in dz1]  # dL/dW1 = dz1 . x^T
    db1 = dz1
    return loss, dW1, db1, dW2, db2


def _labelled(v: Value, label: str) -> Value:
    v.label = label
    return v


def engine_gradients(W1, b1, W2, b2, x, y):  # type: ignore[no-untyped-def]
    """The same network on Values: write the forward pass, call backward().

    Returns the gradients, the loss node and the parameters (for the picture).
    """
    P1 = [[Value(w, label=f"W1[{i}][{j}]") for j, w in enumerate(row)] for i, row in enumerate(W1)]
    c1 = [Value(b, label=f"b1[{i}]") for i, b in enumerate(b1)]
    P2 = [[Value(w, label=f"W2[{i}][{j}]") for j, w in enumerate(row)] for i, row in enumerate(W2)]
    c2 = [Value(b, label=f"b2[{i}]") for i, b in enumerate(b2)]
    xs = [Value(v, label=f"x[{j}]") for j, v in enumerate(x)]
    z1 = [_labelled(dot(row, xs) + b, f"z1[{i}]") for i, (row, b) in enumerate(zip(P1, c1))]
    h = [_labelled(z.sigmoid(), f"h[{i}]") for i, z in enumerate(z1)]
    y_hat = [_labelled(dot(row, h) + b, f"y_hat[{i}]") for i, (row, b) in enumerate(zip(P2, c2))]
    # autograd.sum is one node (Python's sum would add a "+ 0" node first).
    loss = _labelled(0.5 * autograd.sum([(yh - t) ** 2 for yh, t in zip(y_hat, y)]), "L")
    loss.backward()
    grads = lambda m: [[v.grad for v in row] for row in m]  # noqa: E731
    params = [v for row in P1 for v in row] + c1 + [v for row in P2 for v in row] + c2
    gradients = (loss.data, grads(P1), [v.grad for v in c1], grads(P2), [v.grad for v in c2])
    return gradients, loss, params


def main(argv: list[str] | None = None) -> float:
    args = parse_args("backprop_by_hand", __doc__.splitlines()[0], argv)
    rng = random.Random(7)
    n_in, n_hidden, n_out = 3, 4, 2
    W1 = [[rng.gauss(0, 1) for _ in range(n_in)] for _ in range(n_hidden)]
    b1 = [rng.gauss(0, 1) for _ in range(n_hidden)]
    W2 = [[rng.gauss(0, 1) for _ in range(n_hidden)] for _ in range(n_out)]
    b2 = [rng.gauss(0, 1) for _ in range(n_out)]
    x = [0.5, -1.2, 2.0]
    y = [1.0, -0.5]

    hand = hand_gradients(W1, b1, W2, b2, x, y)
    engine, loss, params = engine_gradients(W1, b1, W2, b2, x, y)
    print(f"loss: by hand {hand[0]:.15f}   engine {engine[0]:.15f}\n")
    print(f"{'parameter':<10} {'by hand':>22} {'engine':>22} {'|difference|':>14}")
    worst = abs(hand[0] - engine[0])
    names = ("W1", "b1", "W2", "b2")
    for name, by_hand, by_engine in zip(names, hand[1:], engine[1:]):
        flat = lambda m: [g for row in m for g in row] if isinstance(m[0], list) else m  # noqa: E731
        flat_h, flat_e = flat(by_hand), flat(by_engine)
        for i, (gh, ge) in enumerate(zip(flat_h, flat_e)):
            diff = abs(gh - ge)
            worst = max(worst, diff)
            print(f"{name}[{i}]{'':<{6 - len(str(i))}} {gh:>22.15f} {ge:>22.15f} {diff:>14.2e}")
    print(f"\nlargest difference: {worst:.2e}")
    if args.quick:
        print("(--quick: the same check; this demo is already fast)")
    # The engine's view of the same computation: weights and biases green, x blue.
    print("wrote", save(loss, picture(args, "network_graph"), params=params))
    check(worst <= 1e-12, f"hand-derived and engine gradients differ by {worst:.2e} <= 1e-12")
    return worst


if __name__ == "__main__":
    main()
