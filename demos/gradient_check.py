"""Gradient checking, as the source articles teach it, and clipping by global norm.

(The source articles are the five Chinese-language articles on backpropagation
this project grew from; the README's Demos section lists what each demo takes
from them.)

1. Compare the engine's gradient of an MLP's loss J with the central difference
   (J(theta + eps) - J(theta - eps)) / (2 eps), by the articles' relative error
   |g_num - g_ana| / (|g_num| + |g_ana|), which must stay below 1e-7. Three
   numerical gradients side by side:
   * eps = 1e-7, the articles' step. In double precision J is rounded to about
     1e-16 |J|, and that rounding is divided by 2 eps: about 1e-9 here, which for
     a gradient under 0.005 is already a relative error above 1e-7. The articles'
     own threshold then fails on the smallest gradients although the engine is
     right.
   * eps = 1e-6, this demo's step: the rounding term is ten times smaller and the
     truncation error (about eps^2 times J''') is still negligible.
   * autograd.testing.numerical_grad: central differences with Richardson
     extrapolation (error O(h^4)) and step halving until two estimates agree.
2. Clip the gradients by their global norm sqrt(sum g^2): when it exceeds
   max_norm, every gradient is scaled by max_norm / norm, so the norm becomes
   max_norm.
Writes relative_errors.svg (error against |gradient|, every parameter checked)
and clipping.svg (the norm before and after clipping).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from _common import check, install_hint, parse_args, picture

import nn
from autograd import Value, no_grad
from autograd.testing import numerical_grad

THRESHOLD = 1e-7  # the articles' bound on the relative error
ARTICLES_EPS = 1e-7
EPS = 1e-6  # the labels in main() name these two steps


def relative_error(numerical: float, analytical: float) -> float:
    """The articles' |g_num - g_ana| / (|g_num| + |g_ana|), 0 when both are 0."""
    denominator = abs(numerical) + abs(analytical)
    return abs(numerical - analytical) / denominator if denominator else 0.0


def central_difference(J: Callable[[], float], p: Value, eps: float) -> float:
    saved = p.data
    try:
        p.data = saved + eps
        plus = J()
        p.data = saved - eps
        minus = J()
    finally:
        p.data = saved
    return (plus - minus) / (2 * eps)


def richardson(J: Callable[[], float], p: Value) -> float:
    """numerical_grad of J as a function of this one parameter (the others held fixed)."""
    saved = p.data

    def at(v: Value) -> Value:
        p.data = v.data
        return Value(J())  # numerical_grad reads only the value

    try:
        return numerical_grad(at, [saved])[0]
    finally:
        p.data = saved


