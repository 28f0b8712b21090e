"""An unmodified Keras 2 script gives Keras 2's numbers under `python -m refimpl`.

`tests/scripts/keras2_script.py` runs twice, each time in a fresh process: once as
`python -m refimpl keras2_script.py out.json`, and once with `keras` aliased to Keras
2's own package, tf_keras (with `keras.optimizers.SGD` mapped to tf_keras's legacy SGD,
the Keras 2 optimizer that still takes `decay`). The script seeds everything, starts
from weights drawn with NumPy and does not shuffle, so the two runs must agree.
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

#: Runs the script with `import keras` meaning tf_keras, as a Keras 2 user had it.
TF_KERAS_RUNNER = """
import os, runpy, sys
import tf_keras
from conformance.alias import KerasAlias

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


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, dict]:
    # Run from another directory: the script must find its own directory on sys.path.
    workdir = tmp_path_factory.mktemp("keras2_script")
    results = {}
    for name, arguments in {
        "refimpl": ["-m", "refimpl", str(SCRIPT)],
        "tf_keras": ["-c", TF_KERAS_RUNNER, str(SCRIPT)],
    }.items():
        out = workdir / f"{name}.json"
        completed = _run([*arguments, str(out)], cwd=workdir)
        result = json.loads(out.read_text())
        result["stdout"] = completed.stdout
        results[name] = result
    return results


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
