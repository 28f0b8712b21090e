"""Anyone's notebooks and Markdown pages as the suite's tests (`conformance.user_docs`).

Tiny documents of plain Python, run under a fake implementation (no TensorFlow), so
that the machinery is what is measured: ids by code, one test per cell or block, a
crash and a hang recorded, the setup file, and expectation files that round-trip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat import v4

from conformance import docblocks

ROOT = Path(__file__).resolve().parents[1]
#: A fake Keras that imports in no time; the documents here never call it.
IMPL = "tests.fake_impls.crashing_keras"


def _notebook(path: Path, *cells: tuple[str, str]) -> None:
    book = v4.new_notebook()
    for kind, text in cells:
        book.cells.append(v4.new_markdown_cell(text) if kind == "md" else v4.new_code_cell(text))
    nbformat.write(book, str(path))


#: The documents' code, by document: cell or block source -> its outcome.
CODE = {
    "lesson.ipynb": {"x = FROM_SETUP + 1": "passed", "!pip install x\nassert x == 43": "passed"},
    "crash.ipynb": {"import os": "passed", "os.abort()": "crashed", "print('never')": "crashed"},
    "page.md": {"y = 1\n": "passed", "print(y + undefined)\n": "failed"},
    "hang.md": {"import time\ntime.sleep(120)\n": "timeout", "after = True\n": "passed"},
}  # fmt: skip


def _documents(folder: Path) -> None:
    folder.mkdir()
    for name, code in CODE.items():
        if name.endswith(".ipynb"):
            # Prose between the cells: it counts in the cells' numbers, not in their ids.
            cells = [cell for source in code for cell in (("md", "Prose."), ("code", source))]
            _notebook(folder / name, *cells)
        else:
            blocks = "".join(f"Prose.\n\n```python\n{source}```\n\n" for source in code)
            (folder / name).write_text(blocks, encoding="utf-8")
    (folder / "test_own.py").write_text("def test_not_ours():\n    assert False\n")
    # The setup file reads a file beside the document it runs for.
    (folder / "number.txt").write_text("42\n", encoding="utf-8")
    (folder / "setup.py").write_text(
        "import os\nbeside = os.path.join(os.path.dirname(__document__), 'number.txt')\n"
        "FROM_SETUP = int(open(beside).read())\n",
        encoding="utf-8",
    )


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


def test_a_notebook_cell_is_named_by_its_code_and_numbered_by_its_place(tmp_path):
    path = tmp_path / "lesson.ipynb"
    _notebook(path, ("md", "# One"), ("code", "a = 1"), ("code", "a = 1"), ("code", "b = 2"))
    first = [(e.parsed.key, e.line) for e in docblocks.NotebookDocument.parse(str(path))]
    _notebook(path, ("md", "# One, rewritten"), ("md", "more prose"), ("code", "a = 1"),
              ("code", "a = 1"), ("code", "b = 2"))  # fmt: skip
    second = [(e.parsed.key, e.line) for e in docblocks.NotebookDocument.parse(str(path))]
    key = docblocks.block_key
    assert [k for k, _ in first] == [key("a = 1"), key("a = 1", 2), key("b = 2")]
    assert [k for k, _ in second] == [k for k, _ in first], "prose edits must keep the ids"
    assert [line for _, line in second] == [3, 4, 5]


def test_documents_run_recorded_and_their_expectations_round_trip(tmp_path):
    docs, results = tmp_path / "course", tmp_path / "results"
    _documents(docs)
    options = ["course", "--impl", IMPL, "--docs-setup", "course/setup.py",
               "--block-timeout", "3", "--results", str(results)]  # fmt: skip
    first = _run("conformance", "docs", *options, cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    recorded = json.loads((results / f"{IMPL}.json").read_text(encoding="utf-8"))
    outcomes = {t["id"]: t["outcome"] for t in recorded["tests"]}
    assert outcomes == {
        f"course/{name}::{docblocks.block_key(source)}": outcome
        for name, code in CODE.items()
        for source, outcome in code.items()
    }, "every cell and block is a test, and the course's own test file is not"

    listed = _run("conformance", "known-failures", str(results / f"{IMPL}.json"), cwd=tmp_path)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4, listed.stdout
    expected = tmp_path / "expected.txt"
    expected.write_text(listed.stdout, encoding="utf-8")
    again = _run("conformance", "docs", *options, "--known-failures", str(expected), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "5 passed, 4 known failures" in again.stdout

    # Plain pytest reads the same list: the failing block is an expected failure. Only
    # the entry point's module is named: it loads the suite's other plugins itself.
    plain = _run("pytest", "-p", "conformance.user_docs", "--keras-docs", "course/page.md",
                 "--impl", IMPL, "--known-failures", str(expected), "-q", "-p", "no:randomly",
                 "--rootdir", str(tmp_path), cwd=tmp_path)  # fmt: skip
    assert plain.returncode == 0 and "1 passed, 1 xfailed" in plain.stdout, plain.stdout

    page = tmp_path / "report.md"
    made = _run("conformance", "report", "--page", str(page), str(results / f"{IMPL}.json"),
                cwd=tmp_path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = page.read_text(encoding="utf-8")
    assert f"`{IMPL}`" in text and "`course/crash.ipynb:4`" in text


def test_a_missing_document_stops_the_run_with_what_was_expected(tmp_path):
    done = _run("conformance", "docs", "nowhere", "--impl", IMPL, cwd=tmp_path)
    assert done.returncode == 2
    assert "no such file or folder: nowhere (expected notebooks" in done.stderr
