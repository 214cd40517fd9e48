"""Save and load models as JSON: a format version, the architecture and the weights.

    save(model, "model.json")          # atomic: a half-written file never appears
    model = load("model.json")         # rebuild the architecture, then the weights
    load_into(model, "model.json")     # or fill a model you built yourself

``save`` and ``load_into`` are called for what they do and return ``None`` (as
``list.sort`` and ``torch.save`` do), so at the Python prompt they print nothing;
``load`` returns the model it built.

The file is plain JSON and is only ever read as data: no pickle, no imports,
no code. A model is rebuilt only from the classes in :data:`ARCHITECTURES`
(``MLP``, ``Layer``, ``Neuron``, ``Sequential``, ``Dropout``; add your own with
:func:`register`). Every check (format, version, architecture, names, types,
finiteness) runs before any weight is written, so a corrupt, truncated or
mismatched file raises :class:`ModelFileError` and leaves the model unchanged.
The number of parameters an architecture will have is worked out from its
config before anything is built, so a small file cannot make :func:`load`
build a huge model.

Reading never blocks and never reads more than it must: anything that is not a
regular file (a named pipe, ``/dev/zero``, a folder) is refused before it is
opened, and a file larger than ``max_bytes`` (default :data:`MAX_BYTES`, 64 MiB,
about a million weights) is refused before it is read. Error messages show at
most a short preview of any value found in a file.

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
import stat
from pathlib import Path
from typing import Any

from autograd import atomic_write

from ._checks import bad_number, clip, integer, is_real, preview, typed
from .layers import MLP, Dropout, Layer, Neuron
from .module import Module, Sequential, StateDictError

FORMAT = "chainrule.nn"
VERSION = 1

_BUILT_IN: tuple[type[Module], ...] = (MLP, Layer, Neuron, Sequential, Dropout)

#: Class name -> class for every module :func:`load` may build.
ARCHITECTURES: dict[str, type[Module]] = {cls.__name__: cls for cls in _BUILT_IN}

# Nested Sequentials deeper than this are refused (a file cannot exhaust the stack).
_MAX_DEPTH = 32

#: The largest model file :func:`load` and :func:`load_into` read unless told
#: otherwise (``max_bytes=``): 64 MiB, about 1.3 million weights at ~50 bytes each.
MAX_BYTES = 64 * 2**20


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
            raise _DuplicateKeyError(f"the key {preview(key)} appears twice in one object")
        obj[key] = value
    return obj


def register(cls: type[Module]) -> type[Module]:
    """Let :func:`load` rebuild your own module class (usable as a class decorator).

    The class must implement ``config()`` returning its constructor keyword
    arguments as JSON data; ``load`` calls ``cls(**config)``.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register needs a Module subclass, got {typed(cls)}")
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


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as JSON, atomically.

    The file is written to a temporary file in the same folder and renamed
    over ``path`` only when complete, so readers see the old file or the new
    one, never half of one. A new file gets the usual mode (0o666 less the
    umask); a file written over keeps its permissions. Saving through a
    symbolic link replaces the link with the new file and leaves the file it
    pointed to as it was. Non-finite weights are refused (ValueError), and so
    is a weight that is not a number (TypeError: a Value stored in ``.data``).
    Returns None, so the prompt prints nothing.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save needs an nn Module, got {typed(model)}")
    path = Path(path)
    state = model.state_dict()
    for name, v in state.items():
        if not is_real(v):
            raise TypeError(bad_number(name, "data", v, "save"))
    bad = [name for name, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save: parameter {preview(bad[0])} is {state[bad[0]]!r} "
                         f"({len(bad)} non-finite weight(s)); a model file holds finite numbers")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture(model),
        "parameters": state,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    _atomic_write(path, text)


def _atomic_write(path: Path, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def read(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> dict[str, Any]:
    """The checked contents of a model file: ``architecture`` and ``parameters``.

    Raises :class:`ModelFileError` for anything but a well-formed file of this
    format and version (FileNotFoundError if there is no file), for a path
    that is not a regular file, and for a file over ``max_bytes`` bytes
    (default :data:`MAX_BYTES`).
    """
    path = Path(path)
    text = _read_text(path, MAX_BYTES if max_bytes is None else integer(max_bytes, "max_bytes"))
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
        raise ModelFileError(f"{path}: expected a JSON object, got {typed(document)}")
    expected = {"format", "version", "architecture", "parameters"}
    if document.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a chainrule model file "
                             f"(format {preview(document.get('format'))}, expected {FORMAT!r})")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{path}: format version must be an int, got {typed(version)}")
    if version != VERSION:
        newer = " (written by a newer chainrule; upgrade)" if version > VERSION else ""
        raise ModelFileError(f"{path}: format version {version} is not supported; "
                             f"this chainrule reads version {VERSION}{newer}")
    if set(document) != expected:
        missing, extra = expected - set(document), set(document) - expected
        raise ModelFileError(f"{path}: missing keys {sorted(missing)}, unexpected keys "
                             f"{preview(sorted(extra), 200)}")
    params = document["parameters"]
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: 'parameters' must be an object of name: number, got "
                             f"{typed(params)}")
    arch = document["architecture"]
    if arch is not None:
        _check_architecture(arch, path, 0)
    return {"architecture": arch, "parameters": params}


# What a path that is not a regular file is, for the message.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _refuse_unless_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise ModelFileError(f"{path} is {kind}, not a model file: nn reads model files only "
                             f"from regular files (reading this one could block or never end)")


