"""`KerasAlias`, which makes `import keras` mean the implementation under test; defined
in the base both packages stand on (`keras_docs_base.alias`), re-exported here for
those who reach it through the suite."""

from keras_docs_base.alias import KERAS3_PRIVATE, KerasAlias

__all__ = ["KERAS3_PRIVATE", "KerasAlias"]
