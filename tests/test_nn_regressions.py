"""Regressions found in review: file modes, centred RMSProp, Sequential scopes."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import nn
from autograd import Value


def test_saved_model_files_get_the_usual_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = nn.save(nn.MLP(2, [3, 1], seed=0), tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary file left


def test_centred_rmsprop_survives_rounding_below_zero() -> None:
    p = Value(1.0)
    opt = nn.RMSProp([p], lr=0.01, alpha=4.4e-12, centered=True)
    for _ in range(3):
        p.grad = 0.3
        opt.step()
    assert math.isfinite(p.data)  # no math domain error from sqrt of a rounded -0.0...1


def test_sequential_tags_parameters_and_keeps_inputs_unscoped() -> None:
    model = nn.Sequential(nn.Layer(2, 3, seed=0), nn.Layer(3, 1, activation="linear", seed=0))
    for name, p in model.named_parameters():
        assert name == f"{p.scope}.{p.label}"
    out = model([0.5, -0.5])
    assert out.scope.startswith("1.")
    scopes = {v.label: v.scope for v in _leaves(out)}
    assert scopes["x0"] == "" and scopes["x1"] == ""  # inputs, not the first step's parameters
    assert scopes["b"].startswith(("0.", "1."))


def _leaves(root: Value) -> list[Value]:
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        if v.is_leaf:
            out.append(v)
        stack.extend(v._prev)
    return out
