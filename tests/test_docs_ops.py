"""docs/ops.md is generated from the op table and must stay in step with it."""

from pathlib import Path

from autograd import OPS
from autograd.op_reference import markdown_document


def test_ops_document_is_up_to_date() -> None:
    path = Path(__file__).resolve().parent.parent / "docs" / "ops.md"
    assert path.read_text(encoding="utf-8") == markdown_document(), (
        "docs/ops.md is stale: regenerate it with "
        "python -c \"import autograd.ops as o; print(o.markdown_document(), end='')\" > docs/ops.md"
    )


def test_every_op_is_documented() -> None:
    text = markdown_document()
    for op in OPS:
        assert f"| `{op.name}` |" in text
