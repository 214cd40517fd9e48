"""A batch of arguments checked and laid out for a program, or a clear error, before anything runs.

A program takes, for each argument of the traced function, a batch: a 1-d array (or
list) of numbers for a number argument, a 2-d array (or a list of lists) with one row
of ``width`` numbers per sample for a list argument. The checks are the eager
engine's: numbers only (``Value('a')`` and ``Value(True)`` are TypeErrors there, so a
string or a boolean is here too), every sample the right width, every argument the same
number of samples. The error names the argument, the sample and the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..real_numbers import preview, real
from .tracing import Arg

__all__ = ["as_arrays"]


def _describe(arg: Arg) -> str:
    if arg.width is None:
        return f"{arg.name} (a number per sample: a 1-d array or a list of numbers)"
    return (f"{arg.name} ({arg.width} numbers per sample: a 2-d array or a list of lists, "
            f"one row per sample)")


def _from_array(x: np.ndarray, arg: Arg, who: str) -> np.ndarray:
    kind = x.dtype.kind
    if kind == "b":
        raise TypeError(f"{who}: {arg.name} holds booleans; booleans are almost always a "
                        f"mistake here -- pass numbers (x.astype(float) if you mean them)")
    if kind == "c":
        raise TypeError(f"{who}: {arg.name} holds complex numbers; chainrule's Values are real")
    if kind in "USV":
        first = x.ravel()[0] if x.size else ""
        raise TypeError(f"{who}: {arg.name} holds strings ({preview(first)}...); pass numbers "
                        f"(convert with float(...) first)")
    if kind == "O":
        return _from_sequence(x.tolist(), arg, who)
    return np.asarray(x, dtype=float)


def _from_sequence(x: Sequence[Any], arg: Arg, who: str) -> np.ndarray:
    if arg.width is None:
        values = [v if type(v) is float else real(v, f"{who}: {arg.name}, sample {i}")
                  for i, v in enumerate(x)]
        return np.array(values, dtype=float)
    rows = []
    for i, s in enumerate(x):
        if isinstance(s, (str, bytes)) or not hasattr(s, "__len__"):
            raise TypeError(f"{who}: {arg.name}, sample {i} is {type(s).__name__} "
                            f"{preview(s)}; each sample is a list of {arg.width} numbers")
        if len(s) != arg.width:
            raise ValueError(f"{who}: {arg.name}, sample {i} has {len(s)} numbers, "
                             f"{preview(s)}; the program was traced with {arg.width}")
        rows.append([v if type(v) is float else real(v, f"{who}: {arg.name}, sample {i}, "
                                                        f"number {j}")
                     for j, v in enumerate(s)])
    return np.array(rows, dtype=float).reshape(len(rows), arg.width)


def _array(x: Any, arg: Arg, who: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or (hasattr(x, "data") and hasattr(x, "grad")
                                       and not isinstance(x, np.ndarray)):
        what = "a tensor" if hasattr(x, "detach") else type(x).__name__
        raise TypeError(f"{who}: {arg.name} is {what} {preview(x)}; a program takes a batch "
                        f"of numbers per argument, {_describe(arg)}"
                        + ("; for tensors use program.to_torch()" if hasattr(x, "detach")
                           else ""))
    if isinstance(x, np.ndarray):
        arr = _from_array(x, arg, who)
    elif hasattr(x, "__len__") and hasattr(x, "__getitem__"):
        arr = _from_sequence(list(x), arg, who)
    else:
        raise TypeError(f"{who}: {arg.name} is {type(x).__name__} {preview(x)}; pass a batch: "
                        f"{_describe(arg)}")
    want = 1 if arg.width is None else 2
    if arr.ndim != want or (want == 2 and arr.shape[1] != arg.width):
        raise ValueError(f"{who}: {arg.name} has shape {arr.shape}; the program takes "
                         f"{_describe(arg)}" + ("; for one sample, pass [sample]"
                                                if arr.ndim == want - 1 else ""))
    return arr


def as_arrays(batch: Sequence[Any], args: Sequence[Arg],
              who: str) -> tuple[list[np.ndarray], int]:
    """The batch as the program's arrays (a row per number, a column per sample) and the
    number of samples; TypeError or ValueError naming what is wrong."""
    if len(batch) != len(args):
        names = ", ".join(a.name for a in args)
        raise TypeError(f"{who} takes {len(args)} argument(s), a batch of each of ({names}), "
                        f"got {len(batch)}")
    arrays = [_array(x, arg, who) for x, arg in zip(batch, args)]
    sizes = {len(a) for a in arrays}
    if len(sizes) > 1:
        shown = ", ".join(f"{arg.name}: {len(a)}" for arg, a in zip(args, arrays))
        raise ValueError(f"{who}: the arguments have different numbers of samples ({shown})")
    n = sizes.pop()
    if n == 0:
        raise ValueError(f"{who}: the batch is empty; pass at least one sample")
    laid = [np.ascontiguousarray(a[None, :] if arg.width is None else a.T)
            for a, arg in zip(arrays, args)]
    return laid, n
