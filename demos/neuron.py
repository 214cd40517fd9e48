"""The lecture's tanh neuron and micrograd's trace_graph examples, drawn with data and gradients.

1. micrograd's notebook: y = relu(x * 2 + 1), and an nn.Neuron(2) on [1.0, -2.0].
2. The Zero-to-Hero lecture's neuron: o = tanh(x1*w1 + x2*w2 + b) with
   x1 = 2, x2 = 0, w1 = -3, w2 = 1, b = 6.8813735870195432 (so n = 0.8814 and
   o = 0.7071), back-propagated; then ``explain`` shows why w1.grad is 1.0.
Each graph is written as SVG; the neuron is also printed as a text table.
"""

from __future__ import annotations

from _common import parse_args

import nn
from autograd import Value
from autograd.render import explain, render_text, save


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


def main(argv: list[str] | None = None) -> Value:
    args = parse_args("neuron", __doc__.splitlines()[0], argv)

    x = Value(1.0, label="x")
    y = (x * 2 + 1).relu()
    y.label = "y"
    y.backward()
    print("wrote", save(y, args.out / "trace_graph_relu.svg"))

    neuron = nn.Neuron(2, seed=1337)
    out = neuron([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.backward()
    print("wrote", save(out, args.out / "trace_graph_neuron.svg"))

    o, leaves = lecture_neuron()
    print("wrote", save(o, args.out / "tanh_neuron.svg"))
    print("\nThe lecture's neuron as a table:\n")
    print(render_text(o))
    print("\nWhy is w1.grad 1.0?\n")
    explain(leaves["w1"], o)
    return o


if __name__ == "__main__":
    main()
