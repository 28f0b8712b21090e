"""API surface: the guides' models have the parameter counts and shapes Keras 2 gives them.

Every model of the guides (`sequential-model.md`, `functional-api.md`,
`word-embeddings.md`), as the catalogue (`models.py`) writes it, is built through the
implementation under test, and three things are compared with values worked out by
hand (the arithmetic is in the comments; tf_keras, Keras 2's own code, agrees with
every one):

- `model.count_params()` (and the trainable count where some weights are frozen);
- the parameter count of each layer (`layer.count_params()`), as a sorted list, so
  that layer order, which an implementation may choose for branching models, does
  not matter;
- the shape of each intermediate tensor, in the order the guide builds them.

Most models come twice: in the API common to Keras 2 and Keras 3 (`keras.Input`
first), and in the guide's own spelling (`input_shape=` on the first layer,
`input_dim=`, `input_length=`, `batch_input_shape=`, no input shape at all). Keras 3
still accepts `input_shape`, `input_dim`, `input_length` and `Embedding(weights=...)`
(some with a deprecation warning), so those spellings are held to the same numbers
everywhere; what only Keras 2 does is marked `keras2_api`: `batch_input_shape`, and a
Sequential model that an `Embedding` without `input_length` builds at once.

Counting rules: Dense = in*units + units; Conv = kernel_area*in*filters + filters;
LSTM = 4 * units * (in + units + 1); Embedding = input_dim * output_dim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from conformance.suite import models
from conformance.suite.models import MAXLEN


@dataclass(frozen=True)
class Architecture:
    """A guide's model, how to build it, and the numbers it must have."""

    id: str
    build: Callable[[Any], tuple[Any, list[Any]]]  # keras -> (model, tensors to check)
    shapes: tuple[tuple[int | None, ...], ...]  # of those tensors, batch axis included
    layer_params: tuple[int, ...]  # per layer, input layers excluded (compared sorted)
    total: int
    trainable: int | None = None  # None: every weight is trainable
    marks: tuple[Any, ...] = ()


def _sequential(spec: models.Spec, spelling: str) -> Callable[[Any], tuple[Any, list[Any]]]:
    """The catalogue's `spec` in `spelling`, and the output of each of its layers."""

    def build(keras: Any) -> tuple[Any, list[Any]]:
        model = models.build_sequential(keras, spec, spelling)
        return model, [layer.output for layer in model.layers]

    return build


# --- sequential-model.md -------------------------------------------------------------

# Dense(64) on 20 inputs: 20*64 + 64 = 1344; Dense(64) on 64: 64*64 + 64 = 4160;
# Dense(10) on 64: 64*10 + 10 = 650; Dropout: 0. Total 1344 + 4160 + 650 = 6154.
MLP_MULTICLASS = dict(
    shapes=((None, 64), (None, 64), (None, 64), (None, 64), (None, 10)),
    layer_params=(1344, 0, 4160, 0, 650),
    total=6154,
)
# The same with Dense(1): 64*1 + 1 = 65. Total 1344 + 4160 + 65 = 5569.
MLP_BINARY = dict(
    shapes=((None, 64), (None, 64), (None, 64), (None, 64), (None, 1)),
    layer_params=(1344, 0, 4160, 0, 65),
    total=5569,
)


# 3x3 'valid' convolutions take 2 off each side length, 2x2 pooling halves it:
# 100 -> 98 -> 96 -> 48 -> 46 -> 44 -> 22; Flatten: 22*22*64 = 30976.
# Conv2D(32) on 3 channels: 3*3*3*32 + 32 = 896; on 32: 3*3*32*32 + 32 = 9248;
# Conv2D(64) on 32: 3*3*32*64 + 64 = 18496; on 64: 3*3*64*64 + 64 = 36928;
# Dense(256) on 30976: 30976*256 + 256 = 7930112; Dense(10) on 256: 2570.
# Total 896 + 9248 + 18496 + 36928 + 7930112 + 2570 = 7998250.
VGG = dict(
    shapes=(
        (None, 98, 98, 32),
        (None, 96, 96, 32),
        (None, 48, 48, 32),
        (None, 48, 48, 32),
        (None, 46, 46, 64),
        (None, 44, 44, 64),
        (None, 22, 22, 64),
        (None, 22, 22, 64),
        (None, 30976),
        (None, 256),
        (None, 256),
        (None, 10),
    ),
    layer_params=(896, 9248, 0, 0, 18496, 36928, 0, 0, 0, 7930112, 0, 2570),
    total=7998250,
)


