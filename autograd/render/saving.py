"""Files and strings from a graph: :func:`save` (SVG, PNG, JPEG, DOT or the interactive
HTML page, by extension) and :func:`to_svg`.

Every file is laid out (or built) first and then written atomically: a failed
layout leaves an existing file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..atomic_files import atomic_write
from ..engine import Value
from .draw import draw_dot
from .value_graph import ValueGraph

#: File extension -> output format for :func:`save` (None: the DOT source itself;
#: 'html': the interactive page).
FORMATS: Mapping[str, str | None] = {
    ".svg": "svg", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".dot": None, ".gv": None,
    ".html": "html", ".htm": "html",
}


def _as_graph(root: Value | ValueGraph, kwargs: dict[str, Any]) -> ValueGraph:
    if isinstance(root, ValueGraph):
        if kwargs:
            raise TypeError(f"options {sorted(kwargs)} only apply when drawing a Value, and a "
                            f"ValueGraph was given")
        return root
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value or a graph draw_dot made, got {type(root).__name__}")
    return draw_dot(root, **kwargs)


def to_svg(root: Value | ValueGraph, **kwargs: Any) -> str:
    """The graph of ``root`` as an SVG document (a str); ``kwargs`` go to :func:`draw_dot`.

    Also accepts a graph :func:`draw_dot` already made.
    """
    return _as_graph(root, kwargs).pipe(format="svg", encoding="utf-8", quiet=True)


def save(root: Value | ValueGraph, path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write the graph of ``root`` to ``path``, in the format its extension names.

    ``.svg``, ``.png``, ``.jpg``/``.jpeg``, ``.dot``/``.gv`` for the DOT
    source (which needs no layout engine), or ``.html`` for the interactive
    page (:func:`~autograd.render.page.to_html`). ``kwargs`` go to
    :func:`draw_dot`. Missing folders are created. Returns the path written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the format of {os.fspath(path)!r} from its extension; use one of "
            f"{', '.join(FORMATS)}"
        )
    fmt = FORMATS[suffix]
    if fmt == "html":
        from .page import page_of

        if isinstance(root, ValueGraph):
            if root.origin is None or kwargs:
                raise TypeError("an interactive page is drawn from a Value: save(root, "
                                "'graph.html', **options)")
            root, options = root.origin
            data = page_of(root, options).encode("utf-8")
        else:
            data = page_of(root, None, **kwargs).encode("utf-8")
    else:
        g = _as_graph(root, kwargs)
        data = g.source.encode(g.encoding) if fmt is None else g.pipe(format=fmt, quiet=True)
    target.parent.mkdir(parents=True, exist_ok=True)  # as render() does
    with atomic_write(target, "wb") as f:  # laid out first: a failure leaves the old file
        f.write(data)
    return target
