"""The one cache of the fast paths' compiled functions, kept on each model.

A compiled function captures the model's layers, losses, metrics and optimizer. It is
stale once the model is compiled again (a new optimizer, losses or metrics) or its
layers change (`Sequential.add`, `pop`): then the whole cache is emptied. The cache
keeps the last `SIZE` functions, of every path together (one per path and data
signature, typically).

>>> train_epoch = function(model, "fast_fit", key, make)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from refimpl import _keras3_private

#: How many compiled functions a model keeps.
SIZE = 16
#: The model attribute that holds the cache.
_ATTRIBUTE = "_refimpl_compiled_functions"


class _Cache:
    """Functions by (path, key), valid for one compilation and one list of layers."""

    def __init__(self, compiled: Any, layers: tuple[int, ...]):
        self.compiled = compiled
        self.layers = layers
        self.functions: dict[tuple[str, Hashable], Callable] = {}

    def is_valid_for(self, compiled: Any, layers: tuple[int, ...]) -> bool:
        return self.compiled is compiled and self.layers == layers


def _cache(model: Any) -> _Cache:
    compiled = _keras3_private.compile_config(model)
    layers = tuple(id(layer) for layer in model.layers)
    cache = model.__dict__.get(_ATTRIBUTE)
    if cache is None or not cache.is_valid_for(compiled, layers):
        cache = _Cache(compiled, layers)
        model.__dict__[_ATTRIBUTE] = cache
    return cache


def function(model: Any, path: str, key: Hashable, make: Callable[[], Callable]) -> Callable:
    """`make()`'s function for `path` and `key`, made once and kept while it is valid."""
    functions = _cache(model).functions
    if (path, key) not in functions:
        if len(functions) >= SIZE:
            functions.pop(next(iter(functions)))  # the oldest
        functions[(path, key)] = make()
    return functions[(path, key)]


def keys(model: Any, path: str) -> list[Hashable]:
    """The keys of the functions kept for `path`, oldest first."""
    cache = model.__dict__.get(_ATTRIBUTE)
    return [key for owner, key in (cache.functions if cache else {}) if owner == path]


__all__ = ["SIZE", "function", "keys"]
