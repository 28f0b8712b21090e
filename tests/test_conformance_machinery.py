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

from conformance import cli, known_failures, report

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
    ],
)
def test_a_broken_implementation_gets_a_complete_report(tmp_path, impl, expected):
    status, result = run_conformance(impl, tmp_path)
    assert outcomes(result) == dict(zip(CASES, expected, strict=True))
    assert status == 1, "unlisted failures must make the run fail"
    assert result["implementation"]["name"] == impl
    assert result["suite_version"]
    assert result["implementation"]["version"].startswith("0.0-")
    assert result["implementation"]["environment"]["python"]


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args, says",
    [
        (["--impl", "tests.fake_impls.broken_keras"], "cannot be imported: ImportError"),
        (["--impl", "no_such_module_anywhere"], "cannot be imported"),
        (["--impl", "json"], "is not a Keras implementation: it has no keras.layers.Dense"),
        (["--impl", "refimpl", "--only", "speed"], "unknown categories ['speed']"),
        (["--impl", "refimpl", "--known-failures", "no/such/list.txt"], "cannot read"),
    ],
)
def test_a_run_that_cannot_start_says_why_in_one_line(tmp_path, args, says):
    done = run_cli(*args, "--results", str(tmp_path), SAMPLE)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("conformance: error: ") and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_list_entry_naming_no_test_is_refused_before_the_run(tmp_path):
    listed = tmp_path / "mine.txt"
    listed.write_text(f"{SAMPLE}::test_that_does_not_exist | a typo\n", encoding="utf-8")
    done = run_cli("--impl", "tests.fake_impls.crashing_keras", "--known-failures",
                   str(listed), "--results", str(tmp_path), SAMPLE)  # fmt: skip
    assert done.returncode == 2
    assert f"names tests that do not exist: {SAMPLE}::test_that_does_not_exist" in done.stderr
    assert not (tmp_path / "tests.fake_impls.crashing_keras.json").exists()


def test_an_implementers_list_is_honoured_by_the_cli_and_by_plain_pytest(tmp_path):
    """The same list gives the same verdict through `python -m conformance` and
    through plain pytest (strict expected failures applied at collection)."""
    impl = "tests.fake_impls.crashing_keras"
    listed = tmp_path / "mine.txt"
    listed.write_text(f"{CASES[0]} | aborts by design\n{CASES[2]} | aborts by design\n")
    status, result = run_conformance(impl, tmp_path, "--known-failures", str(listed))
    assert status == 0 and result["comparison"]["expected_failures"] == [CASES[0], CASES[2]]
    assert result["known_failures"]["source"] == str(listed)
    # Plain pytest, on the case that passes and one that fails in-process:
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "--impl",
         "tests.fake_impls.hanging_keras", "--known-failures", str(listed), "--timeout", "8",
         CASES[1], CASES[2]],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout
    assert "1 passed, 1 xfailed" in plain.stdout
    # A listed test that passes fails plain pytest too (strict), as the CLI would.
    listed.write_text(f"{CASES[1]} | listed but passes\n")
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "--impl", impl,
         "--known-failures", str(listed), CASES[1]],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert plain.returncode == 1 and "XPASS(strict)" in plain.stdout
    # `none` applies no list: each test's own outcome, as `python -m conformance`'s
    # processes record it before the runner judges it.
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", "--impl", impl,
         "--known-failures", "none", CASES[1]],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert plain.returncode == 0 and "1 passed" in plain.stdout


def test_known_failure_lists_must_match_reality(tmp_path, monkeypatch):
    listed = known_failures.KnownFailures({CASES[0]: "aborts by design", CASES[2]: "same"})
    tests = [
        {"id": c, "outcome": o} for c, o in zip(CASES, ["crashed", "passed", "failed"], strict=True)
    ]
    comparison = listed.compare(tests)
    assert comparison.ok and comparison.expected_failures == [CASES[0], CASES[2]]
    assert comparison.exit_status == 0
    # A listed test that passes is reported, and the run is not OK.
    tests[0]["outcome"] = "passed"
    comparison = listed.compare(tests)
    assert not comparison.ok and comparison.unexpected_passes == [CASES[0]]
    assert comparison.exit_status == 1
    assert any("UNEXPECTEDLY PASSING" in line for line in comparison.summary_lines())


@pytest.mark.parametrize("outcome", ["passed", "failed", "error", "crashed", "timeout", "skipped"])
@pytest.mark.parametrize("listed", [True, False])
def test_the_status_of_a_recorded_test_is_the_runs_comparison(outcome, listed):
    """One comparison: the kind a run sorts an outcome into (and so its exit status) is
    the status the report and the badges show for the recorded result."""
    expected = known_failures.KnownFailures({CASES[0]: "a reason"} if listed else {})
    test = {"id": CASES[0], "outcome": outcome}
    comparison = expected.compare([test])
    recorded = {**test, "known_failure": expected.reason(CASES[0])}
    (kind,) = [k for k, name in known_failures._FIELD_OF.items() if getattr(comparison, name)]
    assert known_failures.status(recorded) == kind
    assert comparison.ok == (kind not in known_failures.MISMATCHES)


