"""Gradient checking, as the source articles teach it, and clipping by global norm.

1. For randomly chosen parameters of an MLP, compare the engine's gradient with
   the central difference (J(theta + eps) - J(theta - eps)) / (2 eps); the relative
   error |g_num - g_ana| / (|g_num| + |g_ana|) must stay below 1e-7. The articles
   use eps = 1e-7; in double precision the rounding error of J grows like
   1e-16 / eps, which at 1e-7 already reaches 1e-7 for small gradients, so this
   uses eps = 1e-6 (the truncation error, about eps^2, stays near 1e-12).
2. Clip the gradients by their global norm sqrt(sum g^2): when it exceeds
   max_norm, every gradient is scaled by max_norm / norm.
"""

from __future__ import annotations

import math
import random

from _common import parse_args

import nn
from autograd import no_grad


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
    rng = random.Random(0)
    chosen = rng.sample(range(len(params)), 5 if args.quick else 15)
    eps, worst = 1e-6, 0.0
    print(f"{'parameter':<28} {'analytical':>14} {'numerical':>14} {'relative error':>15}")
    for i in chosen:
        p = params[i]
        saved = p.data
        p.data = saved + eps
        plus = J()
        p.data = saved - eps
        minus = J()
        p.data = saved
        numerical = (plus - minus) / (2 * eps)
        analytical = p.grad
        denominator = abs(numerical) + abs(analytical)
        error = abs(numerical - analytical) / denominator if denominator else 0.0
        worst = max(worst, error)
        print(f"{names[i]:<28} {analytical:>14.9f} {numerical:>14.9f} {error:>15.2e}")
    print(f"\nlargest relative error {worst:.2e} (threshold 1e-7): "
          f"{'pass' if worst < 1e-7 else 'FAIL'}")

    norm = math.sqrt(sum(p.grad**2 for p in params))
    max_norm = norm / 4
    returned = nn.clip_grad_norm(params, max_norm)
    after = math.sqrt(sum(p.grad**2 for p in params))
    print(f"\nglobal gradient norm {returned:.6f} (computed by hand: {norm:.6f}); "
          f"clipped to max_norm {max_norm:.6f}: norm is now {after:.6f}")
    (args.out / "result.txt").write_text(f"largest relative error {worst:.3e}\n")
    if worst >= 1e-7 or abs(after - max_norm) > 1e-9 * max_norm:
        raise SystemExit("gradient check failed")
    return worst


if __name__ == "__main__":
    main()
