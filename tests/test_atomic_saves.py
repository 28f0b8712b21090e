"""A failed or interrupted save never destroys the model that was saved before.

Two ways of breaking a save, each tried at every point it can be tried:

- a fault (`OSError`, as from a full disk) injected at the k-th write call that the
  save makes (h5py's datasets, groups and attributes; zipfile's members), for every k
  until the save makes fewer calls than k: the old file must stay byte for byte and no
  temporary file may remain;
- a process killed with SIGKILL at random moments of a save loop
  (`tests/scripts/kill_during_save.py`, 50 kills): the file must always load as one of
  the two models it was being saved as.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import refimpl
from keras_docs_base import files

ROOT = Path(__file__).resolve().parents[1]
KILLER = ROOT / "tests" / "scripts" / "kill_during_save.py"

#: The calls through which a save writes, by library: each may fail.
WRITE_CALLS = [
    (h5py.Group, "create_dataset"),
    (h5py.Group, "create_group"),
    (h5py.AttributeManager, "__setitem__"),
    (zipfile.ZipFile, "writestr"),
    (zipfile.ZipFile, "open"),
]


class InjectedFault(OSError):
    """The fault the test injects (an OSError, as a full disk raises)."""


def _model(value: float):
    model = refimpl.models.Sequential([refimpl.layers.Dense(3, input_dim=2),
                                       refimpl.layers.Dense(1)])  # fmt: skip
    model.set_weights([np.full(w.shape, value, "float32") for w in model.get_weights()])
    model.compile("adam", "mse")
    return model


def _fail_at(monkeypatch, k: int) -> list[int]:
    """Make the k-th write call raise; returns the running count of calls."""
    count = [0]
    for owner, name in WRITE_CALLS:
        original = getattr(owner, name)

        def failing(*args, _original=original, **kwargs):
            count[0] += 1
            if count[0] == k:
                raise InjectedFault(f"injected fault at write call {k}: no space left")
            return _original(*args, **kwargs)

        monkeypatch.setattr(owner, name, failing)
    return count


SAVES = {
    "model-h5": ("m.h5", lambda model, path: model.save(path)),
    "model-keras": ("m.keras", lambda model, path: model.save(path)),
    "weights-h5": ("w.h5", lambda model, path: model.save_weights(path)),
    "weights-keras3": ("w.weights.h5", lambda model, path: model.save_weights(path)),
}


@pytest.mark.parametrize("kind", sorted(SAVES))
def test_a_fault_at_any_write_leaves_the_old_file_untouched(tmp_path, kind):
    name, save = SAVES[kind]
    path = tmp_path / name
    save(_model(0.5), path)
    old = path.read_bytes()
    new_model, faults = _model(-1.5), 0
    for k in range(1, 10_000):
        with pytest.MonkeyPatch.context() as monkeypatch:
            count = _fail_at(monkeypatch, k)
            try:
                save(new_model, path)
            except InjectedFault:
                faults += 1
            else:
                assert count[0] < k, "the save swallowed the injected fault"
                break
        assert path.read_bytes() == old, f"write call {k} failed and changed the file"
        assert sorted(p.name for p in tmp_path.iterdir()) == [name], "a temporary file remains"
    assert faults >= 3, f"the save made only {faults} write calls: the patch missed them"
    assert path.read_bytes() != old  # the last, unbroken save replaced it


def test_an_atomic_write_replaces_or_keeps(tmp_path):
    target = tmp_path / "page.md"
    files.write_text(target, "old")
    with pytest.raises(RuntimeError), files.replace_atomically(target) as temporary:
        Path(temporary).write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["page.md"]
    files.write_text(target, "new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["page.md"]


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_a_save_killed_at_random_moments_always_leaves_a_loadable_model(tmp_path, suffix):
    done = subprocess.run(
        [sys.executable, str(KILLER), str(tmp_path), "25", suffix],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(outcomes) == 25
    lost = [o for o in outcomes if o["loaded_as"] not in ("A", "B")]
    assert lost == [], f"{len(lost)} of 25 kills left a file that is neither model"
    assert {o["loaded_as"] for o in outcomes} == {"A", "B"}  # the loop was really saving
    assert any(o["killed_mid_save"] for o in outcomes), "no kill landed inside a save"
