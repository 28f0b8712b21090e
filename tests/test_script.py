"""Unmodified Keras 2 scripts give Keras 2's numbers under `python -m refimpl`.

Each script of `tests/scripts/` runs twice, each time in a fresh process: once as
`python -m refimpl keras2_script.py out.json`, and once with `keras` aliased to Keras
2's own package, tf_keras (with `keras.optimizers.SGD` mapped to tf_keras's legacy SGD,
the Keras 2 optimizer that still takes `decay`). The scripts seed everything, start
from weights drawn with NumPy and do not shuffle, so the two runs must agree.

- `keras2_script.py`: a 2018-style training script (generators, HDF5, SGD with decay).
- `keras2_programs.py`: the idioms of Keras 2 programs in the wild (NumPy integers as
  sizes, a variational autoencoder's `add_loss`/`add_metric`, `from_config`, a model
  used as a layer, `ImageDataGenerator` with `fit_generator`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "scripts" / "keras2_script.py"
PROGRAMS = ROOT / "tests" / "scripts" / "keras2_programs.py"

#: Runs the script with `import keras` meaning tf_keras, as a Keras 2 user had it.
TF_KERAS_RUNNER = """
import os, runpy, sys
import tf_keras
from keras_docs_base.alias import KerasAlias

script, out = sys.argv[1], sys.argv[2]
with KerasAlias("tf_keras"):
    import keras.optimizers
    # tf_keras's current SGD rejects Keras 2's `decay`; its legacy SGD is Keras 2's.
    keras.optimizers.SGD = tf_keras.optimizers.legacy.SGD
    sys.argv = [script, out]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
"""


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
        "PYTHONHASHSEED": "0",
    }
    completed = subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed


def run_on_both(script: Path, workdir: Path) -> dict[str, dict]:
    """The script's JSON results (and its output) on refimpl and on tf_keras."""
    results = {}
    for name, arguments in {
        "refimpl": ["-m", "refimpl", str(script)],
        "tf_keras": ["-c", TF_KERAS_RUNNER, str(script)],
    }.items():
        out = workdir / f"{name}.json"
        completed = _run([*arguments, str(out)], cwd=workdir)
        result = json.loads(out.read_text())
        result["stdout"] = completed.stdout
        results[name] = result
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    # Run from another directory: the script must find its own directory on sys.path.
    return run_on_both(SCRIPT, tmp_path_factory.mktemp("keras2_script"))


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> dict[str, dict]:
    return run_on_both(PROGRAMS, tmp_path_factory.mktemp("keras2_programs"))


def test_keras2_idioms_give_keras2_numbers(programs):
    ours, theirs = programs["refimpl"], programs["tf_keras"]
    assert (ours["keras"], theirs["keras"]) == ("refimpl", "tf_keras")
    for key in ("numpy_int_loss", "vae_loss", "vae_kl", "vae_evaluate"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-4, abs=1e-6), key
    assert ours["vae_kl"][-1] < ours["vae_kl"][0]  # the KL term's own layers train
    for key in ("from_config_same_predictions", "second_input_is_right", "nodes"):
        assert ours[key] == theirs[key], key
    # Augmentation draws from NumPy's global generator: it trains, not bit for bit.
    assert len(ours["generator_loss"]) == 2 and all(v > 0 for v in ours["generator_loss"])


def test_each_run_used_the_implementation_it_was_given(runs):
    assert runs["refimpl"]["keras"] == "refimpl"
    assert runs["tf_keras"]["keras"] == "tf_keras"


def test_final_loss_is_printed_and_agrees_with_keras2(runs):
    printed = {}
    for name, result in runs.items():
        lines = [line for line in result["stdout"].splitlines() if line.startswith("FINAL_LOSS=")]
        assert len(lines) == 1, result["stdout"]
        printed[name] = float(lines[0].split("=", 1)[1])
        assert printed[name] == pytest.approx(result["final_loss"], abs=1e-6)
    assert printed["refimpl"] == pytest.approx(printed["tf_keras"], rel=1e-4)


def test_training_history_and_loaded_models_agree_with_keras2(runs):
    ours, theirs = runs["refimpl"], runs["tf_keras"]
    assert ours["history_loss"] == pytest.approx(theirs["history_loss"], rel=1e-4)
    # It learns: the guide's SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True).
    assert ours["history_loss"][-1] < ours["history_loss"][0]
    for key in ("final_loss", "functional_loss", "resumed_loss"):
        assert ours[key] == pytest.approx(theirs[key], rel=1e-4), key
    for key in ("final_acc", "functional_acc"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-6), key
    # `K.get_value(model.optimizer.lr)` reads the base rate, as Keras 2's did.
    assert ours["learning_rate"] == pytest.approx(theirs["learning_rate"]) == pytest.approx(0.01)


def test_script_directory_comes_first_on_sys_path(runs):
    # As with `python keras2_script.py`, whatever the current directory.
    assert runs["refimpl"]["script_dir"] == str(SCRIPT.parent)
    assert runs["tf_keras"]["script_dir"] == str(SCRIPT.parent)


def test_usage(capsys):
    from refimpl.__main__ import main

    assert main([]) == 2
    assert "usage: python -m refimpl SCRIPT.py" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "usage:" in capsys.readouterr().out
