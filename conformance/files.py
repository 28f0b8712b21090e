"""Atomic file writes (`replace_atomically`, `write_text`); defined in the base both
packages stand on (`keras_docs_base.files`), re-exported here for those who reach them
through the suite."""

from keras_docs_base.files import replace_atomically, write_text

__all__ = ["replace_atomically", "write_text"]
