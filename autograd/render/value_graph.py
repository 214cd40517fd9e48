"""The graph :func:`~autograd.draw_dot` returns: a ``graphviz.Digraph`` that lays itself out
with the program :mod:`.layout_program` finds, shows itself in Jupyter, and opens
as an interactive page (:meth:`ValueGraph.interactive`).

In a notebook, the SVG scales down to the width of the cell (never up), so a wide
graph is seen whole; hovering still shows every tooltip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import graphviz  # type: ignore[import-untyped]

from ..atomic_files import atomic_write
from .layout_program import ENV_VAR, GraphvizEngineNotFound, run_engine

if TYPE_CHECKING:
    from .page import Page

#: Seconds a notebook waits for a picture before it shows the graph as text instead
#: (a graph's own ``timeout=`` overrides it): a cell should not block for a minute.
DISPLAY_TIMEOUT = 10.0

_NO_ENGINE_HINT = (
    f"(text view: no Graphviz layout engine found; `pip install graphviz-pure` or set {ENV_VAR} "
    f"to draw the graph)"
)
_SVG_TAG = re.compile(rb"<svg\b")


def fit_width(svg: bytes) -> bytes:
    """An SVG that scales down to the width of the page or cell it is shown in (never up).

    Its ``width`` and ``height`` stay (a viewer that ignores CSS shows it at its
    size, crisp); the style only caps the width and keeps the proportions.
    """
    return _SVG_TAG.sub(b'<svg style="max-width:100%;height:auto"', svg, count=1)



class ValueGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders with the program :mod:`.layout_program` finds.

    graphviz's own ``pipe()``, ``render()`` and Jupyter display run a system
    ``dot``; here they run ``graphviz-pure`` (or whatever the lookup finds),
    with a ``timeout``. In a notebook a graph that cannot be drawn shows as
    text with a one-line hint instead of raising.

    ``executable`` overrides the engine lookup (a path or a command name),
    ``timeout`` is in seconds, ``text`` is what the notebook shows when no
    picture can be made (the DOT source if not given), and ``origin`` the root
    and options it was drawn from (for :meth:`interactive`).
    """

    def __init__(
        self,
        *args: Any,
        executable: str | None = None,
        timeout: float | None = None,
        text: str | None = None,
        origin: tuple[Any, Any] | None = None,
        caption: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.executable = executable
        self.timeout = timeout
        self.text = text
        self.origin = origin
        #: Why the drawing is not every node one by one (which budget was exceeded and
        #: what was folded or collapsed), as plain text; '' when it is.
        self.caption = caption

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        copied: dict[str, Any] = super()._copy_kwargs(**kwargs)
        copied.update(executable=self.executable, timeout=self.timeout, text=self.text,
                      origin=self.origin, caption=self.caption)
        return copied

    def interactive(self, **page_options: Any) -> Page:
        """The interactive page of this graph (pan, zoom, a panel per node, a stepper through
        forward and backward), shown inline by Jupyter; see :func:`autograd.to_html`.

        ``page_options`` go to :func:`~autograd.render.page.to_html`.
        """
        from .page import Page, page_of

        if self.origin is None:
            raise ValueError("this graph was not drawn from a Value by draw_dot, so it has no "
                             "interactive page; use autograd.to_html(root)")
        root, options = self.origin
        return Page(page_of(root, options, **page_options))

    @overload
    def pipe(
        self, format: str | None = ..., renderer: str | None = ..., formatter: str | None = ...,
        neato_no_op: bool | int | None = ..., quiet: bool = ..., *, engine: str | None = ...,
        encoding: None = ...,
    ) -> bytes: ...

    @overload
    def pipe(
        self, format: str | None = ..., renderer: str | None = ..., formatter: str | None = ...,
        neato_no_op: bool | int | None = ..., quiet: bool = ..., *, engine: str | None = ...,
        encoding: str,
    ) -> str: ...

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The graph rendered to ``format`` (bytes, or str when ``encoding`` is given).

        Same arguments as ``graphviz.Digraph.pipe``; ``engine`` is the layout
        algorithm ('dot', 'neato', ...), as there.
        """
        out = self._run(format, renderer, formatter, neato_no_op, quiet, engine, self.timeout)
        return out if encoding is None else out.decode(encoding)

    def _run(
        self, format: str | None, renderer: str | None, formatter: str | None,
        neato_no_op: bool | int | None, quiet: bool, engine: str | None, timeout: float | None,
    ) -> bytes:
        if formatter is not None and renderer is None:
            raise graphviz.RequiredArgumentError(
                f"formatter={formatter!r} given without renderer: pass renderer= too")
        spec = ":".join(f for f in (format or self.format, renderer, formatter) if f)
        extra = [f"-n{int(neato_no_op)}"] if neato_no_op else []
        return run_engine(
            self.source, spec, layout=engine or self.engine, executable=self.executable,
            timeout=timeout, extra_args=extra, encoding=self.encoding, quiet=quiet,
        )

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Render the graph to a file (and save its DOT source); returns the rendered file's path.

        Same arguments as ``graphviz.Digraph.render``: without ``outfile`` the
        source goes to ``filename`` (in ``directory``) and the output next to
        it with the format appended (``graph.gv.svg``). ``outfile='graph.svg'``
        picks the format from the extension and writes only the picture,
        unless a ``filename`` for the source is given too (graphviz would leave
        a ``graph.gv`` behind). As in graphviz, ``outfile`` is taken as it is
        when ``directory`` is given (only the source goes into ``directory``),
        and inside the graph's own ``directory`` otherwise. Missing folders are
        created; nothing is written if the layout fails.
        """
        if outfile is not None:
            out = Path(outfile)
            if format is None:
                if not out.suffix:
                    raise graphviz.RequiredArgumentError(
                        f"cannot tell the format of outfile {os.fspath(out)!r}: give it an "
                        f"extension (.svg, .png, ...) or pass format="
                    )
                format = out.suffix[1:].lower()
            if directory is None:  # graphviz's rule: an explicit directory is for the source
                out = Path(self.directory, out)
        fmt = format or self.format
        data = None
        if outfile is not None and filename is None:  # the picture alone
            filepath = None
        else:
            data = self.pipe(format=fmt, renderer=renderer, formatter=formatter,
                             neato_no_op=neato_no_op, quiet=quiet, engine=engine)
            filepath = self.save(filename, directory=directory, skip_existing=None)
        if outfile is None:
            suffix = ".".join(f for f in (fmt, renderer, formatter) if f)
            out = Path(f"{filepath}.{suffix}")
        if raise_if_result_exists and out.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(out)!r}")
        if (filepath is not None and not overwrite_source
                and os.path.abspath(out) == os.path.abspath(filepath)):
            raise ValueError(f"outfile {os.fspath(out)!r} would overwrite the DOT source file; "
                             f"pass overwrite_source=True if you mean it")
        if data is None:
            data = self.pipe(format=fmt, renderer=renderer, formatter=formatter,
                             neato_no_op=neato_no_op, quiet=quiet, engine=engine)
        out.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(out, "wb") as f:
            f.write(data)
        if cleanup and filepath is not None:
            os.remove(filepath)
        rendered = os.fspath(out)
        if view or quiet_view:
            self._view(rendered, format=fmt, quiet=quiet_view)
        return rendered

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, bytes | str]:
        """What Jupyter shows: the picture, or text with a one-line hint if it cannot be made.

        The picture is in the format ``graphviz.set_jupyter_format()`` chose
        (SVG unless changed). Never raises: a notebook cell that displays a
        graph always shows something, and within :data:`DISPLAY_TIMEOUT`
        seconds unless ``timeout=`` was given to :func:`draw_dot`.
        """
        try:
            wanted = set(include) if include is not None else {self._jupyter_mimetype}
            wanted -= set(exclude or ())
            timeout = self.timeout if self.timeout is not None else DISPLAY_TIMEOUT
            bundle: dict[str, bytes | str] = {}
            for mime, fmt in (("image/svg+xml", "svg"), ("image/png", "png"),
                              ("image/jpeg", "jpeg")):
                if mime in wanted:
                    out = self._run(fmt, None, None, None, True, None, timeout)
                    bundle[mime] = fit_width(out).decode("utf-8") if fmt == "svg" else out
            return bundle
        except GraphvizEngineNotFound:
            hint = _NO_ENGINE_HINT
        except Exception as exc:  # noqa: BLE001 - a display hook must not raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            hint = f"(text view: the graph could not be drawn: {type(exc).__name__}: {first})"
        try:
            text = self.text if self.text is not None else self.source
        except Exception:  # noqa: BLE001
            text = ""
        return {"text/plain": f"{text}\n{hint}"}
