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

from ._files import atomic_write
from .layers import MLP, Dropout, Layer, Neuron
from .module import Module, Sequential, StateDictError

FORMAT = "chainrule.nn"
VERSION = 1

#: Class name -> class for every module :func:`load` may build.
ARCHITECTURES: dict[str, type[Module]] = {
    cls.__name__: cls for cls in (MLP, Layer, Neuron, Sequential, Dropout)
}

# Nested Sequentials deeper than this are refused (a file cannot exhaust the stack).
_MAX_DEPTH = 32


class ModelFileError(ValueError):
    """A model file that cannot be loaded: not JSON, wrong format or version, bad contents."""


def register(cls: type[Module]) -> type[Module]:
    """Let :func:`load` rebuild your own module class (usable as a class decorator).

    The class must implement ``config()`` returning its constructor keyword
    arguments as JSON data; ``load`` calls ``cls(**config)``.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register needs a Module subclass, got {cls!r}")
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
    one, never half of one. Non-finite weights are refused (ValueError).
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
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path} is not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno}); "
            f"the file is corrupt or truncated"
        ) from None
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


def _count(arch: dict[str, Any]) -> int | None:
    """Parameters the architecture will have, computed without building it (None: unknown)."""
    cls, cfg = ARCHITECTURES[arch["class"]], arch["config"]
    try:
        bias = 1 if cfg.get("bias", True) else 0
        if cls is Neuron:
            return int(cfg["nin"]) + bias
        if cls is Layer:
            return (int(cfg["nin"]) + bias) * int(cfg["nout"])
        if cls is MLP:
            sizes = [int(cfg["nin"]), *(int(n) for n in cfg["nouts"])]
            return sum((a + bias) * b for a, b in zip(sizes, sizes[1:]))
        if cls is Dropout:
            return 0
        if cls is Sequential:
            counts = [_count(step) for step in cfg["steps"]]
            return None if None in counts else sum(c for c in counts if c is not None)
    except (KeyError, TypeError, ValueError, OverflowError):
        return None  # the constructor will report what is wrong
    return None


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
    expected = _count(arch)
    if expected is not None and expected != len(params):
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
