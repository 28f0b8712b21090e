"""The words of the generated pages (keras_docs_base/strings/<lang>.toml): every language
has every key of English, with the same `{placeholders}`."""

from __future__ import annotations

import string

import pytest

from keras_docs_base import strings


def _leaves(table: dict, prefix: str = "") -> dict[str, str]:
    leaves = {}
    for key, value in table.items():
        if isinstance(value, dict):
            leaves.update(_leaves(value, f"{prefix}{key}."))
        else:
            leaves[prefix + key] = value
    return leaves


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", strings.LANGUAGES[1:])
def test_a_language_has_every_key_of_english_with_the_same_placeholders(language):
    english, other = _leaves(strings.table("en")), _leaves(strings.table(language))
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        assert _fields(other[key]) == _fields(text), key


def test_an_unknown_language_is_an_error():
    with pytest.raises(ValueError, match=r"expected one of .*received 'fr'"):
        strings.table("fr")
