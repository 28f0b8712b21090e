"""What every Keras 2 layer adds to a Keras 3 layer.

`Keras2Layer` is a mixin placed before a Keras 3 layer class. It

- translates Keras 1 argument names through `refimpl.legacy`;
- accepts Keras 2's input specification on any layer (`input_shape`, `input_dim`,
  `input_length`, `batch_input_shape`, `batch_size`) and records it as the full batch
  shape that a Sequential model's first layer turns into an input layer;
- accepts Keras 2's `weights=[...]` constructor argument (initial weights, set once the
  layer is built);
- restores Keras 2's node API: `get_input_at`, `get_output_at`, `get_input_shape_at`,
  `get_output_shape_at`, and `input` / `output` / `input_shape` / `output_shape`,
  which raise as Keras 2 did when a layer has several inbound nodes that disagree.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from refimpl import _keras3_private, legacy, validation
from refimpl._keras3 import keras3
from refimpl.backend import common as backend_common

__all__ = ["Keras2Layer", "INPUT_DIM_MEANING", "pop_batch_input_shape"]

#: How a layer reads Keras 2's `input_dim` / `input_length` shorthand. "features":
#: `input_dim` is the last axis (Dense: `(input_dim,)`; recurrent and Conv1D layers:
#: `(input_length, input_dim)`). "vocabulary": `input_dim` is a constructor argument
#: of its own (Embedding) and the input is `(input_length,)`, a sequence of indices.
INPUT_DIM_MEANING: dict[str, str] = {
    "Embedding": "vocabulary",
}
#: `add_weight`'s positional arguments: Keras 2.1, 2.2 and tf_keras (name first,
#: True) and Keras 2.0 (shape first, False).
ADD_WEIGHT_POSITIONS: dict[bool, tuple[str, ...]] = {
    True: ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint"),
    False: ("shape", "initializer", "name", "trainable", "regularizer", "constraint"),
}
_TEMPORAL = {"SimpleRNN", "GRU", "LSTM", "ConvLSTM1D", "Conv1D", "RNN"}


def pop_batch_input_shape(owner: str, kwargs: dict[str, Any]) -> tuple | None:
    """Remove Keras 2's input specification from `kwargs`; return the batch shape.

    Returns `None` when the layer carries no input specification.
    """
    batch_input_shape = kwargs.pop("batch_input_shape", None)
    input_shape = kwargs.pop("input_shape", None)
    batch_size = kwargs.pop("batch_size", None)
    input_length = kwargs.pop("input_length", None)
    vocabulary = INPUT_DIM_MEANING.get(owner) == "vocabulary"
    input_dim = None if vocabulary else kwargs.pop("input_dim", None)

    if batch_input_shape is not None:
        if input_shape is not None or input_dim is not None:
            raise ValueError(
                f"`{owner}` received `batch_input_shape` together with `input_shape` or "
                "`input_dim`; give only one: `batch_input_shape` already includes the "
                "batch size."
            )
        return tuple(batch_input_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_length, input_dim) if owner in _TEMPORAL else (input_dim,)
    if input_shape is None and vocabulary:
        input_shape = (input_length,)
    if input_shape is None and input_length is not None:
        input_shape = (input_length, None)
    if input_shape is None:
        if batch_size is not None:
            raise ValueError(
                f"`{owner}(batch_size={batch_size})` needs an input shape too: pass "
                "`input_shape=` (without the batch size) or `batch_input_shape=`."
            )
        return None
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    return (batch_size, *tuple(input_shape))


class Keras2Nodes:
    """Mixin: Keras 2's node API (`get_output_at(i)`, ...), for layers and models alike.

    Each call of a layer (or of a model used as a layer) on symbolic tensors is one
    inbound node; node `i` is the `i`-th call.
    """

    @property
    def inbound_nodes(self) -> list[Any]:
        """The layer's calls on symbolic tensors, in order (Keras 2's public list)."""
        return list(_keras3_private.inbound_nodes(self))

    @property
    def outbound_nodes(self) -> list[Any]:
        """The calls of other layers on this layer's outputs (Keras 2's public list)."""
        return list(_keras3_private.outbound_nodes(self))

    def _node_attribute(self, index: int, attribute: str, what: str) -> Any:
        nodes = _keras3_private.inbound_nodes(self)
        if not nodes:
            raise RuntimeError(
                f"The layer {self.name!r} has never been called and thus has no defined {what}."
            )
        if not 0 <= index < len(nodes):
            raise ValueError(
                f"Asked to get {what} at node {index}, but the layer {self.name!r} has only "
                f"{len(nodes)} inbound node{'s' if len(nodes) != 1 else ''}."
            )
        values = getattr(nodes[index], attribute)
        return values[0] if len(values) == 1 else list(values)

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of the layer's call number `node_index` (from 0)."""
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of the layer's call number `node_index` (from 0)."""
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        """The input shape(s) of the layer's call number `node_index`, batch axis first."""
        return _shapes(self.get_input_at(node_index))

    def get_output_shape_at(self, node_index: int) -> Any:
        """The output shape(s) of the layer's call number `node_index`, batch axis first."""
        return _shapes(self.get_output_at(node_index))


