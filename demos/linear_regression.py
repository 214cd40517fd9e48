"""Fit y = w x + b to x = 1..5, y = 1..5 by gradient descent on the mean squared error.

One of the source articles (the five Chinese-language articles on
backpropagation this project grew from) fits this line but applies a softmax to
the regression output; a regression needs the raw output and a squared error,
which is what this demo does. The answer is w = 1, b = 0; the demo checks that
it gets within 1e-3 of both.
"""

from __future__ import annotations

from _common import check, install_hint, parse_args, picture

from autograd import Value, mean, no_grad

XS = [1.0, 2.0, 3.0, 4.0, 5.0]
YS = [1.0, 2.0, 3.0, 4.0, 5.0]


def mse(w: Value, b: Value) -> Value:
    return mean([(w * x + b - y) ** 2 for x, y in zip(XS, YS)])


def main(argv: list[str] | None = None) -> tuple[float, float, list[float]]:
    args = parse_args("linear_regression", __doc__.splitlines()[0], argv)
    w, b = Value(0.0, label="w"), Value(0.0, label="b")
    # b converges slowest (its gradient is tied to w's); 500 steps bring it within 1e-4.
    lr, epochs = 0.05, (500 if args.quick else 2000)
    history = []
    for epoch in range(epochs):
        loss = mse(w, b)
        if epoch % 100 == 0:
            # Printed before the update: the loss is the loss of these w and b.
            print(f"epoch {epoch:4d}  w {w.data:+.6f}  b {b.data:+.6f}  loss {loss.data:.3e}")
        w.grad = b.grad = 0.0
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        history.append(loss.data)
    with no_grad():
        final = mse(w, b).data
    print(f"after {epochs} steps  w {w.data:+.6f}  b {b.data:+.6f}  loss {final:.3e}")
    print(f"\nfitted y = {w.data:.6f} x + {b.data:.6f}  (exact: y = 1 x + 0)")
    try:
        from nn.plots import plot_loss_curves
    except ImportError:  # matplotlib is an optional extra
        print(f"(install the plot extra to get the loss curve: {install_hint('plot')})")
    else:
        path = picture(args, "loss")
        plot_loss_curves({"MSE": history}, path, title="Linear regression", log_scale=True)
        print(f"wrote {path}")
    check(abs(w.data - 1) <= 1e-3 and abs(b.data) <= 1e-3,
          f"w = {w.data:.6f} and b = {b.data:.6f} within 1e-3 of 1 and 0")
    return w.data, b.data, history


if __name__ == "__main__":
    main()
