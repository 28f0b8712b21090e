"""`python -m refimpl NOTEBOOK.ipynb` (refimpl.notebook), and `KERAS_HOME` read when used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat import v4

from keras_docs_base import notebook_cells

ROOT = Path(__file__).resolve().parents[1]


def _run_notebook(path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "refimpl", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_a_notebook_runs_to_the_end_or_names_its_failing_cell(tmp_path):
    (tmp_path / "numbers.txt").write_text("3\n4\n", encoding="utf-8")
    cells = [
        v4.new_markdown_cell("# A lesson"),
        # As in a kernel: the notebook's folder is the working directory.
        v4.new_code_cell(
            "%matplotlib inline\nimport keras\nsizes = [int(n) for n in open('numbers.txt')]"
        ),
        v4.new_code_cell(
            "model = keras.models.Sequential([keras.layers.Dense(sizes[1], "
            "input_dim=sizes[0])])\nassert model.count_params() == 16"
        ),
    ]
    nbformat.write(v4.new_notebook(cells=cells), str(tmp_path / "good.ipynb"))
    cells += [
        v4.new_code_cell("model.sumary()"),
        v4.new_code_cell("raise SystemExit('not reached')"),
    ]
    nbformat.write(v4.new_notebook(cells=cells), str(tmp_path / "broken.ipynb"))

    good = _run_notebook(tmp_path / "good.ipynb")
    assert good.returncode == 0, good.stderr[-3000:]
    if not notebook_cells.ipython_installed():  # else IPython runs the magic
        assert "cell 2, line 1: `%matplotlib inline` is IPython syntax, not run" in good.stderr
    assert "2 code cells ran" in good.stderr

    broken = _run_notebook(tmp_path / "broken.ipynb")
    assert broken.returncode == 1
    assert "broken.ipynb: cell 4 failed: model.sumary()\n  AttributeError:" in broken.stderr
    assert 'File "broken.ipynb, cell 4", line 1' in broken.stderr
    assert "not reached" not in broken.stderr


def test_get_file_reads_keras_home_as_set_when_it_is_called(tmp_path, monkeypatch):
    import refimpl

    keras = refimpl.install()
    try:
        (tmp_path / "datasets").mkdir()
        (tmp_path / "datasets" / "lesson.csv").write_text("1,2\n", encoding="utf-8")
        monkeypatch.setenv("KERAS_HOME", str(tmp_path))
        # The origin cannot be reached: the file must come from the cache.
        path = keras.utils.get_file("lesson.csv", origin="http://invalid.invalid/lesson.csv")
        assert Path(path) == tmp_path / "datasets" / "lesson.csv"
    finally:
        refimpl.uninstall()
