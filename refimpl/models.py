"""Keras 2's `keras.models`: `Sequential`, `Model`, and loading and saving models.

`Model(inputs, outputs)` returns a `Functional` model, as Keras 3 does; both it and
`Sequential` are subclasses of `Model`, as in Keras 2, and carry Keras 2's training
API (`refimpl.training.trainer`) and persistence API (`refimpl.persistence`).

Example:

>>> from refimpl.models import Sequential  # doctest: +SKIP
>>> from refimpl.layers import Dense  # doctest: +SKIP
>>> model = Sequential([Dense(32, input_dim=784), Dense(10)])  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from refimpl import _keras3_private, legacy, persistence
from refimpl._keras3 import keras3
from refimpl.layers import InputLayer
from refimpl.layers.base_layer import Keras2Nodes
from refimpl.persistence import (
    load_model,
    model_from_config,
    model_from_json,
    model_from_yaml,
    save_model,
)
from refimpl.training.trainer import Keras2Training

_Functional = _keras3_private.Functional

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


class Model(persistence.Keras2Saving, Keras2Training, Keras2Nodes, keras3.Model):
    """Keras 2's `Model`. `Model(inputs, outputs)` builds a functional model.

    Keras 1's `Model(input=..., output=...)` is accepted with Keras 2's warning. A model
    used as a layer of another has Keras 2's node API (`get_output_at(i)`, ...).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and _functional_arguments(args, kwargs):
            return keras3.Model.__new__(Functional)
        return keras3.Model.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **legacy.translate("Model", kwargs))

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None):
        """Rebuild a model from `get_config()`, with refimpl's classes (Keras 2's round trip)."""
        return super().from_config(config, custom_objects=persistence.known_classes(custom_objects))

    @property
    def input_shape(self) -> Any:
        """The input shape, or a list of shapes for several inputs (Keras 2)."""
        return _shapes(self.inputs)

    @property
    def output_shape(self) -> Any:
        """The output shape, or a list of shapes for several outputs (Keras 2)."""
        return _shapes(self.outputs)


@dataclass
class _GraphAdditions:
    """The losses and metrics a functional model was given as symbolic tensors (Keras
    2's `model.add_loss(tensor)`, `model.add_metric(tensor, name)`)."""

    losses: list[Any] = field(default_factory=list)
    metrics: list[tuple[Any, Any]] = field(default_factory=list)  # (tensor, Mean tracker)


class Functional(Model, _Functional):
    """A model defined by its input and output tensors (what `Model(inputs, outputs)` returns).

    As in Keras 2, `add_loss` and `add_metric` also take symbolic tensors of the
    model's graph (the variational autoencoder's KL term, say). The model then runs a
    graph with those tensors as extra outputs, so they are computed in the same pass as
    its outputs (with the same random draws), added to its losses and to a `Mean`
    metric of that name; the layers that only they depend on (the encoder's
    `z_log_var`) become the model's too, so that training updates them, as Keras 2 did.
    """

    @property
    def _additions(self) -> _GraphAdditions:
        # A plain attribute (not tracked by Keras): it holds tensors, not state.
        additions = self.__dict__.get("_graph_additions")
        if additions is None:
            additions = _GraphAdditions()
            object.__setattr__(self, "_graph_additions", additions)
        return additions

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Keras 2's `add_loss(losses, inputs=None)`; `inputs` needs nothing on Keras 3
        (see `Keras2Layer.add_loss`)."""
        flat = keras3.tree.flatten(losses)
        symbolic = [x for x in flat if isinstance(x, keras3.KerasTensor)]
        if not symbolic:  # a tensor computed inside `call`: Keras 3's own add_loss
            return keras3.layers.Layer.add_loss(self, losses)
        if len(symbolic) != len(flat):
            raise TypeError(
                "`add_loss` expected symbolic tensors of the model's graph or tensors "
                f"computed in `call`, not a mix; received {losses!r}"
            )
        self._additions.losses.extend(symbolic)
        self._rebuild_graph_with_additions()

    def add_metric(self, value: Any, name: str | None = None, aggregation: str | None = None):
        """Report the mean of a symbolic tensor of the graph as metric `name` (Keras 2)."""
        if not isinstance(value, keras3.KerasTensor):
            raise TypeError(
                "`add_metric` expected a symbolic tensor of the model's graph (Keras 2's "
                f"`model.add_metric(tensor, name=...)`), received {type(value).__name__}"
            )
        if aggregation not in (None, "mean"):
            raise ValueError(f"`aggregation` expected 'mean' or None, received {aggregation!r}")
        if not name:
            raise ValueError("`add_metric` on a symbolic tensor expected a `name`, received none")
        self._additions.metrics.append((value, keras3.metrics.Mean(name=name)))
        self._rebuild_graph_with_additions()

    def _rebuild_graph_with_additions(self) -> None:
        additions = self._additions
        values = [tensor for tensor, _ in additions.metrics]
        # Assigned as an attribute, the graph is tracked as a sublayer (a functional
        # model's state stays open after build), so its layers' weights are the model's.
        self._graph_with_additions = _Functional(
            self.inputs, (_keras3_private.nested_outputs(self), list(additions.losses), values)
        )

    @property
    def metrics(self) -> list[Any]:
        return [*super().metrics, *(tracker for _, tracker in self._additions.metrics)]

    def call(self, inputs: Any, training: Any = None, mask: Any = None, **kwargs: Any) -> Any:
        additions = self._additions
        if not additions.losses and not additions.metrics:
            return super().call(inputs, training=training, mask=mask, **kwargs)
        outputs, losses, values = self._graph_with_additions(inputs, training=training, mask=mask)
        keras3.layers.Layer.add_loss(self, losses)
        for value, (_, tracker) in zip(values, additions.metrics, strict=True):
            tracker.update_state(value)
        return outputs


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
        if not _keras3_private.sequential_layers(self) and batch_input_shape is not None:
            super().add(InputLayer(batch_input_shape=batch_input_shape), rebuild=False)
        super().add(layer, rebuild=rebuild)

    # A private Keras 3 method, declared in _keras3_private.OVERRIDDEN_METHODS.
    def _maybe_rebuild(self) -> None:
        # Keras 3 rebuilds the whole graph after every `add`, calling every layer again
        # and giving each one more inbound node. Keras 2 called each layer once, and
        # `model.layers[0].output` depends on that: extend the existing graph instead.
        layers = _keras3_private.sequential_layers(self)
        previous = _keras3_private.sequential_graph(self)
        if (
            previous is not None
            and self.built
            and getattr(self, "_graph_layer_count", None) == len(layers) - 1
        ):
            # Inside the model's name scope, as Keras 3's own build calls each layer, so
            # that weight paths (`sequential/dense/kernel`) do not depend on how the
            # model was built.
            with _keras3_private.name_scope(self):
                outputs = layers[-1](previous.outputs[0])
            graph = _Functional(inputs=previous.inputs, outputs=outputs)
            _keras3_private.set_sequential_graph(self, graph)
        else:
            super()._maybe_rebuild()
        layers = _keras3_private.sequential_layers(self)
        built = _keras3_private.sequential_graph(self) is not None
        self._graph_layer_count = len(layers) if built else None

    @property
    def input_shape(self) -> Any:
        layers = _keras3_private.sequential_layers(self)
        if layers and isinstance(layers[0], keras3.layers.InputLayer):
            return tuple(layers[0].batch_shape)
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


#: Model classes for deserialization, under Keras 2's and Keras 3's names (the same
#: that `refimpl.persistence.known_classes` finds).
CUSTOM_OBJECTS = {"Model": Model, "Functional": Functional, "Sequential": Sequential}
