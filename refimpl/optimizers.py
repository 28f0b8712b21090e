"""Keras 2 optimizers: Keras 2's signatures, defaults and update rules on Keras 3.

Keras 2 wrote `SGD(lr=0.01, momentum=0.9, decay=1e-6, nesterov=True)`. Keras 3 renamed
`lr` to `learning_rate`, dropped `decay` and reordered the positional arguments. Each
class here takes Keras 2's arguments in Keras 2's order and keeps Keras 2's semantics:

- `decay`: the learning rate at step t (counted from 0) is `lr / (1 + decay * t)`,
  exactly Keras 2's time-based decay; `optimizer.lr` stays the base rate.
- `epsilon=None` means `K.epsilon()` (1e-7).
- `RMSprop` (without momentum, centered or not) and `Adagrad` add epsilon outside the
  square root, as Keras 2 did; Keras 3 adds it inside.
- `Nadam` decays its momentum with Keras 2's `schedule_decay` (0.96 ** (0.004 * t));
  Keras 3's decays it as 0.96 ** t.
- `optimizer.lr` reads and writes the learning rate, as `K.set_value(opt.lr, 0.1)`
  expects.
- A sparse gradient (`tf.IndexedSlices`, an `Embedding`'s) has the values of repeated
  indices summed before any update, so every optimizer updates exactly as with the
  same gradient made dense: Keras 2.2 made such gradients dense, and tf_keras's
  optimizers deduplicate them. Keras 3 applies the slices as they come: a word that
  appears twice in a batch gets its RMSprop, Adagrad, Adam, Adadelta or Nadam update
  from each part of its gradient separately.
- `RMSprop` without momentum updates a sparse gradient's rows only, after decaying
  the whole moving average: the same numbers as the dense update, without making the
  gradient dense.

Defaults follow tf_keras (Keras 2.x on TensorFlow 2), the project's oracle. Standalone
Keras 2.2 used larger defaults for Adagrad (0.01), Adadelta (1.0), Adamax and Nadam
(0.002): pass `lr=` explicitly to reproduce those.

Example:

>>> sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numbers
from typing import Any

# Not `from refimpl import legacy`: importing `keras.optimizers.legacy` (Keras 2.11's
# module path) binds `legacy` in this module's namespace to that module.
from refimpl import _keras3_private, validation
from refimpl._keras3 import keras3, tf
from refimpl.legacy import translate

ops = keras3.ops
_EPSILON = 1e-7

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adam",
    "Adamax",
    "Nadam",
    "get",
    "serialize",
    "deserialize",
]


def _base_rate(lr: Any) -> Any:
    """Keras 2 accepted any number as `lr`; Keras 3 insists on a Python float."""
    if isinstance(lr, numbers.Real) and not isinstance(lr, bool):
        return float(lr)
    return lr


class Keras2Optimizer:
    """Mixin: Keras 2's `lr`, `decay` and configs on a Keras 3 optimizer.

    The learning rate stays Keras 3's variable (`optimizer.lr`, settable with
    `K.set_value`, as in Keras 2); `decay` divides it by `1 + decay * iterations` each
    time an update reads it, which is how Keras 2 decayed it.
    """

    #: Keras 2's time-based decay rate (0 means a constant learning rate).
    decay: float = 0.0

    def _keras2_init(self, lr: Any, decay: float, **kwargs: Any) -> None:
        validation.check("optimizer", {"lr": lr, "decay": decay, **kwargs})
        decay = float(decay)
        super().__init__(learning_rate=_base_rate(lr), **kwargs)
        self.decay = self.initial_decay = decay

    # A private Keras 3 method, declared in _keras3_private.OVERRIDDEN_METHODS.
    def _get_current_learning_rate(self) -> Any:
        lr = super()._get_current_learning_rate()
        if not self.decay:
            return lr
        lr = ops.convert_to_tensor(lr)
        return ops.divide(lr, 1.0 + self.decay * ops.cast(self.iterations, lr.dtype))

    def apply(self, grads: Any, trainable_variables: Any = None) -> Any:
        return super().apply([_deduplicate(g) for g in grads], trainable_variables)

    @property
    def lr(self) -> Any:
        """The base learning rate, before `decay` (Keras 2's name and meaning)."""
        return _keras3_private.learning_rate_variable(self)

    @lr.setter
    def lr(self, value: Any) -> None:
        self.learning_rate = _base_rate(value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "decay": self.decay}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        config = dict(config)
        # Keras 3 and tf_keras write `learning_rate`, Keras 2.2 wrote `lr`.
        lr = config.pop("learning_rate", config.pop("lr", None))
        if isinstance(lr, dict):
            lr = keras3.optimizers.schedules.deserialize(lr, custom_objects=custom_objects)
        return cls(lr=lr, **config)


def _arguments(
    owner: str, lr: Any, kwargs: dict[str, Any], default: float = 0.001
) -> tuple[Any, dict[str, Any]]:
    """The learning rate and the other arguments of a Keras 2 optimizer: Keras 1 names
    translated (refimpl.legacy), Keras 2's `lr` or Keras 3's `learning_rate` (never
    both), `default` when neither is given."""
    kwargs = translate(owner, kwargs)
    if "learning_rate" in kwargs:
        if lr is not None:
            raise TypeError(f"`{owner}` received both `lr` and `learning_rate`; pass one.")
        lr = kwargs.pop("learning_rate")
    return (default if lr is None else lr), kwargs


def _epsilon(epsilon: Any) -> Any:
    """Keras 2's `epsilon=None`: `K.epsilon()`."""
    return _EPSILON if epsilon is None else epsilon


class SGD(Keras2Optimizer, keras3.optimizers.SGD):
    """Stochastic gradient descent with momentum, Nesterov momentum and decay."""

    def __init__(self, lr=None, momentum=0.0, decay=0.0, nesterov=False, **kwargs):
        lr, kwargs = _arguments("SGD", lr, kwargs, default=0.01)
        self._keras2_init(lr, decay, momentum=momentum, nesterov=nesterov, **kwargs)


def _deduplicate(gradient: Any) -> Any:
    """A sparse gradient with each index once, its repeated values summed (Keras 2)."""
    if not isinstance(gradient, tf.IndexedSlices):
        return gradient
    indices, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(indices)[0])
    return tf.IndexedSlices(values, indices, gradient.dense_shape)