def main(argv: list[str] | None = None) -> float:
    args = parse_args("gradient_check", __doc__.splitlines()[0], argv)
    X, y = nn.data.make_moons(20, noise=0.1, seed=2)
    model = nn.MLP(2, [8, 8, 1], activation="tanh", seed=5)

    def J() -> float:
        with no_grad():
            return nn.binary_cross_entropy_with_logits([model(x) for x in X], y).data

    loss = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
    model.zero_grad()
    loss.backward()

    params = model.parameters()
    names = [name for name, _ in model.named_parameters()]
    # The articles check randomly chosen parameters; the full run checks all of them.
    rng = random.Random(0)
    chosen = rng.sample(range(len(params)), 5) if args.quick else list(range(len(params)))
    shown = chosen if args.quick else rng.sample(chosen, 15)
    methods = ("eps 1e-7 (articles)", "eps 1e-6", "Richardson")
    errors: dict[str, list[float]] = {m: [] for m in methods}
    print(f"J = binary cross-entropy of MLP(2, [8, 8, 1]) on 20 points; "
          f"{len(params)} parameters, {len(chosen)} checked")
    print("relative error = |g_num - g_ana| / (|g_num| + |g_ana|), threshold 1e-7\n")
    print(f"{'parameter':<24} {'analytical':>13} " + " ".join(f"{m:>20}" for m in methods))
    for i in chosen:
        p = params[i]
        estimates = (central_difference(J, p, ARTICLES_EPS), central_difference(J, p, EPS),
                     richardson(J, p))
        row = [relative_error(g, p.grad) for g in estimates]
        for m, e in zip(methods, row):
            errors[m].append(e)
        if i in shown:
            print(f"{names[i]:<24} {p.grad:>13.9f} " + " ".join(f"{e:>20.2e}" for e in row))
    if not args.quick:
        print(f"(15 of the {len(chosen)} shown; the worst over all of them below)")
    print()
    worst = {m: max(errors[m]) for m in methods}
    for m in methods:
        over = sum(e >= THRESHOLD for e in errors[m])
        print(f"{m:<20} largest relative error {worst[m]:.2e}; "
              f"{over} of {len(chosen)} at or above 1e-7")

    norm = math.sqrt(sum(p.grad**2 for p in params))
    max_norm = norm / 4
    before = [p.grad for p in params]
    returned = nn.clip_grad_norm(params, max_norm)
    after = math.sqrt(sum(p.grad**2 for p in params))
    print(f"\nglobal gradient norm {returned:.6f} (computed by hand: {norm:.6f}); "
          f"clipped to max_norm {max_norm:.6f}: the norm is now {after:.6f}, every gradient "
          f"scaled by {max_norm / norm:.6f}")

    try:
        from matplotlib.figure import Figure

        from nn.plots import save_figure
    except ImportError:
        print(f"(install the plot extra for the pictures: {install_hint('plot')})")
    else:
        grads = [abs(before[i]) for i in chosen]
        fig = Figure(figsize=(6.4, 4.4))
        ax = fig.add_subplot()
        for m, marker in zip(methods, ("o", "s", "^")):
            # An exact match has error 0, which a log axis cannot show: draw it at 1e-17.
            ax.scatter(grads, [max(e, 1e-17) for e in errors[m]], label=m, marker=marker, s=18)
        ax.axhline(THRESHOLD, color="k", linestyle="--", linewidth=1, label="threshold 1e-7")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("|analytical gradient|")
        ax.set_ylabel("relative error")
        ax.set_title("Numerical against analytical gradients, one point per parameter")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
        print("wrote", save_figure(fig, picture(args, "relative_errors")))

        fig = Figure(figsize=(7.6, 4.0), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=(1, 2))
        left.bar(["before", "after"], [returned, after], color=["tab:red", "tab:green"])
        left.axhline(max_norm, color="k", linestyle="--", linewidth=1)
        left.annotate("max_norm", (1, max_norm), xytext=(0, 4), textcoords="offset points",
                      ha="center", va="bottom", fontsize="small")
        left.set_ylabel("global gradient norm")
        order = sorted(range(len(params)), key=lambda k: -abs(before[k]))
        right.plot([abs(before[k]) for k in order], label="before", color="tab:red")
        right.plot([abs(params[k].grad) for k in order], label="after", color="tab:green")
        right.set_yscale("log")
        right.set_xlabel("parameter (largest |gradient| first)")
        right.set_ylabel("|gradient|")
        right.legend(fontsize="small")
        fig.suptitle("Clipping by global norm: every gradient scaled by the same factor")
        print("wrote", save_figure(fig, picture(args, "clipping")))

    check(worst[methods[1]] < THRESHOLD and worst[methods[2]] < THRESHOLD,
          f"relative error below 1e-7 with eps=1e-6 ({worst[methods[1]]:.2e}) and "
          f"Richardson ({worst[methods[2]]:.2e})")
    check(math.isclose(returned, norm, rel_tol=1e-12),
          f"clip_grad_norm returned the norm before clipping ({returned:.12f})")
    check(math.isclose(after, max_norm, rel_tol=1e-12),
          f"norm after clipping {after:.12f} == max_norm {max_norm:.12f}")
    return worst[methods[1]]


if __name__ == "__main__":
    main()
