"""Root pytest configuration: every test run accepts `--impl` (see conformance/)."""

pytest_plugins = ["conformance.pytest_plugin"]
