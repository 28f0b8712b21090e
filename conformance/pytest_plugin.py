"""pytest integration: the `--impl` option and the doc-block tests' time limit.

Registered by the repository's root `conftest.py`, so `pytest` anywhere in the
repository accepts `--impl NAME` (default: `$KERAS_IMPL`, else refimpl).
"""

from __future__ import annotations

import os

import pytest

from conformance import implementations, thresholds


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption(
        "--impl",
        default=None,
        help="Keras implementation under test: refimpl (default), tf_keras, keras3, "
        "keras3-jax, keras3-torch, or an importable module name. Also $KERAS_IMPL.",
    )


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--impl")
    if name:
        # Worker processes (pytest-xdist) and subprocesses read the choice from here.
        os.environ[implementations.ENVIRONMENT_VARIABLE] = name


def pytest_report_header(config: pytest.Config) -> str:
    impl = implementations.resolve(config.getoption("--impl"))
    return f"keras implementation: {impl.name} ({impl.description})"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    limit = thresholds.load()["docs"]["block_timeout_seconds"]
    for item in items:
        if item.nodeid.endswith(".md") or ".md::" in item.nodeid:
            item.add_marker(pytest.mark.timeout(limit))
