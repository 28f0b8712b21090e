"""Keras 2's `keras.models`: `Sequential`, `Model`, and loading and saving models.

`Model(inputs, outputs)` returns a `Functional` model, as Keras 3 does; both it and
`Sequential` are subclasses of `Model`, as in Keras 2, and carry Keras 2's training
API (`refimpl.engine.training`) and persistence API (`refimpl.engine.saving`).

Example:

>>> from refimpl.models import Sequential  # doctest: +SKIP
>>> from refimpl.layers import Dense  # doctest: +SKIP
>>> model = Sequential([Dense(32, input_dim=784), Dense(10)])  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from refimpl import legacy
from refimpl._keras3 import keras3
from refimpl.engine import saving
from refimpl.engine.saving import (
    load_model,
    model_from_config,
    model_from_json,
    model_from_yaml,
    save_model,
)
from refimpl.engine.training import Keras2Training
from refimpl.layers import InputLayer

_Functional = keras3.src.models.functional.Functional

__all__ = [
    "Model",
    "Sequential",
    "Functional",
    "load_model",
    "save_model",
    "model_from_config",
    "model_from_json",
    "model_from_yaml",
    "clone_model",
]


def _functional_arguments(args: tuple, kwargs: dict) -> bool:
    names = set(kwargs)
    return (
        len(args) == 2
        or (len(args) == 1 and names & {"outputs", "output"})
        or (bool(names & {"inputs", "input"}) and bool(names & {"outputs", "output"}))
    )


class Model(saving.Keras2Saving, Keras2Training, keras3.Model):
    """Keras 2's `Model`. `Model(inputs, outputs)` builds a functional model.

    Keras 1's `Model(input=..., output=...)` is accepted with Keras 2's warning.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and _functional_arguments(args, kwargs):
            return keras3.Model.__new__(Functional)
        return keras3.Model.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **legacy.translate("Model", kwargs))

    @property
    def input_shape(self) -> Any:
        """The input shape, or a list of shapes for several inputs (Keras 2)."""
        return _shapes(self.inputs)

    @property
    def output_shape(self) -> Any:
        """The output shape, or a list of shapes for several outputs (Keras 2)."""
        return _shapes(self.outputs)


class Functional(Model, _Functional):
    """A model defined by its input and output tensors (what `Model(inputs, outputs)` returns)."""


class Sequential(Model, keras3.Sequential):
    """Keras 2's linear stack of layers.

    The first layer may carry Keras 2's input specification (`input_shape`,
    `input_dim`, `input_length`, `batch_input_shape`, `batch_size`); it becomes the
    model's input layer, with the batch size when one is given (stateful RNNs need it).
    """

    def __init__(self, layers: Any = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(layers=layers, name=name, **kwargs)

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Add a layer on top of the stack."""
        batch_input_shape = getattr(layer, "_batch_input_shape", None)
        if not self._layers and batch_input_shape is not None:
            super().add(InputLayer(batch_input_shape=batch_input_shape), rebuild=False)
        super().add(layer, rebuild=rebuild)

    def _maybe_rebuild(self) -> None:
        # Keras 3 rebuilds the whole graph after every `add`, calling every layer again
        # and giving each one more inbound node. Keras 2 called each layer once, and
        # `model.layers[0].output` depends on that: extend the existing graph instead.
        previous = self._functional
        if (
            previous is not None
            and self.built
            and getattr(self, "_graph_layer_count", None) == len(self._layers) - 1
        ):
            # Inside the model's name scope, as Keras 3's own build calls each layer, so
            # that weight paths (`sequential/dense/kernel`) do not depend on how the
            # model was built.
            with self._open_name_scope():
                outputs = self._layers[-1](previous.outputs[0])
            self._functional = _Functional(inputs=previous.inputs, outputs=outputs)
        else:
            super()._maybe_rebuild()
        self._graph_layer_count = len(self._layers) if self._functional is not None else None

    @property
    def input_shape(self) -> Any:
        if self._layers and isinstance(self._layers[0], keras3.layers.InputLayer):
            return tuple(self._layers[0].batch_shape)
        return _shapes(self.inputs)

    @property
    def output_shape(self) -> Any:
        return _shapes(self.outputs)


def _shapes(tensors: Any) -> Any:
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def clone_model(model: Any, input_tensors: Any = None) -> Any:
    """A new model with the same architecture and freshly initialised weights."""
    return keras3.models.clone_model(model, input_tensors=input_tensors)


#: Model classes for deserialization, under Keras 2's and Keras 3's names.
CUSTOM_OBJECTS = {"Model": Model, "Functional": Functional, "Sequential": Sequential}
saving.register_model_classes(CUSTOM_OBJECTS)
