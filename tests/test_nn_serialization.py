"""Save and load: exact round trips, atomic writes, and files that fail cleanly."""

from __future__ import annotations

import json
import math
import os
import pickle
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd import Value
from nn import (
    MLP,
    Dropout,
    Layer,
    ModelFileError,
    Module,
    Neuron,
    Sequential,
    load,
    load_into,
    save,
)
from nn.serialization import register


def _same_model(a: Module, b: Module) -> None:
    assert type(a) is type(b)
    assert a.config() == b.config()
    assert a.state_dict() == b.state_dict()
    assert list(a.state_dict()) == list(b.state_dict())


ARCHITECTURES = [
    lambda: MLP(2, [16, 16, 1], seed=1),
    lambda: MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=2),
    lambda: MLP(2, [5, 3], activation="leaky_relu", output_activation="sigmoid", bias=False,
                seed=3),
    lambda: Layer(3, 2, activation="sigmoid", seed=4),
    lambda: Neuron(4, nonlin=False, seed=5),
    lambda: Sequential(Layer(2, 4, seed=6), Dropout(0.3),
                       Sequential(Layer(4, 1, "linear", seed=7))),
]


@pytest.mark.parametrize("make", ARCHITECTURES)
def test_save_then_load_rebuilds_the_same_model(make: Any, tmp_path: Path) -> None:
    model = make()
    path = tmp_path / "model.json"
    assert save(model, path) is None  # nothing for the prompt to echo
    loaded = load(path)
    _same_model(model, loaded)
    x = [0.3, -0.6, 0.9, 0.1][: getattr(model, "nin", 2)]
    model.eval()
    loaded.eval()
    out, again = model(x), loaded(x)
    if isinstance(out, list):
        assert [v.data for v in out] == [v.data for v in again]
    else:
        assert out.data == again.data


def test_the_file_is_plain_json_with_version_architecture_and_weights(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    save(model, str(tmp_path / "m.json"))  # str paths work too
    document = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert document["format"] == "chainrule.nn" and document["version"] == 1
    assert document["architecture"] == {
        "class": "MLP",
        "config": {"nin": 2, "nouts": [3, 1], "activation": "relu",
                   "output_activation": "linear", "bias": True},
    }
    assert document["parameters"] == model.state_dict()
    assert list(document["parameters"]) == list(model.state_dict())


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(finite, min_size=13, max_size=13))
def test_every_finite_weight_round_trips_exactly(tmp_path: Path, weights: list[float]) -> None:
    model = MLP(2, [3, 1], seed=0)
    model.load_state_dict(dict(zip(model.state_dict(), weights)))
    save(model, tmp_path / "w.json")
    assert list(load(tmp_path / "w.json").state_dict().values()) == weights


def test_load_into_fills_a_model_you_built(tmp_path: Path) -> None:
    source, target = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    save(source, tmp_path / "m.json")
    assert load_into(target, tmp_path / "m.json") is None  # the prompt prints nothing
    assert target.state_dict() == source.state_dict()


def test_custom_modules_save_weights_and_load_into_or_register(tmp_path: Path) -> None:
    class Scaled(Module):
        def __init__(self, factor: float = 2.0) -> None:
            self.factor = factor
            self.inner = Neuron(2, seed=0)
            self.gain = Value(factor, label="gain")

        def forward(self, x: Any) -> Value:
            return self.inner(x) * self.gain

    model = Scaled()
    save(model, tmp_path / "s.json")
    with pytest.raises(ModelFileError, match="custom module without a config.*load_into"):
        load(tmp_path / "s.json")
    other = Scaled(5.0)
    load_into(other, tmp_path / "s.json")
    assert other.state_dict() == model.state_dict()

    class Registered(Scaled):
        def config(self) -> dict[str, Any]:
            return {"factor": self.factor}

    try:
        register(Registered)
        save(Registered(3.0), tmp_path / "r.json")
        loaded = load(tmp_path / "r.json")
        assert isinstance(loaded, Registered) and loaded.gain.data == 3.0
    finally:
        nn.serialization.ARCHITECTURES.pop("Registered", None)
    with pytest.raises(TypeError, match="needs a Module subclass"):
        register(int)  # type: ignore[arg-type]


