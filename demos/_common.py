"""Shared command-line handling for the demos: ``--quick`` and ``--out``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Let `python demos/NAME.py` work from a checkout without installing the package.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(name: str, description: str, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse ``--quick`` (a fast smoke run) and ``--out`` (the folder for pictures), creating it."""
    parser = argparse.ArgumentParser(prog=f"demos/{name}.py", description=description)
    parser.add_argument("--quick", action="store_true", help="a short run (the tests use it)")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "out" / name,
        help="folder for the pictures this demo writes (created if missing)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args
