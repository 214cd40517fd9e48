"""`Neuron`, `Layer`, `MLP` and `Dropout`.

A neuron computes ``activation(w . x + b)``. The weighted sum is the engine's
n-ary ``dot`` node, so a ReLU neuron is three nodes (``dot``, ``+``, ``ReLU``)
whatever its number of inputs, where a chain of ``*`` and ``+`` would be 2n.

The defaults reproduce micrograd: ReLU hidden layers, a linear output layer,
weights drawn from U(-1, 1) and biases at 0; ``nonlin=False`` is accepted for
``activation='linear'``. ``MLP(2, [16, 16, 1], seed=s)`` even draws the same
weights as micrograd's ``MLP(2, [16, 16, 1])`` after ``random.seed(s)``, but
from its own generator: nothing here touches the global random state.

Scopes: parameters are created, and forward passes run, inside
:func:`autograd.scope` of the module's path (``layers.1.neurons.3``), so every
node a model makes says which neuron made it, and a rendering can group them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, dot, scope

from . import init as _init
from ._checks import Seed, as_rng, choice, in_range, integer, typed
from .module import Module

# The constructor of dot nodes (Values in): what a neuron calls on every forward pass.
_dot_node = dot.apply


class Outputs(list[Value]):
    """The list of Values a multi-output module returns: a real list, with a hint.

    It behaves as a list in every way (indexing, ``len``, iteration, equality,
    ``json``), except that the attributes of a single Value -- ``backward``,
    ``data`` and ``grad`` -- raise an AttributeError that says what to do: sum
    the outputs into one loss or pick one. (``hasattr(out, 'backward')`` is
    False, as for any list.)

    >>> from nn import MLP
    >>> out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    >>> len(out), isinstance(out, list)
    (2, True)
    >>> out.backward()
    Traceback (most recent call last):
    ...
    AttributeError: this is a list of 2 outputs (...), not a Value, so it has no .backward(): ...
    """

    __slots__ = ()

    def _refuse(self, name: str, fix: str) -> AttributeError:
        return AttributeError(
            f"this is a list of {len(self)} outputs (a multi-output module's result), not a "
            f"Value, so it has no .{name}: {fix}"
        )

    @property
    def backward(self) -> Any:
        raise self._refuse("backward()", "make one loss from them, e.g. "
                           "autograd.sum(outputs).backward() or nn.mse_loss(outputs, "
                           "targets).backward(), or pick one: outputs[0].backward()")

    @property
    def data(self) -> Any:
        raise self._refuse("data", "read each output's, [v.data for v in outputs], or use "
                           "nn.predict(model, X) for plain numbers")

    @property
    def grad(self) -> Any:
        raise self._refuse("grad", "read each output's, [v.grad for v in outputs]")


Output = Value | Outputs


#: Activation name -> the Value method that applies it (``None``: linear, no node).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,  # slope 0.01, the seed articles' value
    "linear": None,
}

# How descriptions name an activation: micrograd's ReLUNeuron(2), LinearNeuron(16), ...
_TITLES = {
    "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
    "linear": "Linear",
}


# A layer's and a neuron's descriptions are needed before they exist: their parameters
# are made inside a scope whose kind= is that description. So they are functions of the
# constructor's arguments, which describe() also uses.

def _neuron_line(nin: int, activation: str) -> str:
    """A neuron's description, micrograd's repr: ``ReLUNeuron(2)``."""
    return f"{_TITLES[activation]}Neuron({nin})"


def _layer_kind(nin: int, nout: int, activation: str) -> str:
    """A layer's short description in pictures' summaries: ``Layer(16, 16, ReLU)``."""
    return f"Layer({nin}, {nout}, {_TITLES[activation]})"


def _activation(activation: Any, nonlin: Any, default: str, owner: str) -> str:
    """Resolve ``activation`` / micrograd's ``nonlin`` flag to an activation name."""
    if isinstance(activation, bool):  # micrograd's positional Neuron(nin, nonlin)
        activation, nonlin = None, activation if nonlin is None else nonlin
    if nonlin is not None:
        if activation is not None:
            raise TypeError(f"{owner}: pass either activation= or nonlin=, not both")
        if not isinstance(nonlin, bool):
            raise TypeError(f"{owner}(nonlin=...) needs True or False, got {typed(nonlin)}")
        return "relu" if nonlin else "linear"
    if activation is None:
        return default
    return choice(activation, f"{owner}(activation)", tuple(ACTIVATIONS))