# --- atomic writes -----------------------------------------------------------------------


def test_a_failed_save_leaves_the_old_file_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    old = MLP(2, [3, 1], seed=0)
    save(old, path)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        save(MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    monkeypatch.undo()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        save(MLP(2, [3, 1], seed=1), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_saving_non_finite_weights_is_refused_before_writing(tmp_path: Path) -> None:
    model = MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0].b.data = math.inf
    with pytest.raises(ValueError, match="'layers.1.neurons.0.b' is inf"):
        save(model, tmp_path / "bad.json")
    assert not any(tmp_path.iterdir())
    with pytest.raises(TypeError, match="needs an nn Module"):
        save({"w": 1.0}, tmp_path / "dict.json")  # type: ignore[arg-type]


# --- files that must fail cleanly --------------------------------------------------------


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _expect_failure(path: Path, match: str) -> None:
    """load() fails, and load_into() fails the same way without touching the model."""
    with pytest.raises(ModelFileError, match=match):
        load(path)
    model = MLP(2, [3, 1], seed=42)
    before = model.state_dict()
    with pytest.raises(ModelFileError):
        load_into(model, path)
    assert model.state_dict() == before


def test_every_truncation_of_a_model_file_fails_cleanly(tmp_path: Path) -> None:
    save(MLP(2, [3, 1], seed=0), tmp_path / "good.json")
    good = (tmp_path / "good.json").read_bytes()
    cut = tmp_path / "cut.json"
    # Cutting only the final newline would still be JSON, so stop two bytes short.
    for n in range(0, len(good) - 2, 9):
        cut.write_bytes(good[:n])
        _expect_failure(cut, "not valid JSON.*corrupt or truncated|not a chainrule")


def test_corrupt_files_fail_cleanly(tmp_path: Path) -> None:
    save(MLP(2, [3, 1], seed=0), tmp_path / "good.json")
    good = (tmp_path / "good.json").read_bytes()
    path = tmp_path / "bad.json"
    path.write_bytes(good.replace(b'"parameters"', b'"param\xffeters"'))
    _expect_failure(path, "not UTF-8")
    path.write_bytes(pickle.dumps(MLP(2, [3, 1], seed=0).state_dict()))
    _expect_failure(path, "not UTF-8|not valid JSON")
    path.write_bytes(b"[1, 2, 3]")
    _expect_failure(path, "expected a JSON object, got list")
    path.write_bytes(b"[" * 100_000)
    _expect_failure(path, "not valid JSON|nested too deeply")


def _document(**changes: Any) -> dict[str, Any]:
    model = MLP(2, [3, 1], seed=0)
    doc = {"format": "chainrule.nn", "version": 1,
           "architecture": {"class": "MLP", "config": model.config()},
           "parameters": model.state_dict()}
    doc.update(changes)
    return doc


@pytest.mark.parametrize("changes, match", [
    ({"format": "other"}, "not a chainrule model file"),
    ({"version": 2}, "format version 2 is not supported.*newer chainrule"),
    ({"version": "1"}, "version must be an int"),
    ({"extra": 1}, r"unexpected keys \['extra'\]"),
    ({"parameters": [1.0, 2.0]}, "'parameters' must be an object"),
    ({"architecture": {"class": "os.system", "config": {}}}, "unknown module class 'os.system'"),
    ({"architecture": {"class": "MLP"}}, "'architecture' must be"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [3, 1], "seed": 1, "x": 0}}},
     "cannot build MLP from its config"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [10**9, 1]}}},
     "has 4000000001 parameters but the file holds 13"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2.0, "nouts": [3, 1]}}},
     r"MLP\(nin\) needs an int, got float"),
    ({"architecture": {"class": "Sequential", "config": {"steps": 3}}}, "Sequential config"),
    ({"architecture": {"class": [1], "config": {}}}, "given by its name .*got list"),
    ({"architecture": {"class": {"MLP": 1}, "config": {}}}, "given by its name .*got dict"),
    ({"architecture": {"class": None, "config": {}}}, "given by its name .*got NoneType"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2}}}, "cannot build MLP.*no 'nouts'"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2, "nouts": 3}}}, "non-empty list"),
    ({"architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [3, 1], "bias": "no"}}},
     r"MLP\(bias\) needs True or False, got str 'no'"),
    ({"architecture": {"class": "Sequential", "config": {"steps": [
        {"class": "Layer", "config": {"nin": 2, "nout": 3}},
        {"class": "Neuron", "config": {"nin": "x"}}]}}},
     r"cannot build Sequential step 1 \(Neuron\).*Neuron\(nin\) needs an int, got str 'x'"),
])
def test_bad_contents_fail_with_a_clear_error(tmp_path: Path, changes: dict[str, Any],
                                              match: str) -> None:
    _expect_failure(_write(tmp_path / "m.json", _document(**changes)), match)