def test_known_failure_file_format(tmp_path, monkeypatch):
    monkeypatch.setattr(known_failures, "DIRECTORY", tmp_path)
    (tmp_path / "x.txt").write_text(f"# comment\n{CASES[0]} | a reason\n\n", encoding="utf-8")
    assert known_failures.load("x").entries == {CASES[0]: "a reason"}
    assert known_failures.load("x").builtin
    assert not known_failures.load("x", tmp_path / "x.txt").builtin
    (tmp_path / "y.txt").write_text(f"{CASES[0]} without a reason\n", encoding="utf-8")
    with pytest.raises(known_failures.KnownFailuresError, match=r"y.txt:1: expected `<test id>"):
        known_failures.load("y")
    (tmp_path / "z.txt").write_text(f"{CASES[0]} | a\n{CASES[0]} | b\n", encoding="utf-8")
    with pytest.raises(known_failures.KnownFailuresError, match="listed twice"):
        known_failures.load("z")
    assert known_failures.load("no-such-implementation").entries == {}
    with pytest.raises(known_failures.KnownFailuresError, match="cannot read"):
        known_failures.load("x", tmp_path / "missing.txt")


def test_a_star_names_a_block_in_every_language_and_brackets_are_literal():
    listed = known_failures.KnownFailures({
        "docs/*/functional-api.md::block-0123abcd": "the same code on every page",
        "conformance/suite/test_numerics.py::test_steps[sgd]": "literal brackets",
    })  # fmt: skip
    for language in ("en", "zh", "zh-TW", "ja"):
        assert listed.reason(f"docs/{language}/functional-api.md::block-0123abcd")
    assert listed.reason("docs/en/functional-api.md::block-0123abcd-2") is None
    assert listed.reason("docs/en/sub/functional-api.md::block-0123abcd") is None
    assert listed.reason("conformance/suite/test_numerics.py::test_steps[sgd]")
    assert listed.reason("conformance/suite/test_numerics.py::test_steps[s]") is None
    collected = ["docs/en/functional-api.md::block-ffffffff",
                 "conformance/suite/test_numerics.py::test_steps[sgd]"]  # fmt: skip
    assert listed.unmatched(collected) == ["docs/*/functional-api.md::block-0123abcd"]
    # An entry whose file was not collected (another category) is not judged.
    assert listed.unmatched(collected[1:]) == []
    # Nor is a starred entry when the run holds one language's page of several: the
    # block may be on the other languages' pages only.
    pages = [f"docs/{language}/functional-api.md" for language in ("en", "zh", "zh-TW", "ja")]
    assert listed.unmatched(collected, all_files=pages) == []
    everywhere = [f"{page}::block-ffffffff" for page in pages]
    assert listed.unmatched(everywhere, all_files=pages) == [
        "docs/*/functional-api.md::block-0123abcd"
    ]


def test_report_pages_keep_their_prose(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    tests = [
        {"id": "docs/en/a.md::block-00000001", "category": "docs", "outcome": "passed",
         "line": 3},
        {"id": "docs/en/a.md::block-00000002", "category": "docs", "outcome": "failed",
         "known_failure": "Keras 3 has no decay", "line": 9},
        {"id": "conformance/suite/test_performance.py::test_mlp", "category": "performance",
         "outcome": "passed", "ratios": {"mlp fit": 1.5}},
    ]  # fmt: skip
    listed = known_failures.KnownFailures({tests[1]["id"]: "x"}, "their/list.txt")
    (results / "keras3.json").write_text(json.dumps({
        "implementation": {"name": "keras3", "version": "3.15", "backend": "tensorflow",
                           "device": "CPU", "environment": {"python": "3.11.7", "jax": "0.9"}},
        "tests": tests, "known_failures": listed.as_dict(),
        "comparison": listed.compare(tests).as_dict(),
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
        assert "Python 3.11.7, jax 0.9" in page
    # Writing again replaces the section instead of appending a second one.
    report.write(sorted(results.glob("*.json")), docs)
    assert (docs / "en" / "conformance.md").read_text().count(report.START) == 1
    assert "1.50×" in (docs / report.FIGURE).read_text()


def test_a_pages_time_limit_follows_its_blocks():
    """A page's process may run each of its blocks to the block limit (and a suite
    file each case to the case limit), however many there are."""
    from conformance import runner, thresholds

    block_limit = thresholds.load()["docs"]["block_timeout_seconds"]
    page = [f"conformance/pages/en/a.md::block-0000000{i}" for i in range(5)]
    assert runner._time_limit(page, case_timeout=60) >= 5 * block_limit
    cases = [f"{SAMPLE}::test_{i}" for i in range(3)]
    assert 3 * 60 <= runner._time_limit(cases, case_timeout=60) < block_limit


def test_report_names_a_missing_or_foreign_results_file(tmp_path, capsys):
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"name": "not a result"}')
    for path, words in [
        (tmp_path / "missing.json", "no such results file"),
        (foreign, "expected a results file of the suite"),
    ]:
        assert cli.main(["report", str(path), "--docs", str(tmp_path)]) == 2
        assert words in capsys.readouterr().err
