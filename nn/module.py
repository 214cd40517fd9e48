"""`Module`, the base class of every model and layer, and `Sequential`.

A module's parameters are the ``Value`` objects among its attributes, found in
the order the attributes were assigned:

* an attribute holding a ``Value`` is a parameter named after the attribute
  (``b``);
* a list or tuple of Values is a numbered group: ``w`` holding three Values
  gives ``w0``, ``w1``, ``w2`` (the same names the nodes are labelled with);
* an attribute holding a ``Module`` is a submodule, and a list or tuple of
  modules gives ``layers.0``, ``layers.1``, ...: their parameters' names are
  prefixed with the submodule's name and a dot;
* any other list or tuple is searched item by item, at any depth, with the
  position after a dot: ``W = [[a, b], [c, d]]`` gives ``W.0.0`` ... ``W.1.1``,
  and ``mixed = [layer, v]`` gives the submodule ``mixed.0`` and ``mixed.1``.

A dict or set holding Values or modules is a TypeError (their order or their
names would be a guess), and so are two parameters that would get the same
name: nothing is silently left out of ``parameters()`` or a state dict.

A module that refers back to one that contains it (``self.parent = parent``) would
make the tree a loop whose parameters never end: walking it (``parameters()``,
``named_modules()``, ``zero_grad()``, ``train()``, ``state_dict()``) raises a
TypeError that names the attribute and says to keep such a back-reference in an
attribute starting with ``_``; ``repr`` never raises and shows the back-reference
as ``<refers back to Outer>``.

A module describes itself one way, :meth:`Module.describe`: one line
(``Layer(nin=2, nout=16, activation='relu')``, by default the class name and
:meth:`Module.extra_repr`), or with ``short=True`` the compact form a picture's
summary shows (``Layer(2, 16, ReLU)``). ``repr`` nests those lines PyTorch-style
and ``summary()`` tabulates them.

So ``MLP(2, [16, 16, 1])`` has parameters named like ``layers.1.neurons.3.w0``
and ``layers.1.neurons.3.b``. Attributes whose names start with ``_`` are
private and never searched. The layers in :mod:`nn.layers` create each
parameter inside :func:`autograd.scope` of its module's path and label it with
its own short name, so for a model built by one constructor
``name == f"{p.scope}.{p.label}"``; :class:`Sequential` sets its parameters'
scopes from their names in it, so the same holds for one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from autograd import Value, current_scope, scope

from ._checks import is_real, preview, typed


class StateDictError(ValueError):
    """A state dict that does not fit the model (missing or unexpected names, bad numbers)."""


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match (both empty when strict)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: parameters, gradients, train/eval mode, state dicts and a nested repr.

    Subclasses assign their parameters and submodules as attributes in
    ``__init__`` and compute their output in ``forward(x)``; calling the module
    runs ``forward``. micrograd-style subclasses that define ``__call__`` and
    ``parameters()`` themselves work too.
    """

    training: bool = True

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        """Compute the module's output from ``x``; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # --- the tree of submodules and parameters ------------------------------------

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, member) for every Value and module among the public attributes."""
        for name, item in vars(self).items():
            if not name.startswith("_"):
                yield from self._found_in(name, item)

    def _found_in(
        self, name: str, item: Any, top: bool = True, within: tuple[int, ...] = ()
    ) -> Iterator[tuple[str, Any]]:
        if isinstance(item, (Value, Module)):
            yield name, item
        elif isinstance(item, (list, tuple)):
            if top and item and all(isinstance(v, Value) for v in item):
                for i, v in enumerate(item):  # micrograd's w0, w1, ...: the labels' names
                    yield f"{name}{i}", v
            elif id(item) in within:  # a list that holds itself: nothing more to find
                return
            else:
                inner = (*within, id(item))
                for i, v in enumerate(item):
                    yield from self._found_in(f"{name}.{i}", v, False, inner)
        elif isinstance(item, (dict, set, frozenset)) and _holds_members(item):
            # Skipping them would train, save and count a model without these weights.
            raise TypeError(
                f"{type(self).__name__}.{name.split('.')[0]} holds Values or modules in a "
                f"{type(item).__name__}; nn finds parameters only in attributes, lists and "
                f"tuples: use a list or separate attributes (or a name starting with _ if "
                f"they are not parameters)"
            )

    def _walk(self, prefix: str, path: tuple[Module, ...] = ()) -> Iterator[tuple[str, Any]]:
        """(dotted name, member) for every Value and module below this one, depth first.

        ``path`` holds the modules above this one: meeting one of them again is a
        cycle, which would make every walk endless, so it is an error here.
        """
        path = (*path, self)
        for name, item in self._members():
            full = f"{prefix}.{name}" if prefix else name
            yield full, item
            if isinstance(item, Module):
                if any(item is above for above in path):
                    raise _cycle(self, name, item, full)
                yield from item._walk(full, path)

    # PyTorch's pairs: children() and modules() are named_children() and named_modules()
    # without the names.
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules with their names (``layers.0``, ...), in attribute order."""
        for name, item in self._members():
            if isinstance(item, Module):
                yield name, item

    def children(self) -> Iterator[Module]:
        """The direct submodules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every submodule below it, depth first."""
        yield prefix, self
        for name, item in self._walk(prefix):
            if isinstance(item, Module):
                yield name, item

    def modules(self) -> Iterator[Module]:
        """This module and every submodule below it."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) pairs in a stable order; a shared parameter appears once.

        >>> from nn import Neuron
        >>> [name for name, _ in Neuron(2, seed=0).named_parameters()]
        ['w0', 'w1', 'b']
        """
        seen: set[Value] = set()
        names: set[str] = set()
        for name, p in self._walk(prefix):
            if not isinstance(p, Value) or p in seen:
                continue
            if name in names:
                # A state dict keeps one of them: saving and loading would lose a weight.
                raise ValueError(
                    f"{type(self).__name__}: two different parameters are both named {name!r} "
                    f"(a list w gives w0, w1, ...); rename one of the attributes"
                )
            seen.add(p)
            names.add(name)
            yield name, p

    def parameters(self) -> list[Value]:
        """Every parameter once, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the model has."""
        return len(self.parameters())

    # --- for training --------------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaf gradients accumulate across passes)."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Put this module and its submodules in training mode (``mode=False``: evaluation)."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) needs True or False, got {typed(mode)}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout passes its input through unchanged."""
        return self.train(False)

    # --- state dicts ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """A flat ``{name: value}`` copy of the parameters, in :meth:`named_parameters` order."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy values from ``state`` into the parameters with the same names.

        Everything is checked before anything is written, so on error the model
        is unchanged. With ``strict=True`` (the default) the names must match
        exactly; with ``strict=False`` names present on one side only are
        skipped and reported in the returned :class:`LoadResult`. Every value
        used must be a finite real number.

        Raises :class:`StateDictError` (a ValueError) for missing or unexpected
        names and NaN or infinite values, and TypeError for anything else that
        is not a real number.
        """
        if not isinstance(strict, bool):
            raise TypeError(f"strict needs True or False, got {typed(strict)}")
        params = dict(self.named_parameters())
        updates = check_state(state, params, strict, owner=type(self).__name__)
        for name, value in updates.items():
            params[name].data = value
        missing = [name for name in params if name not in updates]
        unexpected = [name for name in state if name not in params]
        return LoadResult(missing, unexpected)

    # --- description ------------------------------------------------------------------------

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments that rebuild this module's structure, as JSON-able data.

        ``None`` (the default for custom modules) means the module cannot be
        rebuilt from a file; its weights can still be loaded into an instance
        you build yourself (:func:`nn.load_into`).
        """
        return None

    def extra_repr(self) -> str:
        """The text inside this module's parentheses (PyTorch's hook); empty by default."""
        return ""

    def describe(self, short: bool = False) -> str:
        """This module on one line: ``Name(extra_repr)``, or ``Name`` when there is nothing to add.

        This is the one place a module says what it is: ``repr`` nests these lines,
        :meth:`summary` lists them, error messages name the module by them, and
        ``short=True`` gives the compact form a picture's summary shows (the
        ``kind=`` of the module's :func:`autograd.scope` blocks), the same line
        unless a module overrides it.

        >>> from nn import Layer
        >>> Layer(2, 16, seed=0).describe(), Layer(2, 16, seed=0).describe(short=True)
        ("Layer(nin=2, nout=16, activation='relu')", 'Layer(2, 16, ReLU)')
        """
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra})" if extra else type(self).__name__

    def __repr__(self) -> str:
        """PyTorch-style: ``Name(extra)``, or ``Name(`` with one indented line per submodule."""
        return self._repr(())

    def _repr(self, path: tuple[Module, ...]) -> str:
        path = (*path, self)
        lines = []
        for name, child in self._repr_children():
            if any(child is above for above in path):  # a cycle: say so, never loop
                text = f"<refers back to {type(child).__name__}>"
            else:
                # A module of yours may write its own __repr__: it is used as it is.
                own = type(child).__repr__ is not Module.__repr__
                text = repr(child) if own else child._repr(path)
            lines.append(f"  ({name}): {_indent(text)}")
        if lines:
            return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"
        line = self.describe()
        return line if line.endswith(")") else f"{line}()"  # PyTorch's Name() for a bare module

    def _repr_children(self) -> list[tuple[str, Module]]:
        """The submodules ``repr`` and :meth:`summary` list (a Layer hides its alike neurons)."""
        return list(self.named_children())

    def summary(self) -> str:
        """A table of the submodules with their parameter counts, and the total.

        >>> from nn import MLP
        >>> print(MLP(2, [16, 16, 1], seed=0).summary())
        name      module                                      parameters
        layers.0  Layer(nin=2, nout=16, activation='relu')            48
        layers.1  Layer(nin=16, nout=16, activation='relu')          272
        layers.2  Layer(nin=16, nout=1, activation='linear')          17
        total                                                        337
        """
        total = self.num_parameters()  # first: a cycle raises before any row is made
        rows = [(name, child.describe(), str(child.num_parameters()))
                for name, child in self._repr_children()]
        rows.append(("total", "", str(total)))
        header = ("name", "module", "parameters")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        lines = [
            f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}".rstrip()
            for r in [header, *rows]
        ]
        return "\n".join(lines)


