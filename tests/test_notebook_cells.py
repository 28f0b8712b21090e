"""A notebook's code cells as Python (keras_docs_base.notebook_cells), without IPython."""

from __future__ import annotations

import nbformat
import pytest
from nbformat import v4

from keras_docs_base import notebook_cells


def test_ipython_lines_become_pass_with_a_note_each_and_keep_their_place():
    source = "import os\n%time x = 1\nfiles = !ls\nif True:\n    !echo hi\nos.path?\ny = 2\n"
    cell = notebook_cells.translate(source, number=4, ipython=False)
    assert cell.python == "import os\npass\npass\nif True:\n    pass\npass\ny = 2\n"
    assert [note.split(":")[0] for note in cell.notes] == ["line 2", "line 3", "line 5", "line 6"]
    assert "`files = !ls` is IPython syntax, not run" in cell.notes[1]
    namespace = {}
    exec(cell.python, namespace)
    assert namespace["y"] == 2


def test_a_cell_magic_leaves_out_the_whole_cell():
    cell = notebook_cells.translate("\n%%time\nx = 1\n", number=1, ipython=False)
    assert cell.python == ""
    assert cell.notes == (
        "line 2: `%%time` is a cell magic, the whole cell is not run (IPython is not installed)",
    )


def test_lines_inside_a_triple_quoted_string_are_not_ipython_syntax():
    source = 'text = """\n!not a shell line\n%not a magic\n"""\n'
    cell = notebook_cells.translate(source, number=1, ipython=False)
    assert cell.python == source and cell.notes == ()


def test_read_numbers_code_cells_among_all_cells(tmp_path):
    book = v4.new_notebook(cells=[
        v4.new_markdown_cell("# Title"), v4.new_code_cell("a = 1"),
        v4.new_markdown_cell("prose"), v4.new_code_cell("b = a + 1\n!pip install x"),
    ])  # fmt: skip
    path = tmp_path / "lesson.ipynb"
    nbformat.write(book, str(path))
    cells = notebook_cells.read(path, ipython=False)
    assert [(c.number, c.first_line) for c in cells] == [(2, "a = 1"), (4, "b = a + 1")]
    assert cells[1].python == "b = a + 1\npass"


def test_a_file_that_is_not_a_notebook_is_named_with_what_was_expected(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(notebook_cells.NotebookError, match="broken.ipynb: expected a Jupyter"):
        notebook_cells.read(path)
