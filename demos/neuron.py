"""The lecture's tanh neuron and micrograd's trace_graph examples, drawn with data and gradients.

1. micrograd's notebook: y = relu(x * 2 + 1), and an nn.Neuron(2) on [1.0, -2.0].
2. The Zero-to-Hero lecture's neuron: o = tanh(x1*w1 + x2*w2 + b) with
   x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 (so n = 0.8814 and
   o = 0.7071), back-propagated; then ``explain`` shows why w1.grad is 1.0.
Each graph is written as SVG; the neuron is also printed as a text table.
``--docs`` also rewrites the README's picture, docs/neuron.svg.
"""

from __future__ import annotations

import argparse
import math

from _common import ROOT, check, parse_args, picture

import nn
from autograd import Value
from autograd.render import ValueGraph, draw_dot, explain, render_text, save, to_svg

DOCS_PICTURE = ROOT / "docs" / "neuron.svg"


def lecture_neuron() -> tuple[Value, dict[str, Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def draw_lecture_neuron() -> ValueGraph:
    """The README's picture: the lecture's neuron after backward, w1, w2, b drawn as parameters.

    The lecture makes its weights as plain Values (no ``nn`` scope), so
    ``params=`` says which leaves are parameters; the inputs stay blue.
    """
    o, leaves = lecture_neuron()
    return draw_dot(o, params=[leaves["w1"], leaves["w2"], leaves["b"]])


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--docs", action="store_true",
                        help=f"also rewrite the README's picture, {DOCS_PICTURE.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> Value:
    args = parse_args("neuron", __doc__.splitlines()[0], argv, _options)

    x = Value(1.0, label="x")
    y = (x * 2 + 1).relu()
    y.label = "y"
    y.backward()
    print("wrote", save(y, picture(args, "trace_graph_relu")))

    neuron = nn.Neuron(2, seed=1337)
    out = neuron([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.backward()
    # A standalone Neuron is made outside any module scope, so without params= its
    # weights would be drawn blue like the inputs.
    print("wrote", save(out, picture(args, "trace_graph_neuron"), params=neuron.parameters()))

    print("wrote", save(draw_lecture_neuron(), picture(args, "tanh_neuron")))
    if args.docs:
        # Rendered in full before the file is opened, so a failed layout leaves the old picture.
        DOCS_PICTURE.write_text(to_svg(draw_lecture_neuron()), encoding="utf-8")
        print("wrote", DOCS_PICTURE)

    o, leaves = lecture_neuron()
    print("\nThe lecture's neuron as a table:\n")
    print(render_text(o))
    print("\nWhy is w1.grad 1.0?\n")
    explain(leaves["w1"], o)
    # The lecture's numbers: o = tanh(n) = 1/sqrt(2), do/dn = 1 - o^2 = 0.5, and
    # w1.grad = x1 * do/dn = 1.0, w2.grad = x2 * do/dn = 0.
    check(abs(o.data - 1 / math.sqrt(2)) < 1e-12, f"o = {o.data:.6f} = 1/sqrt(2)")
    check(abs(leaves["w1"].grad - 1.0) < 1e-12 and leaves["w2"].grad == 0.0,
          f"w1.grad = {leaves['w1'].grad:.6f}, w2.grad = {leaves['w2'].grad:.6f} (1 and 0)")
    return o


if __name__ == "__main__":
    main()
