"""Every fenced Python block of every page is a test (see conformance/docblocks.py)."""

import os

from conformance import implementations
from conformance.docblocks import make_sybil


def _activate():
    return implementations.activate(implementations.resolve())


pytest_collect_file = make_sybil(
    _activate, path=os.path.dirname(__file__), reading=lambda: implementations.resolve().reading
).pytest()
