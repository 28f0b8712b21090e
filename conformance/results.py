"""Test outcomes as JSON lines, and a description of the implementation under test.

`python -m conformance` runs each test file in its own pytest process with this plugin
(`-p conformance.results --results-jsonl PATH`). Each finished test is appended to the
file at once, so when an implementation crashes the process, everything that finished
before the crash is kept and the runner can tell which case crashed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import implementations, layout, page_process

DESCRIPTION_VARIABLE = "CONFORMANCE_DESCRIPTION"
#: Distributions whose versions describe an environment, when they are installed.
ENVIRONMENT_PACKAGES = (
    "keras", "tensorflow", "tensorflow-cpu", "tf_keras", "jax", "torch", "numpy",
)  # fmt: skip
#: What any Keras offers; a module without these is not a Keras implementation.
KERAS_API = ("layers.Dense", "models.Sequential", "models.Model")


def environment() -> dict[str, str]:
    """Python, the machine, and the versions of the frameworks installed here (read
    from their metadata: nothing is imported)."""
    versions = {"python": platform.python_version()}
    for name in ENVIRONMENT_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _missing_api(keras: Any) -> list[str]:
    missing = []
    for dotted in KERAS_API:
        owner = keras
        for part in dotted.split("."):
            owner = getattr(owner, part, None)
        if owner is None:
            missing.append(dotted)
    return missing


def describe_in_process(name: str | None) -> dict[str, Any]:
    """Name, version, backend and device of the implementation, importing it here."""
    impl = implementations.resolve(name)
    info: dict[str, Any] = {
        "name": impl.name, "description": impl.description, "environment": environment(),
    }  # fmt: skip
    try:
        keras = implementations.activate(impl)
    except Exception as error:  # noqa: BLE001 - reported, not raised: it is the result
        return {**info, "error": f"cannot be imported: {type(error).__name__}: {error}"}
    missing = _missing_api(keras)
    if missing:
        return {**info, "error": (
            f"the module {impl.module!r} is not a Keras implementation: it has no "
            f"{', '.join('keras.' + m for m in missing)}"
        )}  # fmt: skip
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
    fallback = {"name": impl.name, "description": impl.description, "environment": environment()}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
            env={**os.environ, **impl.environment},
        )  # fmt: skip
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
        entry = self.current.setdefault(report.nodeid, _entry(report))
        entry["duration"] += report.duration
        # A listed test is marked xfail(strict) (conformance.pytest_plugin); what is
        # recorded is its own outcome, which the runner compares with the list.
        expected_to_fail = hasattr(report, "wasxfail")
        xpassed = report.failed and str(report.longrepr).startswith("[XPASS(strict)]")
        failed = (report.failed and not xpassed) or (report.skipped and expected_to_fail)
        if report.skipped and not expected_to_fail:
            entry["outcome"], entry["message"] = "skipped", _skip_reason(report)
        elif failed and entry["outcome"] == "passed":
            text = str(report.longrepr)
            # A block whose page's process died (conformance.page_process) crashed.
            entry["outcome"] = (
                "crashed" if text.startswith(page_process.LOST)
                else "timeout" if "Timeout" in text
                else "failed" if report.when == "call" else "error"
            )  # fmt: skip
            entry["message"] = _last_line(report)
        for key, value in report.user_properties:
            if key == "ratios":
                entry.setdefault("ratios", {}).update(value)
        if report.when == "teardown":
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(self.current.pop(report.nodeid), ensure_ascii=False) + "\n")


def _entry(report: pytest.TestReport) -> dict[str, Any]:
    """A test's record before its outcome is known; doc blocks keep their line."""
    test = layout.test_id(report.nodeid)
    entry = {"id": test, "nodeid": report.nodeid, "category": layout.category(test),
             "outcome": "passed", "duration": 0.0, "message": ""}  # fmt: skip
    if layout.is_doc_block(test) and report.location[1] is not None:
        entry["line"] = report.location[1]
    return entry


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
