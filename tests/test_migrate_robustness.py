"""`refimpl migrate` on documents it did not expect: random Markdown with random fences,
bodies and bytes never makes it raise; it ends with its summary line and an exit status
of 0, 1 or 2, and writing twice changes nothing more."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refimpl import migrate

#: Code a Keras 2 guide holds, some of it what the tool rewrites.
KERAS2_LINES = [
    "model.fit(x, y, nb_epoch=3)",
    "from keras.layers import Convolution2D",
    "model.add(Dense(output_dim=3, init='uniform'))",
    "model.save_weights('w.h5')",
    "model.fit_generator(gen(), 10, workers=2)",
    "f = K.function([model.input, K.learning_phase()], [model.output])",
    "yaml_string = model.to_yaml()",
    "opt = SGD(lr=0.1, decay=1e-6)",
    "for i in range(3):",
    "    print(i)",
    "def f(x):",
    "\treturn x",
    "\u00a0\u00a0\u00a0\u00a0return x",
    ">>> model.summary()",
    "@article{keras, title={Keras}}",
    ">> AssertionError: expected",
    "$ pip install keras",
    "print('unclosed",
]
INFO_STRINGS = ["python", "py", "python3", "Python", "", "text", "pycon", "python {.x}", "py3"]
NEWLINES = ["\n", "\r\n", "\r"]

lines = st.one_of(
    st.sampled_from(KERAS2_LINES),
    st.text(alphabet=string.printable + "\u00a0\u3000\u2003\t（）：，", max_size=40),
    st.text(max_size=20),
)
blocks = st.builds(
    lambda info, body, close, newline: newline.join([f"```{info}", *body, "```" if close else ""]),
    st.sampled_from(INFO_STRINGS) | st.text(max_size=8),
    st.lists(lines, max_size=8),
    st.booleans(),
    st.sampled_from(NEWLINES),
)
documents = st.lists(st.one_of(lines, blocks), max_size=8).map("\n".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=documents)
def test_any_markdown_text_is_migrated_or_left_without_raising(text):
    result = migrate.migrate_markdown(text)
    assert isinstance(result.source, str)
    again = migrate.migrate_markdown(result.source)
    assert again.source == result.source


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    pages=st.lists(
        st.one_of(documents.map(lambda t: t.encode("utf-8")), st.binary(max_size=200)),
        min_size=1,
        max_size=3,
    ),
    tabs=st.booleans(),
)
def test_the_command_never_raises_on_a_folder_of_random_files(tmp_path_factory, pages, tabs):
    folder = tmp_path_factory.mktemp("docs")
    for index, data in enumerate(pages):
        (folder / f"page{index}.md").write_bytes(data)
    (folder / "script.py").write_bytes(pages[0])
    for mode in ("--check", "--write", "--write"):
        status = migrate.main([mode, *(["--tabs"] if tabs else []), str(folder)])
        assert status in (0, 1, 2)
    # once written, a second run has nothing left to change
    assert migrate.main(["--check", *(["--tabs"] if tabs else []), str(folder)]) in (0, 1, 2)


@pytest.mark.parametrize(
    "data, where, status",
    [
        (
            b"Cite:\n\n```python\n@article{keras, title={Keras}}\n```\n",
            ":4: left as it is: a BibTeX",
            1,
        ),
        (b"```python\nx = 1\n>>> x = 1\n```\n", ":3: left as it is: a >>> prompt session", 1),
        (b"```python\n>> AssertionError: no\n```\n", ":2: left as it is: the output of", 1),
        (b"```py\nfor i in x:\n\xc2\xa0\xc2\xa0print(i)\n```\n", ": changed: line 2: no-break", 1),
        (b"\xff\xfe\x00broken", ": cannot be read (UnicodeDecodeError", 2),
    ],
)
def test_a_block_or_file_left_alone_is_reported_with_its_place(
    tmp_path, capsys, data, where, status
):
    page = tmp_path / "guide.md"
    page.write_bytes(data)
    (tmp_path / "fine.md").write_text("```python\nmodel.fit(x, y, nb_epoch=1)\n```\n")
    assert migrate.main(["--check", str(tmp_path)]) == status
    err = capsys.readouterr().err
    assert f"{page}{where}" in err, err
    assert "2 file(s): " in err.splitlines()[-1]  # the run went on to the summary


def test_windows_line_endings_are_kept(tmp_path):
    page = tmp_path / "guide.md"
    page.write_bytes(b"Text\r\n\r\n```python\r\nmodel.fit(x, y, nb_epoch=1)\r\n```\r\n")
    assert migrate.main(["--write", str(page)]) == 1
    assert page.read_bytes() == (b"Text\r\n\r\n```python\r\nmodel.fit(x, y, epochs=1)\r\n```\r\n")


def test_a_folder_of_mixed_partly_broken_files(tmp_path, capsys):
    """Markdown, notebooks and Python, some broken: every skip is reported, the readable
    files are migrated, and the summary counts them all."""
    (tmp_path / "guide.md").write_text(
        "```python\nmodel.fit(x, y, nb_epoch=1)\n```\n\n```python\n$ pip install keras\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "copied.py").write_text("if True:\n\u00a0\u00a0x = SGD(lr=0.1)\n", encoding="utf-8")
    (tmp_path / "notes.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "source": ">>> 1 + 1", "metadata": {},'
        ' "outputs": [], "execution_count": null}], "metadata": {}, "nbformat": 4,'
        ' "nbformat_minor": 5}',
        encoding="utf-8",
    )
    (tmp_path / "broken.ipynb").write_text("not json", encoding="utf-8")
    assert migrate.main(["--write", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'guide.md'}:6: left as it is: a shell session" in err
    assert f"{tmp_path / 'notes.ipynb'}:1: left as it is: cell 1: a >>> prompt session" in err
    assert f"{tmp_path / 'copied.py'}: changed: no-break space (U+00A0) in indentation" in err
    assert f"{tmp_path / 'broken.ipynb'}: cannot be read" in err
    assert err.splitlines()[-1] == (
        "4 file(s): 2 migrated, 0 with flags, 2 block(s) left as they were, 1 unreadable"
    )
    assert (tmp_path / "copied.py").read_text() == "if True:\n  x = SGD(learning_rate=0.1)\n"
