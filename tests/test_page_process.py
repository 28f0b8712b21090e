"""Each documentation page runs in a forked child (conformance/page_process.py).

Every test runs pytest in a subprocess on small pages written to a temporary folder,
with the standard library's `json` standing in for `keras` so that no test waits for
TensorFlow to import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = """
from pathlib import Path

from conformance import implementations
from conformance.docblocks import make_sybil

pytest_plugins = ["conformance.pytest_plugin", "conformance.page_process"]
pytest_collect_file = make_sybil(
    lambda: implementations.activate(implementations.resolve()), path=str(Path(__file__).parent)
).pytest()
"""


def record_pid(page: str) -> str:
    """A block that records which process ran `page`, in the file named by $PIDS."""
    return f"""
```python
import os
with open(os.environ["PIDS"], "a") as out:
    out.write(f"{page} {{os.getpid()}}\\n")
```
"""


PAGES = {
    "a.md": record_pid("a.md")
    + """
```python
x = 41
```

```python
import warnings
warnings.warn("a warning from a block")
assert x + 1 == 42
```
""",
    "b.md": record_pid("b.md")
    + """
```python
assert x == 41, "pages do not share a namespace"
```
""",
}


def run_pages(tmp_path: Path, pages: dict[str, str], *args: str) -> tuple[int, str, list]:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    for name, text in pages.items():
        (tmp_path / name).write_text(text)
    pids = tmp_path / "pids.txt"
    env = {**os.environ, "PIDS": str(pids), "PYTHONPATH": str(ROOT), "KERAS_IMPL": "json"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-W", "default",
         "--rootdir", str(tmp_path), *args],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    records = [line.split() for line in pids.read_text().splitlines()] if pids.exists() else []
    return done.returncode, done.stdout + done.stderr, records


def test_each_page_runs_in_its_own_process_and_reports_as_usual(tmp_path):
    status, output, records = run_pages(tmp_path, PAGES)
    assert status == 1, output  # b.md's block fails: its namespace is fresh
    assert "1 failed, 4 passed" in output, output
    assert "pages do not share a namespace" in output
    assert "a warning from a block" in output  # warnings come back from the child
    pids = {Path(page).name: int(pid) for page, pid in records}
    assert set(pids) == {"a.md", "b.md"}
    assert pids["a.md"] != pids["b.md"], "each page needs a process of its own"


def test_inline_runs_the_pages_in_the_test_process(tmp_path):
    status, output, records = run_pages(tmp_path, PAGES, "--page-process=inline")
    assert "1 failed, 4 passed" in output, output
    assert len({pid for _, pid in records}) == 1


def test_a_page_whose_process_dies_fails_its_remaining_blocks_and_the_run_goes_on(tmp_path):
    dying = {
        "a.md": "```python\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n```\n\n"
        "```python\nx = 1\n```\n",
        "b.md": PAGES["a.md"],
    }
    status, output, _ = run_pages(tmp_path, dying)
    assert status == 1
    assert output.count("killed by signal SIGKILL") >= 2, output  # both blocks of a.md
    assert "2 failed, 3 passed" in output, output


def test_under_xdist_reports_reach_the_controller(tmp_path):
    pytest.importorskip("xdist")
    status, output, records = run_pages(tmp_path, PAGES, "-n", "2", "--dist", "loadfile")
    assert "1 failed, 4 passed" in output, output
    assert len({pid for _, pid in records}) == 2


def test_each_warning_is_reported_once(tmp_path):
    # A page's child starts with the warnings its parent recorded for earlier pages.
    warn = "```python\nimport warnings\nwarnings.warn('from {page}')\n```\n"
    pages = {name: warn.format(page=name) for name in ("a.md", "b.md", "c.md")}
    status, output, _ = run_pages(tmp_path, pages)
    assert status == 0, output
    assert "3 passed, 3 warnings" in output, output
