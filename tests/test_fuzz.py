"""Property-based fuzzing: random layer arguments, `fit` inputs and damaged model files.

The property, for every target: a call either does what it was asked, or raises
ValueError, TypeError or OSError whose message names the argument, the value or the
file. Never a crash, a hang (pytest-timeout), an AttributeError/KeyError/IndexError
from deep inside, and never silent acceptance of a value the oracle calls invalid.

Profiles (`HYPOTHESIS_PROFILE`): "ci" (the default, bounded examples) and "long"
(on demand: `HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py --hypothesis-show-statistics`).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import refimpl

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The long profile's hang guard is per example (a minute), as its tests run for hours.
settings.register_profile(
    "long", max_examples=2000, deadline=60_000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(PROFILE)
#: pytest-timeout's limit for one test of the CI profile (0: none).
TEST_TIMEOUT = 600 if PROFILE == "ci" else 0

ACCEPTABLE = (ValueError, TypeError, OSError)
ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu", "softplus")
INITIALIZERS = ("glorot_uniform", "he_normal", "zeros", "ones", "orthogonal", "lecun_normal")
PADDINGS = ("valid", "same")


# --- the values tried: valid ones and the mistakes users make -------------------------


def _counts() -> st.SearchStrategy:
    """Integers, NumPy integers, negative and zero counts, fractions, strings, None."""
    return st.one_of(
        st.integers(-3, 9),
        st.integers(1, 9).map(np.int64),
        st.floats(0.1, 9).filter(lambda v: v != int(v)),
        st.sampled_from(["4", None, True]),
    )


def _names(valid: tuple[str, ...]) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(valid), st.sampled_from(["nope", "ReLU!", "", 3]))


def _rates() -> st.SearchStrategy:
    return st.one_of(st.floats(-0.5, 1.5, allow_nan=False), st.sampled_from(["0.5", None]))


def _positive_count(value: Any, arguments: dict[str, Any] | None = None) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


def _name_in(valid: tuple[str, ...]):
    return lambda value, arguments: isinstance(value, str) and value in valid


def _rate(value: Any, arguments: dict[str, Any]) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value <= 1


def _fits_the_image(value: Any, arguments: dict[str, Any]) -> bool:
    """A window of the 8x8 images these layers see (any size with 'same' padding)."""
    return _positive_count(value) and (value <= 8 or arguments.get("padding") == "same")


@dataclass(frozen=True)
class LayerTarget:
    """A layer class, the input it is called on, and each argument's values and oracle."""

    name: str
    input_shape: tuple[int, ...]
    #: argument -> (its values, whether a value is valid given all the arguments)
    arguments: dict[str, tuple[st.SearchStrategy, Any]]


LAYERS = [
    LayerTarget("Dense", (4,), {
        "units": (_counts(), _positive_count),
        "activation": (_names(ACTIVATIONS), _name_in(ACTIVATIONS)),
        "kernel_initializer": (_names(INITIALIZERS), _name_in(INITIALIZERS)),
    }),
    LayerTarget("Conv2D", (8, 8, 2), {
        "filters": (_counts(), _positive_count),
        "kernel_size": (_counts(), _fits_the_image),
        "padding": (_names(PADDINGS), _name_in(PADDINGS)),
        "activation": (_names(ACTIVATIONS), _name_in(ACTIVATIONS)),
    }),
    LayerTarget("LSTM", (5, 3), {
        "units": (_counts(), _positive_count),
        "dropout": (_rates(), _rate),
        "activation": (_names(ACTIVATIONS), _name_in(ACTIVATIONS)),
    }),
    LayerTarget("Embedding", (6,), {
        "input_dim": (_counts(), _positive_count),
        "output_dim": (_counts(), _positive_count),
    }),
    LayerTarget("Dropout", (4,), {"rate": (_rates(), _rate)}),
    LayerTarget("MaxPooling2D", (8, 8, 2), {
        "pool_size": (_counts(), _fits_the_image),
        "padding": (_names(PADDINGS), _name_in(PADDINGS)),
    }),
]  # fmt: skip


def _layer_case(target: LayerTarget) -> st.SearchStrategy:
    return st.fixed_dictionaries({name: values for name, (values, _) in target.arguments.items()})


def _names_the_mistake(message: str, arguments: dict[str, Any], bad: list[str]) -> bool:
    return any(name in message or repr(arguments[name]) in message for name in bad) or any(
        str(arguments[name]) in message for name in bad if str(arguments[name])
    )