# Embedding(1000, 256): 1000*256 = 256000; LSTM(128) on 256 features:
# 4*128*(256 + 128 + 1) = 197120; Dense(1) on 128: 129. Total 453249.
LSTM_CLASSIFIER = dict(
    shapes=((None, MAXLEN, 256), (None, 128), (None, 128), (None, 1)),
    layer_params=(256000, 197120, 0, 129),
    total=453249,
)
# The guide's spelling: the same weights, sequences of any length.
LSTM_CLASSIFIER_ANY_LENGTH = dict(
    LSTM_CLASSIFIER, shapes=((None, None, 256), (None, 128), (None, 128), (None, 1))
)


# Steps: 64 -> 62 -> 60 -> 20 (pool 3) -> 18 -> 16 -> averaged away.
# Conv1D(64, 3) on 100 channels: 3*100*64 + 64 = 19264; on 64: 3*64*64 + 64 = 12352;
# Conv1D(128, 3) on 64: 3*64*128 + 128 = 24704; on 128: 3*128*128 + 128 = 49280;
# Dense(1) on 128: 129. Total 19264 + 12352 + 24704 + 49280 + 129 = 105729.
CONV1D_CLASSIFIER = dict(
    shapes=(
        (None, 62, 64),
        (None, 60, 64),
        (None, 20, 64),
        (None, 18, 128),
        (None, 16, 128),
        (None, 128),
        (None, 128),
        (None, 1),
    ),
    layer_params=(19264, 12352, 0, 24704, 49280, 0, 0, 129),
    total=105729,
)


# LSTM(32) on 16 features: 4*32*(16 + 32 + 1) = 6272; on 32: 4*32*(32 + 32 + 1) = 8320;
# Dense(10) on 32: 330. Total 6272 + 8320 + 8320 + 330 = 23242.
STACKED_LSTM = dict(
    shapes=((None, 8, 32), (None, 8, 32), (None, 32), (None, 10)),
    layer_params=(6272, 8320, 8320, 330),
    total=23242,
)
# Stateful: the same weights; every shape carries the fixed batch size, 32.
STATEFUL_LSTM = dict(STACKED_LSTM, shapes=((32, 8, 32), (32, 8, 32), (32, 32), (32, 10)))


# --- functional-api.md -----------------------------------------------------------------


# Dense(64) on 784: 784*64 + 64 = 50240; Dense(64) on 64: 4160; Dense(10): 650.
# Total 50240 + 4160 + 650 = 55050.
DENSE_NET = dict(
    shapes=((None, 64), (None, 64), (None, 10)), layer_params=(50240, 4160, 650), total=55050
)


# One layer (TimeDistributed) holding the dense net's 55050 weights; 20 steps of 10.
TIME_DISTRIBUTED_MODEL = dict(shapes=((None, 20, 10),), layer_params=(55050,), total=55050)


# Embedding(10000, 512): 5120000; LSTM(32) on 512: 4*32*(512 + 32 + 1) = 69760;
# aux_output Dense(1) on 32: 33; concatenate 32 + 5 = 37 features;
# Dense(64) on 37: 37*64 + 64 = 2432; Dense(64) on 64 (twice): 4160 each;
# main_output Dense(1) on 64: 65.
# Total 5120000 + 69760 + 33 + 2432 + 4160 + 4160 + 65 = 5200610.
HEADLINE = dict(
    shapes=(
        (None, 100, 512),
        (None, 32),
        (None, 1),
        (None, 37),
        (None, 64),
        (None, 64),
        (None, 64),
        (None, 1),
    ),
    layer_params=(5120000, 69760, 33, 0, 2432, 4160, 4160, 65),
    total=5200610,
)


# One LSTM(64) on 256 features, counted once although called twice:
# 4*64*(256 + 64 + 1) = 82176; Dense(1) on 64 + 64 = 128: 129. Total 82305.
TWEETS = dict(
    shapes=((None, 64), (None, 64), (None, 128), (None, 1)),
    layer_params=(82176, 0, 129),
    total=82305,
)


# --- word-embeddings.md ----------------------------------------------------------------


# Embedding(401, 100): 40100, frozen; steps 1000 -> 996 (width 5) -> 199 (pool 5)
# -> 195; Conv1D(32, 5) on 100 channels: 5*100*32 + 32 = 16032; on 32:
# 5*32*32 + 32 = 5152; Dense(1) on 32: 33. Total 40100 + 16032 + 5152 + 33 = 61317,
# of which trainable 61317 - 40100 = 21217.
FROZEN_EMBEDDINGS = dict(
    shapes=(
        (None, 1000, 100),
        (None, 996, 32),
        (None, 199, 32),
        (None, 195, 32),
        (None, 32),
        (None, 1),
    ),
    layer_params=(40100, 16032, 0, 5152, 0, 33),
    total=61317,
    trainable=21217,
)

