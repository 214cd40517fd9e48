"""Save and load models as JSON: a format version, the architecture and the weights.

    save(model, "model.json")          # atomic: a half-written file never appears
    model = load("model.json")         # rebuild the architecture, then the weights
    load_into(model, "model.json")     # or fill a model you built yourself

The file is plain JSON and is only ever read as data: no pickle, no imports,
no code. A model is rebuilt only from the classes in :data:`ARCHITECTURES`
(``MLP``, ``Layer``, ``Neuron``, ``Sequential``, ``Dropout``; add your own with
:func:`register`). Every check (format, version, architecture, names, types,
finiteness) runs before any weight is written, so a corrupt, truncated or
mismatched file raises :class:`ModelFileError` and leaves the model unchanged.
The number of parameters an architecture will have is worked out from its
config before anything is built, so a small file cannot make :func:`load`
build a huge model.

Layout::

    {"format": "chainrule.nn", "version": 1,
     "architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [16, 16, 1], ...}},
     "parameters": {"layers.0.neurons.0.w0": 0.23, ...}}

Floats are written with ``repr`` precision, so weights round-trip exactly.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from autograd import atomic_write

from ._checks import integer, preview
from .layers import MLP, Dropout, Layer, Neuron
from .module import Module, Sequential, StateDictError

FORMAT = "chainrule.nn"
VERSION = 1

_BUILT_IN: tuple[type[Module], ...] = (MLP, Layer, Neuron, Sequential, Dropout)

#: Class name -> class for every module :func:`load` may build.
ARCHITECTURES: dict[str, type[Module]] = {cls.__name__: cls for cls in _BUILT_IN}

# Nested Sequentials deeper than this are refused (a file cannot exhaust the stack).
_MAX_DEPTH = 32


class ModelFileError(ValueError):
    """A model file that cannot be loaded: not JSON, wrong format or version, bad contents."""


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of repeated keys without a word; in a model file a
    # repeated weight name means the file is damaged, and either value would be a guess.
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKeyError(f"the key {key!r} appears twice in one object")
        obj[key] = value
    return obj


def register(cls: type[Module]) -> type[Module]:
    """Let :func:`load` rebuild your own module class (usable as a class decorator).

    The class must implement ``config()`` returning its constructor keyword
    arguments as JSON data; ``load`` calls ``cls(**config)``.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register needs a Module subclass, got {cls!r}")
    known = ARCHITECTURES.get(cls.__name__)
    if known in _BUILT_IN and known is not cls:
        # Files saved from nn's own class would silently load as the new one.
        raise ValueError(f"register: {cls.__name__!r} is the name of nn's own "
                         f"{known.__module__}.{cls.__name__}; give your class another name")
    ARCHITECTURES[cls.__name__] = cls
    return cls


def architecture(model: Module) -> dict[str, Any] | None:
    """``{"class": name, "config": {...}}`` for a module that can be rebuilt, else None."""
    config = model.config()
    return None if config is None else {"class": type(model).__name__, "config": config}