def _cycle(owner: Module, name: str, target: Module, path: str) -> TypeError:
    return TypeError(
        f"{type(owner).__name__}.{name} refers back to {type(target).__name__}, which contains "
        f"it ({path!r} leads back to where it started): a cycle in the module tree, whose "
        f"parameters would never end. Keep a reference back up the tree in an attribute whose "
        f"name starts with _ (self._parent = parent, not self.parent = parent), which nn "
        f"does not search"
    )


def parameter_list(params: Module | Iterable[Value], owner: str) -> list[Value]:
    """The parameters of a module, or a list of distinct Values; else a clear error."""
    items = params.parameters() if isinstance(params, Module) else list(params)
    seen: set[Value] = set()
    for i, p in enumerate(items):
        if not isinstance(p, Value):
            raise TypeError(f"{owner}: params[{i}] is {typed(p)}, not a Value")
        if p in seen:
            # Its gradient would count twice (a clipping norm) or it would move twice.
            raise ValueError(f"{owner}: params[{i}] ({preview(p)}) appears more than once")
        seen.add(p)
    return items


def _holds_members(item: Any, within: tuple[int, ...] = ()) -> bool:
    """True if a container holds a Value or a module, at any depth."""
    if isinstance(item, (Value, Module)):
        return True
    if id(item) in within:  # a container that holds itself
        return False
    inner = (*within, id(item))
    if isinstance(item, dict):
        item = item.values()
    elif not isinstance(item, (list, tuple, set, frozenset)):
        return False
    return any(_holds_members(v, inner) for v in item)


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def check_state(
    state: Any, params: Mapping[str, Value], strict: bool, owner: str
) -> dict[str, float]:
    """The validated ``{name: float}`` updates that ``state`` makes to ``params``.

    Raises before anything is written; shared by :meth:`Module.load_state_dict`
    and the file loader.
    """
    if not isinstance(state, Mapping):
        raise TypeError(
            f"a state dict is a mapping of parameter names to numbers, got {typed(state)}"
        )
    for name in state:
        if not isinstance(name, str):
            raise TypeError(f"state dict names must be str, got {typed(name)}")
    if strict:
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise StateDictError(
                f"state dict does not match {owner}: {mismatch(missing, unexpected)} "
                f"(pass strict=False to load the names that match)"
            )
    updates: dict[str, float] = {}
    for name, value in state.items():
        if name not in params:
            continue
        if not is_real(value):
            raise TypeError(
                f"state dict entry {preview(name)} must be a real number, got {typed(value)}"
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise StateDictError(f"state dict entry {preview(name)} is {preview(value)}; weights "
                                 f"must be finite")
        updates[name] = number
    return updates


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(preview(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def mismatch(missing: Sequence[str], unexpected: Sequence[str], noun: str = "name") -> str:
    """'missing 2 name(s): a, b; unexpected 1 name(s): c' -- what a state dict (or torch's
    weights) lacks and has too many of, for the errors that refuse it."""
    parts = []
    if missing:
        parts.append(f"missing {len(missing)} {noun}(s): {_names(missing)}")
    if unexpected:
        parts.append(f"unexpected {len(unexpected)} {noun}(s): {_names(unexpected)}")
    return "; ".join(parts)


class Sequential(Module):
    """Modules applied one after another; submodules are named ``0``, ``1``, ...

    >>> from nn import Layer, Sequential
    >>> model = Sequential(Layer(2, 4, seed=0), Layer(4, 1, activation='linear', seed=0))
    >>> model([1.0, -1.0]).data == model[1](model[0]([1.0, -1.0])).data
    True

    Each step runs inside ``scope(str(i))`` so the nodes it makes carry that
    scope, and each parameter's scope is set from its name in the Sequential
    (``0.neurons.3`` for ``0.neurons.3.w0``, under the scope the Sequential is
    made in, as for a layer), so ``name == f"{p.scope}.{p.label}"`` as in an
    MLP. The scopes come from the names, not from what the modules carried
    before: wrapping the same modules again gives the same scopes, and a
    module's parameters carry the scope of the last container made around them.
    """

    def __init__(self, *modules: Module) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module")
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: modules[{i}] is {typed(m)}, not a Module")
        self.steps = list(modules)
        self._scopes = [str(i) for i in range(len(modules))]
        self._kinds = [m.describe(short=True) for m in modules]  # for pictures' summaries
        # A Sequential made inside scope('critic') gets 'critic.0...' parameters.
        outer = current_scope()
        for name, p in self.named_parameters():
            path = name.rpartition(".")[0]
            p.scope = f"{outer}.{path}" if outer and path else outer or path

    def _members(self) -> Iterator[tuple[str, Any]]:
        # Named 0, 1, ... as in PyTorch, not steps.0, steps.1.
        yield from zip(self._scopes, self.steps)
        for name, item in vars(self).items():  # what a subclass adds
            if name != "steps" and not name.startswith("_"):
                yield from self._found_in(name, item)

    def forward(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            # Plain-number inputs become leaves here, outside any step's scope, so a
            # picture shows them as inputs rather than as the first step's parameters.
            x = [v if isinstance(v, Value) or not is_real(v) else Value(v, label=f"x{i}")
                 for i, v in enumerate(x)]
        for name, kind, module in zip(self._scopes, self._kinds, self.steps):
            with scope(name, kind):
                x = module(x)
        return x

    def __getitem__(self, index: int) -> Module:
        return self.steps[index]

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.steps)

    @property
    def nin(self) -> int | None:
        """The number of inputs of the first step (``None`` if it does not say)."""
        return getattr(self.steps[0], "nin", None)

    def config(self) -> dict[str, Any] | None:
        steps = []
        for m in self.steps:
            cfg = m.config()
            if cfg is None:
                return None
            steps.append({"class": type(m).__name__, "config": cfg})
        return {"steps": steps}
