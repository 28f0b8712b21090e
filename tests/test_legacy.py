"""refimpl.legacy: the one table of Keras 1 / Keras 2 argument translations.

Each kind of entry is exercised (a rename with and without a value conversion, a
combination of several arguments, an unsupported argument with its harmless default
and a value it rejects, a Keras 2 default that Keras 3 changed, Keras 1's positional
kernel sizes), the error messages are checked to name the argument and its
replacement, and the table itself is checked against Keras 3: every new name is one
that Keras 3 (or refimpl) accepts, so nothing is translated into a name that is then
dropped, and an argument that no entry knows still reaches Keras 3 and fails there.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import inspect  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402

import refimpl  # noqa: E402
from refimpl import _keras3_private, backend, legacy, optimizers  # noqa: E402
from refimpl import layers as L  # noqa: E402
from refimpl._keras3 import keras3, tf  # noqa: E402
from refimpl.legacy import (  # noqa: E402
    TRANSLATIONS,
    Combined,
    Default,
    Renamed,
    Split,
    Unsupported,
    translate,
    translate_call,
    translate_positional,
)


def _translate_quietly(owner, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return translate(owner, kwargs)


def _recorded(function, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


# -- Renamed -----------------------------------------------------------------------------

# (owner, Keras 1/2 keyword arguments, their Keras 3 translation)
RENAMES = [
    ("Dense", {"output_dim": 3}, {"units": 3}),
    ("Dense", {"init": "zero", "bias": False}, {"kernel_initializer": "zero", "use_bias": False}),
    ("Dropout", {"p": 0.25}, {"rate": 0.25}),
    ("GaussianNoise", {"sigma": 0.1}, {"stddev": 0.1}),
    ("Conv2D", {"border_mode": "same"}, {"padding": "same"}),
    ("Conv1D", {"border_mode": "causal"}, {"padding": "causal"}),
    ("Conv2D", {"dim_ordering": "th"}, {"data_format": "channels_first"}),
    ("Conv2D", {"dim_ordering": "tf"}, {"data_format": "channels_last"}),
    ("MaxPooling2D", {"dim_ordering": "default"}, {"data_format": None}),
    ("LSTM", {"forget_bias_init": "one"}, {"unit_forget_bias": True}),
    ("LSTM", {"forget_bias_init": "zero"}, {"unit_forget_bias": False}),
    ("GRU", {"consume_less": "gpu"}, {"implementation": 2}),
    ("GRU", {"consume_less": "mem"}, {"implementation": 1}),
    ("LSTM", {"dropout_W": 0.1, "dropout_U": 0.2}, {"dropout": 0.1, "recurrent_dropout": 0.2}),
    ("MaxPooling1D", {"pool_length": 3, "stride": 1}, {"pool_size": 3, "strides": 1}),
    ("Model", {"input": "x", "output": "y"}, {"inputs": "x", "outputs": "y"}),
    ("fit", {"nb_epoch": 3}, {"epochs": 3}),
    ("Tokenizer", {"nb_words": 100}, {"num_words": 100}),
    ("to_categorical", {"nb_classes": 4}, {"num_classes": 4}),
]


@pytest.mark.parametrize(("owner", "old", "new"), RENAMES)
def test_keras1_rename_warns_with_the_keras2_call(owner, old, new):
    translated, messages = _recorded(translate, owner, dict(old))
    assert translated == new
    assert len(messages) == 1
    arguments = ", ".join(f"{k}={v!r}" for k, v in new.items())
    assert messages[0] == f"Update your `{owner}` call to the Keras 2 API: `{owner}({arguments})`"


# Keras 2 names that Keras 3 renamed: valid Keras 2, so no warning.
KERAS2_RENAMES = [
    ("SGD", {"lr": 0.1}, {"learning_rate": 0.1}),
    ("Adam", {"lr": 0.1}, {"learning_rate": 0.1}),
    ("LeakyReLU", {"alpha": 0.2}, {"negative_slope": 0.2}),
    ("Nadam", {"decay": 0.01}, {"schedule_decay": 0.01}),
]


@pytest.mark.parametrize(("owner", "old", "new"), KERAS2_RENAMES)
def test_keras2_rename_is_silent(owner, old, new):
    translated, messages = _recorded(translate, owner, dict(old))
    assert translated == new
    assert messages == []


def test_rename_keeps_other_arguments_and_does_not_mutate():
    given = {"output_dim": 3, "activation": "relu", "name": "d"}
    translated = _translate_quietly("Dense", given)
    assert translated == {"units": 3, "activation": "relu", "name": "d"}
    assert given == {"output_dim": 3, "activation": "relu", "name": "d"}


@pytest.mark.parametrize(
    ("owner", "argument", "value", "accepted"),
    [
        ("Conv2D", "border_mode", "full", "'valid', 'same', 'causal'"),
        ("Conv2D", "dim_ordering", "xy", "'tf', 'th', 'default'"),
        ("LSTM", "consume_less", "fast", "'cpu', 'mem', 'gpu'"),
        ("LSTM", "forget_bias_init", "uniform", "'one', 'zero'"),
    ],
)
def test_conversion_rejects_unknown_values(owner, argument, value, accepted):
    with pytest.raises(ValueError) as error:
        _translate_quietly(owner, {argument: value})
    message = str(error.value)
    assert f"`{argument}`" in message
    assert accepted in message
    assert repr(value) in message


@pytest.mark.parametrize(
    ("owner", "old", "new", "value"),
    [
        ("Dense", "output_dim", "units", 3),
        ("Conv2D", "border_mode", "padding", "same"),
        ("SGD", "lr", "learning_rate", 0.1),
        ("fit", "nb_epoch", "epochs", 2),
    ],
)
def test_old_and_new_name_together_raise(owner, old, new, value):
    with pytest.raises(TypeError) as error:
        _translate_quietly(owner, {old: value, new: value})
    message = str(error.value)
    assert f"`{owner}`" in message and f"`{old}`" in message and f"`{new}`" in message


def test_old_and_new_name_together_raise_in_layers_and_optimizers():
    with pytest.raises(TypeError, match="`output_dim`.*`units`"):
        L.Dense(units=3, output_dim=4)
    with pytest.raises(TypeError, match="`p`.*`rate`"):
        L.Dropout(rate=0.5, p=0.5)
    # The rate given positionally: Python itself names the clash.
    with pytest.raises(TypeError, match="rate"), pytest.warns(UserWarning, match="Update"):
        L.Dropout(0.5, p=0.5)
    with pytest.raises(TypeError, match="`lr`.*`learning_rate`"):
        optimizers.Adam(lr=0.1, learning_rate=0.1)


# -- Combined ----------------------------------------------------------------------------


def test_combined_arguments_become_one_tuple():
    translated, messages = _recorded(translate, "Conv2D", {"nb_row": 3, "nb_col": 5})
    assert translated == {"kernel_size": (3, 5)}
    assert messages == [
        "Update your `Conv2D` call to the Keras 2 API: `Conv2D(kernel_size=(3, 5))`"
    ]
    three = _translate_quietly("Conv3D", {"kernel_dim1": 1, "kernel_dim2": 2, "kernel_dim3": 3})
    assert three == {"kernel_size": (1, 2, 3)}


@pytest.mark.parametrize(
    "kwargs",
    [{"nb_row": 3}, {"nb_col": 3}, {"nb_row": 3, "nb_col": 3, "kernel_size": 3}],
    ids=["nb_row-alone", "nb_col-alone", "with-kernel_size"],
)
def test_combined_arguments_must_come_together(kwargs):
    with pytest.raises(TypeError) as error:
        _translate_quietly("Conv2D", kwargs)
    message = str(error.value)
    assert "`nb_row`, `nb_col`" in message and "`kernel_size`" in message


# -- Split -------------------------------------------------------------------------------


def test_split_sets_every_new_argument():
    translated, messages = _recorded(translate, "SeparableConv2D", {"init": "he_normal"})
    assert translated == {
        "depthwise_initializer": "he_normal",
        "pointwise_initializer": "he_normal",
    }
    assert messages == [
        "Update your `SeparableConv2D` call to the Keras 2 API: `SeparableConv2D("
        "depthwise_initializer='he_normal', pointwise_initializer='he_normal')`"
    ]
    with pytest.raises(TypeError, match="`init`.*`pointwise_initializer`"):
        _translate_quietly("SeparableConv2D", {"init": "zeros", "pointwise_initializer": "ones"})


def test_split_through_the_layer():
    with pytest.warns(UserWarning, match="Update your `SeparableConv2D` call"):
        layer = L.SeparableConvolution2D(4, 3, 3, init="ones", border_mode="same")
    config = layer.get_config()
    assert config["kernel_size"] == (3, 3) and config["padding"] == "same"
    for name in ("depthwise_initializer", "pointwise_initializer"):
        assert config[name]["class_name"] == "Ones"


# -- Unsupported --------------------------------------------------------------------------

# (owner, argument, accepted Keras 2 default, rejected value, fragment of the advice)
UNSUPPORTED = [
    ("Embedding", "dropout", 0.0, 0.2, "SpatialDropout1D"),
    ("BatchNormalization", "mode", 0, 2, "axis"),
    ("LSTM", "time_major", False, True, "swapaxes"),
    ("SimpleRNN", "implementation", 1, 3, "single implementation"),
    ("TensorBoard", "write_grads", False, True, "histogram_freq"),
]


@pytest.mark.parametrize(("owner", "argument", "default", "rejected", "advice"), UNSUPPORTED)
def test_unsupported_accepts_default_and_rejects_others(owner, argument, default, rejected, advice):
    translated, messages = _recorded(translate, owner, {argument: default, "name": "x"})
    assert translated == {"name": "x"}
    assert messages == []
    with pytest.raises(TypeError) as error:
        translate(owner, {argument: rejected})
    message = str(error.value)
    assert f"`{owner}`" in message
    assert f"`{argument}={rejected!r}`" in message
    assert advice in message


def test_unsupported_through_the_layer():
    assert L.Embedding(10, 3, dropout=0).get_config()["output_dim"] == 3
    with pytest.raises(TypeError, match="`dropout=0.5`.*SpatialDropout1D"):
        L.Embedding(10, 3, dropout=0.5)


# -- Default ------------------------------------------------------------------------------


def test_default_fills_keras2_defaults():
    assert translate("AveragePooling2D", {}) == {"pool_size": (2, 2)}
    assert translate("AveragePooling1D", {"strides": 1}) == {"strides": 1, "pool_size": 2}
    assert translate("AveragePooling3D", {}) == {"pool_size": (2, 2, 2)}
    assert translate("ConvLSTM2D", {}) == {"recurrent_activation": backend.hard_sigmoid}


def test_default_leaves_given_values():
    assert translate("AveragePooling2D", {"pool_size": 3}) == {"pool_size": 3}
    # Given positionally: nothing to fill in.
    assert translate_call("AveragePooling2D", ((3, 3),), {}) == (((3, 3),), {})


def test_default_matches_tf_keras():
    for name in ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D"):
        assert getattr(L, name)().pool_size == getattr(tf_keras.layers, name)().pool_size
    cell = L.ConvLSTM2D(2, 3).cell
    assert cell.recurrent_activation is backend.hard_sigmoid
    assert tf_keras.layers.ConvLSTM2D(2, 3).get_config()["recurrent_activation"] == "hard_sigmoid"


def test_default_entry_positions():
    entry = Default("pool_size", (2, 2), position=0)
    kwargs = {}
    entry.apply("AveragePooling2D", kwargs, positional=1)
    assert kwargs == {}
    entry.apply("AveragePooling2D", kwargs, positional=0)
    assert kwargs == {"pool_size": (2, 2)}


# -- Keras 2 functions for names Keras 3 redefined ----------------------------------------


def test_hard_sigmoid_is_keras2s():
    x = np.linspace(-4, 4, 17).astype("float32")
    expected = np.asarray(tf_keras.activations.hard_sigmoid(tf.constant(x)))
    translated = _translate_quietly("LSTM", {"recurrent_activation": "hard_sigmoid"})
    np.testing.assert_allclose(translated["recurrent_activation"](x), expected, rtol=1e-6)
    for owner, args in (("Activation", ("hard_sigmoid",)), ("Dense", (3, "hard_sigmoid"))):
        converted, _ = translate_call(owner, args, {})
        np.testing.assert_allclose(converted[-1](x), expected, rtol=1e-6)
    # Other names and callables pass through.
    assert translate("Dense", {"activation": "relu"}) == {"activation": "relu"}
    assert translate("Dense", {"activation": np.tanh}) == {"activation": np.tanh}


def test_hard_sigmoid_config_round_trip():
    layer = L.Activation("hard_sigmoid")
    assert layer.get_config()["activation"] == "hard_sigmoid"
    rebuilt = L.Activation.from_config(layer.get_config())
    assert rebuilt.activation is backend.hard_sigmoid


# -- Keras 1 positional kernel sizes ------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "args", "expected"),
    [
        ("Conv2D", (32, 3, 3), (32, (3, 3))),
        ("Conv2DTranspose", (8, 2, 4), (8, (2, 4))),
        ("SeparableConv2D", (8, 3, 1), (8, (3, 1))),
        ("Conv3D", (4, 1, 2, 3), (4, (1, 2, 3))),
    ],
)
def test_translate_positional(owner, args, expected):
    translated, messages = _recorded(translate_positional, owner, args)
    assert translated == expected
    assert messages == [
        f"Update your `{owner}` call to the Keras 2 API: `{owner}({expected[0]!r}, "
        f"{expected[1]!r})`"
    ]


@pytest.mark.parametrize(
    ("owner", "args"),
    [("Conv2D", (32, (3, 3))), ("Conv2D", (32, 3)), ("Conv2D", (32, 3, "same")), ("Dense", (3,))],
)
def test_translate_positional_leaves_keras2_calls(owner, args):
    translated, messages = _recorded(translate_positional, owner, args)
    assert translated == args
    assert messages == []


def test_one_warning_for_positional_and_keyword_arguments():
    (args, kwargs), messages = _recorded(
        translate_call, "Conv2D", (8, 3, 3), {"border_mode": "same", "init": "he_normal"}
    )
    assert args == (8, (3, 3))
    assert kwargs == {"padding": "same", "kernel_initializer": "he_normal"}
    assert messages == [
        "Update your `Conv2D` call to the Keras 2 API: "
        "`Conv2D(8, (3, 3), padding='same', kernel_initializer='he_normal')`"
    ]


def test_warning_points_at_the_users_call():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        L.Convolution2D(4, 3, 3, border_mode="same")
        L.Dense(output_dim=2)
    updates = [w for w in caught if "Update your" in str(w.message)]
    assert len(updates) == 2
    assert {w.filename for w in updates} == {__file__}


# -- nothing is dropped silently -----------------------------------------------------------


def test_unknown_arguments_pass_through_the_table():
    for owner in TRANSLATIONS:
        assert _translate_quietly(owner, {"not_an_argument": 1})["not_an_argument"] == 1
    assert translate("NoSuchOwner", {"p": 1}) == {"p": 1}


@pytest.mark.parametrize(
    "build",
    [
        lambda: L.Dense(3, not_an_argument=1),
        lambda: L.Conv2D(3, 3, not_an_argument=1),
        lambda: L.LSTM(3, not_an_argument=1),
        lambda: L.Dropout(0.5, not_an_argument=1),
        # Keras 1 names of another layer are not this layer's: Keras 3 rejects them.
        lambda: L.Dense(3, nb_filter=2),
        lambda: L.Dropout(0.5, sigma=0.1),
        lambda: optimizers.SGD(not_an_argument=1),
        lambda: optimizers.Adam(momentum=0.9),
    ],
    ids=["Dense", "Conv2D", "LSTM", "Dropout", "Dense-nb_filter", "Dropout-sigma", "SGD", "Adam"],
)
def test_unknown_argument_reaches_keras3_and_raises(build):
    with pytest.raises((TypeError, ValueError)) as error:
        build()
    assert "not_an_argument" in str(error.value) or any(
        name in str(error.value) for name in ("nb_filter", "sigma", "momentum")
    )


def test_unknown_fit_argument_raises():
    model = refimpl.models.Sequential([L.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    with pytest.raises((TypeError, ValueError), match="not_an_argument"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), verbose=0, not_an_argument=1)


# -- the table agrees with Keras 3 -----------------------------------------------------------

#: Owners that are not a Keras 3 layer, optimizer or callback of the same name: what
#: their translated arguments are finally passed to.
TARGETS = {
    "Model": [keras3.Model, _keras3_private.Functional],
    "fit": [keras3.Model.fit],
    "fit_generator": [refimpl.models.Model.fit_generator],
    "evaluate_generator": [refimpl.models.Model.evaluate_generator],
    "predict_generator": [refimpl.models.Model.predict_generator],
    "Tokenizer": [refimpl.preprocessing.text.Tokenizer],
    "to_categorical": [keras3.utils.to_categorical],
}


def _targets(owner: str) -> list:
    if owner in TARGETS:
        return TARGETS[owner]
    for module in (keras3.layers, keras3.optimizers, keras3.callbacks):
        if hasattr(module, owner):
            own = getattr(optimizers, owner, None)  # refimpl's own Keras 2 parameters
            return [getattr(module, owner), *([own] if own is not None else [])]
    raise AssertionError(f"TRANSLATIONS names {owner!r}, which is neither a layer nor known")


def _accepted(owner: str) -> set[str]:
    names: set[str] = set()
    for target in _targets(owner):
        functions = [c.__init__ for c in target.__mro__] if isinstance(target, type) else [target]
        for function in functions:
            try:
                parameters = inspect.signature(function).parameters
            except (TypeError, ValueError):
                continue
            names |= {p for p, v in parameters.items() if v.kind is not v.VAR_KEYWORD}
    return names


def _keras3_names(owner: str) -> set[str]:
    target = _targets(owner)[0]
    functions = [c.__init__ for c in target.__mro__] if isinstance(target, type) else [target]
    names: set[str] = set()
    for function in functions:
        try:
            names |= set(inspect.signature(function).parameters)
        except (TypeError, ValueError):
            continue
    return names


#: Arguments that Keras 3 takes through `**kwargs` rather than by name.
THROUGH_KWARGS = {"GRU": {"implementation"}, "LSTM": {"implementation"}}


def test_through_kwargs_really_accepted():
    for owner, names in THROUGH_KWARGS.items():
        for name in names:
            layer = getattr(keras3.layers, owner)(2, **{name: 1})
            assert getattr(layer.cell, name) == 1


@pytest.mark.parametrize("owner", sorted(TRANSLATIONS))
def test_every_translation_targets_an_accepted_argument(owner):
    accepted = _accepted(owner) | THROUGH_KWARGS.get(owner, set())
    # A translation may hand its result to a later entry (SimpleRNN: `consume_less`
    # becomes `implementation`, which SimpleRNN accepts and ignores).
    accepted |= {e.name for e in TRANSLATIONS[owner] if isinstance(e, Unsupported)}
    for entry in TRANSLATIONS[owner]:
        field = {Renamed: "new", Combined: "new", Default: "name", Split: "news"}.get(type(entry))
        if field is not None:
            news = getattr(entry, field)
            for new in (news,) if isinstance(news, str) else news:
                assert new in accepted, (owner, entry)
        if isinstance(entry, Renamed) and entry.keras == 1:
            # A Keras 1 name that Keras 3 still used would be ambiguous.
            assert entry.old not in _keras3_names(owner), (owner, entry)
        if isinstance(entry, Unsupported):
            # Nothing to translate to: Keras 3 really has no such argument.
            assert entry.name not in _keras3_names(owner), (owner, entry)


def test_every_entry_kind_is_used():
    kinds = {type(entry) for entries in TRANSLATIONS.values() for entry in entries}
    assert kinds == {Renamed, Combined, Split, Unsupported, Default}
    assert any(e.convert for es in TRANSLATIONS.values() for e in es if isinstance(e, Renamed))


def test_keras1_layer_names_are_translated_for_each_alias():
    """`Convolution2D` and `Conv2D` are one class, so they share one table entry."""
    assert L.Convolution2D is L.Conv2D
    assert L.Deconvolution2D is L.Conv2DTranspose
    with pytest.warns(UserWarning, match="Update your `Conv2DTranspose` call"):
        L.Deconvolution2D(3, 3, 3)


def test_user_subclass_keeps_translations():
    class MyDense(L.Dense):
        pass

    with pytest.warns(UserWarning, match="Update your `Dense` call"):
        layer = MyDense(output_dim=3)
    assert layer.units == 3


def test_translations_module_is_the_single_table():
    assert legacy.TRANSLATIONS is TRANSLATIONS
    assert "Nadam" in TRANSLATIONS and "Conv2D" in TRANSLATIONS


def test_every_era_decision_names_what_implements_it():
    """Each Keras 2.0-2.2 / tf_keras difference in ERA_DECISIONS points at a refimpl
    object that exists, and says what each era did and why refimpl chose as it did."""
    import importlib

    for decision in legacy.ERA_DECISIONS:
        module, attribute = decision.where.split(":")
        assert hasattr(importlib.import_module(module), attribute), decision.where
        assert all((decision.what, decision.keras22, decision.tf_keras, decision.why))