def _moving_average(rho: float, average: Any, value: Any) -> Any:
    return ops.add(ops.multiply(rho, average), ops.multiply(1 - rho, value))


def _rows(values: Any, like: Any) -> Any:
    """`values` for the rows of the sparse gradient `like`."""
    return tf.IndexedSlices(values, like.indices, like.dense_shape)


class RMSprop(Keras2Optimizer, keras3.optimizers.RMSprop):
    """RMSprop; without momentum, epsilon is added outside the square root as in Keras 2."""

    def __init__(self, lr=None, rho=0.9, epsilon=None, decay=0.0, **kwargs):
        lr, kwargs = _arguments("RMSprop", lr, kwargs)
        self._keras2_init(lr, decay, rho=rho, epsilon=_epsilon(epsilon), **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        if self.momentum > 0:
            # TensorFlow's fused RMSprop kernels (used by Keras 2 here) match Keras 3.
            return super().update_step(gradient, variable, learning_rate)
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if isinstance(gradient, tf.IndexedSlices):
            return self._sparse_update_step(gradient, variable, lr)
        velocity = _keras3_private.optimizer_slot(self, "velocities", variable)
        self.assign(velocity, _moving_average(self.rho, velocity, ops.square(gradient)))
        mean_square = velocity
        if self.centered:
            average_gradient = _keras3_private.optimizer_slot(self, "average_gradients", variable)
            self.assign(average_gradient, _moving_average(self.rho, average_gradient, gradient))
            mean_square = ops.subtract(velocity, ops.square(average_gradient))
        denominator = ops.add(ops.sqrt(mean_square), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient), denominator))

    def _sparse_update_step(self, gradient, variable, lr):
        """`update_step` for a gradient with unique indices, touching only its rows.

        Every average decays, then only the gradient's rows receive their share: the
        same arithmetic as the dense update, whose other rows get `rho * average + 0`
        and `variable - 0`.
        """
        velocity = _keras3_private.optimizer_slot(self, "velocities", variable)
        mean_square = self._sparse_moving_average(velocity, ops.square(gradient.values), gradient)
        if self.centered:
            average_gradient = self._sparse_moving_average(
                _keras3_private.optimizer_slot(self, "average_gradients", variable),
                gradient.values,
                gradient,
            )
            mean_square = ops.subtract(mean_square, ops.square(average_gradient))
        denominator = ops.add(ops.sqrt(mean_square), self.epsilon)
        step = ops.divide(ops.multiply(lr, gradient.values), denominator)
        self.assign_sub(variable, _rows(step, gradient))

    def _sparse_moving_average(self, average, values, gradient):
        """Decay all of `average`, add `values` to `gradient`'s rows; those rows after.

        Both steps work in place and the rows are read sparsely: once a variable has
        had a sparse update, TensorFlow copies all of it on every dense read.
        """
        table = average.value
        every_row = tf.range(tf.shape(table, out_type=gradient.indices.dtype)[0])
        table.scatter_mul(tf.IndexedSlices(tf.constant(self.rho, table.dtype), every_row))
        self.assign_add(average, _rows(ops.multiply(1 - self.rho, values), gradient))
        return tf.gather(table, gradient.indices)