class Keras2Layer(Keras2Nodes):
    """Mixin giving a Keras 3 layer class Keras 2's constructor and node API."""

    _keras2_owner: str | None = None  # the name used in refimpl.legacy.TRANSLATIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        owner = self._keras2_owner or type(self).__name__
        args, kwargs = legacy.translate_call(owner, args, kwargs)
        validation.check_layer(owner, *_bound(super().__init__, args, kwargs))
        batch_input_shape = pop_batch_input_shape(owner, kwargs)
        initial_weights = kwargs.pop("weights", None)
        super().__init__(*args, **kwargs)
        self._batch_input_shape = batch_input_shape
        self._initial_weights = initial_weights

    # A private Keras 3 method, declared in _keras3_private.OVERRIDDEN_METHODS.
    def _post_build(self) -> None:
        # Keras 3 calls this right after `build`; overriding `build` itself would hide
        # the wrapped layer's build signature, which Keras 3 records for serialization.
        super()._post_build()
        if getattr(self, "_initial_weights", None) is not None:
            weights, self._initial_weights = self._initial_weights, None
            self.set_weights(weights)

    # -- Keras 2's weights, losses and updates ------------------------------------------
    def add_weight(self, *args: Any, **kwargs: Any) -> Any:
        """Keras 2's `add_weight`, whose positional order changed with Keras 2.1.

        Keras 2.0 read `add_weight(shape, initializer, name, ...)`; Keras 2.1, 2.2 and
        tf_keras read `add_weight(name, shape, dtype, initializer, ...)`; Keras 3 takes
        `shape` first and `name` only by keyword. The first positional argument tells
        the eras apart (a name is a string, a shape never is).
        """
        if args:
            order = ADD_WEIGHT_POSITIONS[isinstance(args[0], str)]
            if len(args) > len(order):
                raise TypeError(
                    f"`add_weight` takes at most {len(order)} positional arguments "
                    f"({', '.join(order)}); received {len(args)}."
                )
            for name, value in zip(order[: len(args)], args, strict=True):
                if name in kwargs:
                    raise TypeError(f"`add_weight` received `{name}` twice.")
                kwargs[name] = value
        return super().add_weight(**kwargs)

    # -- Keras 2's losses and updates ---------------------------------------------------
    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Keras 2's `add_loss(losses, inputs=None)`: a tensor or list of tensors.

        `inputs` told Keras 2's graph bookkeeping which inputs a loss depended on (so
        that `get_losses_for(inputs)` could pick it); Keras 3 collects the losses of
        each call by itself, so it is accepted and needs nothing.
        """
        return super().add_loss(losses)

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Keras 2's `add_update(updates, inputs=None)`, run as it is added.

        Keras 2 collected update ops and ran them with each training step, and only
        then; here the code computing them already runs with each step (inside
        `call`), so an update applies where it is added, in a call made for training:
        a `(variable, new_value)` pair is assigned, a callable is called, an assignment
        that already ran needs nothing. `inputs` (which inputs the updates depended
        on) needs nothing either, as for `add_loss`. As in tf_keras, a frozen layer
        (`trainable=False`) runs none.
        """
        if not self.trainable or backend_common.call_context_training() is not True:
            return
        for update in (
            updates if isinstance(updates, (list, tuple)) and not _is_pair(updates) else [updates]
        ):
            if _is_pair(update):
                variable, value = update
                if not isinstance(value, keras3.KerasTensor):
                    variable.assign(value)
            elif callable(update):
                update()

    # -- the node API on one node ----------------------------------------------------
    def _single_node(self, attribute: str, what: str) -> Any:
        nodes = _keras3_private.inbound_nodes(self)
        if not nodes:
            # AttributeError, as in Keras 2, so that `hasattr(layer, "output")` is False.
            raise AttributeError(f"Layer {self.name} has no inbound nodes.")
        if len(nodes) > 1:
            getter = "get_input_at" if what == "input" else "get_output_at"
            raise AttributeError(
                f"Layer {self.name} has multiple inbound nodes, hence the notion of "
                f'"layer {what}" is ill-defined. Use `{getter}(node_index)` instead.'
            )
        return self._node_attribute(0, attribute, what)

    @property
    def input(self) -> Any:
        if _called_from_keras3():
            return self._node_attribute(0, "input_tensors", "input")
        return self._single_node("input_tensors", "input")

    @property
    def output(self) -> Any:
        if _called_from_keras3():
            return self._node_attribute(0, "output_tensors", "output")
        return self._single_node("output_tensors", "output")

    def _shape_of_all_nodes(self, getter: str, what: str) -> Any:
        nodes = _keras3_private.inbound_nodes(self)
        if not nodes:
            if what == "input shape" and self._batch_input_shape is not None:
                return self._batch_input_shape
            raise AttributeError(
                f'The layer "{self.name}" has never been called and thus has no defined {what}.'
            )
        shapes = [getattr(self, getter)(i) for i in range(len(nodes))]
        if any(shape != shapes[0] for shape in shapes):
            raise AttributeError(
                f'The layer "{self.name}" has multiple inbound nodes, with different '
                f'{what}s. Hence the notion of "{what}" is ill-defined for the layer. '
                f"Use `{getter}(node_index)` instead."
            )
        return shapes[0]

    @property
    def input_shape(self) -> Any:
        return self._shape_of_all_nodes("get_input_shape_at", "input shape")

    @property
    def output_shape(self) -> Any:
        return self._shape_of_all_nodes("get_output_shape_at", "output shape")