HUGE_THEN_BROKEN = {"class": "Sequential", "config": {"steps": [
    {"class": "MLP", "config": {"nin": 2, "nouts": [10**8, 1]}},
    {"class": "Neuron", "config": {"nin": "x"}},
]}}


def test_a_small_file_cannot_make_load_build_a_huge_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building 4e8 parameters would exhaust memory, so a pass proves nothing was built;
    # the patch makes sure even a smaller model is never started.
    def no_building(arch: Any) -> Module:
        raise AssertionError(f"load() started building {arch['class']}")

    monkeypatch.setattr(nn.serialization, "_build", no_building)
    path = _write(tmp_path / "m.json", _document(architecture=HUGE_THEN_BROKEN, parameters={}))
    started = time.perf_counter()
    with pytest.raises(ModelFileError, match="at least 400000001 parameters but the file "
                                             "holds 0 weights"):
        load(path)
    assert time.perf_counter() - started < 1.0
    # The broken step first: its config is an error at once, whatever follows it.
    steps = HUGE_THEN_BROKEN["config"]["steps"]
    broken_first = {"class": "Sequential", "config": {"steps": steps[::-1]}}
    _write(path, _document(architecture=broken_first, parameters={}))
    with pytest.raises(ModelFileError, match=r"step 0 \(Neuron\).*needs an int, got str"):
        load(path)


def test_uncountable_custom_steps_do_not_hide_a_huge_built_in_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Opaque(Module):
        def __init__(self, size: int = 1) -> None:
            self.w = [Value(0.0) for _ in range(size)]

        def config(self) -> dict[str, Any]:
            return {"size": len(self.w)}

    built: list[str] = []
    real_build = nn.serialization._build
    monkeypatch.setattr(nn.serialization, "_build",
                        lambda arch: built.append(arch["class"]) or real_build(arch))
    try:
        register(Opaque)
        model = Sequential(Opaque(3), Layer(2, 2, seed=0))
        path = tmp_path / "m.json"
        save(model, path)
        _same_model(model, load(path))  # a custom step is counted by building it, as before
        document = json.loads(path.read_text(encoding="utf-8"))
        document["architecture"]["config"]["steps"][1]["config"]["nout"] = 10**8
        _write(path, document)
        built.clear()
        with pytest.raises(ModelFileError, match="at least 300000000 parameters"):
            load(path)
        assert built == []
    finally:
        nn.serialization.ARCHITECTURES.pop("Opaque", None)


