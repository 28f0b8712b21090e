"""Known failures: one list per implementation, kept true by the suite itself.

`known_failures/<implementation>.txt` holds one line per test that is expected to fail
on that implementation: the test id, a `|`, and the reason. A run compares outcomes
with the list: a listed test that fails is an expected failure; an unlisted failure
and a listed test that passes ("unexpectedly passing") both make the run fail, so the
lists always describe reality.

    docs/en/sequential-model.md::line:120,column:1 | SGD(decay=...) was removed in Keras 3
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIRECTORY = Path(__file__).with_name("known_failures")
FAILED = {"failed", "error", "crashed", "timeout"}


def path_for(implementation: str) -> Path:
    return DIRECTORY / f"{implementation}.txt"


def load(implementation: str) -> dict[str, str]:
    """Test id -> reason, for `implementation` (empty when it has no list)."""
    path = path_for(implementation)
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test_id, bar, reason = line.partition(" | ")
        if not bar or not reason.strip():
            raise ValueError(f"{path}:{number}: expected `<test id> | <reason>`, received {raw!r}")
        entries[test_id.strip()] = reason.strip()
    return entries


@dataclass
class Comparison:
    """How one run's outcomes compare with the known-failure list."""

    passed: list[str] = field(default_factory=list)
    expected_failures: list[str] = field(default_factory=list)
    unexpected_failures: list[str] = field(default_factory=list)
    unexpected_passes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)

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
        if self.not_run:
            lines.append(f"{len(self.not_run)} listed known failures were not run this time")
        lines.append("conformance: OK" if self.ok else "conformance: MISMATCH")
        return lines


def compare(tests: Iterable[dict[str, Any]], expected: dict[str, str]) -> Comparison:
    """Sort every test outcome against the known-failure list."""
    result = Comparison()
    seen = set()
    for test in tests:
        test_id, outcome = test["id"], test["outcome"]
        seen.add(test_id)
        listed = test_id in expected
        if outcome == "skipped":
            result.skipped.append(test_id)
        elif outcome in FAILED:
            (result.expected_failures if listed else result.unexpected_failures).append(test_id)
        else:
            (result.unexpected_passes if listed else result.passed).append(test_id)
    result.not_run = sorted(set(expected) - seen)
    return result
