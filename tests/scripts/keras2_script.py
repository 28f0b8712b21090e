"""A Keras 2 training script, written as a user wrote one in 2018.

Run it unmodified on any Keras 2 implementation, e.g. `python -m refimpl
keras2_script.py result.json`. It trains a Sequential MLP from a Python generator and
a functional model from arrays, saves both to HDF5, loads them back, evaluates, prints
`FINAL_LOSS=<float>` and writes its results as JSON to the path given in argv.

The initial weights come from NumPy so that every implementation starts from the same
point (each draws its own random initial weights differently).
"""

import json
import os
import random
import sys
import tempfile

import numpy as np

np.random.seed(1337)  # for reproducibility
random.seed(1337)

import keras  # noqa: E402
from keras import backend as K  # noqa: E402
from keras.layers import Activation, Dense, Input, concatenate  # noqa: E402
from keras.models import Model, Sequential, load_model  # noqa: E402
from keras.optimizers import SGD  # noqa: E402
from keras.utils import to_categorical  # noqa: E402

batch_size = 32
num_classes = 4
epochs = 3

# Learnable data: the class is the quarter of the plane the first two features lie in.
rng = np.random.RandomState(2018)
x_train = rng.uniform(-1, 1, size=(256, 20)).astype("float32")
x_test = rng.uniform(-1, 1, size=(64, 20)).astype("float32")
labels_train = (x_train[:, 0] > 0).astype(int) * 2 + (x_train[:, 1] > 0).astype(int)
labels_test = (x_test[:, 0] > 0).astype(int) * 2 + (x_test[:, 1] > 0).astype(int)
y_train = to_categorical(labels_train, num_classes)
y_test = to_categorical(labels_test, num_classes)


def set_known_weights(model, seed):
    """Start from the same weights on every implementation."""
    weights_rng = np.random.RandomState(seed)
    model.set_weights(
        [
            weights_rng.uniform(-0.3, 0.3, size=w.shape).astype("float32")
            for w in model.get_weights()
        ]
    )


def batch_generator(x, y, batch_size):
    """Loop over the data forever, one batch at a time (no shuffling)."""
    while True:
        for i in range(0, len(x), batch_size):
            yield x[i : i + batch_size], y[i : i + batch_size]


# --- a Sequential MLP trained from a generator ---------------------------------------------------
model = Sequential()
model.add(Dense(64, input_dim=20))
model.add(Activation("relu"))
model.add(Dense(64, activation="relu"))
model.add(Dense(num_classes, activation="softmax"))
set_known_weights(model, 1)

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
history = model.fit_generator(
    batch_generator(x_train, y_train, batch_size),
    steps_per_epoch=len(x_train) // batch_size,
    epochs=epochs,
    verbose=0,
    validation_data=(x_test, y_test),
)
score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

# --- a functional model with two inputs, trained from arrays --------------------------------------
main_input = Input(shape=(20,), name="main_input")
aux_input = Input(shape=(2,), name="aux_input")
x = Dense(32, activation="tanh")(main_input)
x = concatenate([x, aux_input])
predictions = Dense(num_classes, activation="softmax", name="predictions")(x)
functional = Model(inputs=[main_input, aux_input], outputs=predictions)
set_known_weights(functional, 2)
functional.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc"])
functional.fit(
    [x_train, x_train[:, :2]], y_train, batch_size=batch_size, epochs=epochs, shuffle=False,
    verbose=0,
)  # fmt: skip

# --- save, load back, evaluate --------------------------------------------------------------------
workdir = tempfile.mkdtemp()
model.save(os.path.join(workdir, "mlp.h5"))
functional.save(os.path.join(workdir, "functional.h5"))
del model, functional
model = load_model(os.path.join(workdir, "mlp.h5"))
functional = load_model(os.path.join(workdir, "functional.h5"))

final_loss, final_acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
functional_loss, functional_acc = functional.evaluate(
    [x_test, x_test[:, :2]], y_test, batch_size=batch_size, verbose=0
)
# The loaded model resumes training with its optimizer state.
model.fit(x_train, y_train, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
resumed_loss = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)[0]

print(f"FINAL_LOSS={final_loss:.6f}")
result = {
    "keras": keras.__name__,
    "final_loss": float(final_loss),
    "final_acc": float(final_acc),
    "functional_loss": float(functional_loss),
    "functional_acc": float(functional_acc),
    "resumed_loss": float(resumed_loss),
    "history_loss": [float(v) for v in history.history["loss"]],
    "learning_rate": float(K.get_value(model.optimizer.lr)),
    "script_dir": sys.path[0],
}
with open(sys.argv[1], "w") as handle:
    json.dump(result, handle)
