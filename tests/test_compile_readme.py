"""The README's compiled neuron, forward and backward side by side, is what compile makes today."""

from __future__ import annotations

import re
from itertools import zip_longest
from pathlib import Path

from test_compile import lecture_neuron

import autograd
from autograd import Value

README = Path(__file__).resolve().parent.parent / "README.md"
MARK = "<!-- compiled neuron: generated, and checked by tests/test_compile_readme.py -->"
WIDTH = 30


def _body(source: str) -> list[str]:
    """A function's lines, without its def, its tape and its return, and without comments."""
    out = []
    for line in source.splitlines()[1:]:
        line = line.strip()
        if not (line.startswith("return") or line.endswith("= tape")):
            out.append(re.sub(r"\s+#.*$", "", line))
    return out


def side_by_side() -> str:
    _, neuron = lecture_neuron()
    program = autograd.compile(neuron, (Value(2.0, label="x1"), Value(0.0, label="x2")),
                               fuse=False)
    rows = [f"{'forward: top to bottom':<{WIDTH}}backward: the chain rule, last node first"]
    rows += [f"{f:<{WIDTH}}{b}".rstrip() for f, b in zip_longest(
        _body(program.forward_source), _body(program.backward_source), fillvalue="")]
    return "\n".join(rows)


def test_the_readme_shows_the_neuron_as_compiled() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split(MARK, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert block.rstrip("\n") == side_by_side(), (
        "the README's side-by-side program is stale; paste this in:\n" + side_by_side())
