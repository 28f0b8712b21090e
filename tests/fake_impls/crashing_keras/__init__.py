"""A fake Keras whose layers abort the process (as a segfault in native code would)."""

import os

__version__ = "0.0-crashing"


class _Layers:
    def __getattr__(self, name):
        def crash(*args, **kwargs):
            os.abort()

        return crash


layers = _Layers()
models = layers  # a Keras has both; these fakes misbehave in either
