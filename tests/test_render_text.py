"""The text rendering: a topologically ordered table and an indented tree."""

from __future__ import annotations

import pytest
from examples import lecture

import autograd
from autograd import Value, render_text, scope


def test_table_lists_every_node_parents_first() -> None:
    assert render_text(lecture()["L"]) == "\n".join([
        "#  label  op  inputs     data     grad",
        "0  a                   2.0000   6.0000",
        "1  b                  -3.0000  -4.0000",
        "2  e      *   #0 #1   -6.0000  -2.0000",
        "3  c                  10.0000  -2.0000",
        "4  d      +   #2 #3    4.0000  -2.0000",
        "5  f                  -2.0000   4.0000",
        "6  L      *   #4 #5   -8.0000   1.0000",
    ])


def test_tree_from_the_root_back_to_the_leaves() -> None:
    assert render_text(lecture()["L"], style="tree") == "\n".join([
        "L (#6)  *  data -8.0000  grad 1.0000",
        "|-- d (#4)  +  data 4.0000  grad -2.0000",
        "|   |-- e (#2)  *  data -6.0000  grad -2.0000",
        "|   |   |-- a (#0)  data 2.0000  grad 6.0000",
        "|   |   `-- b (#1)  data -3.0000  grad -4.0000",
        "|   `-- c (#3)  data 10.0000  grad -2.0000",
        "`-- f (#5)  data -2.0000  grad 4.0000",
    ])


def test_tree_shows_a_shared_node_once() -> None:
    x = Value(3.0, label="x")
    s = x.tanh()
    s.label = "s"
    y = s * s + s
    y.backward()
    lines = render_text(y, style="tree").splitlines()
    assert sum(1 for line in lines if "s (#1)" in line) == 3
    assert sum(1 for line in lines if line.endswith("(shown above)")) == 2
    assert sum(1 for line in lines if "x (#0)" in line) == 1


def test_constants_scopes_and_many_inputs() -> None:
    with scope("layers.0"):
        xs = [Value(float(i), label=f"x{i}") for i in range(8)]
        s = autograd.sum(xs) * 0.5
    text = render_text(s)
    header = text.splitlines()[0].split()
    assert header[-1] == "scope"
    last = text.splitlines()[-1]
    assert "* 0.5" in last and last.rstrip().endswith("layers.0")
    assert "#0 #1 #2 #3 #4 #5 ... (8 inputs)" in text
    assert "scope" not in render_text(lecture()["L"])


def test_long_graphs_are_cut_where_asked() -> None:
    x = Value(0.5, label="x")
    for _ in range(10_000):  # deep: no recursion anywhere
        x = x * 1.0
    table = render_text(x, max_rows=10).splitlines()
    assert len(table) == 1 + 10 + 1
    assert table[6] == "... 9991 rows not shown (max_rows=10) ..."
    assert table[1].split()[0] == "0" and table[-1].split()[0] == "10000"
    tree = render_text(x, style="tree", max_depth=5).splitlines()
    assert len(tree) == 7 and "max_depth=5" in tree[-1]
    tree = render_text(x, style="tree", max_rows=4, max_depth=10**6).splitlines()
    assert len(tree) == 5 and "max_rows=4" in tree[-1]


def test_odd_labels_stay_on_one_line() -> None:
    v = Value(1.0, label="two\nlines\tand a very long label that goes on and on")
    w = v * 2
    table = render_text(w).splitlines()
    assert len(table) == 3
    assert "two lines and a very ..." in table[1]


def test_unicode_labels_pass_through() -> None:
    v = Value(1.0, label="\u03b8\u2080 w\u00e9ight")
    assert "\u03b8\u2080 w\u00e9ight" in render_text(v * 2)


def test_a_leaf_alone_and_bad_arguments() -> None:
    v = Value(4.0, label="v")
    assert render_text(v).splitlines()[1].split() == ["0", "v", "4.0000", "0.0000"]
    assert render_text(v, style="tree") == "v (#0)  data 4.0000  grad 0.0000"
    with pytest.raises(ValueError, match="style"):
        render_text(v, style="graph")
    with pytest.raises(ValueError, match="max_rows"):
        render_text(v, max_rows=1)
    with pytest.raises(ValueError, match="max_depth"):
        render_text(v, style="tree", max_depth=0)
    with pytest.raises(TypeError, match="Value"):
        render_text(3.0)  # type: ignore[arg-type]
