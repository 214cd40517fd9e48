"""How a drawing looks: fills, the font, the heat scale, and text made safe for DOT.

Every piece of user text (labels, scopes, op names) goes through :func:`plain`,
:func:`field` or :func:`tooltip` on its way into DOT, so it stays text: no
record separators, no HTML-like labels, no escapes, no control characters.

>>> field('a|b{c}'), tooltip(['x = 1', 'two\\nlines'])
('a\\\\|b\\\\{c\\\\}', 'x = 1\\\\ntwo lines')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import graphviz  # type: ignore[import-untyped]

from .graph import one_line

ROLE_FILL = {
    "input": "#dbeafe",  # blue
    "parameter": "#dcfce7",  # green
    "intermediate": "white",
    "output": "#fee2e2",  # red
}
ROLE_BORDER = {
    "input": "#2563eb",
    "parameter": "#16a34a",
    "intermediate": "black",
    "output": "#dc2626",
}
OP_FILL = "#f3f4f6"
GROUP_FILL = "#ede9fe"
GROUP_BORDER = "#7c3aed"
STACK_FILL = "#fefce8"
STACK_BORDER = "#a16207"
ZERO_GRAD_FILL = "#e5e7eb"
NONFINITE_FILL = "#f0abfc"
# |grad| on a log scale: blue (vanishing) -> pale yellow -> orange -> red (largest).
HEAT_STOPS = ((0.0, (0xBF, 0xDB, 0xFE)), (0.4, (0xFE, 0xF9, 0xC3)),
              (0.7, (0xFD, 0xBA, 0x74)), (1.0, (0xF8, 0x71, 0x71)))
# A heat scale spans at most this many powers of ten below the largest |grad|.
HEAT_DECADES = 12
# The face every label is set in. The layout sizes each record cell from this face's
# metrics and the viewer draws the text in whatever it has under that name, so the face
# must be one the engine knows (graphviz-pure has metrics for a fixed list of faces and
# falls back to Times for anything else, font lists included) and whose stand-ins are
# no wider. Graphviz's default, Times, is drawn as the much wider DejaVu Serif on a
# machine without Times, and the text runs over the cell borders. Verdana ships with
# Windows and macOS, and where it is missing (Linux) fontconfig draws DejaVu Sans, of
# about the same width; any narrower face only leaves more room.
FONT = "Verdana"
#: Characters of a label shown in a node (longer ones end in '...'; tooltips hold more).
LABEL_LIMIT = 40
#: A caption is broken into lines of at most this many characters, so that it is never
# wider than a picture that fits a screen.
CAPTION_WIDTH = 90

_RECORD_SPECIAL = re.compile(r"([{}|<>])")


def clean(text: str, limit: int | None = LABEL_LIMIT) -> str:
    """One line (:func:`.graph.one_line`) of at most ``limit`` characters, with ``&`` as an
    entity (Graphviz decodes entities such as ``&amp;`` in every label and tooltip)."""
    return one_line(text, limit).replace("&", "&amp;")


def plain(text: str, limit: int | None = LABEL_LIMIT) -> str:
    """Text for an ordinary label: backslash escapes and ``<...>`` HTML lose their meaning."""
    return graphviz.nohtml(clean(text, limit).replace("\\", "\\\\"))


def plain_lines(lines: Iterable[str]) -> str:
    """Several lines of text for an ordinary label (a caption), each made :func:`plain`."""
    return graphviz.nohtml("\\n".join(clean(line, None).replace("\\", "\\\\") for line in lines))


def field(text: str, limit: int | None = LABEL_LIMIT) -> str:
    """Text for one field of a record label: its separators are escaped too."""
    return _RECORD_SPECIAL.sub(r"\\\1", clean(text, limit).replace("\\", "\\\\"))


def record(fields: Iterable[str], flip: bool) -> str:
    """A record label from fields already made safe by :func:`field`."""
    body = " | ".join(fields)
    return graphviz.nohtml(f"{{ {body} }}" if flip else body)


def tooltip(lines: Iterable[str]) -> str:
    """A tooltip of several lines, each made safe."""
    # Engines disagree on backslash escapes in tooltips ('\\N' can turn into the node's
    # name), so a backslash is shown as the look-alike U+29F5 there; labels keep it.
    cleaned = (clean(line, 200).replace("\\", "\u29f5") for line in lines)
    return graphviz.nohtml("\\n".join(cleaned))


def wrap(text: str, width: int = CAPTION_WIDTH) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters (a longer word
    stands alone on its line).

    >>> wrap('one two three four', 9)
    ['one two', 'three', 'four']
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 op``, ``2 ops``, ``1,600 ops``.

    >>> plural(1, 'op'), plural(1600, 'op'), plural(2, 'copy', 'copies')
    ('1 op', '1,600 ops', '2 copies')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


class HeatScale:
    """|grad| -> a fill colour, on a log scale over the gradients drawn."""

    def __init__(self, magnitudes: Iterable[float]) -> None:
        finite = [m for m in magnitudes if math.isfinite(m) and m > 0.0]
        if finite:
            self.hi = math.log10(max(finite))
            self.lo = max(math.log10(min(finite)), self.hi - HEAT_DECADES)
        else:
            self.hi = self.lo = 0.0

    def color(self, magnitude: float) -> str:
        if math.isnan(magnitude) or math.isinf(magnitude):
            return NONFINITE_FILL
        if magnitude == 0.0:
            return ZERO_GRAD_FILL
        if self.hi == self.lo:
            t = 1.0
        else:
            t = min(1.0, max(0.0, (math.log10(magnitude) - self.lo) / (self.hi - self.lo)))
        for (t0, c0), (t1, c1) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
            if t <= t1:
                u = (t - t0) / (t1 - t0)
                r, gr, b = (round(a + (z - a) * u) for a, z in zip(c0, c1))
                return f"#{r:02x}{gr:02x}{b:02x}"
        return "#{:02x}{:02x}{:02x}".format(*HEAT_STOPS[-1][1])

    def legend(self) -> str:
        if self.hi == self.lo:
            return "fill: |grad| (log scale); grey: zero"
        return (f"fill: |grad| on a log scale, from {10 ** self.lo:.1e} (blue) to "
                f"{10 ** self.hi:.1e} (red); grey: zero")
