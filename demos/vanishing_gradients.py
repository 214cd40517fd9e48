"""Vanishing gradients: a deep sigmoid net (Xavier init) against a deep ReLU net (He init).

The gradient reaching an early layer is a product of one factor per later
layer; sigmoid's derivative is at most 0.25, so in a deep sigmoid net the early
layers' gradients shrink by orders of magnitude, while ReLU's derivative is 1
where it is active. The demo prints mean |grad| per layer for both nets, plots
it, and draws a small deep sigmoid net with a gradient heat scale, so the
vanishing is visible in the picture (blue: tiny, red: large). It checks that the
sigmoid net's first layer gets at least 1000 times less gradient than its last
layer, and the ReLU net's does not.
"""

from __future__ import annotations

import random
from collections import defaultdict

from _common import check, install_hint, parse_args, picture

import nn
from autograd import Value


def mean_abs_grad_per_layer(model: nn.MLP) -> list[float]:
    """Mean |grad| of each layer's weights and biases, first layer first."""
    sums: dict[int, list[float]] = defaultdict(list)
    for name, p in model.named_parameters():
        sums[int(name.split(".")[1])].append(abs(p.grad))  # names are layers.<i>.neurons...
    return [sum(g) / len(g) for _, g in sorted(sums.items())]


def run(
    activation: str, init: str, depth: int, width: int, X: list, y: list
) -> tuple[nn.MLP, Value]:
    model = nn.MLP(len(X[0]), [width] * depth + [1], activation=activation, init=init, seed=11)
    loss = nn.mse_loss([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()
    return model, loss


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    args = parse_args("vanishing_gradients", __doc__.splitlines()[0], argv)
    rng = random.Random(0)
    depth, width, n = (6, 6, 8) if args.quick else (10, 10, 32)
    X = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(n)]
    y = [rng.gauss(0, 1) for _ in range(n)]
    results = {}
    for label, activation, init in (("sigmoid + Xavier", "sigmoid", "xavier"),
                                    ("ReLU + He", "relu", "he")):
        model, _ = run(activation, init, depth, width, X, y)
        results[label] = mean_abs_grad_per_layer(model)

    print(f"mean |grad| per layer, {depth} hidden layers of {width}, {n} samples\n")
    print(f"{'layer':>5} " + " ".join(f"{name:>18}" for name in results))
    for i in range(depth + 1):
        print(f"{i:>5} " + " ".join(f"{g[i]:>18.3e}" for g in results.values()))
    for name, g in results.items():
        print(f"{name}: last layer / first layer = {g[-1] / g[0]:.3g}")

    try:
        from matplotlib.figure import Figure

        from nn.plots import save_figure
    except ImportError:
        print(f"(install the plot extra for the figure: {install_hint('plot')})")
    else:
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        for name, g in results.items():
            ax.plot(range(len(g)), g, marker="o", label=name)
        ax.set_yscale("log")
        ax.set_xlabel("layer (0 = first)")
        ax.set_ylabel("mean |grad| of the layer's parameters")
        ax.set_title("Gradients reaching each layer")
        ax.grid(True, alpha=0.3)
        ax.legend()
        print("wrote", save_figure(fig, picture(args, "grad_per_layer")))

    from autograd.render import save

    small, loss = run("sigmoid", "xavier", 5, 3, X[:1], y[:1])
    path = save(loss, picture(args, "sigmoid_heat"), heat=True, colors=True)
    print("wrote", path, "(a 5-layer sigmoid net coloured by |grad|)")
    sigmoid, relu = results["sigmoid + Xavier"], results["ReLU + He"]
    check(sigmoid[-1] / sigmoid[0] >= 1e3,
          f"sigmoid: last layer / first layer = {sigmoid[-1] / sigmoid[0]:.3g} >= 1000")
    check(relu[-1] / relu[0] < 1e3, f"ReLU: last layer / first layer = {relu[-1] / relu[0]:.3g} "
          f"< 1000")
    return results


if __name__ == "__main__":
    main()
