"""The words of the generated pages (`LANGUAGES`, `table`, `words`); defined in the base
both packages stand on (`keras_docs_base.strings`, with its `<lang>.toml` files),
re-exported here for those who reach them through the suite."""

from keras_docs_base.strings import LANGUAGES, table, words

__all__ = ["LANGUAGES", "table", "words"]
