"""The `model-files` category: one test per corpus file, named by its id, collected
without TensorFlow, and counted by the report per era and format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conformance import corpus, known_failures, layout, report

ROOT = Path(__file__).resolve().parents[1]
MODULE = "conformance/suite/test_model_files.py"


def test_every_manifest_entry_is_one_test_named_by_its_id():
    manifests = sorted((ROOT / "conformance" / "model_files").glob("*/manifest.json"))
    ids = {entry["id"] for m in manifests for entry in json.loads(m.read_text())["files"]}
    assert {entry.id for entry in corpus.entries()} == ids
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly", MODULE],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    collected = {line for line in done.stdout.splitlines() if "::" in line}
    assert collected == {f"{MODULE}::test_model_file[{i}]" for i in ids}, done.stdout[-2000:]
    assert {layout.category(test) for test in collected} == {"model-files"}


def test_the_suite_module_imports_without_tensorflow():
    code = (
        "import sys, conformance.suite.test_model_files as m; "
        "print(len(m.ENTRIES), sorted({'tensorflow', 'keras', 'tf_keras'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == [str(len(corpus.entries())), "[]"], done.stderr[-2000:]


def test_each_entry_has_its_files_inputs_and_predictions():
    for entry in corpus.entries():
        for key in entry.paths:
            assert entry.path(key).exists(), f"{entry.id}: {entry.path(key)} is missing"
        inputs, expected = entry.inputs(), entry.expected()
        assert inputs and expected, entry.id
        assert len({len(array) for array in (*inputs, *expected)}) == 1, entry.id


def test_a_test_id_names_its_entry():
    first = corpus.entries()[0]
    assert corpus.entry_of(f"{MODULE}::test_model_file[{first.id}]") == first
    assert corpus.entry_of(f"{MODULE}::test_model_file[no-such-file]") is None
    assert corpus.entry_of("conformance/suite/test_numerics.py::test_dense") is None


def test_the_report_counts_files_opened_per_era_and_format(tmp_path):
    chosen = {}
    for entry in corpus.entries():  # two files of each of the first two eras and formats
        chosen.setdefault((entry.era, entry.format), [])
        if len(chosen[(entry.era, entry.format)]) < 2:
            chosen[(entry.era, entry.format)].append(entry)
    picked = [entry for group in chosen.values() for entry in group]
    first = picked[0]
    runs = {"opens-all": set(), "opens-none": {entry.id for entry in picked}}
    for name, failing in runs.items():
        tests = [
            {"id": f"{MODULE}::test_model_file[{entry.id}]", "category": "model-files",
             "outcome": "failed" if entry.id in failing else "passed", "message": ""}
            for entry in picked
        ]  # fmt: skip
        listed = known_failures.KnownFailures({}, "none")
        (tmp_path / f"{name}.json").write_text(json.dumps({
            "implementation": {"name": name}, "tests": tests, "known_failures": listed.as_dict(),
            "comparison": listed.compare(tests).as_dict(),
        }))  # fmt: skip
    results = report.load(sorted(tmp_path.glob("*.json")))
    for language in report.LANGUAGES:
        page = report.render(results, language, None)
        assert "{#model-files}" in page
        total = len(chosen[(first.era, first.format)])
        assert f"| {first.era} | {first.format} | {total}/{total} | 0/{total} |" in page
        assert page.count(f"| {first.era} | ") == len({f for e, f in chosen if e == first.era})
