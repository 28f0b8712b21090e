"""pytest integration: `--impl`, `--known-failures`, and the doc blocks' time limit.

Registered by the repository's root `conftest.py`, so `pytest` anywhere in the
repository accepts `--impl NAME` (default: `$KERAS_IMPL`, else refimpl); `python -m
conformance` passes it to its own pytest processes with `-p`, wherever the suite is
installed.

The implementation's known failures are applied when the tests are collected: the
list is checked once (`KnownFailures.check`), then each listed test is marked
`xfail(strict=True)`, so plain `pytest` reports it as an expected failure and fails
when it passes, exactly as `python -m conformance` judges it. Which list, is said
explicitly by `--known-failures`: a PATH, `builtin` (the suite's own list for the
implementation: the default) or `none` (each test's own outcome: `python -m
conformance` asks for this in its pytest processes, and judges the outcomes itself).
"""

from __future__ import annotations

import json
import os

import pytest

from conformance import implementations, known_failures, layout

#: `--known-failures` values that name no file.
BUILTIN, NONE = "builtin", "none"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance")
    group.addoption(
        "--impl",
        default=None,
        help="Keras implementation under test: refimpl (default), tf_keras, keras3, "
        "keras3-jax, keras3-torch, keras (whatever `import keras` gives here), or an "
        "importable module name. Also $KERAS_IMPL.",
    )
    group.addoption(
        "--known-failures",
        default=BUILTIN,
        metavar="PATH|builtin|none",
        help="the implementation's known-failure list (`<test id> | <reason>` lines), "
        f"`{BUILTIN}` (default): the suite's own list for the implementation (empty for "
        f"one it has no list for), or `{NONE}`: apply no list",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(capability): skip unless the implementation claims it"
    )
    name = config.getoption("--impl")
    if name:
        # Worker processes (pytest-xdist) and subprocesses read the choice from here.
        os.environ[implementations.ENVIRONMENT_VARIABLE] = name
    chosen = config.getoption("--known-failures")
    if chosen not in (BUILTIN, NONE):
        # Workers (pytest-xdist) get the options as they are now: a path that holds
        # wherever they run.
        config.option.known_failures = os.path.abspath(chosen)


def _known_failures(config: pytest.Config) -> known_failures.KnownFailures | None:
    """The list `--known-failures` names, or None for `none`."""
    chosen = config.getoption("--known-failures")
    if chosen == NONE:
        return None
    if chosen == BUILTIN:
        return known_failures.builtin(implementations.resolve().name)
    return known_failures.read(chosen)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from conformance import __version__, results

    described = os.environ.get(results.DESCRIPTION_VARIABLE)
    if described:  # set by `python -m conformance`, which described it once, safely
        info = json.loads(described)
    else:
        info = results.describe_in_process(config.getoption("--impl"))
    return results.header_lines(info, __version__)


@pytest.hookimpl(tryfirst=True)  # before -k and --deselect: the list sees every test
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if layout.is_doc_block(item.nodeid):
            item.add_marker(pytest.mark.timeout(layout.time_limit(item.nodeid)))
    ids = {item: layout.test_id(item.nodeid) for item in items}
    # Tests chosen by node id leave the rest of their file uncollected: judge no entry.
    whole_files = not any("::" in arg for arg in config.args)
    try:
        expected = _known_failures(config)
        if expected is None:
            return
        if whole_files:
            expected.check(ids.values(), layout.page_files())
    except known_failures.KnownFailuresError as error:
        raise pytest.UsageError(str(error)) from None
    for item, test in ids.items():
        reason = expected.reason(test)
        if reason is not None:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))


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
