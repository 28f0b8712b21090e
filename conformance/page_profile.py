"""Time and memory of each test file (each doc page), for `benchmarks/docs_suite.py`.

Set `CONFORMANCE_PAGE_PROFILE` to a file path and every pytest process of the run
(each xdist worker too) appends one JSON line per test file when its last test ends:
the file, the worker, the seconds from its first test's setup to its last teardown, the
resident memory then (MB) and the peak resident memory so far (MB) of the process that
ran the file, and the worker's own resident memory then (`worker_rss_mb`; the same
process unless the page ran in a forked child, `forked`, see `conformance.page_process`).
Unset, the hooks do nothing.

Example::

    CONFORMANCE_PAGE_PROFILE=pages.jsonl pytest docs -n 2 --dist loadfile
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest

#: The environment variable naming the JSON-lines file to append to.
ENVIRONMENT_VARIABLE = "CONFORMANCE_PAGE_PROFILE"

_started: dict[str, float] = {}


def resident_mb(pid: int | str = "self") -> float:
    """A process's resident memory now, in MB (Linux; 0 where /proc is missing)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _worker_pid(config: pytest.Config) -> int:
    """The test process: this one, or its parent in a page's forked child."""
    pages = config.pluginmanager.get_plugin("page-process")
    return os.getppid() if getattr(pages, "in_child", False) else os.getpid()


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _target() -> str:
    return os.environ.get(ENVIRONMENT_VARIABLE, "")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _target():
        _started.setdefault(str(item.path), time.perf_counter())


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    target = _target()
    if not target or (nextitem is not None and nextitem.path == item.path):
        return
    started = _started.pop(str(item.path), time.perf_counter())
    worker = _worker_pid(item.config)
    record = {
        "file": os.path.relpath(item.path, item.config.rootpath),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "seconds": round(time.perf_counter() - started, 3),
        "rss_mb": round(resident_mb(), 1),
        "peak_mb": round(peak_mb(), 1),
        "worker_rss_mb": round(resident_mb(worker), 1),
        "forked": worker != os.getpid(),
    }
    with open(target, "a", encoding="utf-8") as out:  # one short line: appends stay whole
        out.write(json.dumps(record) + "\n")
