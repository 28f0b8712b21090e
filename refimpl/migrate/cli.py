"""`python -m refimpl migrate PATH...`: the command line of the migration.

    python -m refimpl migrate model.py guide.md nb.ipynb  # print a unified diff
    python -m refimpl migrate --check src/               # exit 1 if anything would change
    python -m refimpl migrate --write src/               # edit in place
    python -m refimpl migrate --tabs --write docs/       # Markdown: Keras 3 tabs beside

Each kind of file has its front-end (`MIGRATORS`, by suffix); a notebook's diff is one
per cell. The run never stops at a file: a file that cannot be read, a block that is
not Python, a block the tool cannot rewrite are each reported on stderr with their
place and the reason, and the run goes on to a summary line with the counts.

Exit status: 0 nothing to change, 1 changes (made or to make) or something flagged or
left alone, 2 bad usage or a file that could not be read.

Example:

>>> main(["--check", "no-such-file.py"])  # an error on stderr, and exit status 2
Traceback (most recent call last):
SystemExit: 2
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from keras_docs_base import strings
from keras_docs_base.files import write_text
from refimpl.migrate.markdown import add_keras3_tabs, migrate_markdown
from refimpl.migrate.notebook import cell_diff, migrate_notebook
from refimpl.migrate.python_source import Result, migrate_code
from refimpl.migrate.rules import FLAG

#: File suffix -> the front-end that migrates such a file.
MIGRATORS: dict[str, Callable[[str], Result]] = {
    ".py": migrate_code,
    ".md": migrate_markdown,
    ".ipynb": migrate_notebook,
}


def files(paths: Iterable[str]) -> list[Path]:
    """The Python, Markdown and notebook files at or under `paths`."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in MIGRATORS and p.is_file())
        elif path.suffix in MIGRATORS and path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(
                f"{name!r}: expected a .py, .md or .ipynb file or a directory, received "
                f"{'a missing path' if not path.exists() else 'a ' + path.suffix + ' file'}"
            )
    return found


def _language(path: Path) -> str:
    """The site's language of a page, from its folder (`docs/zh/...`); else English."""
    return path.parent.name if path.parent.name in strings.LANGUAGES else "en"


def _read(path: Path) -> str:
    """A file's text: UTF-8 (a byte-order mark allowed); UnicodeDecodeError otherwise."""
    return path.read_bytes().decode("utf-8-sig" if path.suffix == ".ipynb" else "utf-8")


def _diff(path: Path, before: str, after: str) -> Iterator[str]:
    if path.suffix == ".ipynb":
        return cell_diff(before, after, str(path))
    return difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )


def _migrate(path: Path, text: str, tabs: bool) -> Result:
    if tabs and path.suffix == ".md":
        return add_keras3_tabs(text, _language(path))
    return MIGRATORS[path.suffix](text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (the arguments after `migrate`); its exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m refimpl migrate", description="Rewrite Keras 2 code for Keras 3."
    )
    parser.add_argument("paths", nargs="+", help=".py, .md and .ipynb files, or directories")
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
    changed = flagged = skipped = unreadable = 0
    for path in targets:
        try:
            before = _read(path)
            result = _migrate(path, before, options.tabs)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            # ValueError: a notebook that is not JSON, or not a notebook (nbformat)
            print(f"{path}: cannot be read ({type(error).__name__}: {error}); left as it is",
                  file=sys.stderr)  # fmt: skip
            unreadable += 1
            continue
        for note in result.flags:
            print(f"{path}: {FLAG} {note}", file=sys.stderr)
        for note in result.notes:
            print(f"{path}: changed: {note}", file=sys.stderr)
        for block in result.skipped:
            print(f"{path}:{block.line}: left as it is: {block.reason}", file=sys.stderr)
        skipped += len(result.skipped)
        if not (options.tabs and path.suffix == ".md"):
            flagged += bool(result.flags)  # with --tabs, the page shows them
        if result.source == before:
            continue
        changed += 1
        if options.write:
            write_text(path, result.source)
        elif not options.check:
            sys.stdout.writelines(_diff(path, before, result.source))
    verb = "migrated" if options.write else "would change"
    print(
        f"{len(targets)} file(s): {changed} {verb}, {flagged} with flags, {skipped} block(s) "
        f"left as they were, {unreadable} unreadable",
        file=sys.stderr,
    )
    if unreadable:
        return 2
    return 1 if changed or flagged or skipped else 0