def _inputs(x: Any, nin: int, module: Module) -> Sequence[Value]:
    """``x`` checked for length ``nin``, with plain numbers turned into leaves x0, x1, ...

    The module is only described when there is an error, so a good call costs
    one length check and one type check per input.
    """
    if isinstance(x, Value) or isinstance(x, (int, float)) and not isinstance(x, bool):
        values: list[Any] = [x]  # one scalar: fine for a one-input module
    elif isinstance(x, (str, bytes)) or not hasattr(x, "__len__"):
        raise TypeError(
            f"{module.describe()} expects a sequence of {nin} numbers or Values, got {typed(x)}"
        )
    else:
        values = list(x)
    if len(values) != nin:
        raise ValueError(f"{module.describe()} expects {nin} input(s), got {len(values)}")
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            try:
                values[i] = Value(v, label=f"x{i}")
            except TypeError as exc:
                raise TypeError(f"{module.describe()} input x[{i}]: {exc}") from None
    return values


class Neuron(Module):
    """``activation(w0*x0 + ... + w(n-1)*x(n-1) + b)``.

    >>> n = Neuron(2, seed=0)                # ReLU, weights U(-1, 1), bias 0
    >>> n
    ReLUNeuron(2)
    >>> Neuron(2, nonlin=False)              # micrograd's linear neuron
    LinearNeuron(2)

    Parameters are labelled ``w0, w1, ...`` and ``b``. ``fan_out`` only matters
    to the ``'xavier'`` scheme; :class:`Layer` passes its number of neurons.
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        init: str | _init.Initializer = "uniform",
        bias: bool = True,
        seed: Seed = None,
        fan_out: int = 1,
    ) -> None:
        self.nin = integer(nin, "Neuron(nin)")
        self.activation = _activation(activation, nonlin, "relu", "Neuron")
        if not isinstance(bias, bool):
            raise TypeError(f"Neuron(bias=...) needs True or False, got {typed(bias)}")
        fan_out = integer(fan_out, "Neuron(fan_out)")
        drawn = _init.weights(init, as_rng(seed), self.nin, fan_out)
        self.w = [Value(v, label=f"w{i}") for i, v in enumerate(drawn)]
        self.b = Value(0.0, label="b") if bias else None
        self._act = ACTIVATIONS[self.activation]

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear."""
        return self.activation != "linear"

    def __call__(self, x: Any) -> Value:
        return self.forward(_inputs(x, self.nin, self))

    def forward(self, x: Sequence[Any]) -> Value:
        try:  # every neuron of every call: straight to the dot node when x holds Values
            act = _dot_node(*self.w, *x)
        except AttributeError:  # plain numbers among the inputs: dot() converts them
            act = dot(self.w, x)
        if self.b is not None:
            act = act + self.b
        f = self._act
        return act if f is None else f(act)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "bias": self.b is not None}

    def extra_repr(self) -> str:
        return f"{self.nin}"

    def describe(self, short: bool = False) -> str:
        return _neuron_line(self.nin, self.activation)


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs.

    Calling a layer returns a list of ``nout`` Values, or a single Value when
    ``nout == 1`` (as in micrograd). Neuron ``j`` is ``layer.neurons[j]``; its
    parameters and nodes carry the scope ``neurons.j``.
    """

    # Neuron's keywords plus nout: the layer hands them on to each of its neurons.
    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = None,
        *,
        nonlin: bool | None = None,
        init: str | _init.Initializer = "uniform",
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = integer(nin, "Layer(nin)")
        self.nout = integer(nout, "Layer(nout)")
        self.activation = _activation(activation, nonlin, "relu", "Layer")
        rng = as_rng(seed)
        self._scopes = [f"neurons.{j}" for j in range(self.nout)]
        # What a picture's summary calls each neuron; one string, made once, for every call.
        self._neuron_kind = _neuron_line(self.nin, self.activation)
        # One scope block per neuron, made once and entered on every call.
        self._blocks = [scope(name, self._neuron_kind) for name in self._scopes]
        self.neurons = []
        for block in self._blocks:
            with block:
                self.neurons.append(Neuron(
                    self.nin, self.activation, init=init, bias=bias, seed=rng, fan_out=self.nout
                ))

    def __call__(self, x: Any) -> Output:
        return self.forward(_inputs(x, self.nin, self))

    def forward(self, x: Sequence[Any]) -> Output:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def outputs(self, x: Sequence[Any]) -> Outputs:
        """The neurons' outputs as a list (also for one neuron); ``x`` is not checked."""
        out = Outputs()
        for neuron, block in zip(self.neurons, self._blocks):
            with block:
                out.append(neuron.forward(x))
        return out

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin, "nout": self.nout, "activation": self.activation,
            "bias": self.neurons[0].b is not None,
        }

    def describe(self, short: bool = False) -> str:
        if short:
            return _layer_kind(self.nin, self.nout, self.activation)
        return super().describe()

    def extra_repr(self) -> str:
        bias = "" if self.neurons[0].b is not None else ", bias=False"
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}{bias}"

    def _repr_children(self) -> list[tuple[str, Module]]:
        return []  # the neurons are alike; the layer's own line says it all


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one :class:`Layer` per entry of ``nouts``.

    >>> MLP(2, [16, 16, 1], seed=0).num_parameters()                  # micrograd's moons net
    337
    >>> MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh').num_parameters()
    41

    Hidden layers use ``activation`` (ReLU by default), the last layer
    ``output_activation`` (``None``: linear). Calling the model with ``nin``
    numbers or Values returns a Value when the last layer has one neuron, a list
    otherwise. ``seed`` is an int or a ``random.Random``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str | None = None,
        *,
        init: str | _init.Initializer = "uniform",
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = integer(nin, "MLP(nin)")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(f"MLP(nouts) needs a non-empty list of layer sizes, got {typed(nouts)}")
        self.nouts = [integer(n, f"MLP(nouts[{i}])") for i, n in enumerate(nouts)]
        self.activation = choice(activation, "MLP(activation)", tuple(ACTIVATIONS))
        self.output_activation = (
            "linear" if output_activation is None
            else choice(output_activation, "MLP(output_activation)", tuple(ACTIVATIONS))
        )
        rng = as_rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self._scopes = [f"layers.{i}" for i in range(len(self.nouts))]
        acts = [self.activation] * last + [self.output_activation]
        self.layers = []
        for i, (name, act) in enumerate(zip(self._scopes, acts)):
            # The kind= of a layer's scope, e.g. 'Layer(16, 16, ReLU)' (its describe(short=True)).
            with scope(name, _layer_kind(sizes[i], sizes[i + 1], act)):
                self.layers.append(
                    Layer(sizes[i], sizes[i + 1], act, init=init, bias=bias, seed=rng)
                )
        self._kinds = [layer.describe(short=True) for layer in self.layers]

    def __call__(self, x: Any) -> Output:
        return self.forward(_inputs(x, self.nin, self))

    def forward(self, x: Sequence[Any]) -> Output:
        for layer, name, kind in zip(self.layers, self._scopes, self._kinds):
            with scope(name, kind):
                x = layer.outputs(x)
        return x[0] if len(x) == 1 else Outputs(x)

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin, "nouts": list(self.nouts), "activation": self.activation,
            "output_activation": self.output_activation,
            "bias": self.layers[0].neurons[0].b is not None,
        }

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nouts={self.nouts}"


class Dropout(Module):
    """In training mode, zero each input with probability ``p`` and scale the rest by 1/(1-p).

    In evaluation mode (``model.eval()``) the input passes through unchanged, so
    the expected activation is the same in both modes ("inverted" dropout, as
    in PyTorch). Its own ``random.Random`` (from ``seed``) draws the masks.
    """

    def __init__(self, p: float = 0.5, *, seed: Seed = None) -> None:
        self.p = in_range(p, "Dropout(p)", 0.0, 1.0)
        self._rng: random.Random = as_rng(seed)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        single = isinstance(x, Value)
        values = [x] if single else list(x)
        keep, scale, rand = 1.0 - self.p, 1.0 / (1.0 - self.p) if self.p < 1.0 else 0.0, self._rng
        out = [v * (scale if rand.random() < keep else 0.0) for v in values]
        return out[0] if single else Outputs(out)

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def extra_repr(self) -> str:
        return f"p={self.p}"
