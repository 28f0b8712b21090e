"""The site's performance figure and tables, from a `benchmarks/run.py --json` file.

Usage::

    python benchmarks/run.py --quick --json benchmarks.json
    python benchmarks/report.py benchmarks.json            # writes into docs/

writes `docs/assets/benchmark-ratios.svg` (refimpl's time per epoch divided by each
peer's, per model of the guides: below 1, refimpl is faster) and, in each language's
`docs/<lang>/performance.md`, the measured tables between the markers

    <!-- benchmarks:start -->
    <!-- benchmarks:end -->

leaving the page's own prose untouched. The numbers are those of one run on one
machine; the page says which.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.models import CASES  # noqa: E402
from benchmarks.run import check_targets  # noqa: E402
from conformance.report import (  # noqa: E402
    LANGUAGES,
    markdown_table,
    replace_section,
    svg_bar_chart,
)
from keras_docs_base import strings  # noqa: E402

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
FIGURE = "assets/benchmark-ratios.svg"
#: The peers refimpl is divided by, in the figure and the ratio table.
PEERS = ("keras3", "keras3_xla", "tf_keras", "limit")


def load(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The records of a run, keyed by (implementation, case); errors left out."""
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return {(r["impl"], r["case"]): r for r in records if "error" not in r}


def _cases(records: dict[tuple[str, str], dict]) -> list[str]:
    """The cases measured, in the order of `benchmarks.models.CASES` (others last)."""
    measured = {case for _, case in records}
    order = [case for case in CASES if case in measured]
    return order + sorted(measured - set(order))


def ratios(records: dict[tuple[str, str], dict]) -> dict[str, dict[str, float]]:
    """Peer -> {case: refimpl's epoch time / the peer's}, where both were measured."""
    result: dict[str, dict[str, float]] = {}
    for case in _cases(records):
        mine = records.get(("refimpl", case))
        for peer in PEERS:
            other = records.get((peer, case))
            if mine and other:
                key = f"refimpl ÷ {peer}"
                result.setdefault(key, {})[case] = mine["epoch_ms"] / other["epoch_ms"]
    return result


def render(records: dict[tuple[str, str], dict], language: str, machine: str) -> str:
    """The tables and the figure for one language's page."""
    words = strings.words(language, "benchmarks")
    cases = _cases(records)
    impls = [i for i in ("refimpl", *PEERS) if any((i, c) in records for c in cases)]

    def cell(impl: str, case: str, key: str) -> str:
        record = records.get((impl, case))
        return f"{record[key]:.1f}" if record else words["missing"]

    epoch_rows = [[f"`{c}`", *[cell(i, c, "epoch_ms") for i in impls]] for c in cases]
    by_peer = ratios(records)
    peers = [p for p in PEERS if f"refimpl ÷ {p}" in by_peer]

    def ratio(peer: str, case: str) -> str:
        value = by_peer[f"refimpl ÷ {peer}"].get(case)
        return words["missing"] if value is None else f"{value:.2f}"

    ratio_rows = [[f"`{c}`", *[ratio(p, c) for p in peers]] for c in cases]
    predict_impls = [i for i in impls if i != "limit"]
    predict_rows = [[f"`{c}`", *[cell(i, c, "predict_ms") for i in predict_impls]] for c in cases]
    names = strings.words(language, "benchmarks")["target_names"]
    target_rows = [
        [
            names.get(check.what, check.what),
            words["missing"] if check.case is None else f"`{check.case}`",
            words["missing"] if check.ratio is None
            else f"{check.ratio:.2f} ({words['at most']} {check.bound:g})",
            {True: words["yes"], False: words["no"], None: words["missing"]}[check.met],
        ]
        for check in check_targets(records)
    ]  # fmt: skip
    parts = [
        f"{words['machine']}: {machine}.",
        f"### {words['epoch']}",
        markdown_table([words["model"], *impls], epoch_rows),
        f"### {words['ratios']}",
        markdown_table([words["model"], *[f"÷ {p}" for p in peers]], ratio_rows),
        f"![{words['figure']}](../{FIGURE})",
        f"### {words['predict']}",
        markdown_table([words["model"], *predict_impls], predict_rows),
        f"### {words['targets']}",
        markdown_table([words[k] for k in ("target", "worst", "ratio", "met")], target_rows),
    ]
    return "\n\n".join(parts)


def write(results: Path, docs_dir: Path, machine: str) -> list[Path]:
    """The figure and every language's page section; returns the files written."""
    records = load(results)
    figure = docs_dir / FIGURE
    figure.parent.mkdir(parents=True, exist_ok=True)
    figure.write_text(svg_bar_chart(ratios(records)), encoding="utf-8")
    written = [figure]
    for language in LANGUAGES:
        page = docs_dir / language / "performance.md"
        if page.exists():
            replace_section(page, START, END, render(records, language, machine))
            written.append(page)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the JSON of benchmarks/run.py --json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="the docs folder")
    parser.add_argument(
        "--machine",
        default=f"{platform.machine()} CPU, {os.cpu_count()} cores",
        help="where the numbers were measured, as the pages should say it",
    )
    args = parser.parse_args(argv)
    for path in write(args.results, args.docs, args.machine):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