def save(model: Module, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` as JSON, atomically; returns the path.

    The file is written to a temporary file in the same folder and renamed
    over ``path`` only when complete, so readers see the old file or the new
    one, never half of one. A new file gets the usual mode (0o666 less the
    umask); a file written over keeps its permissions. Saving through a
    symbolic link replaces the link with the new file and leaves the file it
    pointed to as it was. Non-finite weights are refused (ValueError).
    """
    if not isinstance(model, Module):
        raise TypeError(f"save needs an nn Module, got {type(model).__name__}")
    path = Path(path)
    state = model.state_dict()
    bad = [name for name, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save: parameter {bad[0]!r} is {state[bad[0]]!r} "
                         f"({len(bad)} non-finite weight(s)); a model file holds finite numbers")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture(model),
        "parameters": state,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    _atomic_write(path, text)
    return path


def _atomic_write(path: Path, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked contents of a model file: ``architecture`` and ``parameters``.

    Raises :class:`ModelFileError` for anything but a well-formed file of this
    format and version (FileNotFoundError if there is no file).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path} is not a model file (not UTF-8 text: {exc})") from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path} is not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}); "
            f"the file is corrupt or truncated"
        ) from None
    except _DuplicateKeyError as exc:
        raise ModelFileError(f"{path}: {exc}; the file is corrupt or was edited by hand") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ModelFileError(f"{path} is not a model file ({exc})") from None
    except RecursionError:
        raise ModelFileError(f"{path} is nested too deeply to be a model file") from None
    if not isinstance(document, dict):
        raise ModelFileError(f"{path}: expected a JSON object, got {type(document).__name__}")
    expected = {"format", "version", "architecture", "parameters"}
    if document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a chainrule model file "
                             f"(format {document.get('format')!r}, expected {FORMAT!r})")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path}: format version must be an int, got {version!r}")
    if version != VERSION:
        newer = " (written by a newer chainrule; upgrade)" if version > VERSION else ""
        raise ModelFileError(f"{path}: format version {version} is not supported; "
                             f"this chainrule reads version {VERSION}{newer}")
    if set(document) != expected:
        missing, extra = expected - set(document), set(document) - expected
        raise ModelFileError(f"{path}: missing keys {sorted(missing)}, unexpected keys "
                             f"{sorted(extra)}")
    params = document["parameters"]
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: 'parameters' must be an object of name: number")
    arch = document["architecture"]
    if arch is not None:
        _check_architecture(arch, path, 0)
    return {"architecture": arch, "parameters": params}


def _check_architecture(arch: Any, path: Path, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ModelFileError(f"{path}: architecture nested more than {_MAX_DEPTH} levels")
    if not isinstance(arch, dict) or set(arch) != {"class", "config"}:
        raise ModelFileError(f"{path}: 'architecture' must be {{\"class\": ..., \"config\": ...}}, "
                             f"got {str(arch)[:80]}")
    name, config = arch["class"], arch["config"]
    if not isinstance(name, str):
        raise ModelFileError(f"{path}: a module class is given by its name (a string), got "
                             f"{type(name).__name__} {preview(name)}")
    if name not in ARCHITECTURES:
        raise ModelFileError(
            f"{path}: unknown module class {name!r}; known: {sorted(ARCHITECTURES)} "
            f"(build the model yourself and use load_into, or nn.serialization.register it)"
        )
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise ModelFileError(f"{path}: the config of {name} must be an object, got {config!r}")
    if ARCHITECTURES[name] is Sequential:
        steps = config.get("steps")
        if set(config) != {"steps"} or not isinstance(steps, list):
            raise ModelFileError(f"{path}: a Sequential config is {{\"steps\": [...]}}")
        for step in steps:
            _check_architecture(step, path, depth + 1)


# The config keys that fix a built-in module's number of parameters.
_SIZES: dict[type[Module], tuple[str, ...]] = {
    Neuron: ("nin",), Layer: ("nin", "nout"), MLP: ("nin", "nouts"),
}


def _count(arch: dict[str, Any], path: Path, limit: int, where: str) -> tuple[int, bool]:
    """(parameters the architecture will have, whether that is all of them), without building it.

    The count is arithmetic on the config, so it costs nothing whatever sizes a
    file claims. A registered class of your own cannot be counted (its
    constructor is its own): it adds 0 and makes the count incomplete. A
    Sequential's steps are built in order, so its known part is compared with
    ``limit`` (the number of weights in the file) step by step: a file cannot
    make :func:`load` build a huge model just to find out that it has too few
    weights. A built-in class whose sizes are missing or not ints is an error
    at once, naming ``where`` it is.
    """
    cls, cfg = ARCHITECTURES[arch["class"]], arch["config"]
    if cls is Sequential:
        total, complete = 0, True
        for i, step in enumerate(cfg["steps"]):
            count, known = _count(step, path, limit - total, f"{where} step {i} ({step['class']})")
            total += count
            complete = complete and known
            if total > limit:
                raise ModelFileError(f"{path}: the architecture has at least {total} parameters "
                                     f"but the file holds {limit} weights")
        return total, complete
    if cls is Dropout:
        return 0, True
    if cls not in _SIZES:
        return 0, False

    def fail(reason: str) -> ModelFileError:
        return ModelFileError(f"{path}: cannot build {where} from its config: {reason}")

    def size(value: Any, what: str) -> int:
        try:
            return integer(value, f"{cls.__name__}({what})")
        except (TypeError, ValueError) as exc:
            raise fail(str(exc)) from None

    for key in _SIZES[cls]:
        if key not in cfg:
            raise fail(f"it has no {key!r}")
    if not isinstance(cfg.get("bias", True), bool):
        raise fail(f"{cls.__name__}(bias) needs True or False, got {preview(cfg['bias'])}")
    bias = 1 if cfg.get("bias", True) else 0
    nin = size(cfg["nin"], "nin")
    if cls is Neuron:
        return nin + bias, True
    if cls is Layer:
        return (nin + bias) * size(cfg["nout"], "nout"), True
    nouts = cfg["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise fail(f"MLP(nouts) needs a non-empty list of layer sizes, got {preview(nouts)}")
    sizes = [nin, *(size(n, f"nouts[{i}]") for i, n in enumerate(nouts))]
    return sum((a + bias) * b for a, b in zip(sizes, sizes[1:])), True


def _build(arch: dict[str, Any]) -> Module:
    cls, cfg = ARCHITECTURES[arch["class"]], arch["config"]
    if cls is Sequential:
        return Sequential(*(_build(step) for step in cfg["steps"]))
    if cls in (MLP, Layer, Neuron):
        cfg = {**cfg, "seed": 0}  # the weights are overwritten: skip the OS entropy
    return cls(**cfg)


def load(path: str | os.PathLike[str]) -> Module:
    """Rebuild the model saved in ``path``: its architecture, then its weights."""
    contents = read(path)
    arch, params = contents["architecture"], contents["parameters"]
    if arch is None:
        raise ModelFileError(f"{path} holds weights of a custom module without a config(); "
                             f"build the model yourself and call load_into(model, path)")
    expected, complete = _count(arch, Path(path), len(params), arch["class"])
    if complete and expected != len(params):
        raise ModelFileError(f"{path}: the architecture has {expected} parameters but the file "
                             f"holds {len(params)} weights")
    try:
        model = _build(arch)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(
            f"{path}: cannot build {arch['class']} from its config: {exc}"
        ) from None
    _fill(model, params, path)
    return model


def load_into(model: Module, path: str | os.PathLike[str]) -> Module:
    """Load the weights saved in ``path`` into ``model``; the model is unchanged on error.

    When both the file and the model describe their architecture, they must
    be equal; the parameter names must match exactly in any case.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load_into needs an nn Module, got {type(model).__name__}")
    contents = read(path)
    file_arch, own = contents["architecture"], architecture(model)
    if file_arch is not None and own is not None and file_arch != own:
        raise ModelFileError(f"{path} holds a different architecture: {_describe(file_arch)}, "
                             f"but the model is {_describe(own)}")
    _fill(model, contents["parameters"], path)
    return model


def _describe(arch: dict[str, Any]) -> str:
    config = ", ".join(f"{k}={v!r}" for k, v in arch["config"].items())
    return f"{arch['class']}({config})"


def _fill(model: Module, params: dict[str, Any], path: str | os.PathLike[str]) -> None:
    try:
        model.load_state_dict(params)  # checks everything before writing anything
    except (StateDictError, TypeError) as exc:
        raise ModelFileError(f"{path}: {exc}") from None


__all__ = [
    "ARCHITECTURES", "FORMAT", "VERSION", "ModelFileError", "architecture", "load",
    "load_into", "read", "register", "save",
]
