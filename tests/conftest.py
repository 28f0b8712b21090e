"""Fixtures shared by refimpl's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def count_calls(monkeypatch) -> Callable[[Any, str], list[dict]]:
    """`count_calls(module, name)`: a list that gets the keyword arguments of every call
    of `module.name`, which still runs (to check which code path a call took)."""

    def install(module: Any, name: str) -> list[dict]:
        calls: list[dict] = []
        original = getattr(module, name)

        def counting(*args, **kwargs):
            calls.append(kwargs)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counting)
        return calls

    return install
