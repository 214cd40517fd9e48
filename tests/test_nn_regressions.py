"""Regressions found in review: file modes, centred RMSProp, Sequential scopes."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pytest

import nn
from autograd import Value, scope


def _save_with_umask(mask: int, path: Path) -> Path:
    old = os.umask(mask)
    try:
        nn.save(nn.MLP(2, [3, 1], seed=0), path)
        return path
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saved_model_files_get_the_usual_mode(tmp_path: Path) -> None:
    assert _mode(_save_with_umask(0o022, tmp_path / "m.json")) == 0o644
    assert _mode(_save_with_umask(0o077, tmp_path / "private.json")) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "private.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saving_over_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = _save_with_umask(0o022, tmp_path / "m.json")
    for mode in (0o600, 0o640, 0o755):
        path.chmod(mode)
        before = path.stat().st_ino
        _save_with_umask(0o022, path)
        assert _mode(path) == mode
        assert path.stat().st_ino != before  # really a new file, renamed over the old one
    path.chmod(0o6700)  # setuid and setgid are not carried over to a written file
    _save_with_umask(0o022, path)
    assert _mode(path) == 0o700
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_saving_never_reads_or_sets_the_process_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_umask(mask: int) -> int:
        raise AssertionError("os.umask changes the mode of files other threads create")

    monkeypatch.setattr(os, "umask", no_umask)
    nn.save(nn.MLP(2, [3, 1], seed=0), tmp_path / "m.json")
    nn.save(nn.MLP(2, [3, 1], seed=1), tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").state_dict() == nn.MLP(2, [3, 1], seed=1).state_dict()


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="symbolic links")
def test_saving_through_a_symbolic_link_replaces_the_link(tmp_path: Path) -> None:
    real = _save_with_umask(0o022, tmp_path / "real.json")
    real.chmod(0o600)
    before = real.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(real)
    _save_with_umask(0o022, link)
    assert not link.is_symlink() and _mode(link) == 0o600  # the mode of the file it named
    assert real.read_bytes() == before
    assert nn.load(link).state_dict() == nn.MLP(2, [3, 1], seed=0).state_dict()


# With this gradient and alpha, s - m*m rounds to -8.9e-16 from the second step on:
# the exact value is 0, since every gradient is the same.
ROUNDS_BELOW_ZERO = 2.8067999695210286


def _unguarded_centred_rmsprop(p: Value, lr: float, alpha: float, eps: float,
                               steps: int) -> None:
    """torch.optim.RMSprop(centered=True) as the formula reads, with no guard on the sqrt."""
    s = m = 0.0
    for _ in range(steps):
        g = p.grad
        s = alpha * s + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g
        p.data -= lr * g / (math.sqrt(s - m * m) + eps)


def test_centred_rmsprop_survives_rounding_below_zero() -> None:
    p = Value(1.0)
    opt = nn.RMSProp([p], lr=0.01, alpha=4.4e-12, centered=True)
    for _ in range(3):
        p.grad = ROUNDS_BELOW_ZERO
        opt.step()
        state = opt.state[p]
    # The case this test is about really happens: the rounded variance is negative...
    assert state["square_avg"] - state["grad_avg"] ** 2 < 0
    # ...which the formula as written cannot take,
    q = Value(1.0)
    q.grad = ROUNDS_BELOW_ZERO
    with pytest.raises(ValueError, match="math domain error"):
        _unguarded_centred_rmsprop(q, lr=0.01, alpha=4.4e-12, eps=1e-8, steps=3)
    # while the optimiser treats it as the 0 it stands for: the step is g / eps.
    assert math.isfinite(p.data)
    assert p.data < 1.0 - 0.01 * ROUNDS_BELOW_ZERO / 1e-8 * 0.99


def test_sequential_tags_parameters_and_keeps_inputs_unscoped() -> None:
    model = nn.Sequential(nn.Layer(2, 3, seed=0), nn.Layer(3, 1, activation="linear", seed=0))
    for name, p in model.named_parameters():
        assert name == f"{p.scope}.{p.label}"
    out = model([0.5, -0.5])
    assert out.scope.startswith("1.")
    scopes = {v.label: v.scope for v in _leaves(out)}
    assert scopes["x0"] == "" and scopes["x1"] == ""  # inputs, not the first step's parameters
    assert scopes["b"].startswith(("0.", "1."))


def test_sequential_scopes_follow_its_names_and_wrapping_again_changes_nothing() -> None:
    m = nn.MLP(2, [3, 1], seed=0)
    first = nn.Sequential(m.layers[0], m.layers[1])
    scopes = {name: p.scope for name, p in first.named_parameters()}
    assert scopes["0.neurons.0.w0"] == "0.neurons.0"  # not 0.layers.0.neurons.0
    for name, p in first.named_parameters():
        assert name == f"{p.scope}.{p.label}"
    again = nn.Sequential(m.layers[0], m.layers[1])
    assert {name: p.scope for name, p in again.named_parameters()} == scopes
    # Nested: the names gain a level, and the scopes with them, matching the forward nodes.
    outer = nn.Sequential(first)
    assert [name for name, _ in outer.named_parameters()] == [f"0.{name}" for name in scopes]
    for name, p in outer.named_parameters():
        assert name == f"{p.scope}.{p.label}"
    assert outer([0.5, -0.5]).scope == "0.1.neurons.0"
    # Made inside a scope, like a layer: parameters and forward nodes agree again.
    with scope("critic"):
        critic = nn.Sequential(nn.Layer(2, 2, seed=0), nn.Layer(2, 1, seed=1))
        out = critic([0.5, -0.5])
    assert critic[1].neurons[0].b.scope == "critic.1.neurons.0" == out.scope


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