def _read_text(path: Path, limit: int) -> str:
    """The file's text, after checking it is a regular file of at most ``limit`` bytes.

    The path is checked before it is opened (opening a named pipe blocks), and the
    open file again, in case the path was replaced in between: it is opened without
    blocking, so that check is reached. At most ``limit + 1`` bytes are ever read.
    """
    _refuse_unless_regular(path, os.stat(path).st_mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        _refuse_unless_regular(path, info.st_mode)
        if info.st_size > limit:
            raise _too_large(path, f"is {info.st_size:,} bytes", limit)
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew after fstat
        raise _too_large(path, "has grown", limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{path} is not a model file (not UTF-8 text: {exc})") from None


def _too_large(path: Path, size: str, limit: int) -> ModelFileError:
    return ModelFileError(
        f"{path} {size}, more than max_bytes={limit:,} a model file may have; if you trust it, "
        f"pass a larger max_bytes= to nn.load or nn.load_into (the default is "
        f"nn.serialization.MAX_BYTES)"
    )


def _check_architecture(arch: Any, path: Path, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise ModelFileError(f"{path}: architecture nested more than {_MAX_DEPTH} levels")
    if not isinstance(arch, dict) or set(arch) != {"class", "config"}:
        raise ModelFileError(f"{path}: 'architecture' must be {{\"class\": ..., \"config\": ...}}, "
                             f"got {typed(arch)}")
    name, config = arch["class"], arch["config"]
    if not isinstance(name, str):
        raise ModelFileError(f"{path}: a module class is given by its name (a string), got "
                             f"{typed(name)}")
    if name not in ARCHITECTURES:
        raise ModelFileError(
            f"{path}: unknown module class {preview(name)}; known: {sorted(ARCHITECTURES)} "
            f"(build the model yourself and use load_into, or nn.serialization.register it)"
        )
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise ModelFileError(f"{path}: the config of {name} must be an object of "
                             f"argument: value, got {typed(config)}")
    if ARCHITECTURES[name] is Sequential:
        steps = config.get("steps")
        if set(config) != {"steps"} or not isinstance(steps, list):
            raise ModelFileError(f"{path}: a Sequential config is {{\"steps\": [...]}}, got "
                                 f"{preview(config)}")
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
        raise fail(f"{cls.__name__}(bias) needs True or False, got {typed(cfg['bias'])}")
    bias = 1 if cfg.get("bias", True) else 0
    nin = size(cfg["nin"], "nin")
    if cls is Neuron:
        return nin + bias, True
    if cls is Layer:
        return (nin + bias) * size(cfg["nout"], "nout"), True
    nouts = cfg["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise fail(f"MLP(nouts) needs a non-empty list of layer sizes, got {typed(nouts)}")
    sizes = [nin, *(size(n, f"nouts[{i}]") for i, n in enumerate(nouts))]
    return sum((a + bias) * b for a, b in zip(sizes, sizes[1:])), True


def _build(arch: dict[str, Any]) -> Module:
    cls, cfg = ARCHITECTURES[arch["class"]], arch["config"]
    if cls is Sequential:
        return Sequential(*(_build(step) for step in cfg["steps"]))
    if cls in (MLP, Layer, Neuron):
        cfg = {**cfg, "seed": 0}  # the weights are overwritten: skip the OS entropy
    return cls(**cfg)


def load(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Module:
    """Rebuild the model saved in ``path``: its architecture, then its weights.

    ``max_bytes`` caps the file's size (default :data:`MAX_BYTES`); see :func:`read`.
    """
    contents = read(path, max_bytes=max_bytes)
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
            f"{path}: cannot build {arch['class']} from its config: {clip(str(exc))}"
        ) from None
    _fill(model, params, path)
    return model


def load_into(
    model: Module, path: str | os.PathLike[str], *, max_bytes: int | None = None
) -> None:
    """Load the weights saved in ``path`` into ``model``; the model is unchanged on error.

    When both the file and the model describe their architecture, they must
    be equal; the parameter names must match exactly in any case. Returns
    None (the model is filled in place), so the prompt prints nothing.
    """
    if not isinstance(model, Module):
        raise TypeError(f"load_into needs an nn Module, got {typed(model)}")
    contents = read(path, max_bytes=max_bytes)
    file_arch, own = contents["architecture"], architecture(model)
    if file_arch is not None and own is not None and file_arch != own:
        raise ModelFileError(f"{path} holds a different architecture: {_describe(file_arch)}, "
                             f"but the model is {_describe(own)}")
    _fill(model, contents["parameters"], path)


def _describe(arch: dict[str, Any], most: int = 8) -> str:
    items = list(arch["config"].items())
    config = ", ".join(f"{clip(k, 30)}={preview(v)}" for k, v in items[:most])
    more = f", ... ({len(items) - most} more)" if len(items) > most else ""
    return f"{arch['class']}({config}{more})"


def _fill(model: Module, params: dict[str, Any], path: str | os.PathLike[str]) -> None:
    try:
        model.load_state_dict(params)  # checks everything before writing anything
    except (StateDictError, TypeError) as exc:
        raise ModelFileError(f"{path}: {exc}") from None


__all__ = [
    "ARCHITECTURES", "FORMAT", "VERSION", "ModelFileError", "architecture", "load",
    "MAX_BYTES", "load_into", "read", "register", "save",
]
