"""A Jupyter notebook's code cells as the Python a kernel would run, in order.

`read(path)` reads a notebook with `nbformat` (any version it can upgrade to 4) and
returns its code cells, each with its number (its position among all the notebook's
cells, from 1, as notebook editors count them), its source as written, and the Python
that runs in its place.

A cell may hold IPython syntax that is not Python: line magics (`%matplotlib inline`),
cell magics (`%%time` on the first line), shell escapes (`!pip install keras`, `files =
!ls`) and help (`model.fit?`). When IPython is installed, its own input transformer
turns them into calls of `get_ipython()`, which `bind_ipython(namespace)` provides, so
they run as in a kernel. Without IPython, each such line is replaced by `pass` (a
cell magic: the whole cell is left out), keeping every other line where it was, and
the cell carries one note per line saying what was not run.

Both `python -m refimpl NOTEBOOK.ipynb` and the conformance suite's `--keras-docs` read
notebooks through this module, so a cell means the same thing to both.

Example:

>>> cell = translate("%matplotlib inline\\nimport math\\n", number=1, ipython=False)
>>> print(cell.python)
pass
import math
<BLANKLINE>
>>> cell.notes
('line 1: `%matplotlib inline` is IPython syntax, not run (IPython is not installed)',)
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: A line that only IPython understands, once its indentation is removed: a magic or a
#: shell escape, the same assigned to names (`out = !ls`), or a request for help.
_IPYTHON_LINE = re.compile(
    r"""^(?:
        [%!]                               # %magic, !shell
      | [\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!] # names = %magic / !shell
      | \?{1,2}[\w.]                        # ?name, ??name
      | [\w.]+\?{1,2}\s*$                   # name?, name??
    )""",
    re.VERBOSE,
)
_TRIPLE_QUOTE = re.compile(r"\"\"\"|'''")


@dataclass(frozen=True)
class Cell:
    """One code cell: where it is, what it says, what runs, and what did not."""

    number: int  # its position among all the notebook's cells, from 1
    source: str  # the cell as written
    python: str  # the Python that runs in its place
    notes: tuple[str, ...] = ()  # one line per piece of IPython syntax that is not run

    @property
    def first_line(self) -> str:
        """The cell's first non-blank line, to name it in messages."""
        return next((line.strip() for line in self.source.splitlines() if line.strip()), "")


class NotebookError(ValueError):
    """A file that is not a notebook nbformat can read (the message says why)."""


def ipython_installed() -> bool:
    return importlib.util.find_spec("IPython") is not None


def translate(source: str, number: int, ipython: bool | None = None) -> Cell:
    """The cell `source`, numbered `number`, with its IPython syntax translated by IPython
    (`ipython=True`, the default when it is installed) or left out with notes."""
    if ipython is None:
        ipython = ipython_installed()
    if ipython:
        from IPython.core.inputtransformer2 import TransformerManager

        return Cell(number, source, TransformerManager().transform_cell(source))
    lines, notes = source.splitlines(keepends=True), []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()
        note = f"line {first + 1}: `{magic}` is a cell magic, the whole cell is not run"
        return Cell(number, source, "", (note + " (IPython is not installed)",))
    in_string = False  # inside a triple-quoted string: nothing there is IPython syntax
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not in_string and _IPYTHON_LINE.match(stripped):
            indent = line[: len(line) - len(line.lstrip())]
            lines[index] = indent + "pass" + ("\n" if line.endswith("\n") else "")
            notes.append(
                f"line {index + 1}: `{stripped}` is IPython syntax, not run "
                "(IPython is not installed)"
            )
        if len(_TRIPLE_QUOTE.findall(line)) % 2:
            in_string = not in_string
    return Cell(number, source, "".join(lines), tuple(notes))


def read(path: str | Path, ipython: bool | None = None) -> list[Cell]:
    """The code cells of the notebook at `path`, in order (see `translate`)."""
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds; all mean this
        raise NotebookError(
            f"{path}: expected a Jupyter notebook (nbformat 4 JSON or older), "
            f"but nbformat could not read it: {type(error).__name__}: {error}"
        ) from None
    return [
        translate(cell.source, number, ipython)
        for number, cell in enumerate(notebook.cells, 1)
        if cell.cell_type == "code"
    ]


def bind_ipython(namespace: dict[str, Any]) -> None:
    """Give `namespace` the `get_ipython()` translated cells call, with IPython's shell
    reading and writing that namespace (`%timeit model.predict(x)` needs `model`); does
    nothing when IPython is not installed."""
    if not ipython_installed():
        return
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    # Magics evaluate their code in the shell's user namespace: make it the document's.
    shell.user_ns = namespace
    namespace["get_ipython"] = lambda: shell
