"""Keras 2's `keras.preprocessing.text`: the `Tokenizer` and its helper functions.

Keras 3 dropped this module in favour of the `TextVectorization` layer. Keras 2 code
(the word-embeddings guide, for one) still builds vocabularies with `Tokenizer`, so
refimpl provides it again with Keras 2's exact results: the same word indices, the
same tie-breaking between equally frequent words (first seen wins), the same matrices
for every `texts_to_matrix` mode, and the same JSON format, readable by Keras 2's own
`tokenizer_from_json`.

Only NumPy and the standard library are used.

Example:

>>> tokenizer = Tokenizer(num_words=3)
>>> tokenizer.fit_on_texts(["the cat sat", "the dog sat down"])
>>> tokenizer.word_index
{'the': 1, 'sat': 2, 'cat': 3, 'dog': 4, 'down': 5}
>>> tokenizer.texts_to_sequences(["the dog sat"])
[[1, 2]]
"""

from __future__ import annotations

import collections
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from refimpl.legacy import translate

__all__ = [
    "Tokenizer",
    "hashing_trick",
    "one_hot",
    "text_to_word_sequence",
    "tokenizer_from_json",
]

#: Keras 2's default `filters`: ASCII punctuation except the apostrophe, plus tab and
#: newline, so that "don't" stays one word.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(
    input_text: str,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
) -> list[str]:
    """Split a text into words, dropping the characters in `filters`.

    Every filtered character acts as a separator; empty words are discarded.

    >>> text_to_word_sequence("Hello, world!  Don't panic.")
    ['hello', 'world', "don't", 'panic']

    Args:
        input_text: the text.
        filters: characters to remove (each one becomes a separator).
        lower: whether to lowercase the text first.
        split: the separator between words.

    Returns:
        The list of words.
    """
    if lower:
        input_text = input_text.lower()
    # One pass of str.translate turns every filtered character into the separator.
    input_text = input_text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in input_text.split(split) if word]


def _md5(word: str) -> int:
    """A hash that, unlike Python's `hash`, is the same in every process."""
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


#: names accepted by `hashing_trick(hash_function=...)`.
_HASH_FUNCTIONS: dict[str | None, Callable[[str], int]] = {None: hash, "md5": _md5}


def hashing_trick(
    text: str,
    n: int,
    hash_function: Callable[[str], int] | str | None = None,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Map each word of `text` to an index in `[1, n)` by hashing it.

    Index 0 is never produced. Different words may collide on one index.

    >>> hashing_trick("the cat and the hat", 100, hash_function="md5")
    [51, 3, 69, 51, 24]

    Args:
        text: the text.
        n: size of the hashing space; indices fall in `1 .. n - 1`.
        hash_function: `None` for Python's `hash` (which changes between processes
            unless `PYTHONHASHSEED` is set), `"md5"` for a stable hash, or any
            function from a string to an integer.
        filters, lower, split: as for `text_to_word_sequence`.
        analyzer: a function that splits the text into words, replacing
            `text_to_word_sequence`.

    Returns:
        One index per word.
    """
    if callable(hash_function):
        function = hash_function
    elif hash_function in _HASH_FUNCTIONS:
        function = _HASH_FUNCTIONS[hash_function]
    else:
        raise ValueError(
            "`hash_function` must be None, 'md5' or a function from str to int; "
            f"received {hash_function!r}."
        )
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [function(word) % (n - 1) + 1 for word in words]


def one_hot(
    input_text: str,
    n: int,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
    analyzer: Callable[[str], list[str]] | None = None,
) -> list[int]:
    """Map each word to an index in `[1, n)` with Python's `hash` (see `hashing_trick`).

    Despite its name this returns word indices, not one-hot vectors, as in Keras 2.
    """
    return hashing_trick(
        input_text,
        n,
        hash_function=hash,
        filters=filters,
        lower=lower,
        split=split,
        analyzer=analyzer,
    )


def _tfidf(count: int, index: int, tokenizer: Tokenizer, length: int) -> float:
    """Keras 2's tf-idf weight: (1 + log tf) * log(1 + N / (1 + df))."""
    document_frequency = tokenizer.index_docs.get(index, 0)
    return (1 + np.log(count)) * np.log(1 + tokenizer.document_count / (1 + document_frequency))


