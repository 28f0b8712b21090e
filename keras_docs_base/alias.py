"""Make `import keras` (and `keras.<anything>`) resolve to another package.

Keras 3 is itself the package named `keras`, and TensorFlow and Keras 3 keep importing
their own `keras.src...` and `keras._tf_keras...` modules. An alias therefore cannot
simply replace `sys.modules["keras"]`: it replaces the public names (`keras`,
`keras.layers`, ...) with the target package's and leaves Keras 3's private packages
(`keras.src`, `keras._tf_keras`, `keras.api`) where they are.

A meta-path finder completes the picture for modules imported later: `keras.X.Y`
loads `<target>.X.Y`, except for Keras 3's private packages, which keep loading from
Keras 3's own directory.

Example:

>>> from keras_docs_base.alias import KerasAlias
>>> alias = KerasAlias("tf_keras")  # doctest: +SKIP
>>> with alias:  # doctest: +SKIP
...     import keras.layers  # tf_keras.layers
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from types import ModuleType

#: Keras 3's private packages: they stay reachable under their own names.
KERAS3_PRIVATE = ("src", "_tf_keras", "api")
_NAME = "keras"
_lock = threading.RLock()


def _is_keras(name: str) -> bool:
    return name == _NAME or name.startswith(_NAME + ".")


def _is_private(name: str) -> bool:
    parts = name.split(".")
    return len(parts) > 1 and parts[1] in KERAS3_PRIVATE


class _AliasLoader(importlib.abc.Loader):
    """Loads `keras.X` by importing `<target>.X` and registering it under both names."""

    def __init__(self, target_name: str):
        self.target_name = target_name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target_name)

    def exec_module(self, module: ModuleType) -> None:
        # The target module is fully executed by import_module already.
        return None


class KerasAlias(importlib.abc.MetaPathFinder):
    """While installed, `keras` names the package `target`.

    Args:
        target: an importable package name (`"refimpl"`, `"tf_keras"`, ...).

    Installing is reentrant and restores exactly the previous `sys.modules` entries on
    uninstall, so Keras 3 is untouched afterwards.
    """

    def __init__(self, target: str):
        self.target = target
        self._saved: dict[str, ModuleType] = {}
        self._depth = 0

    # -- finder -------------------------------------------------------------------------
    def find_spec(self, fullname, path=None, target=None):
        if not _is_keras(fullname) or _is_private(fullname):
            return None
        mapped = self.target + fullname[len(_NAME) :]
        try:
            found = importlib.util.find_spec(mapped)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return None  # the normal "No module named keras.X" error follows
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(mapped), is_package=found.submodule_search_locations is not None
        )

    # -- install / uninstall ------------------------------------------------------------
    def install(self) -> None:
        with _lock:
            self._depth += 1
            if self._depth > 1:
                return
            target_module = importlib.import_module(self.target)
            self._saved = {
                name: module
                for name, module in sys.modules.items()
                if _is_keras(name) and not _is_private(name)
            }
            for name in self._saved:
                del sys.modules[name]
            # Keep the private packages reachable as attributes too (`keras.src.x` after
            # `import keras.src`), as Python would have set them on the real package.
            real = self._saved.get(_NAME)
            for private in KERAS3_PRIVATE:
                if (
                    real is not None
                    and hasattr(real, private)
                    and not hasattr(target_module, private)
                ):
                    setattr(target_module, private, getattr(real, private))
            sys.modules[_NAME] = target_module
            sys.meta_path.insert(0, self)

    def uninstall(self) -> None:
        with _lock:
            if self._depth == 0:
                return
            self._depth -= 1
            if self._depth:
                return
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            for name in [n for n in sys.modules if _is_keras(n) and not _is_private(n)]:
                del sys.modules[name]
            sys.modules.update(self._saved)
            self._saved = {}

    @property
    def installed(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> ModuleType:
        self.install()
        return sys.modules[_NAME]

    def __exit__(self, *exc_info) -> None:
        self.uninstall()
