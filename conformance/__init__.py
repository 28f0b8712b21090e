"""The conformance suite: the doc snippets and thresholds any Keras implementation can be held to.

`python -m conformance --impl NAME` runs it; `conformance.implementations` lists the
built-in implementations.
"""

__version__ = "0.1.0"

#: The suite's pytest plugins: the repository's conftest.py registers them, and
#: `python -m conformance` passes them to its pytest processes with `-p`.
PYTEST_PLUGINS = (
    "conformance.pytest_plugin",
    "conformance.page_process",
    "conformance.page_profile",
    "conformance.thread_budget",
    "conformance.user_docs",
)
