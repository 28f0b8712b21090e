"""The reports of the benchmarks: the site's performance tables and figure, and the
doc suite's time and memory summary, from recorded numbers (nothing is timed here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import docs_suite
from benchmarks import report as benchmark_report
from benchmarks import run as benchmark_run
from keras_docs_base import strings

RECORDS = [
    {"impl": "refimpl", "case": "mlp", "epoch_ms": 2.0, "predict_ms": 1.0, "first_s": 1.0},
    {"impl": "keras3", "case": "mlp", "epoch_ms": 40.0, "predict_ms": 50.0, "first_s": 2.0},
    {"impl": "tf_keras", "case": "mlp", "epoch_ms": 20.0, "predict_ms": 30.0, "first_s": 2.0},
    {"impl": "limit", "case": "mlp", "epoch_ms": 1.6, "predict_ms": 0.5, "first_s": 1.0},
    {"impl": "refimpl", "case": "lstm", "epoch_ms": 60.0, "predict_ms": 2.0, "first_s": 3.0},
    {"impl": "keras3", "case": "lstm", "error": "RuntimeError: out of memory"},
]


def _timing(impl: str, case: str, epoch_ms: float, predict_ms: float = 1.0) -> dict:
    return {
        "impl": impl,
        "case": case,
        "epoch_ms": epoch_ms,
        "predict_ms": predict_ms,
        "first_s": 1.0,
        "calibration_ms": epoch_ms,
        "epoch_samples_ms": [epoch_ms],
    }


def test_ratios_divide_refimpl_by_each_peer_where_both_ran(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(RECORDS))
    ratios = benchmark_report.ratios(benchmark_report.load(path))
    assert ratios == {
        "refimpl ÷ keras3": {"mlp": pytest.approx(0.05)},
        "refimpl ÷ tf_keras": {"mlp": pytest.approx(0.1)},
        "refimpl ÷ limit": {"mlp": pytest.approx(1.25)},
    }


def test_pages_get_tables_between_markers_and_keep_their_prose(tmp_path):
    results = tmp_path / "run.json"
    results.write_text(json.dumps(RECORDS))
    docs = tmp_path / "docs"
    for language in ("en", "ja"):
        (docs / language).mkdir(parents=True)
        (docs / language / "performance.md").write_text(
            f"# Performance\n\nProse {language}.\n\n{benchmark_report.START}\nold\n"
            f"{benchmark_report.END}\n\nAfter.\n",
            encoding="utf-8",
        )
    written = benchmark_report.write(results, docs, machine="test CPU, 2 cores")
    assert docs / benchmark_report.FIGURE in written
    assert (docs / benchmark_report.FIGURE).read_text().startswith("<svg")
    english = (docs / "en" / "performance.md").read_text(encoding="utf-8")
    assert english.startswith("# Performance\n\nProse en.") and english.endswith("After.\n")
    assert "old" not in english and "test CPU, 2 cores" in english
    assert "| `mlp` | 0.05 | 0.10 | 1.25 |" in english  # ÷ keras3, ÷ tf_keras, ÷ limit
    assert "| `lstm` | 60.0 | not run | not run | not run |" in english
    # "mlp" is not a case of benchmarks/models.py, so no target was measured
    assert "| MLPs within 2x of the fused limit | not run | not run | not run |" in english
    japanese = (docs / "ja" / "performance.md").read_text(encoding="utf-8")
    assert "未実行" in japanese and "Prose ja." in japanese


def test_pages_check_the_targets_in_every_language(tmp_path):
    results = tmp_path / "run.json"
    records = [
        _timing("refimpl", "mlp_binary", 8.0),
        _timing("keras3", "mlp_binary", 100.0),
        _timing("limit", "mlp_binary", 5.0),
    ]
    results.write_text(json.dumps(records))
    docs = tmp_path / "docs"
    for language in benchmark_report.LANGUAGES:
        (docs / language).mkdir(parents=True)
        page = docs / language / "performance.md"
        page.write_text(f"{benchmark_report.START}\n{benchmark_report.END}\n", encoding="utf-8")
    benchmark_report.write(results, docs, machine="test CPU")
    english = (docs / "en" / "performance.md").read_text(encoding="utf-8")
    assert (
        "| MLPs within 2x of the fused limit | `mlp_binary` | 1.60 (at most 2) | yes |" in english
    )
    assert (
        "| MLPs at least 10x faster than Keras 3 | `mlp_binary` | 0.08 (at most 0.1) | yes |"
        in (english)
    )
    japanese = (docs / "ja" / "performance.md").read_text(encoding="utf-8")
    row = "| MLP の時間が融合ループの限界の 2 倍以内 | `mlp_binary` | 1.60 (上限 2) | はい |"
    assert row in japanese
    # every target has its name in every language
    targets = {what for what, *_ in benchmark_run.TARGETS}
    for language in strings.LANGUAGES:
        names = strings.words(language, "benchmarks")["target_names"]
        assert set(names) == targets, language


def test_targets_take_the_worst_model_against_the_fastest_peer_named():
    results = {
        (r["impl"], r["case"]): r
        for r in [
            _timing("refimpl", "mlp_binary", 8.0),
            _timing("keras3", "mlp_binary", 100.0),
            _timing("limit", "mlp_binary", 5.0),
            _timing("refimpl", "mlp_multiclass", 9.0, predict_ms=3.0),
            _timing("keras3", "mlp_multiclass", 80.0, predict_ms=2.0),
            _timing("limit", "mlp_multiclass", 4.0),
            _timing("refimpl", "vgg_convnet", 2000.0),
            _timing("keras3", "vgg_convnet", 2500.0),
            _timing("tf_keras", "vgg_convnet", 1900.0),
            {"impl": "keras3_xla", "case": "vgg_convnet", "error": "too slow"},
        ]
    }
    # tf_keras is the fastest peer for VGG; keras3_xla's error is left out
    checks = benchmark_run.check_targets(results)
    assert [(c.what, c.case, round(c.ratio, 3), c.met) for c in checks] == [
        ("MLPs within 2x of the fused limit", "mlp_multiclass", 2.25, False),
        ("MLPs at least 10x faster than Keras 3", "mlp_multiclass", 0.113, False),
        ("every model at least as fast as the fastest peer", "vgg_convnet", 1.053, False),
        ("batch-1 predict no slower than Keras 3", "mlp_multiclass", 1.5, False),
    ]
    fast = {**results, ("refimpl", "mlp_multiclass"): _timing("refimpl", "mlp_multiclass", 6.0)}
    fast[("refimpl", "vgg_convnet")] = _timing("refimpl", "vgg_convnet", 1800.0)
    assert [check.met for check in benchmark_run.check_targets(fast)] == [True] * 4
    unmeasured = benchmark_run.check_targets({})[0]
    assert (unmeasured.case, unmeasured.ratio, unmeasured.met) == (None, None, None)


def test_rounds_take_medians_of_every_sample_and_leave_failed_rounds_out():
    first = {**_timing("refimpl", "mlp_binary", 8.0), "epoch_samples_ms": [9.0, 8.0, 30.0]}
    second = {
        **_timing("refimpl", "mlp_binary", 7.0, predict_ms=3.0),
        "first_s": 5.0,
        "epoch_samples_ms": [7.0, 6.0, 7.5],
    }
    failed = {"impl": "refimpl", "case": "mlp_binary", "error": "MemoryError: "}
    merged = benchmark_run.merge_rounds([first, failed, second])
    assert merged["epoch_ms"] == 7.75  # the median of the six samples
    assert merged["epoch_samples_ms"] == [9.0, 8.0, 30.0, 7.0, 6.0, 7.5]
    assert (merged["first_s"], merged["predict_ms"], merged["rounds"]) == (3.0, 2.0, 2)
    assert benchmark_run.merge_rounds([failed, first]) == first
    assert benchmark_run.merge_rounds([failed, failed]) == failed


def test_rounds_alternate_the_order_of_the_implementations(monkeypatch):
    calls = []

    def run_worker(impl, names, mode):
        calls.append(impl)
        return {(impl, "mlp_binary"): _timing(impl, "mlp_binary", 10.0 + len(calls))}

    monkeypatch.setattr(benchmark_run, "_run_worker", run_worker)
    results = benchmark_run.run_all(["refimpl", "keras3"], ["mlp_binary"], "quick", rounds=3)
    assert calls == ["refimpl", "keras3", "keras3", "refimpl", "refimpl", "keras3"]
    assert results[("refimpl", "mlp_binary")]["epoch_samples_ms"] == [11.0, 14.0, 15.0]
    assert results[("keras3", "mlp_binary")]["rounds"] == 3


def test_docs_suite_summary_reports_peaks_and_growth():
    records = [
        {
            "file": f"docs/en/p{i}.md",
            "worker": "gw0",
            "seconds": 1.0 + i,
            "rss_mb": 500.0 + 10 * i,
            "peak_mb": 520.0 + 10 * i,
        }
        for i in range(4)
    ] + [
        {"file": "docs/ja/p.md", "worker": "gw1", "seconds": 2.0, "rss_mb": 700.0, "peak_mb": 800.0}
    ]
    numbers = docs_suite.summary(100.0, records)
    assert numbers["workers"]["gw0"]["growth_mb_per_page"] == pytest.approx(10.0)
    assert numbers["workers"]["gw1"]["growth_mb_per_page"] == 0.0
    assert numbers["peak_mb_sum"] == pytest.approx(550.0 + 800.0)
    text = docs_suite.report(numbers, records)
    assert "| wall time | 100 s | < 240 s | yes |" in text
    assert "| worker growth per page (largest) | +10.0 MB | < 5 MB | NO |" in text
    assert "| peak memory (sum of workers) | 1350 MB | < 3072 MB | yes |" in text


def test_docs_suite_growth_is_the_workers_own_memory_when_pages_fork():
    records = [
        {
            "file": f"docs/en/p{i}.md",
            "worker": "gw0",
            "seconds": 1.0,
            "rss_mb": 900.0 + 50 * i,
            "peak_mb": 1000.0,
            "worker_rss_mb": 600.0,
            "forked": True,
        }
        for i in range(3)
    ]
    numbers = docs_suite.summary(10.0, records)
    assert numbers["workers"]["gw0"]["growth_mb_per_page"] == 0.0
    assert numbers["workers"]["gw0"]["forked_pages"] == 3


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_tree_pss_counts_the_children():
    # 300 MB that the child writes to (untouched pages would not be resident).
    hold = "x = b'1' * (300 * 2**20); import time; print('ready', flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        alone = docs_suite.tree_pss_mb(child.pid)
        assert alone > 300
        assert docs_suite.tree_pss_mb(os.getpid()) > alone  # this process and the child
    finally:
        child.kill()
        child.wait()
