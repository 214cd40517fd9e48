"""Two files written from the op table, which tests keep current.

* ``docs/ops.md``, the op reference: ``python -m autograd.op_reference --docs``;
* ``autograd/value_surface.pyi``, the signatures of the operators and methods the ops
  put on ``Value``, for type checkers and editors (at run time declaring an op is
  what attaches them): ``python -m autograd.op_reference --stubs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .declaration import NARY, OPERATORS, UNARY, UNARY_OPERATORS, Op
from .ops import OPS

HERE = Path(__file__).resolve().parent


def _domain_text(op: Op) -> str:
    if callable(op.domain):
        return op.domain_text
    return "; ".join(str(d) + (f" ({d.note})" if d.note else "") for d in op.domain)


def _surface(op: Op) -> str:
    """How a user reaches the op: an operator, a method, or a function of autograd."""
    if op.operator is not None:
        if op.kind is UNARY:
            return f"`{op.operator}x`" if op.operator == "-" else f"`{op.operator}(x)`"
        if op.kind.constant:
            ways = [f"`x {op.operator} 2`" for side in op.sides if side == "right"]
            ways += [f"`2 {op.operator} x`" for side in op.sides if side == "left"]
            return ", ".join(ways)
        return f"`a {op.operator} b`"
    if op.method is not None:
        if op.kind.constant:
            default = "" if op.param_default is None else f"={op.param_default:g}"
            return f"`x.{op.method}({op.param_name}{default})`"
        return f"`x.{op.method}()`"
    args = ", ".join(("ws", "xs", "ys", "zs")[: op.groups]) if op.groups > 1 else "xs"
    return f"`autograd.{op.name}({args})`"


def markdown_table(ops: tuple[Op, ...] = OPS) -> str:
    """The op table as Markdown."""
    rows = [
        "| op | written | kind | computes | domain of the inputs | constant |",
        "|---|---|---|---|---|---|",
    ]
    for op in ops:
        const = "" if op.param is None else f"{op.param_name} in {op.param}"
        doc = op.doc.replace("|", "\\|")
        rows.append(f"| `{op.name}` | {_surface(op)} | {op.kind.name} | {doc} | "
                    f"{_domain_text(op).replace('|', chr(92) + '|')} | {const} |")
    return "\n".join(rows) + "\n"


def readme_list(ops: tuple[Op, ...] = OPS) -> str:
    """The README's list of ops, by how they are written."""
    groups: dict[str, list[str]] = {"Operators": [], "Methods": [], "Functions of lists": []}
    for op in ops:
        where = ("Operators" if op.operator is not None else
                 "Methods" if op.method is not None else "Functions of lists")
        groups[where].append(f"{_surface(op)} (`{op.name}`)")
    return "\n".join(f"- {name}: {', '.join(items)}." for name, items in groups.items()
                     if items) + "\n"


def markdown_document() -> str:
    """The whole of ``docs/ops.md``."""
    return (
        "# Primitive ops\n\n"
        "Generated from the op table in `autograd/ops.py` by "
        "`python -m autograd.op_reference --docs`; do not edit by hand.\n"
        "The domain is where an op is defined and smooth: the testing toolkit draws inputs "
        "across it, near its ends, poles and kinks on both sides.\n\n" + markdown_table()
    )


def stubs() -> str:
    """The whole of ``autograd/value_surface.pyi``."""
    lines = [
        "# The operators and methods the declared ops put on Value, for type checkers.",
        "# Generated from the op table (autograd/ops.py) by",
        "# `python -m autograd.op_reference --stubs`; do not edit by hand. At run time",
        "# declaring an op is what attaches these to Value.",
        "",
        "from typing import Any",
        "",
        "from .engine import Value",
        "",
        "class ValueSurface:",
    ]
    done: set[str] = set()
    for op in OPS:
        if op.kind is NARY:
            continue
        if op.operator is not None:
            if op.kind is UNARY:
                names = [UNARY_OPERATORS[op.operator]]
                sig = "(self) -> Value"
            else:
                names = list(OPERATORS[op.operator])
                sig = "(self, other: Any) -> Value"
            for name in names:
                if name not in done:
                    done.add(name)
                    lines.append(f"    def {name}{sig}: ...")
        if op.method is not None and op.method not in done:
            done.add(op.method)
            if op.kind.constant:
                default = "" if op.param_default is None else f" = {op.param_default!r}"
                lines.append(f"    def {op.method}(self, {op.param_name}: float{default})"
                             f" -> Value: ...")
            else:
                lines.append(f"    def {op.method}(self) -> Value: ...")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true", help="rewrite docs/ops.md")
    parser.add_argument("--stubs", action="store_true", help="rewrite autograd/value_surface.pyi")
    parser.add_argument("--readme", action="store_true", help="print README's list of ops")
    args = parser.parse_args()
    if args.readme:
        print(readme_list(), end="")
    if args.docs:
        (HERE.parent / "docs" / "ops.md").write_text(markdown_document(), encoding="utf-8")
    if args.stubs:
        (HERE / "value_surface.pyi").write_text(stubs(), encoding="utf-8")


if __name__ == "__main__":
    main()
