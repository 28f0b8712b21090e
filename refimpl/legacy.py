"""Every argument that Keras 1 or Keras 2 accepted and Keras 3 spells differently.

This module is the one place where refimpl records how an old argument maps onto
today's Keras. Each wrapper (layers, models, optimizers, the Tokenizer, `fit` and
friends) passes its keyword arguments through `translate(owner, kwargs)`, so a reader
who wants to know what changed between Keras 1, Keras 2 and Keras 3 reads the
`TRANSLATIONS` table and nothing else.

Five kinds of entry exist:

- `Renamed`: the argument still means the same thing under a new name, optionally
  with its value converted (`border_mode='same'` -> `padding='same'`).
- `Combined`: several old arguments become one (`nb_row`, `nb_col` -> `kernel_size`).
- `Split`: one old argument sets several new ones (a separable convolution's `init`).
- `Unsupported`: the argument cannot be honoured; passing it raises an error that
  names it and says what to use instead. Nothing is dropped silently.
- `Default`: a Keras 2 default that Keras 3 changed or removed (`AveragePooling2D`'s
  `pool_size=(2, 2)`), filled in when the call leaves the argument out.

Besides the table, `KERAS2_FUNCTIONS` lists the activation names whose formula Keras 3
changed (`'hard_sigmoid'`); a layer argument naming one gets Keras 2's function.

Keras 1 names were still accepted by Keras 2 with a warning asking the user to update
the call; refimpl keeps that warning. Keras 2 names that Keras 3 renamed (`lr`) are
valid Keras 2 and translate silently.

Two eras of Keras 2: 2.0-2.2 (the multi-backend Keras of most books and of Keras 2's
own examples) and 2.3-2.15 (tf_keras). Where they differ in a name, a default or a
signature, `ERA_DECISIONS` says what each did and which one refimpl follows, and why;
the rule is that code written for either must keep working, and where both cannot,
tf_keras wins unless its behaviour is an outright error that no program relies on.
Metric names, the largest such difference, are answered in both spellings by
`refimpl.metric_names`.

Example:

>>> translate("Dense", {"output_dim": 10, "init": "uniform"})  # doctest: +SKIP
{'units': 10, 'kernel_initializer': 'uniform'}
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from refimpl import backend

__all__ = [
    "Combined",
    "Default",
    "Split",
    "Renamed",
    "Unsupported",
    "TRANSLATIONS",
    "ERA_DECISIONS",
    "EraDecision",
    "POSITIONAL_KERNEL_SIZE",
    "KERAS2_FUNCTIONS",
    "translate",
    "translate_call",
    "translate_positional",
    "plain_numbers",
]


@dataclass(frozen=True)
class Renamed:
    """`old=value` becomes `new=convert(value)`.

    `keras` is the Keras major version in which `old` was the documented name: 1 means
    Keras 2 already warned about it, 2 means it was current Keras 2 API.
    """

    old: str
    new: str
    keras: int = 1
    convert: Callable[[Any], Any] | None = None

    def apply(self, owner: str, kwargs: dict[str, Any], positional: int = 0) -> list[str]:
        if self.old not in kwargs:
            return []
        if self.new in kwargs:
            raise TypeError(
                f"`{owner}` received both `{self.old}` (its Keras {self.keras} name) and "
                f"`{self.new}`; pass only `{self.new}`."
            )
        value = kwargs.pop(self.old)
        kwargs[self.new] = self.convert(value) if self.convert else value
        return [f"{self.new}={kwargs[self.new]!r}"] if self.keras == 1 else []


@dataclass(frozen=True)
class Combined:
    """Several Keras 1 arguments that Keras 2 merged into one tuple-valued argument."""

    olds: tuple[str, ...]
    new: str

    def apply(self, owner: str, kwargs: dict[str, Any], positional: int = 0) -> list[str]:
        present = [name for name in self.olds if name in kwargs]
        if not present:
            return []
        if len(present) != len(self.olds) or self.new in kwargs:
            raise TypeError(
                f"`{owner}` received {', '.join(f'`{n}`' for n in present)}; the Keras 1 "
                f"arguments {', '.join(f'`{n}`' for n in self.olds)} must be given together "
                f"and replace `{self.new}`. Pass `{self.new}=(...)` instead."
            )
        kwargs[self.new] = tuple(kwargs.pop(name) for name in self.olds)
        return [f"{self.new}={kwargs[self.new]!r}"]


@dataclass(frozen=True)
class Split:
    """One Keras 1 argument that Keras 2 split into several, each taking its value."""

    old: str
    news: tuple[str, ...]

    def apply(self, owner: str, kwargs: dict[str, Any], positional: int = 0) -> list[str]:
        if self.old not in kwargs:
            return []
        clash = [name for name in self.news if name in kwargs]
        if clash:
            raise TypeError(
                f"`{owner}` received both `{self.old}` (its Keras 1 name) and `{clash[0]}`; "
                f"pass only {', '.join(f'`{n}`' for n in self.news)}."
            )
        value = kwargs.pop(self.old)
        kwargs.update(dict.fromkeys(self.news, value))
        return [f"{name}={value!r}" for name in self.news]


@dataclass(frozen=True)
class Unsupported:
    """An argument that cannot be honoured on Keras 3: passing it raises `error`.

    `accepts` lists values that are harmless (the Keras 2 default), which pass without
    effect; any other value raises.
    """

    name: str
    instead: str
    accepts: tuple[Any, ...] = ()
    error: type[Exception] = TypeError

    def apply(self, owner: str, kwargs: dict[str, Any], positional: int = 0) -> list[str]:
        if self.name not in kwargs:
            return []
        value = kwargs.pop(self.name)
        if any(value is ok or value == ok for ok in self.accepts):
            return []
        raise self.error(
            f"`{owner}` cannot honour `{self.name}={value!r}` on today's TensorFlow. {self.instead}"
        )


@dataclass(frozen=True)
class Default:
    """Keras 2's default `value` for `name`, where Keras 3 changed or dropped it.

    `position` is the argument's index among the positional arguments (the same in
    Keras 2 and Keras 3), so that a value given positionally is not overridden.
    """

    name: str
    value: Any
    position: int | None = None

    def apply(self, owner: str, kwargs: dict[str, Any], positional: int = 0) -> list[str]:
        given_positionally = self.position is not None and positional > self.position
        if self.name not in kwargs and not given_positionally:
            kwargs[self.name] = self.value
        return []


def _choice(argument: str, mapping: Mapping[Any, Any]) -> Callable[[Any], Any]:
    """A value converter that accepts only the keys of `mapping`."""

    def convert(value: Any) -> Any:
        if value not in mapping:
            expected = ", ".join(repr(k) for k in mapping)
            raise ValueError(f"`{argument}` must be one of {expected}; received {value!r}.")
        return mapping[value]

    return convert


_PADDING = _choice("border_mode", {"valid": "valid", "same": "same", "causal": "causal"})
_DATA_FORMAT = _choice(
    "dim_ordering", {"tf": "channels_last", "th": "channels_first", "default": None}
)

_KERNEL = (
    Renamed("init", "kernel_initializer"),
    Renamed("W_regularizer", "kernel_regularizer"),
    Renamed("b_regularizer", "bias_regularizer"),
    Renamed("W_constraint", "kernel_constraint"),
    Renamed("b_constraint", "bias_constraint"),
    Renamed("bias", "use_bias"),
)
_CONV = (
    Renamed("nb_filter", "filters"),
    Renamed("subsample", "strides"),
    Renamed("border_mode", "padding", convert=_PADDING),
    Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),
    *_KERNEL,
)
_CONV1D = (
    Renamed("filter_length", "kernel_size"),
    Renamed("subsample_length", "strides"),
    *_CONV,
)
_CONV2D = (Combined(("nb_row", "nb_col"), "kernel_size"), *_CONV)
# Keras 1's SeparableConvolution2D had one `init` for both kernels, and its own
# depthwise_/pointwise_ regularizers and constraints instead of W_*.
_SEPARABLE_CONV2D = (
    Combined(("nb_row", "nb_col"), "kernel_size"),
    Renamed("nb_filter", "filters"),
    Renamed("subsample", "strides"),
    Renamed("border_mode", "padding", convert=_PADDING),
    Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),
    Split("init", ("depthwise_initializer", "pointwise_initializer")),
    Renamed("b_regularizer", "bias_regularizer"),
    Renamed("b_constraint", "bias_constraint"),
    Renamed("bias", "use_bias"),
)
_CONV3D = (Combined(("kernel_dim1", "kernel_dim2", "kernel_dim3"), "kernel_size"), *_CONV)
_POOL1D = (
    Renamed("pool_length", "pool_size"),
    Renamed("stride", "strides"),
    Renamed("border_mode", "padding", convert=_PADDING),
)
_POOL2D = (
    Renamed("border_mode", "padding", convert=_PADDING),
    Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),
)
_TIME_MAJOR = Unsupported(
    "time_major",
    "Keras 3 reads (batch, timesteps, features) only: swap the first two axes of a "
    "time-major input (`np.swapaxes(x, 0, 1)`) before feeding it.",
    accepts=(False,),
)
_CONSUME_LESS = Renamed(
    "consume_less",
    "implementation",
    convert=_choice("consume_less", {"cpu": 1, "mem": 1, "gpu": 2}),
)
_RECURRENT = (
    Renamed("output_dim", "units"),
    Renamed("init", "kernel_initializer"),
    Renamed("inner_init", "recurrent_initializer"),
    Renamed("W_regularizer", "kernel_regularizer"),
    Renamed("U_regularizer", "recurrent_regularizer"),
    Renamed("b_regularizer", "bias_regularizer"),
    Renamed("dropout_W", "dropout"),
    Renamed("dropout_U", "recurrent_dropout"),
    _CONSUME_LESS,
    _TIME_MAJOR,
)
_GATED = (*_RECURRENT, Renamed("inner_activation", "recurrent_activation"))
_SIMPLE_RNN = (
    *_RECURRENT,
    # Keras 2 accepted and ignored `implementation` on SimpleRNN: it only ever chose
    # how GRU and LSTM group their matrix products, never what they compute.
    Unsupported("implementation", "SimpleRNN has a single implementation.", accepts=(0, 1, 2)),
)
_POOL_SIZE = {1: 2, 2: (2, 2), 3: (2, 2, 2)}
_OPTIMIZER = (Renamed("lr", "learning_rate", keras=2),)
_FIT = (Renamed("nb_epoch", "epochs"),)
_WORKERS = (
    Renamed("nb_worker", "workers"),
    Renamed("pickle_safe", "use_multiprocessing"),
    Renamed("max_q_size", "max_queue_size"),
)

#: owner name -> the translations its keyword arguments go through, in order.
TRANSLATIONS: dict[str, tuple[Renamed | Combined | Split | Unsupported | Default, ...]] = {
    "Dense": (Renamed("output_dim", "units"), *_KERNEL),
    "Dropout": (Renamed("p", "rate"),),
    "SpatialDropout1D": (Renamed("p", "rate"),),
    "SpatialDropout2D": (
        Renamed("p", "rate"),
        Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),
    ),
    "GaussianDropout": (Renamed("p", "rate"),),
    "GaussianNoise": (Renamed("sigma", "stddev"),),
    "Embedding": (
        Renamed("init", "embeddings_initializer"),
        Renamed("W_regularizer", "embeddings_regularizer"),
        Renamed("W_constraint", "embeddings_constraint"),
        Unsupported(
            "dropout",
            "Add a `SpatialDropout1D` layer after the `Embedding` instead.",
            accepts=(0, 0.0),
        ),
    ),
    "Conv1D": _CONV1D,
    "Conv2D": _CONV2D,
    "Conv3D": _CONV3D,
    "Conv2DTranspose": _CONV2D,
    "SeparableConv2D": _SEPARABLE_CONV2D,
    "Cropping2D": (Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),),
    "UpSampling2D": (Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),),
    "ZeroPadding2D": (Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),),
    "MaxPooling1D": _POOL1D,
    "AveragePooling1D": (*_POOL1D, Default("pool_size", _POOL_SIZE[1], position=0)),
    "MaxPooling2D": _POOL2D,
    "AveragePooling2D": (*_POOL2D, Default("pool_size", _POOL_SIZE[2], position=0)),
    "AveragePooling3D": (Default("pool_size", _POOL_SIZE[3], position=0),),
    "GlobalMaxPooling2D": (Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),),
    "GlobalAveragePooling2D": (Renamed("dim_ordering", "data_format", convert=_DATA_FORMAT),),
    "SimpleRNN": _SIMPLE_RNN,
    "GRU": _GATED,
    "LSTM": (
        *_GATED,
        Renamed(
            "forget_bias_init",
            "unit_forget_bias",
            convert=_choice("forget_bias_init", {"one": True, "zero": False}),
        ),
    ),
    "RNN": (_TIME_MAJOR,),
    # Keras 2's ConvLSTM2D gated with hard_sigmoid; Keras 3's uses sigmoid.
    "ConvLSTM2D": (Default("recurrent_activation", "hard_sigmoid", position=7),),
    # Keras 2 named the slope `alpha`; Keras 3 warns about it and calls it `negative_slope`.
    "LeakyReLU": (Renamed("alpha", "negative_slope", keras=2),),
    "BatchNormalization": (
        Renamed("beta_init", "beta_initializer"),
        Renamed("gamma_init", "gamma_initializer"),
        Unsupported(
            "mode",
            "Keras 2 removed the non-zero modes; use `BatchNormalization(axis=...)` "
            "for feature-wise normalisation.",
            accepts=(0,),
        ),
    ),
    "Model": (Renamed("input", "inputs"), Renamed("output", "outputs")),
    "SGD": _OPTIMIZER,
    "RMSprop": _OPTIMIZER,
    "Adagrad": _OPTIMIZER,
    "Adadelta": _OPTIMIZER,
    "Adam": _OPTIMIZER,
    "Adamax": _OPTIMIZER,
    "Nadam": (
        *_OPTIMIZER,
        # tf_keras's Nadam reads `decay` as Keras 2's momentum `schedule_decay`.
        Renamed("decay", "schedule_decay", keras=2),
    ),
    "fit": _FIT,
    "fit_generator": (
        *_FIT,
        Renamed("samples_per_epoch", "steps_per_epoch"),
        Renamed("nb_val_samples", "validation_steps"),
        *_WORKERS,
    ),
    "evaluate_generator": (Renamed("val_samples", "steps"), *_WORKERS),
    "predict_generator": (Renamed("val_samples", "steps"), *_WORKERS),
    "Tokenizer": (Renamed("nb_words", "num_words"),),
    "to_categorical": (Renamed("nb_classes", "num_classes"),),
}


@dataclass(frozen=True)
class EraDecision:
    """One difference between Keras 2.0-2.2 and tf_keras, and what refimpl does.

    `where` names the refimpl object that implements the decision (`module:attribute`),
    which `tests/test_legacy.py` checks exists; `tests/test_keras22.py` tests each.
    """

    what: str
    keras22: str
    tf_keras: str
    refimpl: str
    why: str
    where: str


#: Every difference found between Keras 2.0-2.2 and tf_keras in names, defaults and
#: signatures, with the era refimpl follows.
ERA_DECISIONS: tuple[EraDecision, ...] = (
    EraDecision(
        "metric names in logs, History.history, evaluate(return_dict=True)",
        "'acc' for 'acc' and 'accuracy', 'ce' for 'crossentropy', the function's name "
        "for the other strings ('mae' -> 'mean_absolute_error'); weighted metrics always "
        "prefixed 'weighted_'",
        "the string the user wrote; 'weighted_' only on a clash",
        "both: lookups ([], in, get) answer either spelling; iteration, len, keys, repr, "
        "pickle and JSON give tf_keras's names, once each",
        "reading code of both eras works. Iteration cannot give both without listing each "
        "metric twice (breaking len, plots of every key, DataFrames), and tf_keras's "
        "names are the user's own, also what Keras 3 and 2.3+ code expects",
        "refimpl.metric_names:MetricLogs",
    ),
    EraDecision(
        "model.metrics_names",
        "Keras 2.2's names ('acc')",
        "the user's names ('accuracy')",
        "tf_keras's list; `in` and `index` also answer Keras 2.2's names",
        "as for the logs; the list compares equal to tf_keras's",
        "refimpl.metric_names:MetricNames",
    ),
    EraDecision(
        "CSVLogger columns",
        "Keras 2.2's names",
        "the user's names",
        "tf_keras's names, one column per metric",
        "a file cannot answer two names; a second column would break readers that "
        "plot every column, and tf_keras's names are the user's own",
        "refimpl.callbacks:CSVLogger",
    ),
    EraDecision(
        "History.history key order",
        "insertion order of the logs: loss, the metrics, then their val_ values",
        "the same order",
        "that order (Keras 3 sorts the logs alphabetically)",
        "both eras agree",
        "refimpl.metric_names:ordered",
    ),
    EraDecision(
        "monitor= of EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, and the "
        "ModelCheckpoint path ('{val_acc:.2f}')",
        "Keras 2.2's metric names",
        "tf_keras's metric names",
        "either spelling",
        "both monitor the same value; nothing conflicts",
        "refimpl.callbacks:ModelCheckpoint",
    ),
    EraDecision(
        "mode='auto': names containing 'acc', starting with 'fmeasure'",
        "max ('acc' anywhere; 'fmeasure' only at the start, so 'val_fmeasure' was min)",
        "ModelCheckpoint and ReduceLROnPlateau as Keras 2.2; EarlyStopping max for names "
        "ending in 'acc', 'accuracy' or 'auc'",
        "max, reading the name without 'val_' ('val_fmeasure' is max too)",
        "an F-measure is never minimised; Keras 2.2's 'val_fmeasure' -> min was an error",
        "refimpl.callbacks:AUTO_MODES",
    ),
    EraDecision(
        "mode='auto' for names ending in 'auc'",
        "min",
        "max in EarlyStopping, min in ModelCheckpoint",
        "max in all three",
        "an AUC is never minimised; Keras 2.2 had no AUC metric to monitor",
        "refimpl.callbacks:AUTO_MODES",
    ),
    EraDecision(
        "mode='auto' for a loss whose name contains 'acc' (an output named 'accent')",
        "max",
        "max in ModelCheckpoint, min in EarlyStopping",
        "min",
        "a loss is never maximised; no program relies on that",
        "refimpl.callbacks:AUTO_MODES",
    ),
    EraDecision(
        "Layer.add_loss(losses, inputs=None), Model.add_loss",
        "`inputs` chose which inputs a loss was conditional on",
        "`inputs` accepted and ignored (deprecated)",
        "accepted; nothing to do, Keras 3 collects each call's losses",
        "both eras' calls run",
        "refimpl.layers.base_layer:Keras2Layer",
    ),
    EraDecision(
        "Layer.add_update(updates, inputs=None)",
        "update ops and (variable, value) pairs, run with each training step",
        "add_update(updates) with no `inputs`; callables run at once",
        "Keras 2.2's signature; pairs assigned and callables called in training calls",
        "tf_keras raises TypeError on Keras 2.2's `inputs`; Keras 2.2 ran updates only in "
        "training, which is what refimpl does",
        "refimpl.layers.base_layer:Keras2Layer",
    ),
    EraDecision(
        "Layer.add_weight positional order",
        "2.0: (shape, initializer, name, ...); 2.1-2.2: (name, shape, dtype, ...)",
        "(name, shape, dtype, initializer, ...)",
        "both, told apart by the first argument (a name is a string)",
        "Keras 3 takes shape first and name only by keyword; both eras' calls run",
        "refimpl.layers.base_layer:ADD_WEIGHT_POSITIONS",
    ),
    EraDecision(
        "K.batch_dot of tensors of rank 4 or more",
        "a batched matrix product over every leading axis: only whether each axis is "
        "the last one mattered",
        "only axis 0 is the batch; the result holds every other axis of x, then of y",
        "Keras 2.2's product when both tensors have the same rank >= 4 and each axis is "
        "one of its tensor's last two (the only case Keras 2.2 computed as asked); "
        "tf_keras's definition otherwise",
        "attention code of the era relies on Keras 2.2's product, and tf_keras's "
        "outer product over the leading axes is never what such a call meant",
        "refimpl.backend:batch_dot",
    ),
    EraDecision(
        "K.ctc_decode's decoded paths",
        "as wide as the longest decoded path, padded with -1",
        "as wide as the input has time steps, padded with -1",
        "tf_keras's width",
        "code of both eras skips the -1 padding; tf_keras's width is known before "
        "decoding, which a graph (a Lambda layer) needs",
        "refimpl.backend.sequences:ctc_decode",
    ),
    EraDecision(
        "K.rnn arguments and masked steps",
        "rnn(step_function, inputs, initial_states, go_backwards, mask, constants, "
        "unroll, input_length); a masked step repeated the first state",
        "also time_major, zero_output_for_mask, return_all_outputs; a masked step "
        "repeats the previous output",
        "tf_keras's signature and masking",
        "Keras 2.2 calls run unchanged; the first state is the previous output of every "
        "built-in cell, and tf_keras's rule also holds for cells whose output is not a state",
        "refimpl.backend.sequences:rnn",
    ),
    EraDecision(
        "LSTM/GRU recurrent_activation default; GRU reset_after default",
        "'hard_sigmoid'; reset_after=False",
        "'sigmoid'; reset_after=True",
        "tf_keras's defaults",
        "a new model trains either way, while tf_keras's defaults are what Keras 3 and "
        "cuDNN need; a Keras 2.2 model file stores both arguments, so it loads as saved",
        "refimpl.layers:LSTM",
    ),
    EraDecision(
        "ConvLSTM2D recurrent_activation default",
        "'hard_sigmoid'",
        "'hard_sigmoid'",
        "'hard_sigmoid' (Keras 3 changed it to 'sigmoid')",
        "both eras agree",
        "refimpl.legacy:TRANSLATIONS",
    ),
    EraDecision(
        "ReduceLROnPlateau's learning rate in the logs",
        "'lr'",
        "'lr'",
        "'lr' (Keras 3 logs 'learning_rate')",
        "both eras agree",
        "refimpl.callbacks:ReduceLROnPlateau",
    ),
    EraDecision(
        "TensorBoard(embeddings_layer_names=, embeddings_data=)",
        "the layers and data to project",
        "accepted with a warning",
        "accepted at None; other values raise, saying Keras 3 projects every Embedding",
        "nothing is dropped silently",
        "refimpl.callbacks:TensorBoard",
    ),
    EraDecision(
        "optimizer default learning rates",
        "Adagrad 0.01, Adadelta 1.0, Adamax 0.002, Nadam 0.002",
        "0.001 for each",
        "tf_keras's defaults (`optimizer='adadelta'` trains slowly as on tf_keras)",
        "tf_keras is the project's oracle and a rate changes every number a run gives; "
        "Keras 2.2's rates are one `lr=` away",
        "refimpl.optimizers:Adadelta",
    ),
    EraDecision(
        "callback.params",
        "batch_size, epochs, steps, samples, verbose, do_validation, metrics",
        "verbose, epochs, steps",
        "all of them (metrics: the epoch logs' names, tf_keras's spelling; on a model's "
        "first fit down Keras 3's step-by-step path, whose metrics are built by the first "
        "batch, only 'loss' and 'val_loss')",
        "extra keys break no tf_keras callback; Keras 2.2 callbacks read 'metrics' and "
        "'samples' to set themselves up",
        "refimpl.callbacks:keras22_params",
    ),
    EraDecision(
        "metrics=['crossentropy'] / ['ce']",
        "the crossentropy matching the output, logged 'ce'",
        "the same, logged as written",
        "the same, logged as written, answering 'ce' too (Keras 3 cannot read the name)",
        "both eras agree but for the name, which both spellings answer",
        "refimpl.metrics:CROSSENTROPY_FOR_LOSS",
    ),
    EraDecision(
        "Keras 2.2 backend functions Keras 3 has no counterpart for (map_fn, foldl, "
        "foldr, in_top_k, print_tensor, moving_average_update, normalize_batch_in_training, "
        "batch_normalization, conv3d, pool3d, separable_conv2d, depthwise_conv2d, "
        "conv2d_transpose, resize_images, spatial_3d_padding, get_uid, ...)",
        "defined",
        "defined, with the same semantics (moving_average_update: no zero-debiasing in either)",
        "defined as both eras define them",
        "both eras agree",
        "refimpl.backend.keras22_ops:map_fn",
    ),
    EraDecision(
        "model.metrics_names right after compile",
        "every name ('loss', 'acc')",
        "[] until the first batch",
        "['loss'] until the first batch, then every name",
        "left as Keras 3 has it: names exist once the metrics are built",
        "refimpl.training.trainer:Keras2Training",
    ),
)


#: Keras 1's positional kernel sizes: `Convolution2D(32, 3, 3)` meant 32 filters of 3x3.
#: owner -> how many integers after `filters` form the kernel size.
POSITIONAL_KERNEL_SIZE: dict[str, int] = {
    "Conv2D": 2,
    "Conv2DTranspose": 2,
    "SeparableConv2D": 2,
    "Conv3D": 3,
}


#: Activation names that Keras 3 kept with a different formula -> Keras 2's function.
#: Keras 2's hard_sigmoid is `clip(0.2 * x + 0.5, 0, 1)`; Keras 3's has slope 1/6.
KERAS2_FUNCTIONS: dict[str, Callable[[Any], Any]] = {"hard_sigmoid": backend.hard_sigmoid}

#: Layer keyword arguments that name an activation function.
ACTIVATION_ARGUMENTS = ("activation", "recurrent_activation")

#: owner -> the position of its activation among the positional arguments.
ACTIVATION_POSITIONS: dict[str, int] = {"Activation": 0, "Dense": 1}


def plain_numbers(value: Any) -> Any:
    """`value` with NumPy scalars made Python numbers, inside tuples and lists too.

    Keras 2 accepted `Dense(np.max(y) + 1)` and `kernel_size=(np.int64(3), 3)`; Keras 3
    checks for `int`. Arrays are left as they are (`weights=[...]`).

    >>> plain_numbers((np.int64(3), [np.float32(0.5)]))  # doctest: +SKIP
    (3, [0.5])
    """
    if isinstance(value, (tuple, list)):
        return type(value)(plain_numbers(v) for v in value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, int):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _keras2_function(value: Any) -> Any:
    return KERAS2_FUNCTIONS.get(value, value) if isinstance(value, str) else value


def _positional(owner: str, args: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[str]]:
    rank = POSITIONAL_KERNEL_SIZE.get(owner)
    if rank is None or len(args) != 1 + rank:
        return args, []
    if not all(isinstance(a, int) for a in args[1:]):
        return args, []
    kernel_size = tuple(args[1:])
    return (args[0], kernel_size), [f"{args[0]!r}", f"{kernel_size!r}"]


def _warn(owner: str, updated: list[str], stacklevel: int) -> None:
    if updated:
        warnings.warn(
            f"Update your `{owner}` call to the Keras 2 API: `{owner}({', '.join(updated)})`",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


def translate_positional(owner: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Merge Keras 1's positional kernel dimensions into one `kernel_size` tuple.

    >>> translate_positional("Conv2D", (32, 3, 3))  # doctest: +SKIP
    (32, (3, 3))
    """
    args, updated = _positional(owner, args)
    _warn(owner, updated, stacklevel=3)
    return args


