"""The suite's numbers, read from `thresholds.toml` beside this module."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PATH = Path(__file__).with_name("thresholds.toml")


@functools.cache
def load() -> dict[str, Any]:
    """The thresholds file as a dict (read once per process)."""
    with PATH.open("rb") as handle:
        return tomllib.load(handle)
