"""Atomic writes: names up to the file system's limit, and leftovers of killed writes cleaned.

``autograd.atomic_write`` writes every picture, model file and plot. A temporary
name that was 14 bytes longer than the target made a valid 242-255 byte name
unsaveable; a write killed half-way (``kill -9``) left a hidden ``.NAME.XXXX.tmp``
that no later write removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd import atomic_write
from autograd.atomic_files import STALE_AFTER, remove_stale_temporaries, temporary_stem

ROOT = Path(__file__).resolve().parent.parent


def _save(path: Path, text: str = "new\n") -> None:
    with atomic_write(path) as f:
        f.write(text)


@pytest.mark.parametrize("name", [
    "m" * 237 + ".json",          # 242 bytes: the first length that used to fail
    "m" * 250 + ".json",          # 255 bytes: the longest name the file system takes
    "é" * 125 + ".json",          # 255 bytes in two-byte characters
    "x" + "é" * 124 + ".json",    # a cut that falls inside a character
])
def test_every_name_the_file_system_takes_can_be_saved_to(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    nn.save(nn.MLP(2, [3, 1], seed=0), path)
    nn.save(nn.MLP(2, [3, 1], seed=1), path)  # and saved over
    assert nn.load(path).state_dict() == nn.MLP(2, [3, 1], seed=1).state_dict()
    assert [p.name for p in tmp_path.iterdir()] == [name]


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
               min_size=1, max_size=200))
def test_temporary_names_fit_and_belong_to_one_target(name: str) -> None:
    stems = {}
    for suffix in ("", "a", "b" * 60, "b" * 61):
        target = name + suffix
        if len(os.fsencode(target)) > 255:
            continue
        stem = temporary_stem(target)
        assert len(os.fsencode(f".{stem}.0123abcd.tmp")) <= 255
        stems[target] = stem
    assert len(set(stems.values())) == len(stems)  # different targets, different stems


def _kill_mid_write(path: Path) -> None:
    """A process that dies by SIGKILL half-way through writing ``path``."""
    script = (
        "import os, signal, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from autograd import atomic_write\n"
        f"with atomic_write({str(path)!r}) as f:\n"
        "    f.write('half a file'); f.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == -signal.SIGKILL


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9")
def test_a_write_killed_half_way_leaves_a_temporary_the_next_save_removes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "model.json"
    _save(path, "old\n")
    _kill_mid_write(path)
    [left] = _temporaries(tmp_path)
    assert left.startswith(".model.json.") and path.read_text() == "old\n"
    _save(path)  # a minute later: it could still be someone's write, so it stays
    assert _temporaries(tmp_path) == [left]
    _age(tmp_path / left, STALE_AFTER + 60)
    _save(path)
    assert _temporaries(tmp_path) == [] and path.read_text() == "new\n"


def test_only_this_targets_old_unlocked_temporaries_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    names = {
        "mine": ".model.json.0123abcd.tmp",
        "young": ".model.json.89abcdef.tmp",
        "other target": ".model.json.bak.0123abcd.tmp",
        "not our pattern": ".model.json.XYZ.tmp",
        "not hex": ".model.json.0123abcg.tmp",
        "a folder": ".model.json.aaaaaaaa.tmp",
        "a link": ".model.json.bbbbbbbb.tmp",
        "in use": ".model.json.cccccccc.tmp",
    }
    for key, name in names.items():
        target = tmp_path / name
        if key == "a folder":
            target.mkdir()
        elif key == "a link":
            (tmp_path / "kept.txt").write_text("kept")
            target.symlink_to(tmp_path / "kept.txt")
        else:
            target.write_text("left over")
        if key != "young":
            os.utime(target, (time.time() - 2 * STALE_AFTER,) * 2, follow_symlinks=False)
    fcntl = pytest.importorskip("fcntl")
    holder = os.open(tmp_path / names["in use"], os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # a live write in another process holds this
        removed = remove_stale_temporaries(path)
    finally:
        os.close(holder)
    assert [p.name for p in removed] == [names["mine"]]
    assert not (tmp_path / names["mine"]).exists()
    assert all((tmp_path / n).exists() or (tmp_path / n).is_symlink()
               for k, n in names.items() if k != "mine")
    assert (tmp_path / "kept.txt").read_text() == "kept"


def test_a_long_targets_leftovers_are_found_by_its_own_stem(tmp_path: Path) -> None:
    first, second = "m" * 240 + "-a.json", "m" * 240 + "-b.json"  # alike for 240 bytes
    for name in (first, second):
        left = tmp_path / f".{temporary_stem(name)}.0123abcd.tmp"
        left.write_text("left over")
        _age(left, 2 * STALE_AFTER)
    _save(tmp_path / first)
    assert _temporaries(tmp_path) == [f".{temporary_stem(second)}.0123abcd.tmp"]


def test_the_module_examples_run() -> None:
    import doctest

    import autograd.atomic_files

    result = doctest.testmod(autograd.atomic_files)
    assert result.attempted > 0 and result.failed == 0
