"""The README's code blocks run, so they cannot rot.

Every fenced block must name a language from ``LANGUAGES``. A block fenced
```` ```py ````, ```` ```pycon ````, ```` ```sh ```` or with no language at all
would otherwise be skipped without a word, so ``test_fences_name_known_languages``
fails on it instead.

```python blocks come in two kinds, run differently:

* A block that starts with ``>>>`` is a doctest: its outputs must match. The
  README reads as one run at the Python prompt -- the lecture's ``L`` built
  under "Seeing the graph" is saved, coloured, printed and explained in the
  sections after it -- so the doctest blocks run in order in one namespace, as
  if typed at one prompt from top to bottom.
* Any other block is a script that a reader copies into a file and runs alone.
  Each runs in a fresh namespace and its own scratch folder, and leaves nothing
  behind for the blocks after it: a script that forgets an import fails here as
  it would for the reader. Pytest tests it defines (the gradient-test recipe)
  are called too.

A block fenced ```python skip-test is shown but not run; none should need it
without a good reason written next to it.

The two set-up commands must have the shape the README promises (a virtual
environment, an editable install with the right extra, then the demo or the
tests), and CI must run the test command taken from the README itself.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import NamedTuple

import pytest

import autograd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Fence languages the README may use. Only ``python`` blocks are run; ``bash``
#: holds commands (the set-up commands are checked by shape below), ``text``
#: output or diagrams.
LANGUAGES = {"python", "bash", "text"}
#: Words allowed after the language, per language.
ATTRIBUTES = {"python": {"skip-test"}, "bash": set(), "text": set()}

# CommonMark: an opening fence is 3+ backticks or tildes indented at most 3 spaces;
# the block ends at a fence of the same character at least as long.
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")


class Block(NamedTuple):
    line: int  # 1-based line of the opening fence
    fence: str
    info: str  # what follows the fence: language and attributes
    body: str

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def attributes(self) -> list[str]:
        return self.info.split()[1:]

    @property
    def is_doctest(self) -> bool:
        return self.body.lstrip().startswith(">>>")


def _blocks(text: str) -> list[Block]:
    """Every fenced block of ``text``; an unclosed fence is an error."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, info = len(opening.group(1)), opening.group(2), opening.group(3).strip()
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            # Content lines lose up to the fence's own indentation.
            body.append(re.sub(rf"^ {{0,{indent}}}", "", lines[j]))
            j += 1
        if j == len(lines):
            raise AssertionError(f"README.md:{i + 1}: the fence {fence}{info} is never closed")
        blocks.append(Block(i + 1, fence, info, "\n".join(body) + "\n"))
        i = j + 1
    return blocks


BLOCKS = _blocks(README.read_text(encoding="utf-8"))
PYTHON = [b for b in BLOCKS if b.language == "python" and "skip-test" not in b.attributes]
DOCTESTS = [b for b in PYTHON if b.is_doctest]
SCRIPTS = [b for b in PYTHON if not b.is_doctest]


def test_fences_name_known_languages() -> None:
    wrong = [
        f"README.md:{b.line}: ```{b.info}"
        for b in BLOCKS
        if b.language not in LANGUAGES
        or not set(b.attributes) <= ATTRIBUTES.get(b.language, set())
    ]
    assert not wrong, (
        f"fenced blocks this test would not run or check (languages allowed: "
        f"{sorted(LANGUAGES)}; python blocks may add 'skip-test'): {wrong}"
    )


def test_the_fence_parser_sees_what_it_must_reject() -> None:
    """The check above only works if the parser finds every kind of fence."""
    sample = ("```py\nx\n```\n  ~~~pycon\n  >>> 1\n  ~~~\n````\nbare\n````\n"
              "```python skip-test\n```\n")
    found = [(b.line, b.language, b.attributes) for b in _blocks(sample)]
    assert found == [(1, "py", []), (4, "pycon", []), (7, "", []), (10, "python", ["skip-test"])]
    assert _blocks(sample)[1].body == ">>> 1\n"
    with pytest.raises(AssertionError, match="never closed"):
        _blocks("text\n```python\nx = 1\n")


