"""Merge results files into the site's conformance report, in every language.

Each run of the suite writes `results/<impl>.json`. `write(files, docs_dir)` turns all
of them into an implementation x test matrix (by category, and block by block for the
documentation snippets, in the spirit of the ONNX backend scoreboard) and a plot of
the speed ratios, and places them in `docs/<lang>/conformance.md` between the markers

    <!-- conformance-report:start -->
    <!-- conformance-report:end -->

leaving the page's own prose around them untouched.
"""

from __future__ import annotations

import collections
import html
import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance import badges, docblocks, known_failures, layout
from keras_docs_base import strings
from keras_docs_base.files import write_text

START, END = "<!-- conformance-report:start -->", "<!-- conformance-report:end -->"
LANGUAGES = strings.LANGUAGES
FIGURE = "assets/conformance-speed.svg"

#: Outcome of a test on one implementation -> the symbol in the matrix.
SYMBOLS = {
    "passed": "✅",
    "known": "⚠️",
    "failed": "❌",
    "unexpected-pass": "❗",
    "skipped": "⏭️",
    "missing": "·",
}


class ResultsFileError(ValueError):
    """A results file that is missing or is not a results file of the suite."""


def _read(path: Path) -> dict[str, Any]:
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such results file") from None
    except (OSError, ValueError) as error:
        raise ResultsFileError(f"{path}: expected a results JSON file, {error}") from None
    if not isinstance(result, dict) or not {"implementation", "tests"} <= result.keys():
        raise ResultsFileError(
            f"{path}: expected a results file of the suite (with 'implementation' and "
            "'tests'), received another JSON document"
        )
    return result


def load(files: Iterable[Path]) -> list[dict[str, Any]]:
    """Results files, one per implementation, in the order given.

    Outcomes are compared again with the implementations' current known-failure lists,
    so a report rebuilt after a list was corrected agrees with that list.
    """
    results = []
    for path in files:
        result = _read(Path(path))
        name = result["implementation"]["name"]
        expected = known_failures.from_dict(result.get("known_failures"), name)
        for test in result["tests"]:
            test["known_failure"] = expected.reason(test["id"])
        result["comparison"] = expected.compare(result["tests"]).as_dict()
        result["file"] = Path(path).name
        results.append(result)
    return results


def environment_text(info: dict[str, Any]) -> str:
    """`Python 3.11.7, tensorflow-cpu 2.15.1, keras 2.15.0, ...` for one run."""
    versions = dict(info.get("environment", {}))
    python = versions.pop("python", None)
    parts = ([f"Python {python}"] if python else []) + [f"{k} {v}" for k, v in versions.items()]
    return ", ".join(parts) or "?"


def summary_tables(results: list[dict[str, Any]], names: list[str], t: dict[str, Any]) -> str:
    """The outcomes of each run, then where each ran, as two tables: the environment's
    long list of versions in a table of its own keeps every row of both to a line or
    two on a laptop's screen (1280 px)."""
    outcomes, environments = [], []
    for name, r in zip(names, results, strict=True):
        info, comparison = r["implementation"], r["comparison"]
        outcomes.append([
            f"`{name}`", str(info.get("version", info.get("error", "?"))),
            str(len(comparison["passed"])), str(len(comparison["expected_failures"])),
            str(len(comparison["unexpected_failures"])), str(len(comparison["unexpected_passes"])),
            str(len(comparison["skipped"])),
            t["ok"] if comparison["ok"] else f"**{t['mismatch']}**",
        ])  # fmt: skip
        environments.append([f"`{name}`", str(info.get("backend", "")),
                             str(info.get("device", "")), environment_text(info)])  # fmt: skip
    header = ["impl", "version", "passed", "known", "unexpected", "unexpected_pass", "skipped",
              "verdict"]  # fmt: skip
    return "\n\n".join([
        markdown_table([t[h] for h in header], outcomes),
        markdown_table([t[h] for h in ("impl", "backend", "device", "environment")], environments),
    ])  # fmt: skip


def column_names(results: list[dict[str, Any]]) -> list[str]:
    """One column per results file: the implementation's name, numbered when two runs
    (from two environments, say) share it."""
    names, seen = [], collections.Counter(r["implementation"]["name"] for r in results)
    counts: collections.Counter[str] = collections.Counter()
    for r in results:
        name = r["implementation"]["name"]
        counts[name] += 1
        names.append(f"{name} ({counts[name]})" if seen[name] > 1 else name)
    return names


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; a `|` inside a cell is escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def block_lines(docs_dir: Path) -> dict[str, int]:
    """Test id -> the line of its block on the page as it is now (runs recorded the line
    their page had then)."""
    lines = {}
    for page in sorted(docs_dir.glob("*/*.md")):
        text = page.read_text(encoding="utf-8")
        prefix = f"docs/{page.parent.name}/{page.name}::"
        for region in docblocks.parse(text):
            lines[prefix + region.parsed.key] = text.count("\n", 0, region.start) + 1
    return lines


def _block_label(test_id: str, tests: dict[str, dict[str, Any]], lines: dict[str, int]) -> str:
    """`docs/en/sequential-model.md::block-1a2b3c4d` -> `en/sequential-model.md:23`
    (the block's line on the page, else as its run recorded it), else the id itself."""
    page = test_id.split("::", 1)[0].removeprefix("docs/")
    recorded = {test["line"] for test in tests.values() if test.get("line") is not None}
    line = lines.get(test_id, min(recorded, default=None))
    return f"{page}:{line}" if page != test_id and line is not None else test_id


