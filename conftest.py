"""Root pytest configuration: every test run accepts `--impl` (see conformance/).

`conformance.page_process` runs each documentation page in a forked child process;
`conformance.page_profile` records time and memory per test file when asked to;
`conformance.thread_budget` shares the CPU cores among pytest-xdist workers.
"""

pytest_plugins = [
    "conformance.pytest_plugin",
    "conformance.page_process",
    "conformance.page_profile",
    "conformance.thread_budget",
]
