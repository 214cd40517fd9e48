"""Fit y = w x + b to x = 1..5, y = 1..5 by gradient descent on the mean squared error.

The source article applied a softmax to this regression output; a regression
needs the raw output and a squared error, which is what this demo does. The
answer is w = 1, b = 0.
"""

from __future__ import annotations

from _common import parse_args

from autograd import Value, mean


def main(argv: list[str] | None = None) -> tuple[float, float, list[float]]:
    args = parse_args("linear_regression", __doc__.splitlines()[0], argv)
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [1.0, 2.0, 3.0, 4.0, 5.0]
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    lr, epochs = 0.05, (300 if args.quick else 2000)
    history = []
    for epoch in range(epochs):
        loss = mean([(w * x + b - y) ** 2 for x, y in zip(xs, ys)])
        w.grad = b.grad = 0.0
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        history.append(loss.data)
        if epoch % 100 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:4d}  loss {loss.data:.3e}  w {w.data:+.6f}  b {b.data:+.6f}")
    print(f"\nfitted y = {w.data:.6f} x + {b.data:.6f}  (exact: y = 1 x + 0)")
    try:
        from nn.plots import plot_loss_curves
    except ImportError:  # matplotlib is an optional extra
        print("(install the plot extra to get the loss curve: pip install -e '.[plot]')")
    else:
        path = args.out / "loss.svg"
        plot_loss_curves({"MSE": history}, path, title="Linear regression", log_scale=True)
        print(f"wrote {path}")
    return w.data, b.data, history


if __name__ == "__main__":
    main()
