"""The conformance suite: the doc snippets and thresholds any Keras implementation can be held to.

`python -m conformance --impl NAME` runs it; `conformance.implementations` lists the
built-in implementations.
"""

__version__ = "0.1.0"
