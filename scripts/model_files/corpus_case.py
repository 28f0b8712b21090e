"""One file of the old-era corpus: what is written, and how its predictions are made.

Example:

```python
import numpy as np
layers = [("dense_1", [("dense_1_W", np.ones((2, 1), "float32"))])]
assert arrays_of(layers, "dense_1")[0].shape == (2, 1)
```
"""

import dataclasses
from collections.abc import Callable

DEFAULT_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


@dataclasses.dataclass
class Case:
    id: str
    stem: str
    writer: str
    features: list
    model_config: dict
    layers: list  # [(layer name, [(weight name, array)])], in the file's order
    inputs: list
    # build_oracle(tf_keras, layers) -> a tf_keras model; with `layers` None it
    # is left with fresh weights (tf_keras then loads the file into it).
    build_oracle: Callable
    root_attributes: dict
    weights_group_attributes: dict
    training_config: dict | None = None
    optimizer_weights: list | None = None
    format: str = "hdf5"
    json_extra: dict = dataclasses.field(default_factory=dict)
    python: str | None = None
    # "load_model", "load_weights" (into build_twin's model, else the oracle's
    # architecture, by layer name), or None where tf_keras cannot open it.
    crosscheck: str | None = "load_weights"
    build_twin: Callable | None = None
    # Appended to the manifest's expected_from: what the oracle does beyond
    # converting layouts, e.g. a convolution backend's kernel flip.
    expected_note: str | None = None
    tolerance: dict = dataclasses.field(default_factory=lambda: dict(DEFAULT_TOLERANCE))


def arrays_of(layers, layer_name):
    """The arrays a file holds for one layer, in the file's order."""
    for name, weights in layers:
        if name == layer_name:
            return [value for _, value in weights]
    raise KeyError(f"No layer {layer_name!r} among {[name for name, _ in layers]}")


def set_weights(model, layers, converters=None):
    """Gives each named layer of `model` the file's arrays, converted where asked."""
    converters = converters or {}
    for layer_name, weights in layers:
        if not weights:
            continue
        arrays = [value for _, value in weights]
        convert = converters.get(layer_name, list)
        model.get_layer(layer_name).set_weights(convert(arrays))
    return model


def draw(rng, *shape, scale=0.5):
    """Seeded float32 weights."""
    return (rng.standard_normal(shape) * scale).astype("float32")


def named(names, arrays):
    """Pairs weight names with arrays: [(name, array)]."""
    if len(names) != len(arrays):
        raise ValueError(f"{len(names)} names for {len(arrays)} arrays")
    return list(zip(names, arrays, strict=True))


def float_inputs(rng, batch, *shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=(batch, *shape)).astype("float32")


def int_inputs(rng, batch, *shape, high):
    return rng.randint(0, high, size=(batch, *shape)).astype("int32")


def positive(rng, *shape):
    return rng.uniform(0.5, 1.5, size=shape).astype("float32")