#: `mode` of `sequences_to_matrix` -> the value stored for a word seen `count` times
#: in a sequence of `length` indices.
_MATRIX_MODES: dict[str, Callable[[int, int, Tokenizer, int], float]] = {
    "binary": lambda count, index, tokenizer, length: 1.0,
    "count": lambda count, index, tokenizer, length: count,
    "freq": lambda count, index, tokenizer, length: count / length,
    "tfidf": _tfidf,
}


class Tokenizer:
    """Turn texts into sequences of word indices or into document-term matrices.

    Words are indexed by decreasing frequency over every text seen by
    `fit_on_texts`, starting at 1 (0 is reserved for padding); equally frequent
    words keep the order in which they were first seen. With `oov_token`, that
    token takes index 1 and stands for every unknown word.

    Args:
        num_words: if given, only words with an index below `num_words` (the
            `num_words - 1` most frequent) are used when converting texts; the
            vocabulary itself keeps every word.
        filters: characters removed from the texts.
        lower: whether to lowercase the texts.
        split: the separator between words.
        char_level: treat every character as a token.
        oov_token: a token that replaces out-of-vocabulary words.
        analyzer: a function that splits a text into words, replacing
            `text_to_word_sequence`.
        document_count: the number of documents already counted (used when
            restoring a tokenizer from JSON).
        nb_words: Keras 1's name for `num_words` (accepted with a warning).

    Example:

    >>> tokenizer = Tokenizer(oov_token="<unk>")
    >>> tokenizer.fit_on_texts(["a b b", "b c"])
    >>> tokenizer.texts_to_sequences(["b a z"])
    [[2, 3, 1]]
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Callable[[str], list[str]] | None = None,
        **kwargs: Any,
    ):
        # `num_words` goes through the table too, which then refuses `nb_words` beside it.
        if num_words is not None:
            kwargs["num_words"] = num_words
        kwargs = translate("Tokenizer", kwargs)
        num_words = kwargs.pop("num_words", None)
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(
                f"`Tokenizer` got unexpected keyword arguments: {sorted(kwargs)}. It accepts "
                "num_words, filters, lower, split, char_level, oov_token, analyzer and "
                "document_count."
            )
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        # word -> occurrences, in order of first appearance (that order breaks ties).
        self.word_counts: collections.OrderedDict[str, int] = collections.OrderedDict()
        # word -> number of documents containing it; index -> the same, by index.
        self.word_docs: collections.defaultdict[str, int] = collections.defaultdict(int)
        self.index_docs: collections.defaultdict[int, int] = collections.defaultdict(int)
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    def _tokens(self, text: str | list[str]) -> list[str] | str:
        """The tokens of one text: characters, the list itself, or its words."""
        if self.char_level or isinstance(text, list):
            # A list is taken as already tokenized: no filters, only lowercasing.
            if not self.lower:
                return text
            return [token.lower() for token in text] if isinstance(text, list) else text.lower()
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts: Iterable[str | list[str]]) -> None:
        """Count the words of `texts` and rebuild `word_index` from all counts so far.

        Args:
            texts: strings, or lists of tokens; a generator is fine.
        """
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1

        # `sorted` is stable, so equally frequent words stay in first-seen order.
        by_frequency = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + by_frequency
        # Assigned one by one so that an oov_token that also occurs in the texts ends
        # up, as in Keras 2, with its frequency rank rather than index 1.
        self.word_index = {}
        for index, word in enumerate(vocabulary, start=1):
            self.word_index[word] = index
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, documents in self.word_docs.items():
            self.index_docs[self.word_index[word]] = documents

    def fit_on_sequences(self, sequences: list[list[int]]) -> None:
        """Count documents and document frequencies from sequences of word indices.

        Needed before `sequences_to_matrix(..., mode="tfidf")` when the tokenizer was
        never fitted on texts.
        """
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts: Iterable[str | list[str]]) -> list[list[int]]:
        """Convert each text to the list of its word indices (see the generator)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[str | list[str]]) -> Iterator[list[int]]:
        """Yield, for each text, the indices of its words.

        Words that are unknown, or whose index is `num_words` or more, are dropped,
        or replaced by the `oov_token`'s index when there is one.
        """
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is None:
                    if self.oov_token is not None:
                        sequence.append(oov_index)
                elif self.num_words and index >= self.num_words:
                    # A known but rare word: the oov index when there is one.
                    if oov_index is not None:
                        sequence.append(oov_index)
                else:
                    sequence.append(index)
            yield sequence

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Convert each sequence of indices back to a space-separated text."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Iterable[int]]) -> Iterator[str]:
        """Yield, for each sequence of indices, its words joined by spaces.

        Indices that are unknown or `num_words` or more are dropped, or shown as the
        `oov_token` when there is one.
        """
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is None:
                    if self.oov_token is not None:
                        words.append(self.index_word[oov_index])
                elif self.num_words and index >= self.num_words:
                    if oov_index is not None:
                        words.append(self.index_word[oov_index])
                else:
                    words.append(word)
            yield " ".join(words)

    def texts_to_matrix(self, texts: list[str | list[str]], mode: str = "binary") -> np.ndarray:
        """A `(len(texts), num_words)` matrix: `texts_to_sequences` then `sequences_to_matrix`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: list[list[int]], mode: str = "binary") -> np.ndarray:
        """A float64 matrix with one row per sequence and one column per word index.

        Args:
            sequences: lists of word indices.
            mode: what a cell holds for a word occurring `c` times in a sequence of
                length `n`: `"binary"` 1, `"count"` c, `"freq"` c / n, or `"tfidf"`
                (1 + log c) * log(1 + documents / (1 + documents containing the word)).

        Returns:
            An array of shape `(len(sequences), num_words)`, where `num_words` is the
            constructor's value or else `len(word_index) + 1`. Indices of
            `num_words` or more are ignored.

        Raises:
            ValueError: for an unknown mode, or when the width or (for tfidf) the
                document count is unknown because nothing was fitted.
        """
        if mode not in _MATRIX_MODES:
            raise ValueError(
                f"`mode` must be one of {', '.join(map(repr, _MATRIX_MODES))}; received {mode!r}."
            )
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError(
                "`sequences_to_matrix` needs a width: pass `num_words` to the Tokenizer, "
                "or fit it on some texts first."
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError(
                "mode='tfidf' needs document frequencies: call `fit_on_texts` or "
                "`fit_on_sequences` first."
            )
        cell = _MATRIX_MODES[mode]
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            counts = collections.Counter(index for index in sequence if index < width)
            for index, count in counts.items():
                matrix[row, index] = cell(count, index, self, len(sequence))
        return matrix

    def get_config(self) -> dict[str, Any]:
        """The configuration and vocabulary, the dictionaries encoded as JSON strings.

        The format is Keras 2's, so either library can read what the other wrote.
        The `analyzer` function is not saved.
        """
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as a JSON string (keyword arguments go to `json.dumps`).

        Read it back with `tokenizer_from_json`.
        """
        return json.dumps(
            {"class_name": type(self).__name__, "config": self.get_config()}, **kwargs
        )


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a `Tokenizer` from `Tokenizer.to_json()` (refimpl's or Keras 2's).

    >>> restored = tokenizer_from_json(Tokenizer(num_words=5).to_json())
    >>> restored.num_words
    5
    """
    config = dict(json.loads(json_string)["config"])
    # JSON turned the integer keys of these two into strings.
    integer_keyed = {"index_docs", "index_word"}
    tables = {
        name: json.loads(config.pop(name))
        for name in ("word_counts", "word_docs", "index_docs", "index_word", "word_index")
    }
    for name in integer_keyed:
        tables[name] = {int(key): value for key, value in tables[name].items()}
    tokenizer = Tokenizer(**config)
    # Restored with their original types so that the tokenizer can be fitted further.
    tokenizer.word_counts = collections.OrderedDict(tables["word_counts"])
    tokenizer.word_docs = collections.defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = collections.defaultdict(int, tables["index_docs"])
    tokenizer.word_index = tables["word_index"]
    tokenizer.index_word = tables["index_word"]
    return tokenizer
