"""The conformance suite survives broken implementations and keeps its lists true.

The end-to-end tests run `python -m conformance` against deliberately broken fake
implementations (tests/fake_impls) on a three-case sample suite and check that every
case gets a result and the run completes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import known_failures, report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = "tests/fake_impls/sample_suite.py"
CASES = [f"{SAMPLE}::{name}" for name in (
    "test_dense_layer", "test_after_the_crash_the_run_goes_on", "test_activation_layer",
)]  # fmt: skip


def run_conformance(impl: str, results: Path, *extra: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "--impl", impl, "--results", str(results),
         "--timeout", "8", *extra, SAMPLE],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    path = results / f"{impl}.json"
    assert path.exists(), f"no results file; output:\n{done.stdout}\n{done.stderr}"
    return done.returncode, json.loads(path.read_text())


def outcomes(result: dict) -> dict[str, str]:
    return {t["id"]: t["outcome"] for t in result["tests"]}


@pytest.mark.parametrize(
    "impl, expected",
    [
        ("tests.fake_impls.crashing_keras", ["crashed", "passed", "crashed"]),
        ("tests.fake_impls.hanging_keras", ["timeout", "passed", "timeout"]),
        ("tests.fake_impls.broken_keras", ["error", "error", "error"]),
    ],
)
def test_a_broken_implementation_gets_a_complete_report(tmp_path, impl, expected):
    status, result = run_conformance(impl, tmp_path)
    assert outcomes(result) == dict(zip(CASES, expected, strict=True))
    assert status == 1, "unlisted failures must make the run fail"
    assert result["implementation"]["name"] == impl
    assert result["suite_version"]
    if impl.endswith("broken_keras"):
        assert "cannot be imported" in result["implementation"]["error"]
    else:
        assert result["implementation"]["version"].startswith("0.0-")


def test_known_failure_lists_must_match_reality(tmp_path, monkeypatch):
    listed = {CASES[0]: "aborts by design", CASES[2]: "aborts by design"}
    tests = [
        {"id": c, "outcome": o} for c, o in zip(CASES, ["crashed", "passed", "failed"], strict=True)
    ]
    comparison = known_failures.compare(tests, listed)
    assert comparison.ok and comparison.expected_failures == [CASES[0], CASES[2]]
    # A listed test that passes is reported, and the run is not OK.
    tests[0]["outcome"] = "passed"
    comparison = known_failures.compare(tests, listed)
    assert not comparison.ok and comparison.unexpected_passes == [CASES[0]]
    assert any("UNEXPECTEDLY PASSING" in line for line in comparison.summary_lines())


def test_known_failure_file_format(tmp_path, monkeypatch):
    monkeypatch.setattr(known_failures, "DIRECTORY", tmp_path)
    (tmp_path / "x.txt").write_text(f"# comment\n{CASES[0]} | a reason\n\n", encoding="utf-8")
    assert known_failures.load("x") == {CASES[0]: "a reason"}
    (tmp_path / "y.txt").write_text(f"{CASES[0]} without a reason\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected `<test id> | <reason>`"):
        known_failures.load("y")
    assert known_failures.load("no-such-implementation") == {}


def test_report_pages_keep_their_prose(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    tests = [
        {"id": "docs/en/a.md::line:3,column:1", "category": "docs", "outcome": "passed"},
        {"id": "docs/en/a.md::line:9,column:1", "category": "docs", "outcome": "failed",
         "known_failure": "Keras 3 has no decay"},
        {"id": "conformance/suite/test_performance.py::test_mlp", "category": "performance",
         "outcome": "passed", "ratios": {"mlp fit": 1.5}},
    ]  # fmt: skip
    comparison = known_failures.compare(tests, {tests[1]["id"]: "x"}).as_dict()
    (results / "keras3.json").write_text(json.dumps({
        "implementation": {"name": "keras3", "version": "3.15", "backend": "tensorflow",
                           "device": "CPU"},
        "tests": tests, "comparison": comparison,
    }))  # fmt: skip
    docs = tmp_path / "docs"
    for language in report.LANGUAGES:
        (docs / language).mkdir(parents=True)
        (docs / language / "conformance.md").write_text("# Title\n\nOur prose.\n")
    written = report.write(sorted(results.glob("*.json")), docs)
    assert docs / report.FIGURE in written
    for language in report.LANGUAGES:
        page = (docs / language / "conformance.md").read_text()
        assert page.startswith("# Title\n\nOur prose.\n") and report.START in page
        assert "`en/a.md:9`" in page and report.SYMBOLS["known"] in page
    # Writing again replaces the section instead of appending a second one.
    report.write(sorted(results.glob("*.json")), docs)
    assert (docs / "en" / "conformance.md").read_text().count(report.START) == 1
    assert "1.50×" in (docs / report.FIGURE).read_text()
