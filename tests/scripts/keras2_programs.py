"""Keras 2 idioms from programs people wrote, in one script that runs unmodified.

Run it on any Keras 2 implementation: `python -m refimpl keras2_programs.py out.json`.
Each part is a small program of the kind Keras 2 users wrote; the data are made here,
and every model starts from weights drawn with NumPy, so two implementations must
give the same numbers. The results go to the JSON file named in argv.

1. A class count taken from the labels with NumPy (`np.max(y) + 1`, a NumPy integer)
   used as a layer size, a kernel size and fit's batch size.
2. A variational autoencoder that adds its KL term with `model.add_loss` on symbolic
   tensors and reports it with `model.add_metric`.
3. A model rebuilt from its config (`Sequential.from_config(model.get_config())`).
4. A model used as a layer, called twice, read back with the node API.
5. Augmented images from `ImageDataGenerator.flow`, trained with `fit_generator` (its
   random transforms draw from NumPy's global generator, so this part trains the same
   way on each implementation but is not reproducible bit for bit, in Keras 2 either).
"""

import json
import sys

import numpy as np
from keras import backend as K
from keras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D, add
from keras.models import Model, Sequential
from keras.optimizers import SGD
from keras.preprocessing.image import ImageDataGenerator
from keras.utils import to_categorical

results = {"keras": K.__name__.split(".")[0]}
rng = np.random.RandomState(7)


def set_known_weights(layers, seed):
    """Start from the same weights on every implementation, layer by layer in the order
    given (the order of `model.get_weights()` differs between implementations)."""
    weights_rng = np.random.RandomState(seed)
    for layer in layers:
        layer.set_weights(
            [weights_rng.uniform(-0.2, 0.2, w.shape).astype("float32") for w in layer.get_weights()]
        )


# 1. NumPy integers where Keras 2 took an int ------------------------------------------
images = rng.uniform(0, 1, size=(48, 10, 10, 3)).astype("float32")
labels = (images[:, :5, :, 0].mean(axis=(1, 2)) > 0.5).astype("int64") + (
    images[:, :, :5, 1].mean(axis=(1, 2)) > 0.5
).astype("int64")
num_classes = np.max(labels) + 1  # a NumPy integer, as in many Keras 2 programs
filters, kernel = np.int64(4), np.int32(3)
model = Sequential()
model.add(Conv2D(filters, (kernel, kernel), activation="relu", input_shape=images.shape[1:]))
model.add(MaxPooling2D(pool_size=2))
model.add(Flatten())
model.add(Dense(num_classes, activation="softmax"))
set_known_weights(model.layers, 1)
model.compile(SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
history = model.fit(images, to_categorical(labels, num_classes), batch_size=np.int64(12),
                    epochs=np.int64(3), shuffle=False, verbose=0)  # fmt: skip
results["numpy_int_loss"] = [float(v) for v in history.history["loss"]]

# 2. A variational autoencoder: add_loss / add_metric on symbolic tensors -------------
# The sampling step is left out (z is the mean) so that the numbers are reproducible.
data = rng.uniform(0, 1, size=(64, 12)).astype("float32")
inputs = Input(shape=(12,))
vae_layers = [Dense(8, activation="relu"), Dense(2), Dense(2), Dense(8, activation="relu"),
              Dense(12, activation="sigmoid")]  # fmt: skip
hidden = vae_layers[0](inputs)
z_mean = vae_layers[1](hidden)
z_log_var = vae_layers[2](hidden)
decoded = vae_layers[4](vae_layers[3](z_mean))
vae = Model(inputs, decoded)
reconstruction = K.sum(K.binary_crossentropy(inputs, decoded), axis=-1)
kl = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
vae.add_loss(K.mean(reconstruction + kl))
vae.add_metric(K.mean(kl), name="kl", aggregation="mean")
set_known_weights(vae_layers, 2)
vae.compile(optimizer=SGD(0.05))
history = vae.fit(data, epochs=3, batch_size=16, shuffle=False, verbose=0)
results["vae_loss"] = [float(v) for v in history.history["loss"]]
results["vae_kl"] = [float(v) for v in history.history["kl"]]
results["vae_evaluate"] = [float(v) for v in vae.evaluate(data, batch_size=16, verbose=0)]

# 3. A model rebuilt from its config -------------------------------------------------
rebuilt = Sequential.from_config(model.get_config())
rebuilt.set_weights(model.get_weights())
results["from_config_same_predictions"] = bool(
    np.allclose(rebuilt.predict(images), model.predict(images), atol=1e-6)
)

# 4. A model used as a layer, twice ----------------------------------------------------
encoder_input = Input(shape=(12,))
encoder = Model(encoder_input, Dense(3)(encoder_input))
left, right = Input(shape=(12,)), Input(shape=(12,))
siamese = Model([left, right], add([encoder(left), encoder(right)]))
results["nodes"] = [list(encoder.get_output_shape_at(i)) for i in range(2)]
results["second_input_is_right"] = encoder.get_input_at(1) is right

# 5. ImageDataGenerator + fit_generator ------------------------------------------------
datagen = ImageDataGenerator(horizontal_flip=True, width_shift_range=0.1, rotation_range=10)
generator_model = Sequential(
    [Flatten(input_shape=images.shape[1:]), Dense(3, activation="softmax")]
)
set_known_weights(generator_model.layers, 3)
generator_model.compile(SGD(0.1), "categorical_crossentropy")
history = generator_model.fit_generator(
    datagen.flow(images, to_categorical(labels, 3), batch_size=16, seed=5),
    steps_per_epoch=3, epochs=2, verbose=0,
)  # fmt: skip
results["generator_loss"] = [float(v) for v in history.history["loss"]]

with open(sys.argv[1], "w") as handle:
    json.dump(results, handle)
print("DONE")
