"""`keras.wrappers.scikit_learn`: Keras 2's estimators work with scikit-learn's tools.

tf_keras no longer ships the wrapper (TensorFlow removed it after 2.11), so these tests
hold it to Keras 2's documented behaviour: `sk_params` routed to `build_fn` and to
`fit`/`predict`/`evaluate`, labels of any sortable type, `predict_proba` with two
columns for one sigmoid unit, `score` as accuracy (classifier) or minus the loss
(regressor), and `clone`, `cross_val_score` and `GridSearchCV`.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

import refimpl
from refimpl.wrappers.scikit_learn import KerasClassifier, KerasRegressor

RNG = np.random.default_rng(3)
X = RNG.normal(size=(60, 4)).astype("float32")
NAMES = np.array(["ham", "spam", "eggs"])
LABELS = NAMES[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
TARGETS = (X @ np.array([0.5, -1.0, 2.0, 0.1])).astype("float32")


def classifier(hidden=8, classes=3):
    model = refimpl.models.Sequential([
        refimpl.layers.Dense(hidden, input_dim=4, activation="relu"),
        refimpl.layers.Dense(classes, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


def regressor():
    model = refimpl.models.Sequential([refimpl.layers.Dense(1, input_dim=4)])
    model.compile("sgd", "mse")
    return model


def test_classifier_keeps_the_labels_own_values():
    estimator = KerasClassifier(build_fn=classifier, hidden=6, epochs=3, batch_size=10, verbose=0)
    history = estimator.fit(X, LABELS)
    assert len(history.history["loss"]) == 3  # `epochs` reached fit
    assert estimator.model.layers[0].units == 6  # `hidden` reached build_fn
    assert list(estimator.classes_) == sorted(NAMES) and estimator.n_classes_ == 3
    predicted = estimator.predict(X)
    assert set(predicted) <= set(NAMES)
    probabilities = estimator.predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    expected = estimator.classes_[probabilities.argmax(axis=1)]
    np.testing.assert_array_equal(predicted, expected)
    accuracy = estimator.score(X, LABELS)
    assert accuracy == pytest.approx(np.mean(predicted == LABELS), abs=1e-6)


def test_one_sigmoid_unit_gives_two_probability_columns():
    def binary():
        model = refimpl.models.Sequential([refimpl.layers.Dense(1, input_dim=4,
                                                                activation="sigmoid")])  # fmt: skip
        model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
        return model

    estimator = KerasClassifier(binary, epochs=1, verbose=0)
    estimator.fit(X, X[:, 0] > 0)
    probabilities = estimator.predict_proba(X)
    assert probabilities.shape == (60, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_regressor_predicts_one_value_per_sample_and_scores_minus_the_loss():
    estimator = KerasRegressor(build_fn=regressor, epochs=2, batch_size=20, verbose=0)
    estimator.fit(X, TARGETS)
    predictions = estimator.predict(X)
    assert predictions.shape == (60,)
    loss = estimator.model.evaluate(X, TARGETS, verbose=0)
    assert estimator.score(X, TARGETS) == pytest.approx(-loss, rel=1e-5)


def test_scikit_learn_tools_clone_and_search_it():
    estimator = KerasClassifier(build_fn=classifier, epochs=1, batch_size=20, verbose=0)
    assert clone(estimator).get_params()["build_fn"] is classifier
    scores = cross_val_score(estimator, X, LABELS, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(estimator, {"hidden": [2, 4]}, cv=2).fit(X, LABELS)
    assert search.best_params_["hidden"] in (2, 4)


def test_an_unknown_parameter_is_refused_by_name():
    with pytest.raises(ValueError, match="nonsense is not a legal parameter"):
        KerasClassifier(build_fn=classifier, nonsense=1)
    estimator = KerasClassifier(build_fn=classifier)
    with pytest.raises(ValueError, match="typo is not a legal parameter"):
        estimator.set_params(typo=2)


def test_score_without_accuracy_says_what_to_compile():
    def no_accuracy():
        model = classifier()
        model.compile("adam", "categorical_crossentropy")
        return model

    estimator = KerasClassifier(no_accuracy, epochs=1, verbose=0)
    estimator.fit(X, LABELS)
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]"):
        estimator.score(X, LABELS)
