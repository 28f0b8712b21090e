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
from conformance.report import LANGUAGES, replace_section, svg_bar_chart  # noqa: E402

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
FIGURE = "assets/benchmark-ratios.svg"
#: The peers refimpl is divided by, in the figure and the ratio table.
PEERS = ("keras3", "keras3_xla", "tf_keras", "limit")

#: The tables' words, per language.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "epoch": "Time per epoch (ms, median)", "ratios": "refimpl's time ÷ each peer's",
        "predict": "`predict` on one sample (ms, median)", "model": "Model",
        "figure": "refimpl's time per epoch divided by each peer's (below 1: refimpl is faster)",
        "machine": "Measured on", "missing": "not run",
        "targets": "Targets of issue 5 in this run", "target": "Target",
        "worst": "Worst model", "ratio": "refimpl ÷ fastest peer named", "met": "Met",
        "yes": "yes", "no": "**no**", "at most": "at most",
    },
    "zh": {
        "epoch": "每轮用时（毫秒，中位数）", "ratios": "refimpl 用时 ÷ 对照实现用时",
        "predict": "单个样本的 `predict`（毫秒，中位数）", "model": "模型",
        "figure": "refimpl 每轮用时除以各对照实现的每轮用时（小于 1 表示 refimpl 更快）",
        "machine": "测量环境", "missing": "未运行",
        "targets": "本次运行中 issue 5 的目标", "target": "目标", "worst": "最差的模型",
        "ratio": "refimpl ÷ 所列最快对照", "met": "达成", "yes": "是", "no": "**否**",
        "at most": "上限",
    },
    "zh-TW": {
        "epoch": "每輪耗時（毫秒，中位數）", "ratios": "refimpl 耗時 ÷ 對照實作耗時",
        "predict": "單一樣本的 `predict`（毫秒，中位數）", "model": "模型",
        "figure": "refimpl 每輪耗時除以各對照實作的每輪耗時（小於 1 表示 refimpl 較快）",
        "machine": "量測環境", "missing": "未執行",
        "targets": "本次執行中 issue 5 的目標", "target": "目標", "worst": "最差的模型",
        "ratio": "refimpl ÷ 所列最快對照", "met": "達成", "yes": "是", "no": "**否**",
        "at most": "上限",
    },
    "ja": {
        "epoch": "1 エポックあたりの時間（ミリ秒、中央値）",
        "ratios": "refimpl の時間 ÷ 比較対象の時間",
        "predict": "1 サンプルの `predict`（ミリ秒、中央値）", "model": "モデル",
        "figure": "refimpl の 1 エポックの時間を各比較対象の時間で割った値"
        "（1 未満なら refimpl が速い）",
        "machine": "測定環境", "missing": "未実行",
        "targets": "この実行での issue 5 の目標", "target": "目標", "worst": "最も遅れたモデル",
        "ratio": "refimpl ÷ 挙げた中で最速の比較対象", "met": "達成", "yes": "はい",
        "no": "**いいえ**", "at most": "上限",
    },
}  # fmt: skip

#: The targets of `benchmarks.run.TARGETS`, in each language but English.
TARGET_NAMES: dict[str, dict[str, str]] = {
    "zh": {
        "MLPs within 2x of the fused limit": "多层感知机的用时不超过融合极限的 2 倍",
        "MLPs at least 10x faster than Keras 3": "多层感知机至少比 Keras 3 快 10 倍",
        "every model at least as fast as the fastest peer": "每个模型都不慢于最快的对照实现",
        "batch-1 predict no slower than Keras 3": "单样本 predict 不慢于 Keras 3",
    },
    "zh-TW": {
        "MLPs within 2x of the fused limit": "多層感知器的耗時不超過融合極限的 2 倍",
        "MLPs at least 10x faster than Keras 3": "多層感知器至少比 Keras 3 快 10 倍",
        "every model at least as fast as the fastest peer": "每個模型都不慢於最快的對照實作",
        "batch-1 predict no slower than Keras 3": "單一樣本 predict 不慢於 Keras 3",
    },
    "ja": {
        "MLPs within 2x of the fused limit": "MLP の時間が融合ループの限界の 2 倍以内",
        "MLPs at least 10x faster than Keras 3": "MLP が Keras 3 の 10 倍以上速い",
        "every model at least as fast as the fastest peer": (
            "どのモデルも最速の比較対象より遅くない"
        ),
        "batch-1 predict no slower than Keras 3": "1 サンプルの predict が Keras 3 より遅くない",
    },
}


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


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def render(records: dict[tuple[str, str], dict], language: str, machine: str) -> str:
    """The tables and the figure for one language's page."""
    words = TEXT[language]
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
    names = TARGET_NAMES.get(language, {})
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
        _table([words["model"], *impls], epoch_rows),
        f"### {words['ratios']}",
        _table([words["model"], *[f"÷ {p}" for p in peers]], ratio_rows),
        f"![{words['figure']}](../{FIGURE})",
        f"### {words['predict']}",
        _table([words["model"], *predict_impls], predict_rows),
        f"### {words['targets']}",
        _table([words[k] for k in ("target", "worst", "ratio", "met")], target_rows),
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