def test_readme_has_both_kinds_of_python_block() -> None:
    assert len(DOCTESTS) >= 15 and len(SCRIPTS) >= 5, (len(DOCTESTS), len(SCRIPTS))


def test_readme_doctests_run_in_order_in_one_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    # The README declares ops and adds a method to Value: undo that for the other tests.
    ops_before = {op.name for op in autograd.declared_ops()}
    value_before = set(autograd.Value.__dict__)
    try:
        for block in DOCTESTS:
            test = parser.get_doctest(block.body, namespace, f"README.md:{block.line}",
                                      str(README), block.line)
            runner = doctest.DocTestRunner(optionflags=flags)
            runner.run(test, clear_globs=False)
            namespace.update(test.globs)  # DocTest works on a copy of the namespace
            assert runner.failures == 0, (f"README.md block at line {block.line} has failing "
                                          f"examples")
    finally:
        for op in autograd.declared_ops():
            if op.name not in ops_before:
                autograd.undefop(op.name)
        for name in set(autograd.Value.__dict__) - value_before:
            delattr(autograd.Value, name)


@pytest.mark.parametrize("block", SCRIPTS, ids=[f"line{b.line}" for b in SCRIPTS])
def test_readme_script_runs_alone(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _run_script(block)


def _run_script(block: Block) -> None:
    """Run a script block in a namespace of its own, then any pytest tests it defines."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(block.body, f"README.md:{block.line}", "exec"), namespace)
    # A block that defines pytest tests (the recipe) has them run here too.
    for name, value in sorted(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()


def test_a_script_that_forgets_an_import_fails_alone() -> None:
    """Guards the fresh namespace: a README-style script using an unimported name raises,
    even after a block that imported it ran, and a test it defines is run."""
    _run_script(Block(1, "```", "python", "import nn\n"))
    with pytest.raises(NameError, match="'nn'"):
        _run_script(Block(2, "```", "python", "X, y = nn.data.make_xor()\n"))
    with pytest.raises(AssertionError):
        _run_script(Block(3, "```", "python", "def test_it():\n    assert False\n"))


# --- the two set-up commands ---------------------------------------------------------------

# python3 -m venv .venv && .venv/bin/pip install -e ".[EXTRAS]" && .venv/bin/python WHAT
_COMMAND = re.compile(
    r'^python3 -m venv \.venv && \.venv/bin/pip install -e "\.\[(?P<extras>[a-z,]+)\]" '
    r"&& \.venv/bin/python (?P<run>.+)$"
)


def _setup_commands() -> list[str]:
    """The commands of the bash blocks in the README's "Set up and run" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Set up and run\n")
    end = text.index("\n## ", start + 1)
    first_line = text.count("\n", 0, start) + 2
    last_line = text.count("\n", 0, end) + 1
    blocks = [b for b in BLOCKS if b.language == "bash" and first_line <= b.line <= last_line]
    return [b.body.strip() for b in blocks]


def _extras() -> dict[str, list[str]]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the check is the same everywhere
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return dict(project["optional-dependencies"])


def test_setup_commands_have_the_promised_shape() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, f"expected the demo command and the test command, got {commands}"
    parsed = [_COMMAND.match(c) for c in commands]
    assert all(parsed), f"not 'venv && pip install -e .[extra] && python ...': {commands}"
    runs = {m["run"]: m["extras"].split(",") for m in parsed if m}
    assert set(runs) == {"demos/moons.py", "-m pytest"}, runs
    assert (ROOT / "demos" / "moons.py").is_file()
    extras = _extras()
    for run, names in runs.items():
        assert set(names) <= set(extras), f"{run}: unknown extra in {names}; pyproject has {extras}"
    # The demo draws its pictures with matplotlib; the tests need pytest and the oracles.
    needs = {"demos/moons.py": ["matplotlib"], "-m pytest": ["pytest", "hypothesis", "sympy",
                                                             "matplotlib", "numpy"]}
    for run, packages in needs.items():
        installed = " ".join(req for name in runs[run] for req in extras[name])
        missing = [p for p in packages if p not in installed]
        assert not missing, f"the command running {run} installs no {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run takes the command from the README by this very pattern ...
    assert "grep -m1 -E '^python3 -m venv \\.venv && .*pytest' README.md" in ci
    # ... which must find the test command of "Set up and run", not some other line.
    found = re.search(r"^python3 -m venv \.venv && .*pytest.*$", readme, re.M)
    assert found and found.group(0) in _setup_commands() and "-m pytest" in found.group(0)


def _pasted_line_by_line(source: str) -> str | None:
    """What the Python prompt says when ``source`` is pasted into it line by line: None if
    every statement compiles as the prompt reads it, else the SyntaxError's text.

    The prompt compiles a statement as soon as it is complete; a compound statement
    (``for``, ``with``, ``def``) ends only at a blank line, so a statement right after an
    indented block with no blank line in between is a SyntaxError there, although the
    same text runs as a file.
    """
    import codeop

    buffer: list[str] = []
    for line in [*source.splitlines(), ""]:
        buffer.append(line)
        try:
            code = codeop.compile_command("\n".join(buffer), "<stdin>", "single")
        except SyntaxError as err:
            return f"{err.msg} at {line!r}"
        if code is not None:  # complete: the prompt runs it and starts a new statement
            buffer = []
    return None


@pytest.mark.parametrize("block", SCRIPTS, ids=[f"line{b.line}" for b in SCRIPTS])
def test_script_blocks_paste_into_the_python_prompt(block: Block) -> None:
    problem = _pasted_line_by_line(block.body)
    assert problem is None, (f"README.md:{block.line}: pasted into the Python prompt this block "
                             f"fails ({problem}); put a blank line after each indented block")


DOCTESTS = [b for b in PYTHON if b.is_doctest]


@pytest.mark.parametrize("block", DOCTESTS, ids=[f"line{b.line}" for b in DOCTESTS])
def test_doctest_statements_paste_into_the_python_prompt(block: Block) -> None:
    """The statements of a doctest block, copied without their prompts and outputs, paste
    as they are: a compound statement ends with a blank ``...`` line."""
    problem = _pasted_line_by_line(_statements(block.body))
    assert problem is None, (f"README.md:{block.line}: its statements pasted into the Python "
                             f"prompt fail ({problem}); end each indented block with a line '...'")


def _statements(doctest_text: str) -> str:
    """A doctest's statements as a reader copies them: prompts dropped, outputs left out
    (a bare '...' is a blank line)."""
    kept = []
    for line in doctest_text.splitlines():
        if line in (">>>", "..."):
            kept.append("")
        elif line.startswith((">>> ", "... ")):
            kept.append(line[4:])
    return "\n".join(kept) + "\n"


def test_the_doctest_paste_check_needs_the_blank_continuation() -> None:
    body = ">>> for i in range(2):\n...     x = i\n>>> x\n1\n"
    assert _pasted_line_by_line(_statements(body)) is not None
    fixed = ">>> for i in range(2):\n...     x = i\n...\n>>> x\n1\n"
    assert _pasted_line_by_line(_statements(fixed)) is None


def test_the_paste_check_catches_a_statement_right_after_a_block() -> None:
    assert _pasted_line_by_line("for i in range(2):\n    x = i\nprint(x)\n") is not None
    assert _pasted_line_by_line("for i in range(2):\n    x = i\n\nprint(x)\n") is None


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def expected_contents(text: str) -> str:
    """The README's table of contents, from its ## and ### headings (outside code blocks)."""
    lines, fenced = [], False
    seen: dict[str, int] = {}
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and re.match(r"^#{1,3} ", line):
            level, heading = line.split(" ", 1)
            anchor = _anchor(heading)
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            if len(level) == 1 or heading.strip() == "Contents":
                continue
            anchor += f"-{count}" if count else ""  # GitHub numbers a repeated heading
            indent = "  " * (len(level) - 2)
            lines.append(f"{indent}- [{heading.strip()}](#{anchor})")
    return "\n".join(lines)


def test_the_table_of_contents_lists_every_section() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- contents -->\n", "\n<!-- /contents -->"
    assert start in text and end in text, "the README needs a table of contents"
    shown = text[text.index(start) + len(start):text.index(end)]
    expected = expected_contents(text)
    assert shown == expected, f"the table of contents is stale; it should read:\n{expected}"
