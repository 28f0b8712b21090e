"""pytest integration: the `--impl` option and the doc-block tests' time limit.

Registered by the repository's root `conftest.py`, so `pytest` anywhere in the
repository accepts `--impl NAME` (default: `$KERAS_IMPL`, else refimpl).
"""

from __future__ import annotations

import json
import os
import random

import numpy as np
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
    config.addinivalue_line(
        "markers", "requires(capability): skip unless the implementation claims it"
    )
    name = config.getoption("--impl")
    if name:
        # Worker processes (pytest-xdist) and subprocesses read the choice from here.
        os.environ[implementations.ENVIRONMENT_VARIABLE] = name


def pytest_report_header(config: pytest.Config) -> list[str]:
    from conformance import __version__, results

    described = os.environ.get(results.DESCRIPTION_VARIABLE)
    if described:  # set by `python -m conformance`, which described it once, safely
        info = json.loads(described)
    else:
        info = results.describe_in_process(config.getoption("--impl"))
    return results.header_lines(info, __version__)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    limit = thresholds.load()["docs"]["block_timeout_seconds"]
    for item in items:
        if item.nodeid.endswith(".md") or ".md::" in item.nodeid:
            item.add_marker(pytest.mark.timeout(limit))


# -- fixtures for conformance tests ----------------------------------------------------
# Tests receive the implementation through the `keras` fixture instead of importing it at
# module level, so an implementation that fails to import gives each test that error as
# its result instead of breaking collection.


@pytest.fixture(scope="session")
def implementation() -> implementations.Implementation:
    """The implementation under test (`--impl`, `$KERAS_IMPL`, else refimpl)."""
    return implementations.resolve()


@pytest.fixture(scope="session")
def keras(implementation):
    """The implementation under test, imported as `keras`."""
    return implementations.activate(implementation)


@pytest.fixture(autouse=True)
def _claimed_capabilities(request):
    markers = list(request.node.iter_markers("requires"))
    if not markers:
        return
    implementation = implementations.resolve()
    for marker in markers:
        for capability in marker.args:
            if capability not in implementations.CAPABILITIES:
                raise ValueError(f"unknown capability {capability!r} in {request.node.nodeid}")
            if capability not in implementation.claims:
                pytest.skip(
                    f"{implementation.name} does not claim {capability!r}: "
                    f"{implementations.CAPABILITIES[capability]}"
                )


@pytest.fixture
def seeded():
    """Seed Python's and NumPy's generators for a test that draws random numbers."""
    random.seed(1234)
    np.random.seed(1234)
