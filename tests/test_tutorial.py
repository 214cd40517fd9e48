"""docs/tutorial.ipynb: the lecture's path, each step with its picture. The deeper stage
runs it headless (nbclient + ipykernel) and checks what each step shows; the default run
checks its shape."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


def _cells() -> list:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    return nb


def test_the_tutorial_follows_the_lectures_path() -> None:
    nb = _cells()
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    for words in ("An expression and its gradients", "A neuron", "A small network",
                  "Training on two moons", "An op of your own",
                  "A property-based test of gradients"):
        assert any(words in h for h in headings), words
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("draw_dot(") >= 7 and ".interactive()" in code
    assert "Value(x.data ** 3, (x,), 'cube')" in code and "out._backward = _backward" in code
    assert "@given(" in code and "check_grads(" in code
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"


@pytest.mark.deep
def test_the_tutorial_runs_headless_and_shows_each_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.chdir(tmp_path)
    nb = _cells()
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]

    def text(cell: object) -> str:
        return "".join(o.get("text", "") for o in cell.outputs  # type: ignore[attr-defined]
                       if o.output_type == "stream")

    def kinds(cell: object) -> set[str]:
        return {k for o in cell.outputs for k in o.get("data", {})}  # type: ignore[attr-defined]

    errors = [(i, o.ename) for i, c in enumerate(code) for o in c.outputs
              if o.output_type == "error"]
    own_op = next(i for i, c in enumerate(code) if "own-op" in c.metadata.get("tags", []))
    declared = next(i for i, c in enumerate(code) if "declared-op" in c.metadata.get("tags", []))
    assert errors == []
    assert text(code[own_op]).strip().startswith("12.0")
    assert "image/svg+xml" in kinds(code[own_op])
    assert text(code[declared]).strip().startswith("12.0")  # d2/dx2 x**3 = 6 x at 2
    assert "image/svg+xml" in kinds(code[declared])
    assert text(code[1]).strip() == "6.0 -4.0 -2.0 4.0"
    assert "image/svg+xml" in kinds(code[2])
    assert text(code[3]).startswith("a.grad = 6: a (#0, data 2) is used once")
    assert "o = 0.7071, dw1 = 1.0000, dw2 = 0.0000" in text(code[4])
    assert "image/svg+xml" in kinds(code[4])
    page = code[5].outputs[0]["data"]["text/html"]
    assert page.startswith("<iframe srcdoc=") and "Content-Security-Policy" in page
    assert "image/svg+xml" in kinds(code[6]) and "41 parameters" in text(code[6])
    folded = code[7].outputs[0]["data"]["image/svg+xml"]
    assert "x 4 samples" in folded and "max-width:100%" in folded
    accuracy = int(text(code[8]).rsplit(" ", 1)[1].rstrip("%\n"))
    assert accuracy >= 90
    assert "image/svg+xml" in kinds(code[9]) and "image/svg+xml" in kinds(code[10])
    assert "gradients agree" in text(code[13]) and "image/svg+xml" in kinds(code[14])