class Adagrad(Keras2Optimizer, keras3.optimizers.Adagrad):
    """Adagrad; epsilon is added outside the square root as in Keras 2."""

    def __init__(self, lr=None, epsilon=None, decay=0.0, **kwargs):
        lr, kwargs = _arguments("Adagrad", lr, kwargs)
        self._keras2_init(lr, decay, epsilon=_epsilon(epsilon), **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = _keras3_private.optimizer_slot(self, "accumulators", variable)
        self.assign_add(accumulator, ops.square(gradient))
        denominator = ops.add(ops.sqrt(accumulator), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(lr, gradient), denominator))


class Adadelta(Keras2Optimizer, keras3.optimizers.Adadelta):
    """Adadelta."""

    def __init__(self, lr=None, rho=0.95, epsilon=None, decay=0.0, **kwargs):
        lr, kwargs = _arguments("Adadelta", lr, kwargs)
        self._keras2_init(lr, decay, rho=rho, epsilon=_epsilon(epsilon), **kwargs)


class Adam(Keras2Optimizer, keras3.optimizers.Adam):
    """Adam, optionally AMSGrad."""

    def __init__(
        self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, amsgrad=False, **kwargs
    ):
        lr, kwargs = _arguments("Adam", lr, kwargs)
        self._keras2_init(
            lr, decay, beta_1=beta_1, beta_2=beta_2, epsilon=_epsilon(epsilon), amsgrad=amsgrad,
            **kwargs,
        )  # fmt: skip


class Adamax(Keras2Optimizer, keras3.optimizers.Adamax):
    """Adamax, the infinity-norm variant of Adam."""

    def __init__(self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0, **kwargs):
        lr, kwargs = _arguments("Adamax", lr, kwargs)
        self._keras2_init(
            lr, decay, beta_1=beta_1, beta_2=beta_2, epsilon=_epsilon(epsilon), **kwargs
        )


