"""Known failures: one list per implementation, kept true by the suite itself.

A list holds one line per test that is expected to fail on an implementation: the
test's id, a `|`, and the reason. In an id, `*` stands for any characters but `/`,
so one line can name a documentation block in every language whose page has the
same code (doc blocks are named by their code, see `conformance.docblocks`):

    docs/*/sequential-model.md::block-1a2b3c4d | SGD(decay=...) was removed in Keras 3
    conformance/suite/test_numerics.py::test_optimizer_steps[rmsprop-epsilon-outside-sqrt] | ...

The suite ships a list for each built-in implementation
(`conformance/known_failures/<name>.txt`); an implementer keeps their own anywhere and
passes it with `--known-failures PATH`, to `python -m conformance` or to plain
`pytest` alike. Both apply it the same way, through `KnownFailures`: a listed test is
an expected failure; an unlisted failure and a listed test that passes ("unexpectedly
passing") both make the run fail, so a list always describes reality. A line whose
file was collected but which names none of its tests is an error: the id is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).with_name("known_failures")
FAILED = {"failed", "error", "crashed", "timeout"}


def status(test: dict[str, Any]) -> str:
    """How one recorded test result reads against its implementation's list (its
    `known_failure` reason, if listed): passed, known, failed, unexpected-pass or
    skipped. The report's matrix and the badges show this."""
    failed = test["outcome"] in FAILED
    if test["outcome"] == "skipped":
        return "skipped"
    if test.get("known_failure"):
        return "known" if failed else "unexpected-pass"
    return "failed" if failed else "passed"
#: `KnownFailures.source` of a list shipped with the suite.
BUILTIN = "builtin"


class KnownFailuresError(ValueError):
    """A known-failure list that cannot be used as it is (the message says why)."""


def path_for(implementation: str) -> Path:
    return DIRECTORY / f"{implementation}.txt"


def _pattern(entry: str) -> re.Pattern[str]:
    return re.compile("[^/]*".join(re.escape(part) for part in entry.split("*")))


@dataclass
class KnownFailures:
    """The entries of one list (id pattern -> reason) and where they came from."""

    entries: dict[str, str] = field(default_factory=dict)
    source: str = BUILTIN

    def __post_init__(self) -> None:
        self._patterns = {entry: _pattern(entry) for entry in self.entries}

    def reason(self, test_id: str) -> str | None:
        """Why `test_id` is expected to fail, or None when it is not listed."""
        for entry, pattern in self._patterns.items():
            if pattern.fullmatch(test_id):
                return self.entries[entry]
        return None

    def unmatched(self, test_ids: Iterable[str], all_files: Iterable[str] = ()) -> list[str]:
        """Entries that match none of `test_ids` although the run holds every file they
        can name: each of `test_ids`' files that the entry's file part matches, and each
        of `all_files` it matches (a `docs/*/page.md` entry is judged only in a run of
        every language's page, since the block may be on some of them only)."""
        test_ids = list(test_ids)
        files = {test_id.split("::", 1)[0] for test_id in test_ids}
        lost = []
        for entry, pattern in self._patterns.items():
            file_pattern = _pattern(entry.split("::", 1)[0])
            named = {f for f in (*files, *all_files) if file_pattern.fullmatch(f)}
            judged = named and named <= files
            if judged and not any(pattern.fullmatch(t) for t in test_ids):
                lost.append(entry)
        return lost

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "entries": self.entries}


def read(path: Path, source: str | None = None) -> KnownFailures:
    """The list in the file at `path`; KnownFailuresError if it is missing or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise KnownFailuresError(
            f"cannot read the known-failure list {path}: {error.strerror or error}"
        ) from None
    entries: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test_id, bar, reason = line.partition(" | ")
        if not bar or not reason.strip() or not test_id.strip():
            raise KnownFailuresError(
                f"{path}:{number}: expected `<test id> | <reason>`, received {raw!r}"
            )
        if test_id.strip() in entries:
            raise KnownFailuresError(f"{path}:{number}: {test_id.strip()!r} is listed twice")
        entries[test_id.strip()] = reason.strip()
    return KnownFailures(entries, source or str(path))


def load(implementation: str, path: str | Path | None = None) -> KnownFailures:
    """The list for `implementation`: the file at `path` when given, else the suite's
    own list for it (empty when it has none)."""
    if path is not None:
        return read(Path(path))
    builtin = path_for(implementation)
    return read(builtin, BUILTIN) if builtin.exists() else KnownFailures()


def from_dict(data: dict[str, Any] | None, implementation: str) -> KnownFailures:
    """The list a results file was compared with: the suite's current list for a
    built-in one (so a corrected list corrects old results), else the recorded one."""
    if not data or data.get("source") == BUILTIN:
        return load(implementation)
    return KnownFailures(dict(data["entries"]), data["source"])


@dataclass
class Comparison:
    """How one run's outcomes compare with the known-failure list."""

    passed: list[str] = field(default_factory=list)
    expected_failures: list[str] = field(default_factory=list)
    unexpected_failures: list[str] = field(default_factory=list)
    unexpected_passes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unexpected_failures and not self.unexpected_passes

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in self.__dict__.items()}, "ok": self.ok}

    def summary_lines(self) -> list[str]:
        lines = [
            f"{len(self.passed)} passed, {len(self.expected_failures)} known failures, "
            f"{len(self.skipped)} skipped (capability not claimed), "
            f"{len(self.unexpected_failures)} unexpected failures, "
            f"{len(self.unexpected_passes)} unexpectedly passing"
        ]
        lines += [f"UNEXPECTED FAILURE: {test_id}" for test_id in self.unexpected_failures]
        lines += [
            f"UNEXPECTEDLY PASSING (remove it from the known-failure list): {test_id}"
            for test_id in self.unexpected_passes
        ]
        lines.append("conformance: OK" if self.ok else "conformance: MISMATCH")
        return lines


def compare(tests: Iterable[dict[str, Any]], expected: KnownFailures) -> Comparison:
    """Sort every test outcome against the known-failure list."""
    result = Comparison()
    for test in tests:
        test_id, outcome = test["id"], test["outcome"]
        listed = expected.reason(test_id) is not None
        if outcome == "skipped":
            result.skipped.append(test_id)
        elif outcome in FAILED:
            (result.expected_failures if listed else result.unexpected_failures).append(test_id)
        else:
            (result.unexpected_passes if listed else result.passed).append(test_id)
    return result
