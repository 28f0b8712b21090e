"""A fake Keras whose layers never return (a hang, like a deadlock)."""

import time

__version__ = "0.0-hanging"


class _Layers:
    def __getattr__(self, name):
        def hang(*args, **kwargs):
            while True:
                time.sleep(1)

        return hang


layers = _Layers()
models = layers  # a Keras has both; these fakes misbehave in either
