"""Run the suite so that no implementation can stop it: one pytest process per file.

Each test file (a documentation page, whose blocks share one namespace, or a suite
module) runs in its own pytest process, `jobs` at a time. Outcomes stream into a
JSON-lines file as tests finish (`conformance.results`), so when a process dies (a
segfault or abort inside the implementation) the runner knows which case was running:
that case is "crashed", and the file's later cases, which never ran, are "crashed"
too, with a message saying why. A process that outlives its time limit (a hang that
the per-test timeout could not interrupt) is killed and its unfinished cases are
"timeout". Then the outcomes are compared with the implementation's known failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import (
    PYTEST_PLUGINS,
    __version__,
    implementations,
    known_failures,
    layout,
    pytest_plugin,
    results,
)
from keras_docs_base import files


@dataclass
class FileOutcome:
    path: str
    tests: list[dict[str, Any]]
    seconds: float
    returncode: int


def _pytest(args: list[str], env: dict[str, str], timeout: float | None = None):
    """pytest in a process of its own, rooted where the suite lies (a checkout or the
    installed package's directory), with the suite's plugins, whatever the caller's
    directory holds."""
    plugins = [arg for name in PYTEST_PLUGINS for arg in ("-p", name)]
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
               f"--rootdir={layout.BASE}", *plugins, f"--known-failures={pytest_plugin.NONE}",
               *args]  # fmt: skip
    return subprocess.run(
        command, cwd=layout.BASE, env=env, capture_output=True, text=True, timeout=timeout
    )


def collect(targets: list[str], env: dict[str, str]) -> OrderedDict[str, list[str]]:
    """File -> its tests' node ids, in collection order."""
    done = _pytest(["--collect-only", "-q", "-p", "no:xdist", *targets], env)
    by_file: OrderedDict[str, list[str]] = OrderedDict()
    for line in done.stdout.splitlines():
        if "::" in line and not line.startswith(("ERROR", "=")):
            by_file.setdefault(line.split("::", 1)[0], []).append(line.strip())
    if not by_file:
        usage = [line for line in done.stderr.splitlines() if line.startswith("ERROR: ")]
        raise CollectionError(
            usage[-1].removeprefix("ERROR: ") if usage else
            f"collection found no tests:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )  # fmt: skip
    return by_file


class CollectionError(RuntimeError):
    """The suite's tests could not be collected (the message says why)."""


def _time_limit(test_ids: list[str], case_timeout: float) -> float:
    """Seconds a process running `test_ids` may take: each test's own limit, plus a
    margin for starting the process and importing the implementation."""
    return 120 + sum(layout.time_limit(test, case_timeout) for test in test_ids)


def _run_once(
    path: str, test_ids: list[str], env: dict[str, str], case_timeout: float,
    outcomes_path: Path, whole_file: bool,
) -> tuple[dict[str, dict[str, Any]], int, bool]:  # fmt: skip
    """One pytest process over `test_ids` (or their whole file); the outcomes it wrote,
    by node id, its status, and whether it was killed."""
    limit = _time_limit(test_ids, case_timeout)
    selection = [path] if whole_file else test_ids
    args = [*selection, "-p", "no:xdist", "-p", "conformance.results",
            f"--results-jsonl={outcomes_path}", f"--timeout={case_timeout}",
            # Importing the implementation (a fixture) is bounded by the process limit.
            "-o", "timeout_func_only=true", "-q"]  # fmt: skip
    try:
        returncode, killed = _pytest(args, env, timeout=limit).returncode, False
    except subprocess.TimeoutExpired:
        returncode, killed = -9, True
    finished = {}
    if outcomes_path.exists():
        for line in outcomes_path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            finished[entry["nodeid"]] = entry
    return finished, returncode, killed


def run_file(
    path: str, test_ids: list[str], env: dict[str, str], case_timeout: float, workdir: Path
) -> FileOutcome:
    """Run one file's tests in fresh pytest processes and account for every test id.

    After a crash, the cases of a suite module that had not run yet get a new process;
    the blocks of a documentation page share one namespace, so after a crash the
    page's later blocks cannot run and are reported as such.
    """
    outcomes_path = workdir / (path.replace("/", "_") + ".jsonl")
    started, resumable = time.time(), not layout.is_doc_block(test_ids[0])
    finished: dict[str, dict[str, Any]] = {}
    remaining, returncode = list(test_ids), 0
    while remaining:
        found, returncode, killed = _run_once(
            path, remaining, env, case_timeout, outcomes_path, remaining == test_ids
        )
        finished.update(found)
        remaining = [t for t in test_ids if t not in finished]
        if not remaining:
            break
        culprit = remaining[0]
        finished[culprit] = _lost(culprit, "timeout" if killed else "crashed", (
            "the process was killed for running past its time limit" if killed
            else f"the test process ended abruptly (exit status {returncode}) during this case"
        ))  # fmt: skip
        remaining = remaining[1:]
        if not resumable:
            for test_id in remaining:
                finished[test_id] = _lost(
                    test_id, finished[culprit]["outcome"],
                    f"not run: the page's process ended during {culprit}",
                )  # fmt: skip
            break
    tests = [finished[t] for t in test_ids]
    return FileOutcome(path, tests, time.time() - started, returncode)


def _lost(nodeid: str, outcome: str, message: str) -> dict[str, Any]:
    test = layout.test_id(nodeid)
    return {"id": test, "nodeid": nodeid, "category": layout.category(test),
            "outcome": outcome, "duration": 0.0, "message": message}  # fmt: skip


def run(
    implementation: implementations.Implementation,
    info: dict[str, Any],
    targets: list[str],
    jobs: int,
    case_timeout: float,
    results_file: Path,
    expected: known_failures.KnownFailures,
) -> known_failures.Comparison:
    """Run `targets` against `implementation` (described by `info`); write
    `results_file`; compare the outcomes with `expected`.

    Raises CollectionError, or KnownFailuresError when `expected` names a test that
    its file does not have, before anything runs. The pytest processes apply no list
    (`--known-failures none`): they record each test's own outcome, and `expected`
    judges them here, once.
    """
    for line in results.header_lines(info, __version__):
        print(line, flush=True)
    env = {
        **os.environ,
        **implementation.environment,
        implementations.ENVIRONMENT_VARIABLE: implementation.name,
        results.DESCRIPTION_VARIABLE: json.dumps(info),
        "PYTHONUNBUFFERED": "1",
    }
    by_file = collect(targets, env)
    expected.check(
        (layout.test_id(t) for ids in by_file.values() for t in ids), layout.page_files()
    )
    total = sum(len(ids) for ids in by_file.values())
    print(f"collected {total} cases in {len(by_file)} files; running {jobs} at a time", flush=True)
    started, outcomes = time.time(), []
    with (
        tempfile.TemporaryDirectory(prefix="conformance-") as workdir,
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
    ):
        futures = [
            pool.submit(run_file, path, ids, env, case_timeout, Path(workdir))
            for path, ids in by_file.items()
        ]
        for done_count, future in enumerate(futures, 1):
            outcome = future.result()
            outcomes.append(outcome)
            counts: dict[str, int] = {}
            for test in outcome.tests:
                counts[test["outcome"]] = counts.get(test["outcome"], 0) + 1
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
            progress = f"[{done_count}/{len(by_file)}] {layout.test_id(outcome.path)}"
            print(f"{progress}: {summary} ({outcome.seconds:.0f} s)", flush=True)

    tests = [test for outcome in outcomes for test in outcome.tests]
    comparison = expected.compare(tests)
    for test in tests:
        test["known_failure"] = expected.reason(test["id"])
    results_file.parent.mkdir(parents=True, exist_ok=True)
    files.write_text(
        results_file,
        json.dumps(
            {
                "suite_version": __version__,
                "implementation": info,
                "started": started,
                "duration": time.time() - started,
                "tests": tests,
                "known_failures": expected.as_dict(),
                "comparison": comparison.as_dict(),
            },
            indent=1,
            ensure_ascii=False,
        ),
    )
    for line in comparison.summary_lines():
        print(line)
    print(f"results written to {results_file}")
    return comparison
