"""Which local derivatives need no arithmetic, found by probing the declaration.

Many ops' derivatives only hand back a constant or one of their operands: ``add``'s are
``(1.0, 1.0)``, ``mul``'s ``(b, a)``, ``exp``'s its own value, ``x * c``'s the constant,
``dot``'s the other list. :func:`shape_of` calls an op's ``deriv`` once, on probes that
refuse every operation: if it returns without touching them, what it returned says where
each derivative comes from, and :mod:`.op_nodes` gives the op a ``_backward`` that reads
them directly -- the same products in the same order as calling ``deriv``, without the
call. Anything that computes (``1 / b``, ``dtanh``) raises on the probes and keeps the
general ``_backward``.
"""

from __future__ import annotations

from typing import Any

from .declaration import BINARY, NARY, UNARY, UNARY_CONST, Op

__all__ = ["shape_of"]


class _Refused(Exception):
    pass


class _Probe:
    """Stands for an operand; any use of it (arithmetic, comparison, attributes) is refused."""

    __slots__ = ("where",)

    def __init__(self, where: str) -> None:
        self.where = where

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise _Refused

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __float__ = __int__ = __index__ = _refuse
    __len__ = __iter__ = __getitem__ = __hash__ = __eq__ = __ne__ = _refuse

    def __getattr__(self, name: str) -> Any:
        raise _Refused


def _where(d: Any) -> str | float | None:
    """'a', 'b', 'x', 'out', 'c' for a probe handed back, the float for a constant, None for
    anything else."""
    if type(d) is _Probe:
        return d.where
    if type(d) is float:
        return d
    return None


def shape_of(op: Op) -> tuple[Any, ...] | None:
    """Where each local derivative of ``op`` comes from, or None when ``deriv`` computes.

    Unary and unary_const ops: ``(source,)``; binary: ``(source_a, source_b)``, each source
    an operand's name ('a', 'b', 'x', 'out', 'c') or a float. An n-ary op of two groups
    whose derivatives are the other group, element by element (dot): ``('swap',)``.
    """
    kind, d = op.kind, op.deriv
    try:
        if kind is UNARY:
            found: Any = (d(_Probe("x"), _Probe("out")),)
        elif kind is UNARY_CONST:
            found = (d(_Probe("x"), _Probe("out"), _Probe("c")),)
        elif kind is BINARY:
            found = tuple(d(_Probe("a"), _Probe("b"), _Probe("out")))
        elif kind is NARY and op.groups == 2:
            ws, xs = [_Probe("w0"), _Probe("w1")], [_Probe("x0"), _Probe("x1")]
            dws, dxs = d(ws, xs, _Probe("out"))
            if (list(map(_where, dws)) == ["x0", "x1"]
                    and list(map(_where, dxs)) == ["w0", "w1"]):
                return ("swap",)
            return None
        else:
            return None
    except Exception:  # noqa: BLE001 - a deriv that computes refuses the probes in its own way
        return None
    shape = tuple(_where(x) for x in found)
    return None if any(s is None for s in shape) else shape
