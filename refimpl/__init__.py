"""refimpl: Keras 2's Sequential and functional APIs, running on today's TensorFlow.

refimpl is the reference implementation of this project's conformance suite. It is a
set of thin wrappers over Keras 3 (tf.keras) that restore Keras 2's API and semantics;
`refimpl/legacy.py` lists every argument it translates.

Keras 2 code says `import keras`. To run it unmodified:

>>> import refimpl
>>> refimpl.install()            # `import keras` now gives refimpl  # doctest: +SKIP
>>> from keras.models import Sequential  # doctest: +SKIP
>>> refimpl.uninstall()          # `keras` is Keras 3 again  # doctest: +SKIP

or `with refimpl.installed(): ...`, or from a shell `python -m refimpl script.py`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

from refimpl import _keras3  # noqa: F401  (Keras 3 and TensorFlow, captured first)

#: The Keras API version refimpl implements, as `keras.__version__` reports it.
__version__ = "2.21.0"

from keras_docs_base.alias import KerasAlias  # noqa: E402
from refimpl import (  # noqa: E402
    _keras3_fixes,  # noqa: E402
    activations,
    backend,  # noqa: E402
    callbacks,
    compilation,
    constraints,
    engine,
    initializers,
    layers,  # noqa: E402
    legacy,
    losses,
    metrics,
    models,  # noqa: E402
    module_paths,
    optimizers,
    preprocessing,
    regularizers,
    utils,
)

module_paths.install_finder()
_keras3_fixes.apply()
from refimpl import applications, datasets, wrappers  # noqa: E402, F401  (keras.datasets, ...)

Input = layers.Input
Model = models.Model
Sequential = models.Sequential

_alias = KerasAlias(__name__)


def install() -> ModuleType:
    """Make `import keras` (and every `keras.*` module) resolve to refimpl.

    Keras 3 and TensorFlow keep working underneath: their private modules (which
    refimpl reaches through `refimpl._keras3_private`) are untouched. Calls nest; each
    needs its `uninstall`.
    """
    _alias.install()
    return __import__(__name__)


def uninstall() -> None:
    """Undo `install`: `import keras` gives Keras 3 again."""
    _alias.uninstall()


@contextlib.contextmanager
def installed() -> Iterator[ModuleType]:
    """`with refimpl.installed() as keras:` — refimpl is `keras` inside the block."""
    module = install()
    try:
        yield module
    finally:
        uninstall()


__all__ = [
    "__version__", "install", "uninstall", "installed", "activations", "applications",
    "backend", "callbacks", "compilation", "constraints", "datasets", "engine",
    "initializers", "layers", "legacy", "losses", "metrics", "models", "optimizers",
    "preprocessing", "regularizers", "utils", "Input", "Model", "Sequential",
]  # fmt: skip
