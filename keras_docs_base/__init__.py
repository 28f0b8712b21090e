"""The base that `refimpl` and `conformance` both stand on, free of TensorFlow.

What the reference implementation and the suite that tests it both need, so that
neither imports the other for it:

| module | what it holds |
|---|---|
| `alias` | `KerasAlias`: `import keras` made to mean another package |
| `files` | `replace_atomically`, `write_text`: a user's file replaced whole or not at all |
| `strings` | the words of every generated page, one file per language |
| `page_format` | the site's pages: runnable blocks, `expect-failure`, Keras 3 tabs, badges |

It imports only the standard library (and `tomli` on Python 3.10).

Example:

>>> from keras_docs_base import page_format, strings
>>> page_format.KERAS3_MARKER
'<!-- keras3-migrated -->'
>>> strings.LANGUAGES
('en', 'zh', 'zh-TW', 'ja')
"""