def test_register_cannot_replace_a_built_in_class() -> None:
    class MLP(Module):  # the same name as nn.MLP: the clash is the point
        pass

    with pytest.raises(ValueError, match="'MLP' is the name of nn's own nn.layers.MLP"):
        register(MLP)
    assert nn.serialization.ARCHITECTURES["MLP"] is nn.MLP


def test_repeated_keys_and_giant_integers_fail_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    text = json.dumps(_document())
    first = next(iter(MLP(2, [3, 1], seed=0).state_dict()))
    path.write_text(text.replace('"parameters": {', f'"parameters": {{"{first}": 5.0, '),
                    encoding="utf-8")
    _expect_failure(path, f"the key '{first}' appears twice in one object")
    path.write_text(text.replace('"version": 1', '"version": ' + "9" * 5000), encoding="utf-8")
    _expect_failure(path, "is not a model file .*digits")


def test_bad_weights_fail_and_leave_the_model_unchanged(tmp_path: Path) -> None:
    params = MLP(2, [3, 1], seed=0).state_dict()
    last = list(params)[-1]
    path = tmp_path / "m.json"
    text = json.dumps(_document()).replace(f'"{last}": 0.0', f'"{last}": NaN')
    path.write_text(text, encoding="utf-8")
    _expect_failure(path, f"'{last}' is nan; weights must be finite")
    text = json.dumps(_document()).replace(f'"{last}": 0.0', f'"{last}": 1e999')
    path.write_text(text, encoding="utf-8")
    _expect_failure(path, "must be finite")
    _expect_failure(_write(path, _document(parameters={**params, last: "0.5"})),
                    "must be a real number, got str")
    _expect_failure(_write(path, _document(parameters={**params, last: True})), "got bool")
    renamed = {("other" if k == last else k): v for k, v in params.items()}
    _expect_failure(_write(path, _document(parameters=renamed)),
                    "missing 1 name.*unexpected 1 name")


def test_load_into_refuses_a_different_architecture(tmp_path: Path) -> None:
    save(MLP(2, [3, 1], activation="tanh", seed=0), tmp_path / "m.json")
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ModelFileError, match=r"holds a different architecture: MLP\(.*'tanh'"):
        load_into(model, tmp_path / "m.json")
    assert model.state_dict() == before


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        load("/nonexistent/model.json")
    assert issubclass(ModelFileError, ValueError)


# --- what a load will not open, read or echo ------------------------------------------------


def _in_thread(call: Any, seconds: float = 10.0) -> Any:
    """Run ``call`` in a thread; fail (rather than hang the suite) if it blocks."""
    result: list[Any] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            result.append(exc)
        else:
            result.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for {seconds} s"
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    for call in (lambda: load(fifo), lambda: load_into(model, fifo)):
        error = _in_thread(call)
        assert isinstance(error, ModelFileError)
        assert "is a named pipe (FIFO), not a model file" in str(error)
    assert model.state_dict() == before


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="a POSIX device")
def test_devices_and_folders_are_refused_before_reading(tmp_path: Path) -> None:
    error = _in_thread(lambda: load("/dev/zero"))
    assert isinstance(error, ModelFileError) and "is a character device" in str(error)
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        load(tmp_path)


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(500 * 2**20)  # 500 MB, sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"is 524,288,000 bytes, more than "
                                                 r"max_bytes=67,108,864.*pass a larger max_bytes="):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # not read: well under a megabyte allocated


