"""Optimisers and gradient clipping (the schedules are in :mod:`nn.schedules`).

Every optimiser follows ``torch.optim``: the same constructor defaults and the
same update rule, step for step (the tests compare them with PyTorch when it is
installed). One base class holds the parameter list, ``zero_grad()`` and the
hooks; each subclass only says how one parameter moves, in ``update_one``.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

Hooks run on the parameter list before every update, for instance gradient
clipping: ``opt.add_hook(lambda params: clip_grad_norm(params, 1.0))``.

``step()`` checks every parameter after the hooks and before the first update,
and on a bad one updates nothing: a ``.data`` or ``.grad`` that is not a real
number (a Value stored in ``.data``) is a TypeError naming the parameter and the
fix; a NaN or infinite gradient is a :class:`NonFiniteGradientError`. Each
hyper-parameter is checked by the one rule for its name in
:data:`HYPER_PARAMETERS`, whichever optimiser takes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value

from ._checks import (
    bad_number,
    flag,
    in_range,
    is_real,
    non_negative,
    positive,
    typed,
    unit_interval,
)
from .module import Module, parameter_list

Hook = Callable[[list[Value]], Any]


def _betas(x: Any, what: str) -> tuple[float, float]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise TypeError(f"{what} needs a pair of floats, got {typed(x)}")
    return (in_range(x[0], f"{what[:-1]}[0])", 0.0, 1.0, hi_open=True),
            in_range(x[1], f"{what[:-1]}[1])", 0.0, 1.0, hi_open=True))


#: How each optimiser hyper-parameter is checked, by its name: one rule per name, the
#: same in every optimiser (PyTorch's ranges). ``eps = 0`` would divide 0 by 0 at a
#: parameter whose gradients have all been 0 (a dead ReLU), half-way through a step.
HYPER_PARAMETERS: dict[str, Callable[[Any, str], Any]] = {
    "momentum": non_negative,
    "dampening": unit_interval,
    "weight_decay": non_negative,
    "alpha": unit_interval,
    "eps": positive,
    "betas": _betas,
    "nesterov": flag,
    "centered": flag,
    "amsgrad": flag,
}


class Optimizer:
    """Base class: ``step()`` runs the hooks, then ``update_one`` on every parameter.

    ``lr`` is the learning rate of the next step (a schedule rewrites it);
    ``state[p]`` is the per-parameter state (momentum buffers, moment
    estimates), ``steps`` the number of steps taken, and ``initial_lr`` the
    rate when the first schedule was attached (``None`` before), from which
    every schedule on this optimiser starts, as PyTorch's ``initial_lr``.

    Before it moves anything, ``step()`` checks that every parameter's ``.data``
    and ``.grad`` hold plain real numbers: ``p.data = p - lr * p.grad`` (a Value
    stored in ``.data``) is a TypeError naming the parameter and the fix, and
    nothing is updated. A subclass gives its hyper-parameters to
    :meth:`set_hyper_parameters`, which checks each by its name.
    """

    def __init__(self, params: Module | Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        items = parameter_list(params, name)
        if not items:
            raise ValueError(f"{name} got an empty parameter list")
        self.params: list[Value] = items
        # Made from a module: its names (layers.0.neurons.1.w0) say which parameter is bad.
        self._names = ([n for n, _ in params.named_parameters()]
                       if isinstance(params, Module) else None)
        self._lr = positive(lr, f"{name}(lr)")
        self.initial_lr: float | None = None
        self.state: dict[Value, dict[str, float]] = {}
        self.steps = 0
        self.hooks: list[Hook] = []

    def set_hyper_parameters(self, **values: Any) -> None:
        """Check each value by its name's rule in :data:`HYPER_PARAMETERS` and set it.

        >>> opt = SGD([Value(0.0)], lr=0.1)
        >>> opt.set_hyper_parameters(momentum=-1.0)
        Traceback (most recent call last):
        ...
        ValueError: SGD(momentum) must be >= 0, got -1.0
        """
        owner = type(self).__name__
        checked = {name: HYPER_PARAMETERS[name](value, f"{owner}({name})")
                   for name, value in values.items()}
        for name, value in checked.items():  # all or nothing
            setattr(self, name, value)

    @property
    def lr(self) -> float:
        """The learning rate of the next step.

        Assigning it is checked like the constructor's argument, except that 0
        is allowed: a schedule may end there (``CosineAnnealingLR`` with
        ``eta_min=0``). A negative, NaN or infinite rate raises ValueError and
        leaves the rate as it was.
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = non_negative(value, f"{type(self).__name__}.lr")

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""
        for p in self.params:
            p.grad = 0.0

    def add_hook(self, hook: Hook) -> None:
        """Run ``hook(params)`` before every update (clipping, custom decay, logging)."""
        if not callable(hook):
            raise TypeError(f"add_hook needs a callable, got {typed(hook)}")
        self.hooks.append(hook)

    def step(self) -> None:
        """Update every parameter from its ``.grad``; on error, update nothing.

        After the hooks and before the first update, every parameter is checked:
        a ``.data`` or ``.grad`` that is not a real number is a TypeError, and a
        gradient that is NaN or infinite (or, for optimisers that square it, so
        large that its square overflows) is a :class:`NonFiniteGradientError`.
        Either names the parameter, and leaves every parameter and the
        optimiser's state as they were.
        """
        for hook in self.hooks:
            hook(self.params)
        # One pass, one type test per number and a sum of squares: ~15 us for 337
        # parameters, where the forward and backward passes that made the gradients
        # take milliseconds. The sum is finite only if every square is.
        total, checked = 0.0, False
        for p in self.params:
            g = p.grad
            if g.__class__ is not float or p.data.__class__ is not float:
                if not checked:  # ints (micrograd's p.grad = 0) are fine; the rest is not
                    self.check_numbers()
                    checked = True
                g = float(g)
            total += g * g
        if total - total != 0.0:  # NaN or inf: find the parameter, or see it was the sum
            self._check_gradients()
        self.steps += 1
        state = self.state
        for p in self.params:
            s = state.get(p)
            if s is None:
                s = state[p] = {}
            self.update_one(p, s)

    #: Whether the update squares the gradient (running averages of g**2): then a
    #: gradient whose square overflows (|g| > ~1.3e154) would make the state infinite.
    squares_gradients = False

    def _check_gradients(self) -> None:
        for i, p in enumerate(self.params):
            g = float(p.grad)
            if not math.isfinite(g) or (self.squares_gradients and math.isinf(g * g)):
                raise NonFiniteGradientError(self, i, g)

    def check_numbers(self) -> None:
        """TypeError, naming the parameter and the fix, unless every ``.data`` and ``.grad``
        holds a real number (ints and NumPy scalars are fine; a Value, a bool, a string or
        None is not)."""
        for i, p in enumerate(self.params):
            for slot in ("data", "grad"):
                number = getattr(p, slot)
                if not is_real(number):
                    raise TypeError(bad_number(self.name_of(i), slot, number,
                                               f"{type(self).__name__}.step()"))

    def name_of(self, i: int) -> str:
        """How messages name parameter ``i``: its name in the module, else its label."""
        return self._names[i] if self._names is not None else value_name(self.params[i], i)

    def update_one(self, p: Value, state: dict[str, float]) -> None:
        """Move one parameter; ``state`` is its own, kept between steps."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class NonFiniteGradientError(FloatingPointError):
    """``step()`` met a NaN or infinite gradient (or one too large to square) and updated nothing.

    ``index`` is the parameter's position in ``optimizer.params``, ``name`` its
    name, ``gradient`` the number. :func:`nn.fit` turns it into a stop.
    """

    def __init__(self, optimizer: Optimizer, index: int, gradient: float) -> None:
        self.index, self.name, self.gradient = index, optimizer.name_of(index), gradient
        problem = ("is too large to square (its square overflows the running average)"
                   if math.isfinite(gradient) else f"is {gradient!r}")
        super().__init__(
            f"{type(optimizer).__name__}.step(): the gradient of {self.name} {problem}; no "
            f"parameter was updated. To find the op that made it, run the forward and "
            f"backward pass inside autograd.detect_anomaly(); if training diverged, lower "
            f"the learning rate or clip gradients (nn.clip_grad_norm)"
        )


def value_name(p: Value, i: int) -> str:
    """A parameter's name from its scope and label (an nn layer's is its name in the
    model), or ``params[i]`` for a Value without a label."""
    if p.label:
        return f"{p.scope}.{p.label}" if p.scope else p.label
    return f"params[{i}]"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (``torch.optim.SGD``).

    With ``g = grad + weight_decay * p``: the velocity is ``v = g`` on the first
    step and ``v = momentum * v + (1 - dampening) * g`` afterwards; the step
    direction is ``g + momentum * v`` (Nesterov) or ``v``; then ``p -= lr * d``.
    The seed articles' average ``v = b v + (1 - b) g`` is ``dampening=momentum``
    except on the first step, where PyTorch starts from ``v = g``.
    """

    momentum: float
    dampening: float
    weight_decay: float
    nesterov: bool

    # Each optimiser spells out its keywords and PyTorch's defaults (as torch.optim does);
    # what is shared is how each is checked, by set_hyper_parameters.
    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.set_hyper_parameters(momentum=momentum, dampening=dampening,
                                  weight_decay=weight_decay, nesterov=nesterov)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0")

    def update_one(self, p: Value, state: dict[str, float]) -> None:
        g = p.grad
        if self.weight_decay:
            g += self.weight_decay * p.data
        if self.momentum:
            mu = self.momentum
            v = state.get("momentum_buffer")
            v = g if v is None else mu * v + (1.0 - self.dampening) * g
            state["momentum_buffer"] = v
            g = g + mu * v if self.nesterov else v
        p.data -= self.lr * g


