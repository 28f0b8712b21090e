"""pytest integration: `--impl`, `--known-failures`, and the doc blocks' time limit.

Registered by the repository's root `conftest.py`, so `pytest` anywhere in the
repository accepts `--impl NAME` (default: `$KERAS_IMPL`, else refimpl); `python -m
conformance` passes it to its own pytest processes with `-p`, wherever the suite is
installed.

The implementation's known failures (`--known-failures PATH`, else the suite's list
for it) are applied when the tests are collected: each listed test is marked
`xfail(strict=True)`, so plain `pytest` reports it as an expected failure and fails
when it passes, exactly as `python -m conformance` judges it. Under `--keras-docs`
(someone's own documents, `conformance.user_docs`) the suite's lists do not apply: only
`--known-failures` does.

A doc block (or notebook cell) may run `docs.block_timeout_seconds` (thresholds.toml),
or `--block-timeout SECONDS`; after that it is a hang.
"""

from __future__ import annotations

import json
import os

import pytest

from conformance import implementations, known_failures, layout

#: Where pytest-xdist workers and the suite's own processes find `--known-failures`.
KNOWN_FAILURES_VARIABLE = "CONFORMANCE_KNOWN_FAILURES"


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
        default=None,
        metavar="PATH",
        help="the implementation's known-failure list (`<test id> | <reason>` lines); "
        "default: the suite's own list for a built-in implementation, else none",
    )
    group.addoption(
        "--block-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds after which a doc block or notebook cell counts as a hang "
        "(default: thresholds.toml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(capability): skip unless the implementation claims it"
    )
    name = config.getoption("--impl")
    if name:
        # Worker processes (pytest-xdist) and subprocesses read the choice from here.
        os.environ[implementations.ENVIRONMENT_VARIABLE] = name
    path = config.getoption("--known-failures")
    if path:
        os.environ[KNOWN_FAILURES_VARIABLE] = os.path.abspath(path)


#: `KnownFailures.source` of the empty list someone's own documents start from.
NO_LIST = "none"


def known_failures_for(implementation: implementations.Implementation, own_documents=False):
    """The list in force: `--known-failures` / $CONFORMANCE_KNOWN_FAILURES, else the
    suite's own list for `implementation` (none for `own_documents`, which the suite's
    lists know nothing of)."""
    path = os.environ.get(KNOWN_FAILURES_VARIABLE)
    if own_documents and path is None:
        return known_failures.KnownFailures(source=NO_LIST)
    return known_failures.load(implementation.name, path)


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
    block_timeout = config.getoption("--block-timeout")
    for item in items:
        if layout.is_doc_block(item.nodeid):
            limit = layout.time_limit(item.nodeid, block_timeout=block_timeout)
            item.add_marker(pytest.mark.timeout(limit))
    implementation = implementations.resolve()
    own_documents = bool(config.getoption("--keras-docs", None))
    try:
        expected = known_failures_for(implementation, own_documents)
    except known_failures.KnownFailuresError as error:
        raise pytest.UsageError(str(error)) from None
    ids = {item: layout.test_id(item.nodeid) for item in items}
    # Tests chosen by node id leave the rest of their file uncollected: judge no entry.
    whole_files = not any("::" in arg for arg in config.args)
    wrong = expected.unmatched(ids.values(), layout.page_files()) if whole_files else []
    if wrong:
        raise pytest.UsageError(
            f"the known-failure list {expected.source} names tests that do not exist: "
            f"{', '.join(wrong)} (ids are `<file>::<test>`, as `--collect-only -q` prints them)"
        )
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