def test_max_bytes_is_the_cap_and_can_be_raised(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = MLP(2, [3, 1], seed=0)
    save(model, path)
    size = path.stat().st_size
    with pytest.raises(ModelFileError, match=rf"is {size:,} bytes, more than max_bytes=100"):
        load(path, max_bytes=100)
    other = MLP(2, [3, 1], seed=1)
    with pytest.raises(ModelFileError, match="more than max_bytes"):
        load_into(other, path, max_bytes=size - 1)
    load_into(other, path, max_bytes=size)
    assert other.state_dict() == model.state_dict()
    with pytest.raises(ValueError, match=r"max_bytes must be >= 1, got 0"):
        load(path, max_bytes=0)
    with pytest.raises(TypeError, match=r"max_bytes needs an int, got str"):
        load(path, max_bytes="1e6")  # type: ignore[arg-type]


def test_a_file_that_grows_after_its_size_was_read_is_still_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.json"
    save(MLP(2, [3, 1], seed=0), path)
    real_fstat = os.fstat

    def small(fd: int) -> Any:  # what fstat said before the file grew
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 10, *info[7:]))

    monkeypatch.setattr(os, "fstat", small)
    with pytest.raises(ModelFileError, match="has grown, more than max_bytes=100"):
        load(path, max_bytes=100)


@pytest.mark.deep
def test_the_reports_3_million_item_config_makes_a_short_message(tmp_path: Path) -> None:
    """It made a 25.9 MB ModelFileError (the quick test below uses 100,000 items)."""
    path = _write(tmp_path / "m.json",
                  _document(architecture={"class": "MLP", "config": list(range(3_000_000))}))
    with pytest.raises(ModelFileError, match=r"got list \[0, 1, 2, 3, 4, 5, \.\.\.\]$") as info:
        load(path)
    assert len(str(info.value)) < 700


def test_values_from_a_file_are_shortened_in_messages(tmp_path: Path) -> None:
    """Every value a message echoes goes through one bounded preview."""
    path = tmp_path / "m.json"
    big = list(range(100_000))
    names = MLP(2, [3, 1], seed=0).state_dict()
    last = list(names)[-1]
    cases = [
        (_document(architecture={"class": "MLP", "config": big}), "must be an object"),
        (_document(architecture={"class": "MLP" * 10**6, "config": {}}), "unknown module class"),
        (_document(architecture={"class": "Sequential", "config": {"steps": {"x": big}}}),
         "a Sequential config is"),
        ({**_document(), "format": "x" * 10**6}, "not a chainrule model file"),
        ({**_document(), "version": big}, "format version must be an int"),
        ({**_document(), "extra" * 10**5: 1}, "unexpected keys"),
        (_document(parameters={("w" * 10**6 if k == last else k): v for k, v in names.items()}),
         "unexpected 1 name"),
        (_document(parameters={**names, last: big}), "must be a real number"),
        (_document(architecture={"class": "MLP", "config": {"nin": 2, "nouts": [3, 1],
                                                            "bias": big}}), "bias"),
    ]
    for document, match in cases:
        _write(path, document)
        for call in (lambda: load(path), lambda: load_into(MLP(2, [3, 1], seed=0), path)):
            with pytest.raises(ModelFileError) as info:
                call()
            assert len(str(info.value)) < 700, (match, len(str(info.value)))
        assert match in str(info.value)


def test_load_into_describes_a_different_architecture_briefly(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    _write(path, _document(architecture={"class": "MLP", "config": {
        "nin": 2, "nouts": list(range(1, 10**5)), **{f"k{i}": i for i in range(100)}}}))
    with pytest.raises(ModelFileError, match=r"holds a different architecture: MLP\(nin=2, "
                                             r"nouts=\[1, 2, 3, 4, 5, 6, \.\.\.\].*\(94 more\)"
                       ) as info:
        load_into(MLP(2, [3, 1], seed=0), path)
    assert len(str(info.value)) < 700


def test_saving_a_value_stored_in_data_is_refused_with_the_fix(tmp_path: Path) -> None:
    """It used to fail late, inside json, with 'Object of type Value is not JSON serializable'."""
    model = MLP(2, [3, 1], seed=0)
    p = model.layers[0].neurons[0].w[1]
    p.data = p - 0.1 * p.grad  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"save: layers\.0\.neurons\.0\.w1\.data holds a Value.*"
                                        r"`w\.data -= lr \* w\.grad`"):
        save(model, tmp_path / "m.json")
    assert not any(tmp_path.iterdir())
