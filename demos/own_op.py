"""Add an op of your own two ways, the lecture's closure and autograd.defop, and check both.

The op is softsign(x) = x / (1 + |x|), a smooth squashing function like tanh whose
derivative is 1 / (1 + |x|)**2. First the Zero-to-Hero lecture's way: a node made with
Value(data, children, op) and a _backward closure. Then the declared way, through
autograd.defop, the same declaration the built-in ops use. Both give the same gradients;
only the declared op can be differentiated twice, and check_grads catches a derivative
that forgot its square.
"""

from __future__ import annotations

from _common import check, parse_args, picture

from autograd import ClosureDerivativeError, Domain, Value, defop, draw_dot, grad, save
from autograd.testing import GradientCheckError, check_grads

POINTS = [-3.0, -0.7, -0.01, 0.2, 1.5, 40.0]


def softsign_closure(x: Value) -> Value:
    """The lecture's way: compute the value, then say how the gradient flows back."""
    out = Value(x.data / (1 + abs(x.data)), (x,), "softsign")

    def _backward() -> None:
        x.grad += 1 / (1 + abs(x.data)) ** 2 * out.grad

    out._backward = _backward
    return out


# The declared way: the value, the local derivative (on floats and on Values alike: abs and
# ** work on both), where it is smooth, and a few words for pictures and docs.
softsign = defop(
    "softsign",
    forward=lambda x: x / (1 + abs(x)),
    deriv=lambda x, out: 1 / (1 + abs(x)) ** 2,
    domain=Domain(kinks=(0.0,), note="the second derivative jumps at 0"),
    doc="x / (1 + |x|)",
)


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args("own_op", __doc__.splitlines()[0], argv)
    points = POINTS[:3] if args.quick else POINTS

    print("softsign two ways: the gradient of 2 * softsign(x) + x, by backward()")
    print(f"{'x':>8} {'closure':>12} {'declared':>12} {'exact':>12}")
    worst = 0.0
    for p in points:
        a, b = Value(p), Value(p)
        (2 * softsign_closure(a) + a).backward()
        (2 * softsign(b) + b).backward()
        exact = 2 / (1 + abs(p)) ** 2 + 1
        worst = max(worst, abs(a.grad - exact), abs(b.grad - exact))
        print(f"{p:8.2f} {a.grad:12.8f} {b.grad:12.8f} {exact:12.8f}")
    check(worst <= 1e-12, f"both ways give the exact gradient (worst error {worst:.1e})")

    passed = 0
    for p in points:
        for f, order in ((softsign_closure, 1), (softsign, 2)):
            try:
                check_grads(f, [p], order=order)
                passed += 1
            except GradientCheckError as err:
                print(f"check_grads failed at {p}: {err}")
    check(passed == 2 * len(points), f"check_grads passes at {len(points)} points: order 1 "
                                     f"for the closure, order 2 for the declared op")

    second = grad(grad(softsign))(0.5)
    exact_second = -2 / (1 + 0.5) ** 3
    print(f"\nsecond derivative of the declared op at 0.5: {second:.12f} "
          f"(exact {exact_second:.12f})")
    try:
        grad(grad(softsign_closure))(0.5)
        refused = False
    except ClosureDerivativeError as err:
        refused = True
        print(f"the closure's second derivative: {type(err).__name__}: {str(err)[:110]}...")
    check(abs(second - exact_second) <= 1e-12 and refused,
          "only the declared op can be differentiated twice, and the closure says so")

    wrong = defop("softsign_wrong", forward=lambda x: x / (1 + abs(x)),
                  deriv=lambda x, out: 1 / (1 + abs(x)), domain=Domain(kinks=(0.0,)))
    try:
        check_grads(wrong, [0.5])
        caught = ""
    except GradientCheckError as err:
        caught = str(err).splitlines()[-1].strip()
        print(f"\na derivative that forgot its square: {caught}")
    check("softsign_wrong" in caught, "check_grads catches the wrong derivative and names its op")

    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    y = softsign(w * x) + softsign_closure(x)
    y.label = "y"
    y.backward()
    path = save(draw_dot(y), picture(args, "own_op"))
    print(f"\nwrote {path} (the declared op and the closure node drawn side by side)")
    return {"worst": worst, "second": second}


if __name__ == "__main__":
    main()
