"""The source articles' XOR network: [2, 4, 1], ReLU hidden, sigmoid output, binary cross-entropy.

Trained for 2000 epochs of full-batch gradient descent at learning rate 0.1,
printing the loss every 100 epochs; the prediction (output > 0.5) must be
[0, 1, 1, 0]. The article initialised weights as N(0, 1) * 0.01, which can
leave a ReLU net stuck at the start; this uses He initialisation instead.
"""

from __future__ import annotations

from _common import parse_args

import nn


def main(argv: list[str] | None = None) -> list[int]:
    args = parse_args("xor", __doc__.splitlines()[0], argv)
    X, y = nn.data.make_xor()
    model = nn.MLP(2, [4, 1], activation="relu", output_activation="sigmoid", init="he", seed=3)
    print(model)
    epochs = 2000  # fast enough (4 samples) that --quick keeps the article's schedule

    def report(epoch: int, logs: dict[str, float]) -> None:
        if epoch % 100 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:4d}  loss {logs['loss']:.6f}  accuracy {logs['accuracy']:.2f}")

    history = nn.fit(model, X, y, loss="bce", optimizer=nn.SGD(model, lr=0.1), epochs=epochs,
                     verbose=False, on_epoch_end=report)
    predictions = [int(p > 0.5) for p in nn.predict(model, X)]
    print(f"\npredictions {predictions} (expected [0, 1, 1, 0])")
    try:
        from nn.plots import plot_decision_boundary, plot_loss_curves
    except ImportError:
        print("(install the plot extra for pictures: pip install -e '.[plot]')")
    else:
        print("wrote", plot_loss_curves({"XOR, BCE": history}, args.out / "loss.svg",
                                       title="XOR training loss", log_scale=True))
        print("wrote", plot_decision_boundary(model, X, y, args.out / "decision_boundary.svg",
                                             resolution=40 if args.quick else 80, title="XOR"))
    if predictions != [0, 1, 1, 0]:
        raise SystemExit("XOR was not learned")
    return predictions


if __name__ == "__main__":
    main()
