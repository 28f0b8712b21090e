"""`python -m refimpl migrate PATH...`: the command line of the migration.

    python -m refimpl migrate model.py guide.md          # print a unified diff
    python -m refimpl migrate --check src/               # exit 1 if anything would change
    python -m refimpl migrate --write src/               # edit in place
    python -m refimpl migrate --tabs --write docs/       # Markdown: Keras 3 tabs beside

Each kind of file has its front-end (`MIGRATORS`, by suffix). Exit status: 0 nothing
to change, 1 changes (`--check`, or flags left), 2 bad usage.

Example:

>>> main(["--check", "no-such-file.py"])  # an error on stderr, and exit status 2
Traceback (most recent call last):
SystemExit: 2
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from keras_docs_base import strings
from keras_docs_base.files import write_text
from refimpl.migrate.markdown import add_keras3_tabs, migrate_markdown
from refimpl.migrate.python_source import Result, migrate_code
from refimpl.migrate.rules import FLAG

#: File suffix -> the front-end that migrates such a file.
MIGRATORS: dict[str, Callable[[str], Result]] = {
    ".py": migrate_code,
    ".md": migrate_markdown,
}


def files(paths: Iterable[str]) -> list[Path]:
    """The Python and Markdown files at or under `paths`."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in MIGRATORS)
        elif path.suffix in MIGRATORS and path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(
                f"{name!r}: expected a .py or .md file or a directory, received "
                f"{'a missing path' if not path.exists() else 'a ' + path.suffix + ' file'}"
            )
    return found


def _language(path: Path) -> str:
    """The site's language of a page, from its folder (`docs/zh/...`); else English."""
    return path.parent.name if path.parent.name in strings.LANGUAGES else "en"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (the arguments after `migrate`); its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m refimpl migrate", description="Rewrite Keras 2 code for Keras 3."
    )
    parser.add_argument("paths", nargs="+", help=".py and .md files, or directories")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff (default)")
    mode.add_argument("--check", action="store_true", help="exit 1 if anything would change")
    mode.add_argument("--write", action="store_true", help="edit the files in place")
    parser.add_argument(
        "--tabs",
        action="store_true",
        help="Markdown: keep each Keras 2 block and add a 'Keras 3' tab beside it (flags are "
        "explained there, in the language of the page's folder: en, zh, zh-TW, ja) instead "
        "of rewriting the block",
    )
    options = parser.parse_args(argv)
    try:
        targets = files(options.paths)
    except FileNotFoundError as error:
        parser.exit(2, f"migrate: error: {error}\n")
    changed = flagged = 0
    for path in targets:
        before = path.read_text(encoding="utf-8")
        if options.tabs and path.suffix == ".md":
            result = add_keras3_tabs(before, _language(path))
        else:
            result = MIGRATORS[path.suffix](before)
            flagged += bool(result.flags)  # with --tabs, the page shows them
        for note in result.flags:
            print(f"{path}: {FLAG} {note}", file=sys.stderr)
        if result.source == before:
            continue
        changed += 1
        if options.write:
            write_text(path, result.source)
        elif not options.check:
            sys.stdout.writelines(difflib.unified_diff(
                before.splitlines(keepends=True), result.source.splitlines(keepends=True),
                f"a/{path}", f"b/{path}",
            ))  # fmt: skip
    verb = "migrated" if options.write else "would change"
    print(f"{changed} of {len(targets)} file(s) {verb}, {flagged} with flags", file=sys.stderr)
    return 1 if (changed and not options.write) or flagged else 0
