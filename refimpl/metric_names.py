"""The names a metric had in Keras 2.0-2.2 and in tf_keras, both answered.

Keras 2.0-2.2 logged a metric given as a string under a name of its own choosing:
`'acc'` for `metrics=['acc']` and for `metrics=['accuracy']`, `'ce'` for `'crossentropy'`,
and the function's name for the others (`metrics=['mae']` gave `'mean_absolute_error'`).
Keras 2.3 and tf_keras log the string the user wrote (`'accuracy'`, `'mae'`), and
refimpl, on Keras 3, does the same. Programs of both eras exist, and read
`history.history['acc']` or `history.history['accuracy']` for the same model.

So every place where refimpl hands out metric names gives tf_keras's names, and answers
the other spellings of the same metric too: `MetricLogs` is a dict (`History.history`,
every callback's `logs`, `evaluate(..., return_dict=True)`) whose lookups (`[]`, `in`,
`get`) also accept another spelling of a key it holds, and `MetricNames` is the list
`model.metrics_names` returns, whose `in` and `index` do the same. Iteration, `len`,
`repr`, `keys()`, `json.dump` and `pickle` see tf_keras's names only, once each:
`refimpl.legacy.ERA_DECISIONS` says why tf_keras's era wins there.

A spelling answers for another only within a key's own place: `val_acc` answers for
`val_accuracy`, `out_acc` for `out_accuracy` where `out` is an output of the model,
`weighted_acc` for `weighted_accuracy` (or `accuracy` when only weighted metrics were
compiled, since Keras 2.0-2.2 always prefixed them); `binary_accuracy` is another metric.

>>> logs = MetricLogs({"loss": 0.5, "accuracy": 0.75, "val_mae": 0.25})
>>> logs["acc"], logs["val_mean_absolute_error"], "val_acc" in logs, list(logs)
(0.75, 0.25, False, ['loss', 'accuracy', 'val_mae'])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: The spellings of one metric across Keras 2.0-2.2 and tf_keras. Keras 2.0-2.2 logged a
#: string metric under the first spelling of its group; tf_keras under the user's own.
SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("acc", "accuracy"),
    ("ce", "crossentropy"),
    ("mean_squared_error", "mse", "MSE"),
    ("mean_absolute_error", "mae", "MAE"),
    ("mean_absolute_percentage_error", "mape", "MAPE"),
    ("mean_squared_logarithmic_error", "msle", "MSLE"),
    ("kullback_leibler_divergence", "kld", "KLD", "kl_divergence"),
    ("cosine_proximity", "cosine"),
    ("logcosh", "log_cosh"),
)
#: spelling -> every spelling of the same metric.
_GROUP: dict[str, tuple[str, ...]] = {name: group for group in SPELLINGS for name in group}
#: Longest first, so that a key ending in `mean_absolute_error` is not read as `..._error`.
_BY_LENGTH = sorted(_GROUP, key=len, reverse=True)
_VALIDATION = "val_"
_WEIGHTED = "weighted_"


def keras22_name(metric: Any) -> Any:
    """The name Keras 2.0-2.2 logged a string metric under (other metrics: unchanged).

    >>> keras22_name("accuracy"), keras22_name("mae"), keras22_name("binary_accuracy")
    ('acc', 'mean_absolute_error', 'binary_accuracy')
    """
    if isinstance(metric, str) and metric in _GROUP:
        return _GROUP[metric][0]
    return metric


def _split(key: str, outputs: Iterable[str]) -> tuple[str, str, bool, str] | None:
    """`key` as (its place: `val_` and an output's name, weighted or not, its spelling).

    None when `key` is not a known spelling in a place of this model's.
    """
    validation = _VALIDATION if key.startswith(_VALIDATION) else ""
    rest = key[len(validation) :]
    spelling = next((s for s in _BY_LENGTH if rest == s or rest.endswith("_" + s)), None)
    if spelling is None:
        return None
    place = rest[: len(rest) - len(spelling)]
    weighted = place.endswith(_WEIGHTED)
    if weighted:
        place = place[: -len(_WEIGHTED)]
    if place and place[:-1] not in outputs:
        return None
    return validation + place, spelling, weighted, validation


def spellings(key: str, outputs: Iterable[str] = ()) -> list[str]:
    """Every other name `key`'s metric may have been logged under, in the order tried.

    >>> spellings("val_acc")
    ['val_accuracy', 'val_weighted_acc', 'val_weighted_accuracy']
    """
    split = _split(key, tuple(outputs))
    if split is None:
        return []
    place, spelling, weighted, _ = split
    group = _GROUP[spelling]
    # The same place and weighting first; then the other weighting: Keras 2.0-2.2 always
    # prefixed weighted metrics with `weighted_`, Keras 3 and tf_keras only on a clash.
    names = [f"{place}{'weighted_' if weighted else ''}{s}" for s in group if s != spelling]
    names += [f"{place}{'' if weighted else 'weighted_'}{s}" for s in group]
    return names


class MetricLogs(dict):
    """A dict of metric values whose lookups also answer another spelling of a key.

    `outputs`: the model's output names, the places (`out_acc`) a key may have.
    Pickled, it is a plain dict, so a pickled `history.history` loads without refimpl.
    """

    def __init__(self, *args: Any, outputs: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outputs = tuple(outputs)

    def stored_key(self, key: Any) -> Any:
        """The key this dict holds `key`'s value under, or None when it holds none."""
        if dict.__contains__(self, key):
            return key
        if not isinstance(key, str):
            return None
        return next((k for k in spellings(key, self.outputs) if dict.__contains__(self, k)), None)

    def __missing__(self, key: Any) -> Any:
        stored = self.stored_key(key)
        if stored is None:
            raise KeyError(key)
        return dict.__getitem__(self, stored)

    def __contains__(self, key: Any) -> bool:
        return self.stored_key(key) is not None

    def get(self, key: Any, default: Any = None) -> Any:
        stored = self.stored_key(key)
        return default if stored is None else dict.__getitem__(self, stored)

    def __setitem__(self, key: Any, value: Any) -> None:
        # Writing under another spelling updates the value held, not a second entry.
        stored = self.stored_key(key)
        dict.__setitem__(self, key if stored is None else stored, value)

    def copy(self) -> MetricLogs:
        return MetricLogs(self, outputs=self.outputs)

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))

    def with_every_spelling(self) -> dict[str, Any]:
        """A plain dict holding each value under every spelling (for `str.format(**logs)`)."""
        every = {}
        for key, value in self.items():
            every.update(dict.fromkeys(spellings(key, self.outputs), value))
        every.update(self)
        return every