KERAS2 = (pytest.mark.requires("keras2_api"),)

ARCHITECTURES = [
    Architecture("mlp-multiclass", _sequential(models.mlp_multiclass(), "input"),
                 **MLP_MULTICLASS),
    Architecture("mlp-multiclass-input-dim", _sequential(models.mlp_multiclass(), "guide"),
                 **MLP_MULTICLASS),
    Architecture("mlp-binary", _sequential(models.mlp_binary(), "input"), **MLP_BINARY),
    Architecture("mlp-binary-input-dim", _sequential(models.mlp_binary(), "guide"),
                 **MLP_BINARY),
    Architecture("vgg-like-convnet", _sequential(models.vgg_convnet(), "input"), **VGG),
    Architecture("vgg-like-convnet-input-shape", _sequential(models.vgg_convnet(), "guide"),
                 **VGG),
    Architecture("lstm-classifier", _sequential(models.lstm_classifier(), "input"),
                 **LSTM_CLASSIFIER),
    # As the guide writes it, with no input shape at all. In Keras 2 an Embedding
    # without `input_length` declares an input of shape (None, None): the model is
    # built at once, for sequences of any length. Keras 3 waits for data instead.
    Architecture("lstm-classifier-no-input-shape",
                 _sequential(models.lstm_classifier(), "guide"), **LSTM_CLASSIFIER_ANY_LENGTH,
                 marks=KERAS2),
    Architecture("conv1d-classifier", _sequential(models.conv1d_classifier(), "input"),
                 **CONV1D_CLASSIFIER),
    Architecture("conv1d-classifier-input-shape",
                 _sequential(models.conv1d_classifier(), "guide"), **CONV1D_CLASSIFIER),
    Architecture("stacked-lstm", _sequential(models.stacked_lstm(), "input"), **STACKED_LSTM),
    Architecture("stacked-lstm-input-shape", _sequential(models.stacked_lstm(), "guide"),
                 **STACKED_LSTM),
    Architecture("stateful-stacked-lstm",
                 _sequential(models.stacked_lstm(stateful=True), "input"), **STATEFUL_LSTM),
    Architecture("stateful-stacked-lstm-batch-input-shape",
                 _sequential(models.stacked_lstm(stateful=True), "guide"), **STATEFUL_LSTM,
                 marks=KERAS2),
    Architecture("functional-dense-net", models.dense_net, **DENSE_NET),
    Architecture("time-distributed-model", models.time_distributed_model,
                 **TIME_DISTRIBUTED_MODEL),
    Architecture("multi-input-multi-output", models.headline, **HEADLINE),
    Architecture("multi-input-multi-output-input-length",
                 lambda k: models.headline(k, guide=True), **HEADLINE),
    Architecture("shared-lstm-tweets", models.shared_lstm, **TWEETS),
    Architecture("frozen-embeddings-classifier", models.frozen_embedding_classifier,
                 **FROZEN_EMBEDDINGS),
    Architecture("frozen-embeddings-classifier-weights-input-length",
                 lambda k: models.frozen_embedding_classifier(k, guide=True),
                 **FROZEN_EMBEDDINGS),
]  # fmt: skip


def _shape(tensor: Any) -> tuple[int | None, ...]:
    return tuple(None if d is None else int(d) for d in tuple(tensor.shape))


def _size(weight: Any) -> int:
    return int(np.prod(tuple(weight.shape)))


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=case.marks) for case in ARCHITECTURES]
)
def test_architecture(keras, case: Architecture):
    """Parameter counts, per layer and in total, and every intermediate shape."""
    model, tensors = case.build(keras)
    assert [_shape(t) for t in tensors] == list(case.shapes), f"{case.id}: output shapes"
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    per_layer = sorted(layer.count_params() for layer in layers)
    assert per_layer == sorted(case.layer_params), f"{case.id}: parameters per layer"
    assert model.count_params() == case.total, f"{case.id}: model.count_params()"
    trainable = sum(_size(w) for w in model.trainable_weights)
    wanted = case.total if case.trainable is None else case.trainable
    assert trainable == wanted, f"{case.id}: trainable parameters"


def test_shared_layer_is_counted_once(keras):
    """A layer called on two inputs has one set of weights and two outputs."""
    model, (encoded_a, encoded_b, _, _) = models.shared_lstm(keras)
    lstm = [layer for layer in model.layers if type(layer).__name__ == "LSTM"]
    assert len(lstm) == 1, f"expected one shared LSTM layer, received {len(lstm)}"
    assert len(lstm[0].weights) == 3, "LSTM weights: kernel, recurrent_kernel, bias"
    assert encoded_a is not encoded_b
