"""`refimpl migrate` on Jupyter notebooks: code cells migrated, everything else (Markdown
cells, outputs, execution counts, metadata, IPython magics) kept; flags as comments in
the cell; `--diff` one diff per changed cell."""

from __future__ import annotations

import nbformat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refimpl import migrate

OUTPUT = nbformat.v4.new_output("stream", name="stdout", text="Epoch 1/3\n")


def _notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Train with `nb_epoch=3`, as Keras 1 said."),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\nfrom keras.models import Sequential\nmodel.fit(x, y, nb_epoch=3)",
            execution_count=4,
            outputs=[OUTPUT],
            metadata={"tags": ["train"]},
        ),
        nbformat.v4.new_code_cell("!pip install keras\nprint('no Keras here')"),
        nbformat.v4.new_code_cell("text = model.to_json()\ntoken = Tokenizer(num_words=10)"),
    ]
    return notebook


def test_code_cells_are_migrated_and_the_rest_kept():
    before = _notebook()
    result = migrate.migrate_notebook(nbformat.writes(before))
    after = nbformat.reads(result.source, as_version=4)
    assert after.cells[1].source == (
        "%matplotlib inline\nfrom keras.models import Sequential\nmodel.fit(x, y, epochs=3)"
    )
    assert after.cells[1].outputs == before.cells[1].outputs
    assert after.cells[1].execution_count == 4
    assert after.cells[1].metadata == {"tags": ["train"]}
    assert after.cells[0] == before.cells[0] and after.cells[2] == before.cells[2]
    assert after.metadata == before.metadata
    # what Keras 3 lacks is a comment in its cell
    assert "# keras-migrate: Keras 3 has no Tokenizer" in after.cells[3].source
    assert [flag.kind for flag in result.flags] == ["tokenizer"]
    nbformat.validate(after)


def test_a_notebook_with_nothing_to_change_is_left_byte_for_byte():
    text = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    assert migrate.migrate_notebook(text).source == text


def test_the_diff_is_one_per_changed_cell(tmp_path, capsys):
    path = tmp_path / "guide.ipynb"
    path.write_text(nbformat.writes(_notebook()), encoding="utf-8")
    assert migrate.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"--- a/{path} (cell 2)\n+++ b/{path} (cell 2)\n" in out
    assert "-model.fit(x, y, nb_epoch=3)\n+model.fit(x, y, epochs=3)" in out
    assert "(cell 3)" not in out  # unchanged
    assert migrate.main(["--write", str(path)]) == 1
    assert migrate.main(["--check", str(path)]) == 1  # the Tokenizer flag stays
    assert "nb_epoch" not in nbformat.read(path, as_version=4).cells[1].source


def test_a_broken_notebook_is_reported_and_the_run_goes_on(tmp_path, capsys):
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "train.py").write_text("model.fit(x, y, nb_epoch=3)\n", encoding="utf-8")
    assert migrate.main(["--write", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.ipynb: cannot be read" in err
    assert (tmp_path / "train.py").read_text() == "model.fit(x, y, epochs=3)\n"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources=st.lists(st.text(max_size=60), max_size=4))
def test_random_cells_never_make_it_raise(sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    result = migrate.migrate_notebook(nbformat.writes(notebook))
    assert len(nbformat.reads(result.source, as_version=4).cells) == len(sources)
