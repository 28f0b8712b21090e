"""Keras 2's `keras.preprocessing.sequence`: padding, skip-grams and time-series batches.

Keras 3 keeps only `pad_sequences`, and its string handling differs from Keras 2's
(see `pad_sequences`), so every function here is refimpl's own, with Keras 2's
results: `skipgrams` even draws the same random numbers from Python's `random`
module in the same order, so a seeded Keras 2 script gets the same pairs.

`TimeseriesGenerator` is a Keras 3 `PyDataset` (Keras 3's name for Keras 2's
`keras.utils.Sequence`), so `model.fit` accepts it directly.

The computations use only NumPy and the standard library.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from refimpl._keras3 import keras3

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]

#: where `pad_sequences` pads or truncates -> the slice of a sequence of length n
#: that keeps `maxlen` items, and the slice of the output row that receives them.
_KEEP = {
    "pre": lambda maxlen: slice(-maxlen, None),
    "post": lambda maxlen: slice(None, maxlen),
}
_PLACE = {
    "pre": lambda n: slice(-n, None),
    "post": lambda n: slice(None, n),
}


def _accepts_str(dtype: Any) -> bool:
    """Whether Keras 2's `pad_sequences` lets a string `value` pad into `dtype`.

    Keras 2 accepted the `object` type (`object` or `np.dtype("O")`, but not the
    string `"object"`) and unicode string dtypes; byte strings (`"S"`) were refused.
    refimpl keeps exactly that rule so that a script fails or succeeds as it did.
    """
    if dtype is object or (isinstance(dtype, np.dtype) and dtype.kind == "O"):
        return True
    return np.issubdtype(dtype, np.str_)


def pad_sequences(
    sequences: Sequence[Sequence[Any]],
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> np.ndarray:
    """Pad (or cut) sequences to a common length and stack them into one array.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
    array([[1, 0],
           [2, 3],
           [4, 5]], dtype=int32)

    Args:
        sequences: a list of sequences; each item of a sequence may itself be an
            array, whose shape must then be the same in every sequence.
        maxlen: the output length; by default the length of the longest sequence.
        dtype: the output type. Use `object` to pad variable-length strings.
        padding: `"pre"` or `"post"`: add `value` before or after each sequence.
        truncating: `"pre"` or `"post"`: drop items from the start or the end of
            sequences longer than `maxlen`.
        value: the padding value.

    Returns:
        An array of shape `(len(sequences), maxlen) + item_shape`.

    Raises:
        ValueError: for an invalid `padding` or `truncating`, a non-sequence,
            items of inconsistent shape, or a string `value` with a non-string dtype.
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in _KEEP:
            raise ValueError(f'`{name}` must be "pre" or "post"; received {given!r}.')
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"`sequences` must be a list of sequences; received a {type(sequences).__name__}."
        )
    lengths = []
    item_shape = None
    for position, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                "`sequences` must be a list of sequences; the item at position "
                f"{position} is {sequence!r}, which has no length."
            ) from error
        # The first non-empty sequence sets the shape that every item must have.
        if item_shape is None and lengths[-1]:
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = () if item_shape is None else item_shape

    if maxlen is None:
        if not lengths:
            raise ValueError("`pad_sequences` received no sequences and no `maxlen`.")
        maxlen = max(lengths)
    if isinstance(value, str) and not _accepts_str(dtype):
        raise ValueError(
            f"A string `value` ({value!r}) needs `dtype=object` (for strings of any "
            f"length) or a unicode dtype; received dtype={dtype!r}."
        )

    padded = np.full((len(sequences), maxlen, *item_shape), value, dtype=dtype)
    keep = _KEEP[truncating](maxlen)
    for position, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = np.asarray(sequence[keep], dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"Every item must have shape {item_shape} (the shape in the first non-empty "
                f"sequence); the sequence at position {position} has items of shape "
                f"{kept.shape[1:]}."
            )
        padded[position, _PLACE[padding](len(kept))] = kept
    return padded


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> np.ndarray:
    """Probabilities of keeping each word, by frequency rank, for `skipgrams`.

    word2vec subsamples a word of frequency f with probability
    `min(1, sqrt(sampling_factor / f))`. Word frequencies are not known here, so
    they are estimated from the rank r by Zipf's law,
    `f(r) ~ 1 / (r (ln r + gamma) + 1/2 - 1/(12 r))` with gamma ~ 0.577.
    Rank 0 (padding) gets rank 1's probability.

    >>> make_sampling_table(4, sampling_factor=0.1).round(3)
    array([0.315, 0.315, 0.548, 0.742])

    Args:
        size: the number of ranks (the vocabulary size).
        sampling_factor: the word2vec sampling factor.

    Returns:
        A float64 array of `size` probabilities.
    """
    euler_gamma = 0.577  # Keras 2's rounded value, kept so that tables agree.
    rank = np.maximum(np.arange(size), 1).astype(np.float64)
    inverse_frequency = rank * (np.log(rank) + euler_gamma) + 0.5 - 1.0 / (12.0 * rank)
    return np.minimum(1.0, np.sqrt(sampling_factor * inverse_frequency))