def translate_call(
    owner: str, args: tuple[Any, ...], kwargs: dict[str, Any], _stacklevel: int = 3
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Translate a whole call, positional and keyword arguments, with one warning.

    Keras 2 summed up every Keras 1 argument of a call in a single "Update your
    call" warning; so does this.

    >>> translate_call("Conv2D", (8, 3, 3), {"border_mode": "same"})  # doctest: +SKIP
    ((8, (3, 3)), {'padding': 'same'})
    """
    args, updated = _positional(owner, tuple(plain_numbers(a) for a in args))
    translated = {name: plain_numbers(value) for name, value in kwargs.items()}
    for entry in TRANSLATIONS.get(owner, ()):
        updated += entry.apply(owner, translated, positional=len(args))
    for name in ACTIVATION_ARGUMENTS:
        if name in translated:
            translated[name] = _keras2_function(translated[name])
    position = ACTIVATION_POSITIONS.get(owner)
    if position is not None and len(args) > position:
        args = (*args[:position], _keras2_function(args[position]), *args[position + 1 :])
    # The warning points at the user's call: the caller of the constructor (or of the
    # function) that called this.
    _warn(owner, updated, stacklevel=_stacklevel)
    return args, translated


def translate(owner: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of `kwargs` with the Keras 1/2 arguments of `owner` translated.

    Args:
        owner: the class or function name, a key of `TRANSLATIONS`. Owners with no
            entry have nothing to translate.
        kwargs: the keyword arguments as the user passed them.

    Returns:
        The keyword arguments as Keras 3 expects them.

    Raises:
        TypeError or ValueError: for an argument that cannot be honoured, naming it
            and what to use instead.
    """
    return translate_call(owner, (), kwargs, _stacklevel=4)[1]
