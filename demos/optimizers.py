"""SGD, momentum, RMSProp and Adam on the same problem, with their loss curves in one figure.

Every run starts from the same weights (the same seed) and trains a small MLP on
two moons with binary cross-entropy from logits, full batch. Momentum is
PyTorch's v = beta v + g (the source articles' v = beta v + (1 - beta) g is the
same with dampening = beta, i.e. a learning rate smaller by 1 - beta); Adam
uses bias correction. (The source articles are the five Chinese-language
articles on backpropagation this project grew from.) The table shows how far
each got; the demo checks that every optimiser lowered the loss.
"""

from __future__ import annotations

from _common import check, install_hint, parse_args, picture

import nn


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args("optimizers", __doc__.splitlines()[0], argv)
    X, y = nn.data.make_moons(100 if not args.quick else 40, noise=0.1, seed=0)
    epochs = 15 if args.quick else 150
    runs = {
        "SGD (lr 0.1)": lambda p: nn.SGD(p, lr=0.1),
        "momentum (lr 0.1, beta 0.9)": lambda p: nn.SGD(p, lr=0.1, momentum=0.9),
        "RMSProp (lr 0.01)": lambda p: nn.RMSProp(p, lr=0.01),
        "Adam (lr 0.01)": lambda p: nn.Adam(p, lr=0.01),
    }
    curves: dict[str, list[float]] = {}
    rows = []
    for k, (name, make) in enumerate(runs.items(), 1):
        print(f"[{k}/{len(runs)}] training with {name}, {epochs} epochs ...", flush=True)
        model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=4)
        history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=make(model),
                         epochs=epochs, verbose=False)
        curves[name] = history["loss"]
        rows.append(f"{name:<30} {history['loss'][0]:>10.4f} {history['loss'][-1]:>10.4f} "
                    f"{history['accuracy'][-1]:>9.2f}")
        print(f"      loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}", flush=True)
    print(f"\n{'optimizer':<30} {'first loss':>10} {'last loss':>10} {'accuracy':>9}")
    print("\n".join(rows))
    try:
        from nn.plots import plot_loss_curves
    except ImportError:
        print(f"(install the plot extra for the figure: {install_hint('plot')})")
    else:
        print("wrote", plot_loss_curves(curves, picture(args, "loss_curves"),
                                       title="Same model, same start, four optimisers",
                                       log_scale=True))
    for name, curve in curves.items():
        check(curve[-1] < curve[0], f"{name}: last loss {curve[-1]:.4f} < first {curve[0]:.4f}")
    return curves


if __name__ == "__main__":
    main()
