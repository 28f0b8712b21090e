"""`python -m refimpl NOTEBOOK.ipynb`: run a Keras 2 notebook's code cells on refimpl.

The cells run in order in one namespace, as a Jupyter kernel runs them: in the
notebook's own directory (a kernel starts there, so relative paths to data beside the
notebook work), with that directory on `sys.path`, and `import keras` giving refimpl.
IPython syntax (magics, `!shell` lines) runs through IPython when it is installed;
otherwise each such line is skipped with a note (`keras_docs_base.notebook_cells`).

The first cell that raises stops the run: its traceback, then one line naming the
cell by its number (its position among all the notebook's cells, from 1) and its first
line, and the exit status is 1. A notebook that runs to the end exits with 0.

Example::

    python -m refimpl lessons/01-first-model.ipynb
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TextIO

from keras_docs_base import notebook_cells


def run(path: str | Path, out: TextIO | None = None) -> int:
    """Run the notebook at `path` in this process (refimpl installed); exit status."""
    out = out or sys.stderr
    path = Path(path)
    try:
        cells = notebook_cells.read(path)
    except (OSError, notebook_cells.NotebookError) as error:
        print(f"refimpl: {error}", file=out)
        return 2
    namespace = {"__name__": "__main__"}
    notebook_cells.bind_ipython(namespace)
    directory = str(path.resolve().parent)
    os.chdir(directory)
    sys.path.insert(0, directory)
    for cell in cells:
        for note in cell.notes:
            print(f"{path}: cell {cell.number}, {note}", file=out)
        code = compile(cell.python, f"{path.name}, cell {cell.number}", "exec")
        try:
            exec(code, namespace)  # noqa: S102 - running the notebook is the point
        except (Exception, SystemExit) as error:  # a kernel reports SystemExit too
            # The cell's frames only: the first frame is this function's `exec`.
            traceback.print_exception(type(error), error, error.__traceback__.tb_next, file=out)
            print(
                f"{path}: cell {cell.number} failed: {cell.first_line}\n"
                f"  {type(error).__name__}: {error}",
                file=out,
            )
            return 1
    print(f"{path}: {len(cells)} code cells ran", file=out)
    return 0