class RMSProp(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    The update of ``torch.optim.RMSprop``:
    ``s = alpha * s + (1 - alpha) * g**2``; with ``centered`` the running mean
    ``m`` of g is subtracted: ``s - m**2``. The step is ``g / (sqrt(s) + eps)``,
    fed through a momentum buffer when ``momentum > 0``.
    """

    alpha: float
    eps: float
    weight_decay: float
    momentum: float
    centered: bool

    # torch.optim.RMSprop's keywords and defaults; checked by set_hyper_parameters.
    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.set_hyper_parameters(alpha=alpha, eps=eps, weight_decay=weight_decay,
                                  momentum=momentum, centered=centered)

    squares_gradients = True

    def update_one(self, p: Value, state: dict[str, float]) -> None:
        g = p.grad
        if self.weight_decay:
            g += self.weight_decay * p.data
        a = self.alpha
        s = a * state.get("square_avg", 0.0) + (1.0 - a) * g * g
        state["square_avg"] = s
        if self.centered:
            m = a * state.get("grad_avg", 0.0) + (1.0 - a) * g
            state["grad_avg"] = m
            s = s - m * m
        denom = math.sqrt(max(s, 0.0)) + self.eps  # centred: s - m*m may round below 0
        if self.momentum:
            b = self.momentum * state.get("momentum_buffer", 0.0) + g / denom
            state["momentum_buffer"] = b
            p.data -= self.lr * b
        else:
            p.data -= self.lr * g / denom


RMSprop = RMSProp  # PyTorch's spelling


class Adam(Optimizer):
    """Adaptive moment estimation (``torch.optim.Adam``).

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g**2``, then with the
    bias corrections ``m^ = m / (1 - b1**t)``, ``v^ = v / (1 - b2**t)``:
    ``p -= lr * m^ / (sqrt(v^) + eps)``. ``weight_decay`` adds
    ``weight_decay * p`` to the gradient (L2); for decoupled decay use
    :class:`AdamW`. ``amsgrad`` uses the running maximum of ``v``.
    """

    betas: tuple[float, float]
    eps: float
    weight_decay: float
    amsgrad: bool

    # torch.optim.Adam's keywords and defaults; checked by set_hyper_parameters.
    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.set_hyper_parameters(betas=betas, eps=eps, weight_decay=weight_decay,
                                  amsgrad=amsgrad)

    squares_gradients = True

    def step(self) -> None:
        # The bias corrections depend only on the step number: compute them once per step.
        b1, b2 = self.betas
        t = self.steps + 1
        self._step_size = self.lr / (1.0 - b1**t)
        self._correction2 = math.sqrt(1.0 - b2**t)
        super().step()

    def _gradient(self, p: Value) -> float:
        return p.grad + self.weight_decay * p.data if self.weight_decay else p.grad

    def update_one(self, p: Value, state: dict[str, float]) -> None:
        g = self._gradient(p)
        b1, b2 = self.betas
        m = b1 * state.get("exp_avg", 0.0) + (1.0 - b1) * g
        v = b2 * state.get("exp_avg_sq", 0.0) + (1.0 - b2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        if self.amsgrad:
            v = state["max_exp_avg_sq"] = max(state.get("max_exp_avg_sq", 0.0), v)
        denom = math.sqrt(v) / self._correction2 + self.eps
        p.data -= self._step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (``torch.optim.AdamW``): ``p -= lr * wd * p`` first.

    The decay does not pass through the moment estimates, so every weight
    shrinks at the same rate whatever its gradient history.
    """

    # Adam's keywords with torch.optim.AdamW's default weight decay, 1e-2.
    def __init__(
        self,
        params: Module | Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _gradient(self, p: Value) -> float:
        return p.grad

    def update_one(self, p: Value, state: dict[str, float]) -> None:
        if self.weight_decay:
            p.data *= 1.0 - self.lr * self.weight_decay
        super().update_one(p, state)


# ---------------------------------------------------------------------------
# Gradient clipping


def clip_grad_norm(
    parameters: Module | Iterable[Value], max_norm: float, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    The norm is ``sqrt(sum of every squared gradient)``; when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / norm`` (the seed
    articles' rule; PyTorch adds 1e-6 to the norm). Returns the norm *before*
    clipping, like ``torch.nn.utils.clip_grad_norm_``. A NaN or infinite norm
    raises ValueError with ``error_if_nonfinite=True`` and leaves the gradients
    alone otherwise.

    >>> from autograd import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm([a, b], 1.0), round(a.grad, 6), round(b.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = parameter_list(parameters, "clip_grad_norm")
    max_norm = positive(max_norm, "clip_grad_norm(max_norm)")
    error_if_nonfinite = flag(error_if_nonfinite, "clip_grad_norm(error_if_nonfinite)")
    for i, p in enumerate(params):
        # math.hypot would read a Value's number and go on, making Value gradients below.
        if p.grad.__class__ is not float and not is_real(p.grad):
            raise TypeError(bad_number(value_name(p, i), "grad", p.grad, "clip_grad_norm"))
    # math.hypot is exact-ish and does not overflow for huge gradients.
    norm = math.hypot(*(p.grad for p in params)) if params else 0.0
    if not math.isfinite(norm):
        if error_if_nonfinite:
            raise ValueError(f"the total gradient norm is {norm!r}; cannot clip it")
        return norm
    if norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad *= scale
    return norm


clip_grad_norm_ = clip_grad_norm  # PyTorch's name
