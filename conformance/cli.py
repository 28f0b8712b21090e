"""`python -m conformance`: run the suite against one implementation, write its report.

    python -m conformance [--impl NAME] [--known-failures PATH] [--only docs,numerics,...]
                          [--jobs N] [--results DIR] [--report [DOCS_DIR]] [PATH ...]
    python -m conformance report [--docs DOCS_DIR] [RESULTS.json ... | --results DIR]
    python -m conformance known-failures RESULTS.json   # lines to review for the list

Each test file runs in its own pytest process (`conformance.runner`), so a crash or a
hang inside one case becomes that case's result and the run goes on. It writes
`<results>/<impl>.json`; `--report` then rebuilds the report pages of the site from
every results file in `<results>`, and `report` from results files made anywhere.

Exit status: 0 when the outcomes match the implementation's known-failure list
(`--known-failures PATH`, else the suite's own list for it), 1 when they do not, 2 when
the run cannot start (an implementation that cannot be imported or is not a Keras, a
list that is malformed or names tests that do not exist), with one line saying why.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from conformance import implementations, known_failures, layout, report, results, runner, thresholds

CATEGORIES = list(layout.CATEGORIES)


class UsageError(Exception):
    """The run cannot start; the message says what is wrong and what to do."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance",
        description=__doc__.split("\n")[0],
        epilog="categories (a failure means):\n"
        + "\n".join(f"  {c.name:<12} {c.means}" for c in layout.CATEGORIES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--impl",
        default=None,
        help="implementation under test: refimpl (default), tf_keras, keras3, keras3-jax, "
        "keras3-torch, keras (whatever `import keras` gives here, e.g. genuine Keras 2), "
        "or an importable module name (also $KERAS_IMPL)",
    )
    parser.add_argument(
        "--known-failures",
        default=None,
        metavar="PATH",
        help="your known-failure list (`<test id> | <reason>` lines); default: the "
        "suite's own list for a built-in implementation, else none",
    )
    parser.add_argument(
        "--only",
        default=",".join(CATEGORIES),
        help=f"comma-separated categories to run (default: all of {', '.join(CATEGORIES)})",
    )
    parser.add_argument("--jobs", "-n", type=int, default=min(2, os.cpu_count() or 1),
                        help="parallel worker processes (default: 2)")  # fmt: skip
    parser.add_argument("--results", default="results", help="directory for the JSON results")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds after which one case counts as a hang (default: thresholds.toml)",
    )
    parser.add_argument(
        "--report",
        nargs="?",
        const="docs",
        default=None,
        metavar="DOCS_DIR",
        help="after the run, rebuild the report pages under DOCS_DIR (default: docs)",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help="test files or directories to run instead of the categories (for new suites)",
    )
    return parser


def _targets(args: argparse.Namespace) -> list[str]:
    categories = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in categories if c not in layout.CATEGORIES]
    if unknown:
        raise UsageError(f"unknown categories {unknown} in --only; expected some of {CATEGORIES}")
    if args.paths:
        return [str(Path(p).resolve()) for p in args.paths]
    try:
        return [str(layout.category_path(c)) for c in categories]
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None


def run(args: argparse.Namespace) -> int:
    impl = implementations.resolve(args.impl)
    targets = _targets(args)
    try:
        expected = known_failures.load(impl.name, args.known_failures)
    except known_failures.KnownFailuresError as error:
        raise UsageError(str(error)) from None
    info = results.describe(impl.name)
    if "error" in info:
        raise UsageError(
            f"--impl {impl.name}: {info['error']}. Run the suite in the environment where "
            "the implementation is installed, with a built-in name or an importable module."
        )
    results_dir = Path(args.results).resolve()
    print(f"conformance: running {args.only} against {impl.name}", flush=True)
    try:
        comparison = runner.run(
            impl, info, targets,
            jobs=max(1, args.jobs),
            case_timeout=args.timeout or thresholds.load()["suite"]["case_timeout_seconds"],
            results_file=results_dir / f"{impl.name}.json",
            expected=expected,
        )  # fmt: skip
    except (runner.CollectionError, known_failures.KnownFailuresError) as error:
        raise UsageError(str(error)) from None
    if args.report is not None:
        _write_report(sorted(results_dir.glob("*.json")), Path(args.report))
    return comparison.exit_status


def _write_report(files: list[Path], docs: Path) -> None:
    try:
        written = report.write(files, docs)
    except report.ResultsFileError as error:
        raise UsageError(str(error)) from None
    if not written:
        raise UsageError(f"no report pages under {docs} (expected {docs}/<lang>/conformance.md)")
    print(f"conformance: report written to {', '.join(str(p) for p in written)}")


def suggest_known_failures(results_file: Path) -> list[str]:
    """Known-failure lines for every unlisted failure of a run, for a maintainer to review."""
    result = json.loads(results_file.read_text(encoding="utf-8"))
    unexpected = set(result["comparison"]["unexpected_failures"])
    lines = []
    for test in result["tests"]:
        if test["id"] in unexpected:
            reason = " ".join(test["message"].removeprefix("E").split())[:200]
            lines.append(f"{test['id']} | {test['outcome']}: {reason or 'no message'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["known-failures"]:
            if len(argv) != 2:
                raise UsageError("usage: python -m conformance known-failures RESULTS.json")
            print("\n".join(suggest_known_failures(Path(argv[1]))))
            return 0
        if argv[:1] == ["report"]:
            parser = argparse.ArgumentParser(prog="python -m conformance report")
            parser.add_argument("files", nargs="*", help="results files (default: --results)")
            parser.add_argument("--results", default="results")
            parser.add_argument("--docs", default="docs")
            options = parser.parse_args(argv[1:])
            files = [Path(f) for f in options.files] or sorted(Path(options.results).glob("*.json"))
            if not files:
                raise UsageError(f"no results in {options.results}/; run the suite first")
            _write_report(files, Path(options.docs))
            return 0
        return run(_parser().parse_args(argv))
    except UsageError as error:
        print(f"conformance: error: {error}", file=sys.stderr)
        return 2
