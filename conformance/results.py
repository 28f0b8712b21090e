"""Test outcomes as JSON lines, and a description of the implementation under test.

`python -m conformance` runs each test file in its own pytest process with this plugin
(`-p conformance.results --results-jsonl PATH`). Each finished test is appended to the
file at once, so when an implementation crashes the process, everything that finished
before the crash is kept and the runner can tell which case crashed.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import implementations

#: Test path prefix -> category shown in the report.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("docs/", "docs"),
    ("conformance/suite/test_numerics", "numerics"),
    ("conformance/suite/test_api_surface", "api"),
    ("conformance/suite/test_convergence", "convergence"),
    ("conformance/suite/test_performance", "performance"),
    ("conformance/suite/test_determinism", "determinism"),
    ("conformance/suite/test_persistence", "persistence"),
)
DESCRIPTION_VARIABLE = "CONFORMANCE_DESCRIPTION"


def category(nodeid: str) -> str:
    for prefix, name in CATEGORIES:
        if nodeid.startswith(prefix):
            return name
    return "other"


def describe_in_process(name: str | None) -> dict[str, Any]:
    """Name, version, backend and device of the implementation, importing it here."""
    impl = implementations.resolve(name)
    info: dict[str, Any] = {"name": impl.name, "description": impl.description}
    try:
        keras = implementations.activate(impl)
    except Exception as error:  # noqa: BLE001 - reported, not raised: it is the result
        return {**info, "error": f"cannot be imported: {type(error).__name__}: {error}"}
    info["version"] = str(getattr(keras, "__version__", "unknown"))
    backend = getattr(getattr(keras, "backend", None), "backend", None)
    info["backend"] = backend() if callable(backend) else "tensorflow"
    devices = "CPU"
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        # Physical devices: listing logical ones would start TensorFlow's runtime, which
        # pages forked from this process (conformance.page_process) must not inherit.
        devices = ", ".join(sorted({d.device_type for d in tf.config.list_physical_devices()}))
    info["device"] = f"{devices} ({platform.machine()}, {os.cpu_count()} cores)"
    return info


def describe(name: str | None, timeout: float = 300) -> dict[str, Any]:
    """`describe_in_process` in a child process: a crashing implementation cannot take
    the caller down with it."""
    impl = implementations.resolve(name)
    code = (
        "import json; from conformance.results import describe_in_process as d; "
        f"print('DESCRIBE=' + json.dumps(d({impl.name!r})))"
    )
    fallback = {"name": impl.name, "description": impl.description}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {**fallback, "error": f"importing it did not finish in {timeout:.0f} s"}
    for line in done.stdout.splitlines():
        if line.startswith("DESCRIBE="):
            return json.loads(line[len("DESCRIBE=") :])
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {**fallback, "error": f"importing it ended the process ({done.returncode}): {tail}"}


def header_lines(info: dict[str, Any], suite_version: str) -> list[str]:
    detail = info.get("error") or (
        f"version {info.get('version')}, backend {info.get('backend')}, device {info.get('device')}"
    )
    return [f"conformance suite {suite_version}", f"keras implementation: {info['name']}: {detail}"]


class OutcomeWriter:
    """Appends one JSON line per finished test to `path`."""

    def __init__(self, path: Path):
        self.path = path
        self.current: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.current.setdefault(
            report.nodeid,
            {"id": report.nodeid, "category": category(report.nodeid), "outcome": "passed",
             "duration": 0.0, "message": ""},
        )  # fmt: skip
        entry["duration"] += report.duration
        if report.skipped:
            entry["outcome"], entry["message"] = "skipped", _skip_reason(report)
        elif report.failed and entry["outcome"] == "passed":
            timed_out = "Timeout" in str(report.longrepr)
            entry["outcome"] = (
                "timeout" if timed_out else "failed" if report.when == "call" else "error"
            )
            entry["message"] = _last_line(report)
        for key, value in report.user_properties:
            if key == "ratios":
                entry.setdefault("ratios", {}).update(value)
        if report.when == "teardown":
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(self.current.pop(report.nodeid), ensure_ascii=False) + "\n")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _last_line(report: pytest.TestReport) -> str:
    text = str(report.longrepr).strip().splitlines()
    errors = [line for line in text if line.startswith("E ")]
    return (errors[-1] if errors else text[-1] if text else "")[:500]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("conformance").addoption(
        "--results-jsonl", default=None, help="append each test's outcome to this JSON-lines file"
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--results-jsonl")
    if path:
        config.pluginmanager.register(OutcomeWriter(Path(path)), "conformance-outcomes")
