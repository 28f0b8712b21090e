"""Saving and loading models the Keras 2 way, checked against Keras 2 itself (tf_keras).

Whole models (`.h5`, `.keras`, a path with no extension), what a loaded model keeps
(architecture, weights, optimizer state and class, the compiled loss and metrics), the
formats Keras 3 cannot load back, files and weights written by tf_keras, weights read
by tf_keras, `by_name` loading, JSON and YAML architectures, `get_weights` /
`set_weights`, `summary()`, and a custom layer written as Keras 2's guide taught.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tf_keras  # noqa: E402
import yaml  # noqa: E402

import refimpl  # noqa: E402
from refimpl import backend as K  # noqa: E402
from refimpl import optimizers  # noqa: E402
from refimpl._keras3 import tf  # noqa: E402
from refimpl.layers import Dense, Dropout, Input  # noqa: E402
from refimpl.models import (  # noqa: E402
    Model,
    Sequential,
    load_model,
    model_from_json,
    model_from_yaml,
)

pytestmark = pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")

RNG = np.random.RandomState(7)
X = RNG.rand(48, 6).astype("float32")
Y = (X[:, :3].sum(axis=1) > X[:, 3:].sum(axis=1)).astype("float32")[:, None]
K2 = tf_keras.layers


def mean_abs_gap(y_true, y_pred):
    """A custom metric function, passed to `load_model` through `custom_objects`."""
    return K.mean(K.abs(y_true - y_pred), axis=-1)


def _mlp(name_prefix: str = "") -> Sequential:
    model = Sequential(
        [
            Dense(8, activation="relu", input_dim=6, name=f"{name_prefix}hidden"),
            Dropout(0.0),
            Dense(1, activation="sigmoid", name=f"{name_prefix}out"),
        ]
    )
    return model


def _trained_mlp(metrics=("acc", "mse", mean_abs_gap)) -> Sequential:
    refimpl.utils.set_random_seed(3)
    model = _mlp()
    model.compile(
        optimizers.SGD(lr=0.05, decay=1e-3, momentum=0.9, nesterov=True),
        "binary_crossentropy",
        metrics=list(metrics),
    )
    model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model


def _assert_same_weights(a, b, atol=0.0):
    weights_a, weights_b = a.get_weights(), b.get_weights()
    assert len(weights_a) == len(weights_b)
    for wa, wb in zip(weights_a, weights_b, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=atol)


# -- whole models --------------------------------------------------------------------------
@pytest.mark.parametrize("filename", ["model.h5", "model.keras", "model"])
def test_save_and_load_model_keeps_everything(tmp_path, filename):
    model = _trained_mlp()
    path = tmp_path / filename
    model.save(str(path))
    if not filename.endswith(".keras"):
        # Standalone Keras 2 wrote HDF5 whatever the extension.
        assert h5py.is_hdf5(path)

    loaded = load_model(str(path), custom_objects={"mean_abs_gap": mean_abs_gap})

    assert isinstance(loaded, Sequential)
    assert [type(layer).__name__ for layer in loaded.layers] == ["Dense", "Dropout", "Dense"]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.layers[0].units == 8 and loaded.layers[0].activation.__name__ == "relu"
    _assert_same_weights(model, loaded)
    # The optimizer is Keras 2's SGD again, with its decay, and with its state.
    assert isinstance(loaded.optimizer, optimizers.SGD)
    config = loaded.optimizer.get_config()
    assert config["decay"] == pytest.approx(1e-3)
    assert config["momentum"] == pytest.approx(0.9) and config["nesterov"] is True
    assert int(loaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    for saved, restored in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(saved.numpy(), restored.numpy())
    # The compiled loss and metrics, under Keras 2's names and in Keras 2's order.
    expected = model.evaluate(X, Y, verbose=0)
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert loaded.metrics_names == ["loss", "acc", "mse", "mean_abs_gap"]
    # Training goes on exactly where it stopped (same decayed rate, same momentum).
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(model, loaded, atol=1e-6)


def test_save_h5_then_keras_keeps_the_optimizer(tmp_path):
    # Keras 3's HDF5 writer edits the model's compile configuration in place.
    model = _trained_mlp(metrics=("acc",))
    model.save(str(tmp_path / "first.h5"))
    model.save(str(tmp_path / "second.keras"))
    loaded = load_model(str(tmp_path / "second.keras"))
    assert isinstance(loaded.optimizer, optimizers.SGD)
    assert loaded.optimizer.get_config()["decay"] == pytest.approx(1e-3)


def test_keras2_string_names_survive_a_round_trip(tmp_path):
    inputs = Input(shape=(6,))
    hidden = Dense(5, activation="tanh")(inputs)
    first = Dense(1, activation="sigmoid", name="first")(hidden)
    second = Dense(2, name="second")(hidden)
    model = Model(inputs, [first, second])
    model.compile(
        "rmsprop",
        loss={"first": "binary_crossentropy", "second": "mse"},
        loss_weights={"first": 1.0, "second": 0.5},
        metrics={"first": ["acc"], "second": ["mae"]},
    )
    targets = [Y, np.hstack([Y, 1 - Y])]
    model.fit(X, targets, epochs=1, verbose=0)
    model.save(str(tmp_path / "two.h5"))
    loaded = load_model(str(tmp_path / "two.h5"))
    assert isinstance(loaded, Model) and isinstance(loaded.optimizer, optimizers.RMSprop)
    expected = model.evaluate(X, targets, verbose=0)
    assert loaded.evaluate(X, targets, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert loaded.metrics_names == model.metrics_names
    assert loaded.metrics_names == ["loss", "first_loss", "second_loss", "first_acc", "second_mae"]


def test_save_format_tf_is_refused_with_what_to_do(tmp_path):
    model = _trained_mlp(metrics=())
    with pytest.raises(ValueError, match=r"save_format='tf'.*\.keras.*\.h5"):
        model.save(str(tmp_path / "saved"), save_format="tf")
    assert not (tmp_path / "saved").exists()


def test_a_savedmodel_directory_of_keras_2_opens_and_one_without_keras_metadata_is_refused(
    tmp_path,
):
    # A SavedModel written by Keras 2 itself holds its config in keras_metadata.pb.
    k2_model = tf_keras.Sequential([K2.Dense(2, input_shape=(3,))])
    k2_model.save(str(tmp_path / "k2_savedmodel"), save_format="tf")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    loaded = load_model(str(tmp_path / "k2_savedmodel"))
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), k2_model.predict(x, verbose=0), rtol=1e-6
    )
    # One written by TensorFlow alone (a serving export) holds no Keras model.
    tf.saved_model.save(tf.Module(), str(tmp_path / "plain_savedmodel"))
    with pytest.raises(ValueError, match="keras_metadata.pb.*TFSMLayer"):
        load_model(str(tmp_path / "plain_savedmodel"))


def test_save_refuses_to_overwrite_when_asked(tmp_path):
    model = _trained_mlp(metrics=())
    path = tmp_path / "m.h5"
    model.save(str(path))
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(str(path), overwrite=False)


# -- interoperability with Keras 2's own files ---------------------------------------------
def _tf_keras_mlp():
    return tf_keras.Sequential(
        [
            K2.Dense(8, activation="relu", input_shape=(6,), name="hidden"),
            K2.Dropout(0.0),
            K2.Dense(1, activation="sigmoid", name="out"),
        ]
    )


def _tf_keras_functional():
    inputs = tf_keras.Input(shape=(6,))
    hidden = K2.Dense(8, activation="tanh", name="hidden")(inputs)
    first = K2.Dense(1, activation="sigmoid", name="first")(hidden)
    second = K2.Dense(2, name="second")(K2.concatenate([hidden, inputs]))
    return tf_keras.Model(inputs, [first, second])


TF_KERAS_OPTIMIZERS = {
    "sgd": lambda: tf_keras.optimizers.legacy.SGD(0.05, momentum=0.9, decay=1e-3, nesterov=True),
    "adam": lambda: tf_keras.optimizers.legacy.Adam(0.01),
    "rmsprop": lambda: tf_keras.optimizers.legacy.RMSprop(0.01),
}
REFIMPL_CLASS = {"sgd": optimizers.SGD, "adam": optimizers.Adam, "rmsprop": optimizers.RMSprop}


@pytest.mark.parametrize("optimizer", sorted(TF_KERAS_OPTIMIZERS))
def test_a_tf_keras_h5_file_loads_and_trains_on(tmp_path, optimizer):
    tf_keras.utils.set_random_seed(5)
    k2_model = _tf_keras_mlp()
    k2_model.compile(TF_KERAS_OPTIMIZERS[optimizer](), "binary_crossentropy", metrics=["acc"])
    k2_model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    k2_model.save(str(tmp_path / "k2.h5"))

    loaded = load_model(str(tmp_path / "k2.h5"))

    assert isinstance(loaded, Sequential)
    assert isinstance(loaded.optimizer, REFIMPL_CLASS[optimizer])
    np.testing.assert_allclose(loaded.predict(X), k2_model.predict(X, verbose=0), atol=1e-6)
    expected = k2_model.evaluate(X, Y, verbose=0)
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert loaded.metrics_names == k2_model.metrics_names == ["loss", "acc"]
    # The optimizer state (step count, momenta, second moments) came across: one more
    # epoch on both gives the same weights.
    assert int(loaded.optimizer.iterations.numpy()) == int(k2_model.optimizer.iterations)
    k2_model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _assert_same_weights(loaded, k2_model, atol=2e-5)


def test_a_tf_keras_functional_model_loads(tmp_path):
    tf_keras.utils.set_random_seed(6)
    k2_model = _tf_keras_functional()
    k2_model.compile("adam", ["binary_crossentropy", "mse"], loss_weights=[1.0, 0.2])
    targets = [Y, np.hstack([Y, 1 - Y])]
    k2_model.fit(X, targets, epochs=1, verbose=0)
    k2_model.save(str(tmp_path / "k2_functional.h5"))

    loaded = load_model(str(tmp_path / "k2_functional.h5"))

    assert isinstance(loaded, Model)
    assert loaded.output_shape == [(None, 1), (None, 2)]
    for ours, theirs in zip(loaded.predict(X), k2_model.predict(X, verbose=0), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)
    # Batches of equal size: Keras 3 averages each output's loss over batches without
    # weighting them by size (the total loss is weighted), so a short last batch would
    # shift `first_loss` and `second_loss` away from Keras 2's values.
    expected = k2_model.evaluate(X, targets, batch_size=16, verbose=0)
    assert loaded.evaluate(X, targets, batch_size=16, verbose=0) == pytest.approx(
        expected, rel=1e-5
    )


def test_save_weights_are_readable_by_tf_keras_and_back(tmp_path):
    model = _trained_mlp(metrics=())
    model.save_weights(str(tmp_path / "ours.h5"))
    k2_model = _tf_keras_mlp()
    k2_model.load_weights(str(tmp_path / "ours.h5"))
    np.testing.assert_allclose(k2_model.predict(X, verbose=0), model.predict(X), atol=1e-6)

    tf_keras.utils.set_random_seed(8)
    k2_other = _tf_keras_mlp()
    k2_other.save_weights(str(tmp_path / "theirs.h5"))
    model.load_weights(str(tmp_path / "theirs.h5"))
    _assert_same_weights(model, k2_other)


def test_load_weights_by_name_into_another_architecture(tmp_path):
    source = _trained_mlp(metrics=())
    source.save_weights(str(tmp_path / "w.h5"))
    # Shares the layer names `hidden` and `out`, adds a layer, and gives `out` the same
    # shape: only the named layers receive weights.
    target = Sequential(
        [
            Dense(8, activation="relu", input_dim=6, name="hidden"),
            Dense(8, name="extra"),
            Dense(1, activation="sigmoid", name="out"),
        ]
    )
    extra_before = [w.copy() for w in target.get_layer("extra").get_weights()]
    target.load_weights(str(tmp_path / "w.h5"), by_name=True)
    for name in ("hidden", "out"):
        for ours, theirs in zip(
            target.get_layer(name).get_weights(), source.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(ours, theirs)
    for after, before in zip(target.get_layer("extra").get_weights(), extra_before, strict=True):
        np.testing.assert_array_equal(after, before)
    # Without `by_name`, weights go by position: the different topology is an error.
    with pytest.raises(ValueError):
        target.load_weights(str(tmp_path / "w.h5"))


# -- architectures -------------------------------------------------------------------------
def _plain(config):
    """A config as JSON would carry it (tuples become lists)."""
    return json.loads(json.dumps(config))


def test_json_round_trip_rebuilds_an_uncompiled_twin():
    model = _trained_mlp()
    rebuilt = model_from_json(model.to_json())
    assert isinstance(rebuilt, Sequential)
    assert _plain(rebuilt.get_config()) == _plain(model.get_config())
    assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
    # Keras 2's JSON held the architecture only; a custom metric in the model's compile
    # configuration must not stop it from loading.
    assert not rebuilt.compiled


def test_model_from_json_reads_tf_keras_json():
    k2_model = _tf_keras_functional()
    rebuilt = model_from_json(k2_model.to_json())
    assert isinstance(rebuilt, Model)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in k2_model.layers]
    rebuilt.set_weights(k2_model.get_weights())
    for ours, theirs in zip(rebuilt.predict(X), k2_model.predict(X, verbose=0), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_yaml_round_trip():
    model = _trained_mlp(metrics=())
    text = model.to_yaml()
    assert yaml.safe_load(text)["class_name"] == "Sequential"
    rebuilt = model_from_yaml(text)
    assert isinstance(rebuilt, Sequential)
    assert _plain(rebuilt.get_config()) == _plain(model.get_config())


def test_model_from_yaml_refuses_python_tags(tmp_path):
    marker = tmp_path / "pwned"
    hostile = f"!!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(yaml.YAMLError, match="python/object"):
        model_from_yaml(hostile)
    assert not marker.exists()
    with pytest.raises(ValueError, match="class_name"):
        model_from_yaml("- just\n- a list\n")


# -- weights and summaries -----------------------------------------------------------------
def test_get_and_set_weights_match_tf_keras_layout():
    model = _mlp()
    k2_model = _tf_keras_mlp()
    assert [w.shape for w in model.get_weights()] == [w.shape for w in k2_model.get_weights()]
    model.set_weights(k2_model.get_weights())
    np.testing.assert_allclose(model.predict(X), k2_model.predict(X, verbose=0), atol=1e-6)
    with pytest.raises(ValueError):
        model.set_weights(k2_model.get_weights()[:-1])


def test_summary_lists_layers_shapes_and_parameters():
    model = _mlp()
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    k2_lines: list[str] = []
    _tf_keras_mlp().summary(print_fn=k2_lines.append)
    k2_text = "\n".join(k2_lines)
    for layer, shape, params in [("hidden", "(None, 8)", "56"), ("out", "(None, 1)", "9")]:
        row = next(line for line in lines if f" {layer} (Dense)" in line)
        k2_row = next(line for line in k2_lines if f" {layer} (Dense)" in line)
        assert shape in row and params in row
        assert shape in k2_row and params in k2_row
    assert "Trainable params: 65" in text and "Trainable params: 65" in k2_text


# -- a custom layer written the Keras 2 way ------------------------------------------------
# As Keras 2's guide "Writing your own Keras layers" wrote it, with the imports it used.
with refimpl.installed():
    from keras import backend as keras2_backend
    from keras.engine.topology import Layer

    class MyLayer(Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super(MyLayer, self).__init__(**kwargs)  # noqa: UP008 - as Keras 2 users wrote it

        def build(self, input_shape):
            self.kernel = self.add_weight(
                name="kernel",
                shape=(input_shape[1], self.output_dim),
                initializer="uniform",
                trainable=True,
            )
            super(MyLayer, self).build(input_shape)  # noqa: UP008

        def call(self, x):
            return keras2_backend.dot(x, self.kernel)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], self.output_dim)

        def get_config(self):
            config = {"output_dim": self.output_dim}
            base_config = super(MyLayer, self).get_config()  # noqa: UP008
            return dict(list(base_config.items()) + list(config.items()))


def test_custom_keras2_layer_trains_saves_and_loads(tmp_path):
    refimpl.utils.set_random_seed(11)
    model = Sequential([MyLayer(4, input_shape=(6,)), Dense(1, activation="sigmoid")])
    assert model.output_shape == (None, 1)
    assert model.layers[0].output_shape == (None, 4)
    kernel = model.layers[0].kernel
    assert tuple(kernel.shape) == (6, 4) and model.layers[0].trainable_weights == [kernel]
    before = kernel.numpy().copy()
    # Keras 2's 'uniform' initializer draws from [-0.05, 0.05].
    assert np.all(np.abs(before) <= 0.05)
    np.testing.assert_allclose(model.layers[0](X).numpy(), X @ before, rtol=1e-5, atol=1e-6)

    model.compile(optimizers.SGD(lr=0.5), "binary_crossentropy", metrics=["acc"])
    history = model.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert not np.allclose(kernel.numpy(), before)  # the custom weight is trained
    assert history.history["loss"][-1] < history.history["loss"][0]

    model.save(str(tmp_path / "custom.h5"))
    with pytest.raises((TypeError, ValueError), match="MyLayer"):
        load_model(str(tmp_path / "custom.h5"))
    loaded = load_model(str(tmp_path / "custom.h5"), custom_objects={"MyLayer": MyLayer})
    assert isinstance(loaded.layers[0], MyLayer) and loaded.layers[0].output_dim == 4
    _assert_same_weights(model, loaded)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X), atol=1e-6)
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0))
