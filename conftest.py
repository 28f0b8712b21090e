"""Root pytest configuration: every test run accepts `--impl` (see conformance/).

`conformance.page_process` runs each documentation page in a forked child process;
`conformance.page_profile` records time and memory per test file when asked to;
`conformance.thread_budget` shares the CPU cores among pytest-xdist workers.
"""

from conformance import PYTEST_PLUGINS

pytest_plugins = list(PYTEST_PLUGINS)
