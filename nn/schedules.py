"""Learning-rate schedules, with the names and formulas of ``torch.optim.lr_scheduler``.

A schedule rescales its optimiser's ``lr`` once per :meth:`LRScheduler.step`:

    opt = SGD(model.parameters(), lr=1.0)
    schedule = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=100)
    for epoch in range(100):
        ...                     # forward, backward, opt.step()
        schedule.step()

>>> from autograd import Value
>>> from nn import SGD
>>> opt = SGD([Value(0.0)], lr=1.0)
>>> schedule = StepLR(opt, step_size=2, gamma=0.5)
>>> for _ in range(4):
...     schedule.step()
>>> opt.lr, schedule.lr_at(4)
(0.25, 0.25)
"""

from __future__ import annotations

import math

from ._checks import in_range, integer, non_negative, positive
from .optim import Optimizer


class LRScheduler:
    """Base class: ``step()`` moves the optimiser's learning rate one step along the schedule.

    As in ``torch.optim.lr_scheduler``, each step rescales the optimiser's
    *current* rate (the chainable form), so two schedules on one optimiser
    compose (their factors multiply) and a rate you set by hand is carried on
    from. ``base_lr`` is the rate the optimiser had when its first schedule
    was made (kept as ``optimizer.initial_lr``); :meth:`lr_at` is the closed
    form, the rate after ``step`` steps of this schedule alone. Call
    ``scheduler.step()`` after ``optimizer.step()``.

    A subclass defines :meth:`lr_at`; it composes with others if it also
    defines :meth:`next_lr`.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        self.base_lr = optimizer.initial_lr
        self.last_step = 0
        self._set(self.next_lr(optimizer.lr, 0))

    def lr_at(self, step: int) -> float:
        """The learning rate after ``step`` calls to :meth:`step`, for this schedule alone."""
        raise NotImplementedError

    def next_lr(self, lr: float, step: int) -> float:
        """The rate for step ``step`` (0: when the schedule is made), from the current rate ``lr``.

        The default is the closed form, which ignores ``lr``: such a schedule
        overrides any other on the same optimiser.
        """
        return self.lr_at(step)

    def step(self) -> None:
        """Advance the schedule by one step and update the optimiser's learning rate."""
        self._set(self.next_lr(self.optimizer.lr, self.last_step + 1))
        self.last_step += 1  # only once the new rate was accepted

    def _set(self, lr: float) -> None:
        self.optimizer.lr = lr  # checked by the optimiser
        self._last_lr = self.optimizer.lr

    def get_last_lr(self) -> list[float]:
        """``[rate]``: the learning rate this schedule set last.

        A list, as in PyTorch, which has one entry per parameter group; an
        ``nn`` optimiser has a single group, so the list has one element.
        """
        return [self._last_lr]


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor``, then hold it.

    micrograd's demo, ``lr = 1.0 - 0.9 * k / 100``, is
    ``LinearLR(SGD(params, lr=1.0), start_factor=1.0, end_factor=0.1, total_iters=100)``.
    The factor moves in ``total_iters`` equal steps; after that the rate stays
    at ``base_lr * end_factor``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = in_range(start_factor, "LinearLR(start_factor)", 0.0, 1.0)
        if self.start_factor == 0:
            raise ValueError("LinearLR(start_factor) must be > 0 (a zero learning rate)")
        self.end_factor = in_range(end_factor, "LinearLR(end_factor)", 0.0, 1.0)
        self.total_iters = integer(total_iters, "LinearLR(total_iters)")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        k = min(step, self.total_iters)
        factor = self.start_factor + (self.end_factor - self.start_factor) * k / self.total_iters
        return self.base_lr * factor

    def next_lr(self, lr: float, step: int) -> float:
        start, end, n = self.start_factor, self.end_factor, self.total_iters
        if step == 0:
            return lr * start
        if step > n:
            return lr
        # factor(step) / factor(step - 1); the denominator is n * factor(step - 1) > 0.
        return lr * (1.0 + (end - start) / (n * start + (step - 1) * (end - start)))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = integer(step_size, "StepLR(step_size)")
        self.gamma = positive(gamma, "StepLR(gamma)")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma ** (step // self.step_size)

    def next_lr(self, lr: float, step: int) -> float:
        return lr * self.gamma if step > 0 and step % self.step_size == 0 else lr


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` steps.

    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2``; as
    in PyTorch, past ``T_max`` the cosine continues (back up towards base_lr).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = integer(T_max, "CosineAnnealingLR(T_max)")
        self.eta_min = non_negative(eta_min, "CosineAnnealingLR(eta_min)")
        super().__init__(optimizer)

    def lr_at(self, step: int) -> float:
        cos = math.cos(math.pi * step / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0

    def next_lr(self, lr: float, step: int) -> float:
        T, low = self.T_max, self.eta_min
        if step == 0:
            return lr
        if (step - 1 - T) % (2 * T) == 0:
            # Leaving the bottom of the cosine, where the ratio below would divide by 0.
            return lr + (self.base_lr - low) * (1.0 - math.cos(math.pi / T)) / 2.0
        ratio = (1.0 + math.cos(math.pi * step / T)) / (1.0 + math.cos(math.pi * (step - 1) / T))
        return ratio * (lr - low) + low


