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
`pytest` alike. Both apply it the same way, through one `KnownFailures` object:

- `check` refuses a list with a line whose file was collected but which names none of
  its tests (the id is wrong), once, before anything runs;
- `kind` is the one comparison of an outcome with the list (passed, known, failed,
  unexpected-pass, skipped), from which a run's `Comparison`, its exit status, the
  report's matrix and the badges all derive. An unlisted failure and a listed test
  that passes ("unexpectedly passing") both make the run fail, so a list always
  describes reality.

Example:

>>> listed = KnownFailures({"docs/*/index.md::block-0123abcd": "no decay in Keras 3"})
>>> [listed.kind(f"docs/{lang}/index.md::block-0123abcd", "failed") for lang in ("en", "ja")]
['known', 'known']
>>> listed.compare([{"id": "docs/en/index.md::block-0123abcd", "outcome": "passed"}]).ok
False
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).with_name("known_failures")
#: The outcomes that count as failing.
FAILED = {"failed", "error", "crashed", "timeout"}

#: (the outcome failed, the test is listed) -> how the outcome reads against the list.
KINDS = {
    (False, False): "passed",
    (True, True): "known",
    (True, False): "failed",
    (False, True): "unexpected-pass",
}
#: The kinds that make a run disagree with its list (exit status 1).
MISMATCHES = ("failed", "unexpected-pass")


def kind(outcome: str, listed: bool) -> str:
    """How one outcome reads against a list that lists its test or not: passed, known,
    failed, unexpected-pass, or skipped (a capability not claimed)."""
    if outcome == "skipped":
        return "skipped"
    return KINDS[(outcome in FAILED, listed)]


def status(test: dict[str, Any]) -> str:
    """`kind` of one recorded test result, listed when it carries the reason it was
    listed for (`known_failure`). The report's matrix and the badges show this."""
    return kind(test["outcome"], bool(test.get("known_failure")))


class KnownFailuresError(ValueError):
    """A known-failure list that cannot be used as it is (the message says why)."""


def path_for(implementation: str) -> Path:
    """Where the suite's own list for `implementation` lies (it may have none)."""
    return DIRECTORY / f"{implementation}.txt"


def _pattern(entry: str) -> re.Pattern[str]:
    return re.compile("[^/]*".join(re.escape(part) for part in entry.split("*")))


@dataclass
class KnownFailures:
    """The entries of one list (id pattern -> reason), where they came from, and whether
    it is the suite's own list (`builtin`): a results file made with a built-in list is
    judged again with the suite's current one."""

    entries: dict[str, str] = field(default_factory=dict)
    source: str = ""
    builtin: bool = False

    def __post_init__(self) -> None:
        self._patterns = {entry: _pattern(entry) for entry in self.entries}

    def reason(self, test_id: str) -> str | None:
        """Why `test_id` is expected to fail, or None when it is not listed."""
        for entry, pattern in self._patterns.items():
            if pattern.fullmatch(test_id):
                return self.entries[entry]
        return None

    def kind(self, test_id: str, outcome: str) -> str:
        """How `outcome` of `test_id` reads against this list (see `kind`)."""
        return kind(outcome, self.reason(test_id) is not None)

    def compare(self, tests: Iterable[dict[str, Any]]) -> Comparison:
        """Every recorded outcome sorted by its kind against this list."""
        comparison = Comparison()
        for test in tests:
            comparison.add(test["id"], self.kind(test["id"], test["outcome"]))
        return comparison

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

    def check(self, test_ids: Iterable[str], all_files: Iterable[str] = ()) -> None:
        """KnownFailuresError when an entry names no test of a run that holds its file
        (see `unmatched`): the id is wrong, and the list would hide nothing."""
        wrong = self.unmatched(test_ids, all_files)
        if wrong:
            raise KnownFailuresError(
                f"the known-failure list {self.source} names tests that do not exist: "
                f"{', '.join(wrong)} (ids are `<file>::<test>`, as `pytest --collect-only -q` "
                "prints them; `python -m conformance known-failures RESULTS.json` prints the "
                "ids of a run's failures)"
            )

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "builtin": self.builtin, "entries": self.entries}


def read(path: str | Path, builtin: bool = False) -> KnownFailures:
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
    return KnownFailures(entries, str(path), builtin)


def builtin(implementation: str) -> KnownFailures:
    """The suite's own list for `implementation` (empty when it has none)."""
    path = path_for(implementation)
    return read(path, builtin=True) if path.exists() else KnownFailures({}, str(path), True)


def load(implementation: str, path: str | Path | None = None) -> KnownFailures:
    """The list for `implementation`: the file at `path` when given, else the suite's
    own list for it."""
    return read(path) if path is not None else builtin(implementation)


def from_dict(data: dict[str, Any] | None, implementation: str) -> KnownFailures:
    """The list a results file was compared with: the suite's current list for a
    built-in one (so a corrected list corrects old results), else the recorded one.
    (Results files written before the `builtin` flag said `"source": "builtin"`.)"""
    if not data or data.get("builtin") or data.get("source") == "builtin":
        return builtin(implementation)
    return KnownFailures(dict(data["entries"]), data["source"])


#: Kind of outcome -> the field of `Comparison` that holds the tests of that kind.
_FIELD_OF = {
    "passed": "passed",
    "known": "expected_failures",
    "failed": "unexpected_failures",
    "unexpected-pass": "unexpected_passes",
    "skipped": "skipped",
}


@dataclass
class Comparison:
    """How one run's outcomes compare with the known-failure list: the test ids of each
    kind (`KnownFailures.compare`)."""

    passed: list[str] = field(default_factory=list)
    expected_failures: list[str] = field(default_factory=list)
    unexpected_failures: list[str] = field(default_factory=list)
    unexpected_passes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, test_id: str, kind_: str) -> None:
        getattr(self, _FIELD_OF[kind_]).append(test_id)

    @property
    def ok(self) -> bool:
        """Whether the outcomes agree with the list: no test of a kind in MISMATCHES."""
        return not any(getattr(self, _FIELD_OF[kind_]) for kind_ in MISMATCHES)

    @property
    def exit_status(self) -> int:
        """`python -m conformance`'s exit status for this run: 0 agree, 1 not."""
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in _FIELD_OF.values()}, "ok": self.ok}

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
