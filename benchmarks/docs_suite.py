"""Time and memory of the whole documentation test suite, page by page.

Usage::

    python benchmarks/docs_suite.py                 # pytest docs -n 2 --dist loadfile
    python benchmarks/docs_suite.py --jobs 1 --json docs-suite.json
    python benchmarks/docs_suite.py --paths docs/zh -- -x   # extra pytest arguments after --

Runs every code block of every language as the test suite does (`--impl` picks the
implementation, refimpl by default), with `conformance.page_profile` recording, per
page, its time and memory, while a thread samples the proportional set size (PSS) of
pytest's whole process tree (controller, workers and the pages' forked children; see
`conformance.page_process`) twice a second. Prints the wall time, the slowest pages,
the suite's peak memory (the largest sample), and how each worker's resident memory
moved from its first page to its last (growth per page, from a least-squares line),
beside the targets of issue 5: under 4 minutes, under 3 GB, no growth from page to
page. Nothing here fails on a slow machine: it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The targets the report compares with (issue 5).
TARGET_SECONDS = 240.0
TARGET_PEAK_MB = 3 * 1024.0
#: Resident memory growth per page (MB) still counted as flat: allocator noise.
FLAT_MB_PER_PAGE = 5.0
#: How often the memory of pytest's process tree is sampled (seconds).
SAMPLE_SECONDS = 0.5


def _slope(values: list[float]) -> float:
    """Least-squares slope of `values` against 0, 1, 2, ... (0 for fewer than 2)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    numerator = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return numerator / sum((i - mean_x) ** 2 for i in range(n))


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (parent pid -> child pids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The parent pid is the 2nd field after the parenthesised command name.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree_pss_mb(root: int) -> float:
    """Proportional set size of `root` and all its descendants, in MB.

    PSS counts a page shared by n processes as 1/n in each, so the sum is the memory
    the whole tree holds: forked page processes share their parent's pages, and a sum
    of resident sizes would count those once per process.
    """
    children, total, stack = _children(), 0.0, [root]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) / 1024
                    break
        except OSError:
            continue  # the process ended meanwhile
    return total


class MemorySampler(threading.Thread):
    """Samples the PSS of a process tree every `interval` seconds; `.peak_mb` so far."""

    def __init__(self, root: int, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)
        self.stopped = threading.Event()

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)

    def run(self) -> None:
        start = time.perf_counter()
        while not self.stopped.wait(self.interval):
            self.samples.append((time.perf_counter() - start, tree_pss_mb(self.root)))


def run(
    jobs: int, impl: str, paths: list[str], extra: list[str]
) -> tuple[float, int, list[dict], MemorySampler]:
    """Run the doc suite; returns (wall seconds, pytest's exit code, page records, the
    memory samples of pytest's whole process tree)."""
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "pages.jsonl"
        command = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider"]
        command += ["--impl", impl]
        command += ["-n", str(jobs), "--dist", "loadfile"] if jobs > 1 else []
        env = {**os.environ, "CONFORMANCE_PAGE_PROFILE": str(profile)}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        start = time.perf_counter()
        process = subprocess.Popen(command + extra, cwd=ROOT, env=env)
        sampler = MemorySampler(process.pid)
        sampler.start()
        code = process.wait()
        wall = time.perf_counter() - start
        sampler.stopped.set()
        sampler.join()
        records = []
        if profile.exists():
            records = [json.loads(line) for line in profile.read_text().splitlines() if line]
    return wall, code, records, sampler


def summary(wall: float, records: list[dict], sampler: MemorySampler | None = None) -> dict:
    """The numbers of the report, per worker and for the suite."""
    workers: dict[str, list[dict]] = {}
    for record in records:
        workers.setdefault(record["worker"], []).append(record)
    per_worker = {}
    for name, pages in sorted(workers.items()):
        # The worker's own memory after each page: it grows when pages leave memory
        # behind in it (pages run in-process); forked pages take theirs with them.
        resident = [page.get("worker_rss_mb", page["rss_mb"]) for page in pages]
        per_worker[name] = {
            "pages": len(pages),
            "forked_pages": sum(bool(page.get("forked")) for page in pages),
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
        "suite_peak_pss_mb": round(sampler.peak_mb, 1) if sampler else None,
        "workers": per_worker,
    }


def report(numbers: dict, records: list[dict], slowest: int = 10) -> str:
    lines = ["| page | worker | seconds | resident MB after |", "|---|---|---|---|"]
    for record in sorted(records, key=lambda r: -r["seconds"])[:slowest]:
        lines.append(
            f"| {record['file']} | {record['worker']} | {record['seconds']:.1f} "
            f"| {record['rss_mb']:.0f} |"
        )
    lines += [
        "",
        "| worker | pages (forked) | peak MB of a page's process | worker MB after first "
        "page | after last page | MB/page |",
        "|---|---|---|---|---|---|",
    ]
    for name, w in numbers["workers"].items():
        lines.append(
            f"| {name} | {w['pages']} ({w['forked_pages']}) | {w['peak_mb']:.0f} "
            f"| {w['first_page_rss_mb']:.0f} | {w['last_page_rss_mb']:.0f} "
            f"| {w['growth_mb_per_page']:+.1f} |"
        )
    growth = max((w["growth_mb_per_page"] for w in numbers["workers"].values()), default=0.0)
    # The whole tree's sampled PSS where /proc has it, else the sum of the processes' peaks.
    peak = numbers.get("suite_peak_pss_mb") or numbers["peak_mb_sum"]
    peak_name = "PSS of all processes" if numbers.get("suite_peak_pss_mb") else "sum of workers"
    verdicts = [
        ("wall time", f"{numbers['wall_s']:.0f} s", numbers["wall_s"] < TARGET_SECONDS,
         f"< {TARGET_SECONDS:.0f} s"),
        (f"peak memory ({peak_name})", f"{peak:.0f} MB", peak < TARGET_PEAK_MB,
         f"< {TARGET_PEAK_MB:.0f} MB"),
        ("worker growth per page (largest)", f"{growth:+.1f} MB", growth < FLAT_MB_PER_PAGE,
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
    wall, code, records, sampler = run(args.jobs, args.impl, paths, args.pytest_args)
    numbers = summary(wall, records, sampler)
    print(report(numbers, records))
    if args.json:
        everything = {**numbers, "records": records, "pss_samples_mb": sampler.samples}
        Path(args.json).write_text(json.dumps(everything, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
