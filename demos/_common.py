"""Shared command-line handling for the demos: ``--quick``, ``--out``, ``--format``, and
failing loudly."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

# Let `python demos/NAME.py` work from a checkout without installing the package.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, os.fspath(ROOT))


def parse_args(
    name: str,
    description: str,
    argv: list[str] | None = None,
    configure: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parse ``--quick`` (a fast smoke run) and ``--out`` (the folder for pictures), creating it.

    ``configure`` adds a demo's own options to the parser.
    """
    parser = argparse.ArgumentParser(prog=f"demos/{name}.py", description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (the tests use it)")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "out" / name,
        help="folder for the pictures this demo writes (created if missing)",
    )
    parser.add_argument(
        "--format", choices=("svg", "png"), default="svg",
        help="the pictures' file format (default: svg)",
    )
    if configure is not None:
        configure(parser)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def install_hint(extra: str) -> str:
    """The command that installs an extra into the environment running this demo."""
    exe = Path(sys.executable)
    try:
        exe = exe.relative_to(Path.cwd())  # .venv/bin/python, as the README writes it
    except ValueError:
        pass
    return f'{exe} -m pip install -e "{os.path.relpath(ROOT)}[{extra}]"'


def picture(args: argparse.Namespace, name: str) -> Path:
    """The path of the picture ``name`` in the demo's folder and chosen format."""
    return args.out / f"{name}.{args.format}"


def check(ok: bool, claim: str) -> None:
    """Print whether the demo's claim held; if not, stop with exit status 1.

    Each demo states what it shows and checks it here, so a demo that stops
    showing it fails (and its smoke test with it) instead of printing a wrong
    number that nobody reads.
    """
    print(f"check: {claim}: {'ok' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(f"{Path(sys.argv[0]).name}: the demo's claim does not hold: {claim}")