@pytest.mark.timeout(TEST_TIMEOUT)
@pytest.mark.parametrize("target", LAYERS, ids=lambda t: t.name)
def test_a_layer_builds_or_names_the_argument_it_rejects(target):
    @given(arguments=_layer_case(target))
    def check(arguments):
        bad = [
            n for n, (_, valid) in target.arguments.items() if not valid(arguments[n], arguments)
        ]
        inputs = refimpl.layers.Input(target.input_shape)
        try:
            layer = getattr(refimpl.layers, target.name)(**arguments)
            layer(inputs)
        except ACCEPTABLE as error:
            assert bad, f"{target.name}({arguments}) is valid but raised {error!r}"
            assert _names_the_mistake(str(error), arguments, bad), (
                f"{target.name}({arguments}): the error does not name {bad}: {error}"
            )
            return
        if target.name == "Embedding" and "input_dim" in bad:
            return  # Keras 2 too: the vocabulary size is checked only against data
        assert not bad, f"{target.name}({arguments}) accepted invalid {bad} silently"

    check()


# --- `fit` inputs ---------------------------------------------------------------------

MODEL = refimpl.models.Sequential([refimpl.layers.Dense(3, input_dim=4)])
MODEL.compile("sgd", "mse")


@st.composite
def fit_inputs(draw) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """x and y of random length, width, kind and values; what is wrong with them."""
    rows_x = draw(st.integers(0, 12))
    rows_y = draw(st.one_of(st.just(rows_x), st.integers(0, 12)))
    width = draw(st.sampled_from([4, 4, 3, 5]))
    kind = draw(st.sampled_from(["float32", "float64", "int32", "bool", "str"]))
    x = np.ones((rows_x, width)).astype(kind if kind != "str" else "U1")
    if kind.startswith("float") and rows_x:
        x.flat[draw(st.integers(0, x.size - 1))] = draw(st.sampled_from([np.nan, np.inf]))
    y = np.zeros((rows_y, 3), "float32")
    wrong = [
        problem
        for problem, is_wrong in [
            ("empty", rows_x == 0),
            ("sizes", rows_x != rows_y),
            ("shape", width != 4),
            ("numbers", kind == "str"),
        ]
        if is_wrong
    ]
    return x, y, wrong


#: The words that name each problem in an error message.
PROBLEM_WORDS = {
    "empty": ("empty", "at least one sample"),
    "sizes": ("sizes", "samples", "cardinality"),
    "shape": ("shape",),
    "numbers": ("numbers",),
}


@pytest.mark.timeout(TEST_TIMEOUT)
@given(case=fit_inputs())
def test_fit_trains_or_names_what_is_wrong_with_the_data(case):
    x, y, wrong = case
    try:
        MODEL.fit(x, y, epochs=1, verbose=0)
    except ACCEPTABLE as error:
        message = str(error)
        assert wrong, f"x {x.shape} {x.dtype}, y {y.shape}: valid but raised {error!r}"
        assert any(word in message for p in wrong for word in PROBLEM_WORDS[p]), (
            f"{wrong}: the error does not say so: {message}"
        )
        return
    assert not wrong, f"x {x.shape} {x.dtype}, y {y.shape} accepted silently ({wrong})"


# --- damaged model files --------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    model = refimpl.models.Sequential([
        refimpl.layers.Dense(3, input_dim=4, activation="relu"), refimpl.layers.Dense(2)
    ])  # fmt: skip
    model.compile("adam", "mse")
    model.fit(np.ones((4, 4)), np.ones((4, 2)), verbose=0)
    folder = tmp_path_factory.mktemp("fuzz-models")
    saved = {}
    for suffix in (".h5", ".keras"):
        path = folder / f"good{suffix}"
        model.save(path)
        saved[suffix] = path.read_bytes()
    return folder, saved


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """A truncation, some overwritten bytes, or random bytes."""
    how = draw(st.sampled_from(["truncate", "overwrite", "random"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "random":
        return draw(st.binary(max_size=4096))
    array = np.frombuffer(data, np.uint8).copy()
    spots = draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=32))
    array[spots] = draw(st.integers(0, 255))
    return array.tobytes()


@pytest.mark.timeout(TEST_TIMEOUT)
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_load_model_loads_or_names_the_damaged_file(saved_models, suffix):
    folder, saved = saved_models

    @given(data=damaged(saved[suffix]))
    def check(data):
        path = folder / f"damaged{suffix}"
        path.write_bytes(data)
        try:
            model = refimpl.models.load_model(path)
        except ACCEPTABLE as error:
            assert str(path) in str(error), f"the error does not name the file: {error!r}"
            return
        # Overwritten weight bytes load as other weights, as in Keras 2 (HDF5 has no
        # checksums); what loads must still be the saved architecture.
        assert model.output_shape == (None, 2)

    check()
