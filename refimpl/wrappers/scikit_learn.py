"""Keras 2's `keras.wrappers.scikit_learn`: a Keras model as a scikit-learn estimator.

`KerasClassifier(build_fn, **sk_params)` and `KerasRegressor(build_fn, **sk_params)`
build their model by calling `build_fn` with the `sk_params` its signature names, and
pass the `sk_params` that `fit`, `predict` or `evaluate` name on to those methods,
as Keras 2 did: `epochs=5, batch_size=32` in `sk_params` reach `fit`. `get_params` and
`set_params` make them work with `GridSearchCV`, `cross_val_score` and `clone`.

Keras 3's own `keras.wrappers.SKLearnClassifier` takes a different constructor; a
Keras 2 program's `KerasClassifier(build_fn=..., epochs=...)` keeps working here.

Example:

>>> from refimpl.wrappers.scikit_learn import KerasClassifier  # doctest: +SKIP
>>> estimator = KerasClassifier(build_fn=make_model, epochs=5, batch_size=16)  # doctest: +SKIP
>>> cross_val_score(estimator, x, y, cv=3)  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from refimpl.models import Sequential
from refimpl.utils import to_categorical

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]


def _accepts(function: Callable[..., Any], name: str) -> bool:
    """Whether `function` takes an argument called `name` (by name, or through **kwargs)."""
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


class BaseWrapper:
    """What both estimators share: building the model, routing `sk_params`, `fit`."""

    def __init__(self, build_fn: Callable[..., Any] | None = None, **sk_params: Any):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build(self) -> Callable[..., Any]:
        if self.build_fn is None:
            return self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        return self.build_fn.__call__  # a callable object

    def check_params(self, params: dict[str, Any]) -> None:
        """Raise ValueError for a parameter that neither the model's methods nor
        `build_fn` take."""
        legal = [Sequential.fit, Sequential.predict, Sequential.predict_classes,
                 Sequential.evaluate, self._build()]  # fmt: skip
        for name in params:
            if not any(name in inspect.signature(f).parameters for f in legal):
                raise ValueError(
                    f"{name} is not a legal parameter: expected an argument of build_fn, "
                    "fit, predict, predict_classes or evaluate"
                )

    def get_params(self, **params: Any) -> dict[str, Any]:
        """The estimator's parameters: `sk_params` and `build_fn` (scikit-learn API)."""
        return {**copy.deepcopy(self.sk_params), "build_fn": self.build_fn}

    def set_params(self, **params: Any) -> BaseWrapper:
        """Update `sk_params` (scikit-learn API)."""
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(
        self, function: Callable[..., Any], override: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The `sk_params` that `function` takes, updated with `override`."""
        chosen = {k: v for k, v in self.sk_params.items() if _accepts(function, k)}
        chosen.update(override or {})
        return chosen

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Build a new model and train it; returns the `History`."""
        build = self._build()
        self.model = build(**self.filter_sk_params(build))
        if _loss_name(self.model) == "categorical_crossentropy" and len(np.shape(y)) != 2:
            y = to_categorical(y)
        fit_arguments = self.filter_sk_params(Sequential.fit)
        fit_arguments.update(kwargs)
        return self.model.fit(x, y, **fit_arguments)


def _loss_name(model: Any) -> Any:
    loss = model.loss
    return getattr(loss, "__name__", loss)


class KerasClassifier(BaseWrapper):
    """A Keras model as a scikit-learn classifier; labels may be any sortable values."""

    def fit(self, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        y = np.array(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (y.ndim == 2 and y.shape[1] == 1) or y.ndim == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(
                f"Invalid shape for y: {y.shape}; expected (samples,), (samples, 1) or "
                "(samples, classes)"
            )
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """The predicted labels, in the labels' own values."""
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        return self.classes_[self.model.predict_classes(x, **kwargs)]

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities, one column per class (two for a single sigmoid unit)."""
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probabilities = self.model.predict_proba(x, **kwargs)
        if probabilities.shape[1] == 1:
            probabilities = np.hstack([1 - probabilities, probabilities])
        return probabilities

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy on `(x, y)`; the model must be compiled with it."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == "categorical_crossentropy" and len(np.shape(y)) != 2:
            y = to_categorical(y)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs, strict=False):
            if name in ("accuracy", "acc"):
                return output
        raise ValueError(
            "The model is not configured to compute accuracy: expected "
            f"`metrics=['accuracy']` in `model.compile()`, received {self.model.metrics_names}"
        )


class KerasRegressor(BaseWrapper):
    """A Keras model as a scikit-learn regressor."""

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the loss on `(x, y)` (scikit-learn maximises scores)."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -loss[0] if isinstance(loss, list) else -loss