def _is_pair(update: Any) -> bool:
    """Whether `update` is Keras 2's `(variable, new_value)` form of an update."""
    return isinstance(update, tuple) and len(update) == 2 and isinstance(update[0], keras3.Variable)


def _called_from_keras3() -> bool:
    """Whether the property access comes from Keras 3's own code.

    Keras 3 reads `layer.output` of shared layers while it builds a functional model,
    and only needs node 0's structure; Keras 2's error is for users, so Keras 3's
    internal reads get Keras 3's answer.
    """
    caller = sys._getframe(2).f_globals.get("__name__", "")
    return caller.startswith("keras.")


def _shapes(tensors: Any) -> Any:
    if isinstance(tensors, list):
        return [tuple(t.shape) for t in tensors]
    return tuple(tensors.shape)


def is_keras_tensor(value: Any) -> bool:
    return isinstance(value, keras3.KerasTensor)


def _bound(function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[dict, dict]:
    """The arguments of a call by name (positional ones too) and the function's defaults;
    the arguments as given if they do not bind, which the call itself then reports."""
    signature = inspect.signature(function)
    defaults = {name: p.default for name, p in signature.parameters.items()}
    try:
        return signature.bind_partial(*args, **kwargs).arguments, defaults
    except TypeError:
        return kwargs, defaults
