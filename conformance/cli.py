"""`python -m conformance`: run the suite against one implementation, write its report.

    python -m conformance [--impl NAME] [--only docs,numerics,...] [--jobs N]
                          [--results DIR] [--report [DOCS_DIR]] [PATH ...]
    python -m conformance report [--results DIR] [--docs DOCS_DIR]
    python -m conformance known-failures RESULTS.json   # lines to review for the list

Each test file runs in its own pytest process (`conformance.runner`), so a crash or a
hang inside one case becomes that case's result and the run goes on. It writes
`<results>/<impl>.json`; `--report` then rebuilds the report pages of the site from
every results file in `<results>`. The exit status is 0 exactly when the outcomes match
the implementation's known-failure list (`conformance/known_failures/<impl>.txt`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from conformance import implementations, report, runner, thresholds

ROOT = Path(__file__).resolve().parents[1]

#: Category -> what pytest collects for it, relative to the repository root.
TARGETS: dict[str, str] = {
    "docs": "docs",
    "numerics": "conformance/suite/test_numerics.py",
    "api": "conformance/suite/test_api_surface.py",
    "convergence": "conformance/suite/test_convergence.py",
    "performance": "conformance/suite/test_performance.py",
    "determinism": "conformance/suite/test_determinism.py",
    "persistence": "conformance/suite/test_persistence.py",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m conformance", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--impl",
        default=None,
        help="implementation under test: refimpl (default), tf_keras, keras3, keras3-jax, "
        "keras3-torch, or an importable module name (also $KERAS_IMPL)",
    )
    parser.add_argument(
        "--only",
        default=",".join(TARGETS),
        help=f"comma-separated categories to run (default: all of {', '.join(TARGETS)})",
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


def run(args: argparse.Namespace) -> int:
    impl = implementations.resolve(args.impl)
    categories = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in categories if c not in TARGETS]
    if unknown:
        print(
            f"error: unknown categories {unknown}; expected some of {list(TARGETS)}",
            file=sys.stderr,
        )
        return 2
    targets = [TARGETS[c] for c in categories if (ROOT / TARGETS[c]).exists()]
    missing = [c for c in categories if not (ROOT / TARGETS[c]).exists()]
    if args.paths:
        targets, missing = [str(Path(p).resolve()) for p in args.paths], []
    for category in missing:
        print(f"note: category {category!r} has no tests in this checkout; skipped")
    if not targets:
        print("error: nothing to run", file=sys.stderr)
        return 2
    results_dir = Path(args.results).resolve()
    results_file = results_dir / f"{impl.name}.json"
    print(f"conformance: running {', '.join(categories)} against {impl.name}", flush=True)
    comparison = runner.run(
        impl,
        targets,
        jobs=max(1, args.jobs),
        case_timeout=args.timeout or thresholds.load()["suite"]["case_timeout_seconds"],
        results_file=results_file,
    )
    if args.report is not None:
        written = report.write(sorted(results_dir.glob("*.json")), Path(args.report))
        print(f"conformance: report written to {', '.join(str(p) for p in written)}")
    return 0 if comparison.ok else 1


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
    if argv[:1] == ["known-failures"]:
        if len(argv) != 2:
            print("usage: python -m conformance known-failures RESULTS.json", file=sys.stderr)
            return 2
        print("\n".join(suggest_known_failures(Path(argv[1]))))
        return 0
    if argv[:1] == ["report"]:
        parser = argparse.ArgumentParser(prog="python -m conformance report")
        parser.add_argument("--results", default="results")
        parser.add_argument("--docs", default="docs")
        options = parser.parse_args(argv[1:])
        files = sorted(Path(options.results).glob("*.json"))
        if not files:
            print(f"error: no results in {options.results}/; run the suite first", file=sys.stderr)
            return 2
        for path in report.write(files, Path(options.docs)):
            print(f"wrote {path}")
        return 0
    return run(_parser().parse_args(argv))
