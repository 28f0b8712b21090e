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

from refimpl.utils.common import to_categorical

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]


#: The arguments of Keras 2's model methods, by method: where `sk_params` may go.
#: (refimpl's methods take some of them through **kwargs, so they are listed here.)
METHOD_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "fit": ("batch_size", "epochs", "verbose", "callbacks", "validation_split",
            "validation_data", "shuffle", "class_weight", "sample_weight", "initial_epoch",
            "steps_per_epoch", "validation_steps", "validation_freq"),
    "predict": ("batch_size", "verbose", "steps", "callbacks"),
    "predict_classes": ("batch_size", "verbose"),
    "predict_proba": ("batch_size", "verbose"),
    "evaluate": ("batch_size", "verbose", "sample_weight", "steps", "callbacks"),
}  # fmt: skip


def _arguments(target: str | Callable[..., Any]) -> tuple[str, ...]:
    """The argument names `sk_params` may give: a model method's, or `build_fn`'s own
    (named ones only, as Keras 2's `has_arg`)."""
    if isinstance(target, str):
        return METHOD_ARGUMENTS[target]
    parameters = inspect.signature(target).parameters.values()
    return tuple(p.name for p in parameters if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))


class BaseWrapper:
    """What both estimators share: building the model, routing `sk_params`, `fit`."""

    #: What scikit-learn asks an estimator: "classifier" or "regressor".
    _estimator_type: str | None = None

    def __sklearn_tags__(self) -> Any:
        """The estimator's kind, in the form scikit-learn 1.6 and later ask for (Keras 2's
        wrapper predates it; its `_estimator_type` served older versions)."""
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        kind = self._estimator_type
        return Tags(
            estimator_type=kind,
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags() if kind == "classifier" else None,
            regressor_tags=RegressorTags() if kind == "regressor" else None,
        )

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
        targets = (*METHOD_ARGUMENTS, self._build())
        legal = {name for target in targets for name in _arguments(target)}
        for name in params:
            if name not in legal:
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
        self, target: str | Callable[..., Any], override: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The `sk_params` that `target` (a model method's name, or a function) takes,
        updated with `override`."""
        names = _arguments(target)
        chosen = {k: v for k, v in self.sk_params.items() if k in names}
        chosen.update(override or {})
        return chosen

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Build a new model and train it; returns the `History`."""
        build = self._build()
        self.model = build(**self.filter_sk_params(build))
        if _loss_name(self.model) == "categorical_crossentropy" and len(np.shape(y)) != 2:
            y = to_categorical(y)
        fit_arguments = self.filter_sk_params("fit")
        fit_arguments.update(kwargs)
        return self.model.fit(x, y, **fit_arguments)


def _loss_name(model: Any) -> Any:
    loss = model.loss
    return getattr(loss, "__name__", loss)


class KerasClassifier(BaseWrapper):
    """A Keras model as a scikit-learn classifier; labels may be any sortable values."""

    _estimator_type = "classifier"

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
        kwargs = self.filter_sk_params("predict_classes", kwargs)
        return self.classes_[self.model.predict_classes(x, **kwargs)]

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities, one column per class (two for a single sigmoid unit)."""
        kwargs = self.filter_sk_params("predict_proba", kwargs)
        probabilities = self.model.predict_proba(x, **kwargs)
        if probabilities.shape[1] == 1:
            probabilities = np.hstack([1 - probabilities, probabilities])
        return probabilities

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The model's accuracy on `(x, y)`; the model must be compiled with it."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params("evaluate", kwargs)
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

    _estimator_type = "regressor"

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        kwargs = self.filter_sk_params("predict", kwargs)
        return np.squeeze(self.model.predict(x, **kwargs))

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the loss on `(x, y)` (scikit-learn maximises scores)."""
        kwargs = self.filter_sk_params("evaluate", kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -loss[0] if isinstance(loss, list) else -loss