def render(
    results: list[dict[str, Any]],
    language: str,
    figure: str | None,
    lines: dict[str, int] | None = None,
) -> str:
    """The report section of one language's page, as Markdown; `lines` places the blocks
    (block_lines)."""
    t = strings.words(language, "report")
    names = column_names(results)
    out = [f"## {t['summary']} {{#summary}}", ""]
    out += [summary_tables(results, names, t), ""]

    by_test: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for name, r in zip(names, results, strict=True):
        for test in r["tests"]:
            by_test[test["id"]][name] = test
    categories = sorted({test["category"] for r in results for test in r["tests"]})
    out += [f"## {t['by_category']} {{#by-category}}", ""]
    rows = []
    for cat in categories:
        row = [cat]
        for name in names:
            tests = [v[name] for v in by_test.values() if name in v and v[name]["category"] == cat]
            passed = sum(known_failures.status(test) == "passed" for test in tests)
            known = sum(known_failures.status(test) == "known" for test in tests)
            if not tests:  # the category was not run for this implementation
                row.append("—")
                continue
            row.append(
                f"{passed}/{len(tests)}" + (f" ({SYMBOLS['known']} {known})" if known else "")
            )
        rows.append(row)
    out += [markdown_table([t["category"], *[f"`{n}`" for n in names]], rows), ""]

    legend = ", ".join(f"{symbol} {kind}" for kind, symbol in SYMBOLS.items())
    out += [f"{t['legend']}: {legend}", ""]
    out += [f"## {t['speed']} {{#speed-ratios}}", "", t["speed_note"], ""]
    out += [f"![{t['speed']}]({figure})" if figure else t["no_speed"], ""]

    for title, anchor, pick in (
        (t["blocks"], "doc-blocks", layout.is_doc_block),
        (t["others"], "other-tests", lambda i: not layout.is_doc_block(i)),
    ):
        ids = sorted(i for i in by_test if pick(i))
        if not ids:
            continue
        out += [f"## {title} {{#{anchor}}}", "", f"/// details | {title} ({len(ids)})", ""]
        label = t["block"] if anchor == "doc-blocks" else t["test"]
        rows = [
            [f"`{_block_label(i, by_test[i], lines or {})}`"]
            + [
                SYMBOLS[known_failures.status(by_test[i][n]) if n in by_test[i] else "missing"]
                for n in names
            ]
            for i in ids
        ]
        out += [markdown_table([label, *[f"`{n}`" for n in names]], rows), "", "///", ""]
    sources = ", ".join(f"`{r['file']}`" for r in results)
    out += [f"{t['generated']}: {sources}"]
    return "\n".join(out)


def speed_ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Implementation -> {benchmark: ratio} from the performance tests' records."""
    ratios: dict[str, dict[str, float]] = {}
    for column, r in zip(column_names(results), results, strict=True):
        for test in r["tests"]:
            for name, value in test.get("ratios", {}).items():
                ratios.setdefault(column, {})[name] = float(value)
    return ratios


def svg_bar_chart(ratios: dict[str, dict[str, float]]) -> str:
    """A horizontal bar chart of ratios, one group of bars per benchmark (plain SVG)."""
    benchmarks = sorted({b for per_impl in ratios.values() for b in per_impl})
    impls = list(ratios)
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    bar, gap, left, width = 14, 10, 260, 420
    top = 30
    height = top + len(benchmarks) * (len(impls) * bar + gap) + 20 * (len(impls) + 1)
    largest = max((v for per in ratios.values() for v in per.values()), default=1.0)
    scale = width / max(largest, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<line x1="{left + scale}" y1="{top - 10}" x2="{left + scale}" '
        f'y2="{height - 20 * (len(impls) + 1)}" stroke="#999" stroke-dasharray="4"/>',
        f'<text x="{left + scale + 3}" y="{top - 14}" fill="#666">1×</text>',
    ]
    y = top
    for benchmark in benchmarks:
        parts.append(
            f'<text x="{left - 8}" y="{y + bar * len(impls) / 2 + 4}" text-anchor="end">'
            f"{html.escape(benchmark)}</text>"
        )
        for index, impl in enumerate(impls):
            value = ratios[impl].get(benchmark)
            if value is not None:
                color = palette[index % len(palette)]
                parts.append(
                    f'<rect x="{left}" y="{y}" width="{max(value * scale, 1):.1f}" '
                    f'height="{bar - 2}" fill="{color}"/>'
                    f'<text x="{left + value * scale + 4:.1f}" y="{y + bar - 4}">'
                    f"{value:.2f}×</text>"
                )
            y += bar
        y += gap
    for index, impl in enumerate(impls):
        color = palette[index % len(palette)]
        legend_y = y + 20 * index + 10
        parts.append(
            f'<rect x="{left}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>'
            f'<text x="{left + 18}" y="{legend_y}">{html.escape(impl)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def write(files: Iterable[Path], docs_dir: Path) -> list[Path]:
    """Render every language's report page (and the figure) from results files."""
    results = load(files)
    written = []
    ratios = speed_ratios(results)
    figure = None
    if ratios:
        figure_path = docs_dir / FIGURE
        figure_path.parent.mkdir(parents=True, exist_ok=True)
        write_text(figure_path, svg_bar_chart(ratios))
        written.append(figure_path)
        figure = f"../{FIGURE}"
    written += badges.write_pages(
        badges.summary(results, column_names(results)), docs_dir, LANGUAGES
    )
    lines = block_lines(docs_dir)
    for language in LANGUAGES:
        page = docs_dir / language / "conformance.md"
        if not page.exists():
            continue
        replace_section(page, START, END, render(results, language, figure, lines))
        written.append(page)
    return written


def replace_section(page: Path, start: str, end: str, body: str) -> None:
    """Put `body` between the `start` and `end` markers of `page` (appended if absent).

    The page's own text outside the markers is kept as it is.
    """
    text = page.read_text(encoding="utf-8")
    section = f"{start}\n\n{body}\n\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    write_text(page, text)