def skipgrams(
    sequence: Sequence[int],
    vocabulary_size: int,
    window_size: int = 4,
    negative_samples: float = 1.0,
    shuffle: bool = True,
    categorical: bool = False,
    sampling_table: Sequence[float] | None = None,
    seed: int | None = None,
) -> tuple[list[list[int]], list[int] | list[list[int]]]:
    """Word pairs for training word2vec-style embeddings, with their labels.

    Positive pairs `[word, neighbour]` (label 1) join each word to every other word
    at most `window_size` positions away; negative pairs `[word, random word]`
    (label 0) are drawn from the vocabulary. Index 0 is padding and is skipped.

    Randomness comes from Python's global `random` module, as in Keras 2: words are
    subsampled with `random.random()`, negatives drawn with `random.shuffle` and
    `random.randint`, and, when shuffling, the module is reseeded with `seed` (a
    random one if `None`). The same calls in the same order give Keras 2's pairs.

    >>> pairs, labels = skipgrams([1, 2, 3], vocabulary_size=4, window_size=1,
    ...                           negative_samples=0, shuffle=False)
    >>> pairs, labels
    ([[1, 2], [2, 1], [2, 3], [3, 2]], [1, 1, 1, 1])

    Args:
        sequence: word indices (ranks, if a `sampling_table` is used).
        vocabulary_size: the largest word index plus one.
        window_size: how many positions on each side count as neighbours.
        negative_samples: negatives per positive pair (0 for none).
        shuffle: whether to shuffle the pairs (and their labels alike).
        categorical: labels as `[1, 0]`/`[0, 1]` instead of 0/1.
        sampling_table: `sampling_table[i]` is the probability of keeping word `i`
            as a centre word (see `make_sampling_table`).
        seed: the seed for the shuffle.

    Returns:
        `(pairs, labels)`, two lists of the same length.
    """
    pairs: list[list[int]] = []
    for centre, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for other in range(
            max(0, centre - window_size), min(len(sequence), centre + window_size + 1)
        ):
            if other != centre and sequence[other]:
                pairs.append([word, sequence[other]])
    labels = [1] * len(pairs)

    if negative_samples > 0:
        negatives = int(len(labels) * negative_samples)
        centres = [pair[0] for pair in pairs]
        random.shuffle(centres)
        pairs += [
            [centres[k % len(centres)], random.randint(1, int(vocabulary_size - 1))]
            for k in range(negatives)
        ]
        labels += [0] * negatives

    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        # One permutation for both lists. Shuffling a list of n items draws the same
        # numbers whatever it holds, so this leaves `random` in the state Keras 2's
        # two reseeded shuffles did.
        random.seed(seed)
        order = list(range(len(pairs)))
        random.shuffle(order)
        pairs = [pairs[k] for k in order]
        labels = [labels[k] for k in order]
    if categorical:
        # One-hot over (negative, positive), a new list per pair.
        return pairs, [[1 - label, label] for label in labels]
    return pairs, labels


class TimeseriesGenerator(keras3.utils.PyDataset):
    """Batches of fixed-length windows over a time series, with the following target.

    Sample `k` of the series ends just before time `t` and holds
    `data[t - length : t : sampling_rate]`; its target is `targets[t]`. The times `t`
    run from `start_index + length` to `end_index`, `stride` apart, in order (or drawn
    at random with `np.random` when `shuffle` is true).

    >>> import numpy as np
    >>> series = np.arange(10)
    >>> x, y = TimeseriesGenerator(series, series, length=3, batch_size=2)[0]
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2], [1, 2, 3]], [3, 4])

    Args:
        data: the series, indexable along its first axis (a list or an array).
        targets: one target per time step, as long as `data`.
        length: the span of a window, in time steps.
        sampling_rate: keep one time step out of `sampling_rate` in a window.
        stride: the step between the ends of consecutive windows.
        start_index: time steps before it are not used.
        end_index: the last time step used; by default the last one.
        shuffle: draw the windows' ends at random instead of in order.
        reverse: put each window's time steps in reverse order.
        batch_size: windows per batch (the last batch may be smaller).
    """

    def __init__(
        self,
        data: Any,
        targets: Any,
        length: int,
        sampling_rate: int = 1,
        stride: int = 1,
        start_index: int = 0,
        end_index: int | None = None,
        shuffle: bool = False,
        reverse: bool = False,
        batch_size: int = 128,
    ):
        super().__init__()
        if len(data) != len(targets):
            raise ValueError(
                "`data` and `targets` must have the same length; received "
                f"{len(data)} data points and {len(targets)} targets."
            )
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        # As in Keras 2, `start_index` is stored as the first usable window end.
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError(
                f"`start_index + length` ({self.start_index}) is past `end_index` "
                f"({self.end_index}): no time step would be left as a target."
            )

    def __len__(self) -> int:
        span = self.batch_size * self.stride
        return (self.end_index - self.start_index + span) // span

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self.shuffle:
            ends = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            last = min(first + self.batch_size * self.stride, self.end_index + 1)
            ends = np.arange(first, last, self.stride)
        samples = np.array(
            [self.data[end - self.length : end : self.sampling_rate] for end in ends]
        )
        targets = np.array([self.targets[end] for end in ends])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, targets

    def get_config(self) -> dict[str, Any]:
        """The generator's settings, with `data` and `targets` encoded as JSON strings.

        Raises:
            TypeError: if the data or targets cannot be written as JSON.
        """
        encoded = {}
        for name in ("data", "targets"):
            content = getattr(self, name)
            if isinstance(content, np.ndarray):
                content = content.tolist()
            try:
                encoded[name] = json.dumps(content)
            except TypeError as error:
                raise TypeError(
                    f"`{name}` must be JSON serializable (a NumPy array or nested lists of "
                    f"numbers); received {type(content).__name__}: {error}"
                ) from error
        return {
            **encoded,
            "length": self.length,
            "sampling_rate": self.sampling_rate,
            "stride": self.stride,
            "start_index": self.start_index,
            "end_index": self.end_index,
            "shuffle": self.shuffle,
            "reverse": self.reverse,
            "batch_size": self.batch_size,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The generator as a JSON string (keyword arguments go to `json.dumps`)."""
        return json.dumps(
            {"class_name": type(self).__name__, "config": self.get_config()}, **kwargs
        )
