"""The examples in the nn docstrings run and give the output they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "nn", "nn.module", "nn.layers", "nn.init", "nn.losses", "nn.optim", "nn.data",
    "nn.training", "nn.serialization", "nn._checks", "nn.metrics", "nn.schedules",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_the_documented_modules_have_examples() -> None:
    finder = doctest.DocTestFinder()
    counted = {name: sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
               for name in MODULES}
    assert all(counted[name] > 0 for name in ("nn.module", "nn.layers", "nn.losses",
                                              "nn.optim", "nn.data", "nn.training")), counted
