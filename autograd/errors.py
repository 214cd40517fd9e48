"""Exception types raised by the engine."""

from __future__ import annotations


class DomainError(ValueError):
    """An op got an input outside its domain (log of a negative number, ...).

    ``op`` is the op's name, ``inputs`` the offending input values.
    """

    def __init__(self, message: str, op: str = "", inputs: tuple[float, ...] = ()) -> None:
        super().__init__(message)
        self.op = op
        self.inputs = inputs


class AnomalyError(FloatingPointError):
    """Inside ``detect_anomaly()``, a value or a gradient became NaN or infinite.

    ``op`` names the op, ``inputs`` holds its input values and ``source`` the
    line of user code that created the node (when it was created inside the
    block).
    """

    def __init__(
        self, message: str, op: str = "", inputs: tuple[float, ...] = (), source: str = ""
    ) -> None:
        super().__init__(message)
        self.op = op
        self.inputs = inputs
        self.source = source


class ClosureDerivativeError(TypeError):
    """A derivative a node of your own (a ``_backward`` closure) cannot give was needed.

    A closure adds a number into its parents' gradients; a second derivative
    (``grad(grad(f))``, ``hessian``, ``check_grads(order=2)``) needs the local
    derivative as a differentiable Value, which only a declared op has.
    ``node`` is the node.
    """

    def __init__(self, node: object) -> None:
        op = getattr(node, "_op", "") or "?"
        label = getattr(node, "label", "")
        name = f"{op!r} node" + (f" {label!r}" if label else "")
        super().__init__(
            f"the {name} (data={getattr(node, 'data', None)!r}) was made with a _backward "
            f"closure, which can give its local derivative only as a number, not as a "
            f"differentiable Value: higher-order derivatives (grad(grad(f)), hessian, "
            f"check_grads(order=2)) need the op declared instead, with "
            f"autograd.defop({op!r}, forward=..., deriv=...), whose deriv works on Values too"
        )
        self.node = node
