"""A Keras 2 script with what Keras 3 changed most: a stateful LSTM declared with
`batch_input_shape`, `SGD(lr=..., decay=...)` and `fit_generator`.

`python -m refimpl keras2_stateful_script.py out.json` runs it on refimpl; `refimpl
migrate` turns it into Keras 3 code that `python` runs on Keras 3 alone. Both write
the training loss of every epoch to the JSON file given in argv. The initial weights
come from NumPy, so both start from the same point.
"""

import json
import sys

import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential
from keras.optimizers import SGD

batch_size, timesteps, features = 4, 5, 3
rng = np.random.RandomState(7)
x = rng.random_sample((batch_size * 6, timesteps, features)).astype("float32")
y = x.sum(axis=(1, 2))[:, None] / (timesteps * features)

model = Sequential()
model.add(LSTM(8, stateful=True,
               batch_input_shape=(batch_size, timesteps, features)))
model.add(Dense(1))
model.set_weights([rng.uniform(-0.3, 0.3, w.shape) for w in model.get_weights()])
model.compile(loss='mse', optimizer=SGD(lr=0.2, decay=0.05, momentum=0.5))


def batches():
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]


history = model.fit_generator(batches(), steps_per_epoch=len(x) // batch_size,
                              epochs=4, verbose=0, workers=1)
with open(sys.argv[1], "w") as out:
    json.dump({"loss": [float(v) for v in history.history["loss"]]}, out)
