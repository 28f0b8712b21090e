"""Time and memory of the whole documentation test suite, page by page.

Usage::

    python benchmarks/docs_suite.py                 # pytest docs -n 2 --dist loadfile
    python benchmarks/docs_suite.py --jobs 1 --json docs-suite.json
    python benchmarks/docs_suite.py --paths docs/zh -- -x   # extra pytest arguments after --

Runs every code block of every language as the test suite does (`--impl` picks the
implementation, refimpl by default), with `conformance.page_profile` recording, per
page, its time and its worker's resident memory when the page ends. Prints the wall
time, the slowest pages, each worker's peak resident memory and their sum (an upper
bound of the suite's peak, since workers run side by side), and how each worker's
resident memory moved from its first page to its last (growth per page, from a
least-squares line), beside the targets of issue 5: under 4 minutes, under 3 GB, no
growth from page to page. Nothing here fails on a slow machine: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The targets the report compares with (issue 5).
TARGET_SECONDS = 240.0
TARGET_PEAK_MB = 3 * 1024.0
#: Resident memory growth per page (MB) still counted as flat: allocator noise.
FLAT_MB_PER_PAGE = 5.0


def _slope(values: list[float]) -> float:
    """Least-squares slope of `values` against 0, 1, 2, ... (0 for fewer than 2)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    numerator = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return numerator / sum((i - mean_x) ** 2 for i in range(n))


def run(jobs: int, impl: str, paths: list[str], extra: list[str]) -> tuple[float, int, list[dict]]:
    """Run the doc suite; returns (wall seconds, pytest's exit code, page records)."""
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "pages.jsonl"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider"]
        command += ["--impl", impl]
        command += ["-n", str(jobs), "--dist", "loadfile"] if jobs > 1 else []
        env = {**os.environ, "CONFORMANCE_PAGE_PROFILE": str(profile)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        start = time.perf_counter()
        done = subprocess.run(command + extra, cwd=ROOT, env=env)
        wall = time.perf_counter() - start
        records = []
        if profile.exists():
            records = [json.loads(line) for line in profile.read_text().splitlines() if line]
    return wall, done.returncode, records


def summary(wall: float, records: list[dict]) -> dict:
    """The numbers of the report, per worker and for the suite."""
    workers: dict[str, list[dict]] = {}
    for record in records:
        workers.setdefault(record["worker"], []).append(record)
    per_worker = {}
    for name, pages in sorted(workers.items()):
        resident = [page["rss_mb"] for page in pages]
        per_worker[name] = {
            "pages": len(pages),
            "peak_mb": max(page["peak_mb"] for page in pages),
            "first_page_rss_mb": resident[0],
            "last_page_rss_mb": resident[-1],
            "growth_mb_per_page": round(_slope(resident), 2),
        }
    return {
        "wall_s": round(wall, 1),
        "pages": len(records),
        "page_seconds": round(sum(r["seconds"] for r in records), 1),
        "peak_mb_sum": round(sum(w["peak_mb"] for w in per_worker.values()), 1),
        "workers": per_worker,
    }


def report(numbers: dict, records: list[dict], slowest: int = 10) -> str:
    lines = ["| page | worker | seconds | resident MB after |", "|---|---|---|---|"]
    for record in sorted(records, key=lambda r: -r["seconds"])[:slowest]:
        lines.append(
            f"| {record['file']} | {record['worker']} | {record['seconds']:.1f} "
            f"| {record['rss_mb']:.0f} |"
        )
    lines += ["", "| worker | pages | peak MB | first page MB | last page MB | MB/page |"]
    lines.append("|---|---|---|---|---|---|")
    for name, w in numbers["workers"].items():
        lines.append(
            f"| {name} | {w['pages']} | {w['peak_mb']:.0f} | {w['first_page_rss_mb']:.0f} "
            f"| {w['last_page_rss_mb']:.0f} | {w['growth_mb_per_page']:+.1f} |"
        )
    growth = max((w["growth_mb_per_page"] for w in numbers["workers"].values()), default=0.0)
    verdicts = [
        ("wall time", f"{numbers['wall_s']:.0f} s", numbers["wall_s"] < TARGET_SECONDS,
         f"< {TARGET_SECONDS:.0f} s"),
        ("peak memory (sum of workers)", f"{numbers['peak_mb_sum']:.0f} MB",
         numbers["peak_mb_sum"] < TARGET_PEAK_MB, f"< {TARGET_PEAK_MB:.0f} MB"),
        ("growth per page (largest worker)", f"{growth:+.1f} MB", growth < FLAT_MB_PER_PAGE,
         f"< {FLAT_MB_PER_PAGE:.0f} MB"),
    ]  # fmt: skip
    lines += ["", "| measure | value | target | met |", "|---|---|---|---|"]
    for name, value, met, target in verdicts:
        lines.append(f"| {name} | {value} | {target} | {'yes' if met else 'NO'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", "-n", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--impl", default="refimpl", help="implementation under test")
    parser.add_argument("--json", help="also write the numbers and page records here")
    parser.add_argument("--paths", default="docs", help="comma-separated pages or folders")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    paths = [p for p in args.paths.split(",") if p]
    wall, code, records = run(args.jobs, args.impl, paths, args.pytest_args)
    numbers = summary(wall, records)
    print(report(numbers, records))
    if args.json:
        Path(args.json).write_text(json.dumps({**numbers, "records": records}, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