class Nadam(Keras2Optimizer, keras3.optimizers.Nadam):
    """Nesterov Adam with Keras 2's momentum schedule.

    The momentum at step t is `beta_1 * (1 - 0.5 * 0.96 ** (schedule_decay * t))`.
    tf_keras also accepts `decay=` for `schedule_decay`; Nadam has no time-based decay
    of its learning rate.
    """

    def __init__(
        self, lr=None, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=None, **kwargs
    ):
        if schedule_decay is not None:
            kwargs["schedule_decay"] = schedule_decay
        # tf_keras's `decay=` becomes `schedule_decay`
        lr, kwargs = _arguments("Nadam", lr, kwargs)
        schedule_decay = float(kwargs.pop("schedule_decay", 0.004))
        self._keras2_init(
            lr, 0.0, beta_1=beta_1, beta_2=beta_2, epsilon=_epsilon(epsilon), **kwargs
        )
        self.schedule_decay = schedule_decay

    def _momentum_at(self, step: Any, dtype: Any) -> Any:
        step = ops.cast(step, dtype)
        decayed = ops.power(ops.cast(0.96, dtype), ops.multiply(self.schedule_decay, step))
        return ops.multiply(ops.cast(self.beta_1, dtype), 1.0 - 0.5 * decayed)

    # A private Keras 3 method, declared in _keras3_private.OVERRIDDEN_METHODS.
    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # Keras 3's Nadam advances the product of momenta here with its own schedule;
        # advance it with Keras 2's, then run the generic step (skipping Keras 3's).
        product = _keras3_private.nadam_momentum_product(self)
        self.assign(product, product * self._momentum_at(self.iterations + 1, product.dtype))
        _keras3_private.generic_update_step(self, grads, trainable_variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        momentum = self._momentum_at(step, dtype)
        next_momentum = self._momentum_at(step + 1, dtype)
        # The momenta multiplied up to this step.
        product = ops.cast(_keras3_private.nadam_momentum_product(self), dtype)
        next_product = product * next_momentum
        m = _keras3_private.optimizer_slot(self, "momentums", variable)
        v = _keras3_private.optimizer_slot(self, "velocities", variable)
        self.assign(m, _moving_average(self.beta_1, m, gradient))
        self.assign(v, _moving_average(self.beta_2, v, ops.square(gradient)))
        m_hat = ops.add(
            ops.divide(ops.multiply(next_momentum, m), 1.0 - next_product),
            ops.divide(ops.multiply(1.0 - momentum, gradient), 1.0 - product),
        )
        v_hat = ops.divide(v, 1.0 - ops.power(ops.cast(self.beta_2, dtype), step))
        update = ops.divide(ops.multiply(lr, m_hat), ops.add(ops.sqrt(v_hat), self.epsilon))
        self.assign_sub(variable, update)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["decay"]  # Nadam's learning rate never decays in Keras 2
        return {**config, "schedule_decay": self.schedule_decay}


Optimizer = keras3.optimizers.Optimizer

#: Keras 2's string identifiers. `compile(optimizer='rmsprop')` builds these classes.
BY_NAME: dict[str, type] = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamax": Adamax,
    "nadam": Nadam,
}
CUSTOM_OBJECTS = {cls.__name__: cls for cls in BY_NAME.values()}

# Keras 2.0-2.2's lowercase aliases of the classes (`keras.optimizers.rmsprop(lr=...)`),
# the same names as the string identifiers.
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (
    BY_NAME[name] for name in ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam")
)


def get(identifier: Any) -> Any:
    """An optimizer from a Keras 2 identifier: a name, a config dict or an instance.

    >>> get("rmsprop").lr  # doctest: +SKIP
    """
    if isinstance(identifier, keras3.optimizers.Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown optimizer {identifier!r}; expected one of {', '.join(BY_NAME)} or "
                "an optimizer instance."
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r} (expected a name such as "
        "'rmsprop', a config dict or an optimizer instance)."
    )


def serialize(optimizer: Any) -> dict[str, Any]:
    """The optimizer's config as `{"class_name": ..., "config": ...}`, as Keras 2 wrote it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild an optimizer from `serialize`'s output (Keras 2 or Keras 3 class names)."""
    objects = {
        **CUSTOM_OBJECTS,
        **{k.lower(): v for k, v in BY_NAME.items()},
        **(custom_objects or {}),
    }
    name = config.get("class_name", "")
    cls = objects.get(name) or objects.get(name.lower())
    if cls is None:
        return keras3.optimizers.deserialize(config, custom_objects=custom_objects)
    return cls.from_config(config.get("config", {}))