class MetricNames(list):
    """`model.metrics_names`: a list whose `in` and `index` also answer other spellings.

    >>> names = MetricNames(["loss", "accuracy"])
    >>> "acc" in names, names.index("acc"), names == ["loss", "accuracy"]
    (True, 1, True)
    """

    def __init__(self, names: Iterable[str] = (), outputs: Iterable[str] = ()) -> None:
        super().__init__(names)
        self.outputs = tuple(outputs)

    def _stored(self, name: Any) -> Any:
        if list.__contains__(self, name) or not isinstance(name, str):
            return name
        return next((n for n in spellings(name, self.outputs) if list.__contains__(self, n)), name)

    def __contains__(self, name: Any) -> bool:
        return list.__contains__(self, self._stored(name))

    def index(self, name: Any, *args: Any) -> int:
        return list.index(self, self._stored(name), *args)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))


def ordered(logs: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """`logs` in tf_keras's order: `names` (the model's `metrics_names`), then their
    validation values in the same order, then any other key in the order given.

    >>> ordered({"acc": 1, "loss": 2, "lr": 3, "val_loss": 4}, ["loss", "acc"])
    {'loss': 2, 'acc': 1, 'val_loss': 4, 'lr': 3}
    """
    first = [n for n in names if n in logs] + [_VALIDATION + n for n in names]
    keys = [k for k in first if k in logs]
    keys += [k for k in logs if k not in set(keys)]
    return {k: logs[k] for k in keys}


__all__ = ["SPELLINGS", "MetricLogs", "MetricNames", "keras22_name", "ordered", "spellings"]
