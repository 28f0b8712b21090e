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

RECORDS = [
    {"impl": "refimpl", "case": "mlp", "epoch_ms": 2.0, "predict_ms": 1.0, "first_s": 1.0},
    {"impl": "keras3", "case": "mlp", "epoch_ms": 40.0, "predict_ms": 50.0, "first_s": 2.0},
    {"impl": "tf_keras", "case": "mlp", "epoch_ms": 20.0, "predict_ms": 30.0, "first_s": 2.0},
    {"impl": "limit", "case": "mlp", "epoch_ms": 1.6, "predict_ms": 0.5, "first_s": 1.0},
    {"impl": "refimpl", "case": "lstm", "epoch_ms": 60.0, "predict_ms": 2.0, "first_s": 3.0},
    {"impl": "keras3", "case": "lstm", "error": "RuntimeError: out of memory"},
]


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
    japanese = (docs / "ja" / "performance.md").read_text(encoding="utf-8")
    assert "未実行" in japanese and "Prose ja." in japanese


def test_docs_suite_summary_reports_peaks_and_growth():
    records = [
        {"file": f"docs/en/p{i}.md", "worker": "gw0", "seconds": 1.0 + i,
         "rss_mb": 500.0 + 10 * i, "peak_mb": 520.0 + 10 * i}
        for i in range(4)
    ] + [{"file": "docs/ja/p.md", "worker": "gw1", "seconds": 2.0, "rss_mb": 700.0,
          "peak_mb": 800.0}]  # fmt: skip
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
        {"file": f"docs/en/p{i}.md", "worker": "gw0", "seconds": 1.0, "rss_mb": 900.0 + 50 * i,
         "peak_mb": 1000.0, "worker_rss_mb": 600.0, "forked": True}
        for i in range(3)
    ]  # fmt: skip
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
