"""micrograd's demo, the main job: a 2-16-16-1 MLP learns to separate two moons.

100 two-moons points (labels -1/+1), MLP(2, [16, 16, 1]) with ReLU hidden layers
and a linear output, the SVM max-margin loss mean(relu(1 - y * score)) plus
1e-4 * sum(p**2), full-batch SGD whose learning rate decays linearly from 1.0 to
0.1 over 100 steps -- exactly micrograd's notebook. It must reach at least 95%
accuracy (micrograd's run reaches 100%). The loss printed and plotted is the
whole objective, SVM loss + L2, as micrograd prints it. Writes the decision
boundary, the loss curve and the model's graph (one box per layer) as SVG.

``--compile`` trains the same way through one NumPy program traced from the model
(``nn.fit(..., compile=True)``): the same numbers at every step, in a fraction of the
time.
"""

from __future__ import annotations

import time

from _common import check, install_hint, parse_args, picture

import nn
from autograd import Value
from autograd.render import save

L2 = 1e-4  # micrograd's alpha


def main(argv: list[str] | None = None) -> float:
    args = parse_args("moons", __doc__.splitlines()[0], argv, configure=lambda p: p.add_argument(
        "--compile", action="store_true",
        help="train through a compiled program (autograd.compile): same history, faster"))
    n_samples, steps = (40, 40) if args.quick else (100, 100)
    X, labels = nn.data.make_moons(n_samples, noise=0.1, seed=1)
    y = [2 * t - 1 for t in labels]  # micrograd's labels are -1 and +1
    model = nn.MLP(2, [16, 16, 1], seed=1)
    print(model)
    print(f"{model.num_parameters()} parameters; {n_samples} samples; {steps} steps"
          f"{'; compiled (autograd.compile)' if args.compile else ''}\n")

    optimizer = nn.SGD(model, lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    started = time.perf_counter()

    def report(step: int, logs: dict[str, float]) -> None:
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss (SVM + L2) {logs['loss']:.4f}  "
                  f"accuracy {logs['accuracy']:.0%}  lr {logs['lr']:.3f}  "
                  f"({time.perf_counter() - started:.1f} s)")

    # fit's 'loss' is the whole objective, SVM loss + L2, the number micrograd prints.
    history = nn.fit(model, X, y, loss="hinge", l2=L2, metrics=["accuracy"],
                     optimizer=optimizer, scheduler=schedule, epochs=steps, verbose=False,
                     on_epoch_end=report, compile=args.compile)
    final = nn.accuracy(nn.predict(model, X), y)
    print(f"\nfinal accuracy {final:.0%} on the training set "
          f"({time.perf_counter() - started:.1f} s for {steps} steps)")

    try:
        from nn.plots import plot_decision_boundary, plot_loss_curves
    except ImportError:
        print(f"(install the plot extra for the pictures: {install_hint('plot')})")
    else:
        print("wrote", plot_decision_boundary(model, X, y, picture(args, "decision_boundary"),
                                             resolution=40 if args.quick else 100,
                                             title=f"two moons, accuracy {final:.0%}"))
        print("wrote", plot_loss_curves({"SVM loss + 1e-4 L2": history}, picture(args, "loss"),
                                       title="moons training loss (SVM + L2)", log_scale=True))
    # The graph of one sample's score, one summary box per layer.
    score = model([Value(X[0][0], label="x0"), Value(X[0][1], label="x1")])
    score.label = "score"
    score.backward()
    print("wrote", save(score, picture(args, "model_graph"), collapse=1))
    check(final >= 0.95, f"final accuracy {final:.0%} >= 95%")
    return final


if __name__ == "__main__":
    main()
