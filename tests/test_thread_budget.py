"""pytest-xdist workers share the cores (conformance/thread_budget.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import thread_budget

ROOT = Path(__file__).resolve().parents[1]

#: A test file that writes the thread variables its process sees to $OUT.
PROBE = """
import json, os

def test_probe():
    names = {names!r}
    seen = {{name: os.environ.get(name) for name in names}}
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(seen) + "\\n")
"""


@pytest.mark.parametrize(
    ("cores", "workers", "threads"), [(2, 2, 1), (16, 2, 8), (2, 4, 1), (8, 3, 2), (4, 1, 4)]
)
def test_each_worker_gets_an_even_share_of_at_least_one_thread(cores, workers, threads):
    assert thread_budget.share(cores, workers) == threads


def test_apply_sets_only_what_the_environment_leaves_unset():
    environ = {"OMP_NUM_THREADS": "3"}
    chosen = thread_budget.apply(1, environ)
    assert environ["OMP_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in chosen
    assert environ["TF_NUM_INTRAOP_THREADS"] == environ["TF_NUM_INTEROP_THREADS"] == "1"


def run_probe(tmp_path: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess, list]:
    names = thread_budget.THREAD_VARIABLES
    for i in range(2):  # two files, so that both workers run one
        (tmp_path / f"test_probe{i}.py").write_text(PROBE.format(names=names))
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["conformance.thread_budget"]\n')
    out = tmp_path / "seen.jsonl"
    # Neither this process's own share nor its xdist worker variables may leak in.
    environ = {
        k: v for k, v in os.environ.items() if k not in names and not k.startswith("PYTEST_XDIST")
    }
    environ.update(OUT=str(out), PYTHONPATH=str(ROOT), **env)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         *args],
        cwd=tmp_path, capture_output=True, text=True, env=environ, timeout=300,
    )  # fmt: skip
    seen = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return done, seen


def test_xdist_workers_get_their_share_and_the_environment_wins(tmp_path):
    pytest.importorskip("xdist")
    done, seen = run_probe(tmp_path, "-n", "2", "--worker-threads=3", OMP_NUM_THREADS="5")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(seen) == 2
    for variables in seen:
        assert variables["TF_NUM_INTRAOP_THREADS"] == "3"
        assert variables["OMP_NUM_THREADS"] == "5"


def test_a_single_process_keeps_the_libraries_defaults(tmp_path):
    done, seen = run_probe(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert seen and all(value is None for value in seen[0].values())


def test_a_bad_share_is_a_usage_error(tmp_path):
    done, _ = run_probe(tmp_path, "--worker-threads=many")
    assert done.returncode == 4
    assert "--worker-threads expects 'auto' or a whole number >= 0; received 'many'" in (
        done.stderr
    )
