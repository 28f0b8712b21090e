"""`refimpl migrate`'s front-end for Jupyter notebooks (`.ipynb`, read and written with
nbformat): each code cell is migrated as a block of a page is (the cells share one
namespace, as the kernel does); Markdown and raw cells, outputs, execution counts and
metadata stay as they were. What the tool leaves to do by hand is a `# keras-migrate:`
comment in the cell; IPython's magics (`%matplotlib inline`, `!pip install ...`) are
kept as they are around the migrated code.

>>> text = nbformat.writes(nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_code_cell("model.fit(x, y, nb_epoch=3)")]))
>>> nbformat.reads(migrate_notebook(text).source, 4).cells[0].source
'model.fit(x, y, epochs=3)'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

import nbformat

from refimpl.migrate.python_source import Result, Skipped, migrate_code
from refimpl.migrate.transform import Knowledge
from refimpl.migrate.weights_files import document_weights_files

#: A line IPython reads and Python does not: a magic (`%`, `%%`), a shell escape (`!`),
#: a help request (`?x`, `x?`).
MAGIC = re.compile(r"^[ \t]*(%|!|\?)|\?[ \t]*$")
#: The statement a magic line stands as while the cell is migrated.
_STAND_IN = "pass  # keras-migrate magic {}"
_STAND_IN_LINE = re.compile(r"^([ \t]*)pass  # keras-migrate magic (\d+)$", re.M)


def migrate_notebook(text: str, known: Knowledge | None = None) -> Result:
    """Every code cell of a notebook's text migrated (see the module); the text itself
    when nothing changes. A cell that is not Python is reported in `skipped` (its line
    within the cell, the reason naming the cell)."""
    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    known = known or Knowledge()
    cells = [(i, c) for i, c in enumerate(notebook.cells) if c.get("cell_type") == "code"]
    masked = {i: mask_magics(_text(c.get("source", ""))) for i, c in cells}
    document_weights_files([masked[i][0] for i, _ in cells], known)
    flags, notes, skipped, changed = [], [], [], False
    for index, cell in cells:
        code, magics = masked[index]
        result = migrate_code(code, known)
        flags.extend(result.flags)
        notes.extend(f"cell {index + 1}: {note}" for note in result.notes)
        skipped.extend(Skipped(s.line, f"cell {index + 1}: {s.reason}") for s in result.skipped)
        source = unmask_magics(result.source, magics)
        if source != _text(cell.get("source", "")):
            cell["source"] = source
            changed = True
    out = nbformat.writes(notebook) + "\n" if changed else text
    return Result(out, tuple(dict.fromkeys(flags)), tuple(dict.fromkeys(notes)), tuple(skipped))


def _text(source: str | list[str]) -> str:
    """A cell's source: nbformat gives a string, the raw JSON may hold a list of lines."""
    return source if isinstance(source, str) else "".join(source)


def code_cells(text: str) -> list[tuple[int, str]]:
    """(index, source) of each code cell of a notebook's text."""
    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    return [
        (i, _text(c.get("source", "")))
        for i, c in enumerate(notebook.cells)
        if c.get("cell_type") == "code"
    ]


def mask_magics(source: str) -> tuple[str, list[str]]:
    """The cell with each magic line replaced by a stand-in statement, and the lines."""
    lines, magics = source.split("\n"), []
    for index, line in enumerate(lines):
        if MAGIC.search(line):
            indent = re.match(r"[ \t]*", line).group(0)
            lines[index] = indent + _STAND_IN.format(len(magics))
            magics.append(line)
    return "\n".join(lines), magics


def unmask_magics(source: str, magics: list[str]) -> str:
    return _STAND_IN_LINE.sub(lambda m: magics[int(m.group(2))], source)


def cell_diff(before: str, after: str, path: str) -> Iterator[str]:
    """A unified diff per code cell that changed, each headed by the cell's number."""
    old, new = dict(code_cells(before)), dict(code_cells(after))
    for index in sorted(old):
        if old[index] == new.get(index, old[index]):
            continue
        yield from difflib.unified_diff(
            _lines(old[index]),
            _lines(new[index]),
            f"a/{path} (cell {index + 1})",
            f"b/{path} (cell {index + 1})",
        )


def _lines(source: str) -> list[str]:
    """A cell's lines, each ending with a newline (a cell's last line has none)."""
    return [line + "\n" for line in source.split("\n")]
