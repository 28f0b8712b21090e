"""`refimpl migrate`: rewrite Keras 2 code as Keras 3 code.

Built on LibCST, so comments and formatting stay as they were. Two sources of rules:

- **Arguments**, from `refimpl.legacy.TRANSLATIONS` itself, so that a translation added
  for refimpl is a migration too: Keras 1 and Keras 2 names renamed (`lr` ->
  `learning_rate`, `nb_epoch` -> `epochs`, `border_mode` -> `padding` with its value
  converted), combined (`nb_row, nb_col` -> `kernel_size=(...)`), split, Keras 2's
  changed defaults written out, and positional kernel sizes (`Conv2D(32, 3, 3)`).
- **APIs**, from `rules.API_RULES`: each entry a one-line rule (`fit_generator` ->
  `fit`, `SGD(lr, decay)` -> an `InverseTimeDecay` schedule, which is Keras 2's
  `lr / (1 + decay * iterations)` exactly, `K.int_shape(x)` -> `tuple(x.shape)`, ...).

Where Keras 3 has nothing with the same meaning (`Tokenizer`, `to_yaml`, TensorFlow 1
sessions, `get_output_at`), the code stays and a `# keras-migrate: ...` comment says
what to do by hand; such a file counts as flagged.

The package, one concept per module:

| module | what it holds |
|---|---|
| `rules` | the rule tables, as data, and `Flag` (what is left to do by hand) |
| `transform` | `Migration`, the LibCST transformer; `Knowledge` of a namespace's names |
| `python_source` | the front-end for Python: `migrate_code`, its `Result` |
| `markdown` | the front-end for Markdown pages: `migrate_markdown`, `add_keras3_tabs` |
| `notebook` | the front-end for Jupyter notebooks: `migrate_notebook`, `cell_diff` |
| `python_text` | whether a block is Python, and the whitespace that would make it so |
| `functions` | `Keras2Functions`: `to_yaml`, `K.function`, `reset_states` written for Keras 3 |
| `api_names` | `ApiNames`: the names Keras 3 moved, renamed or dropped, from `api` |
| `api` | the classification of Keras 2's whole API (`keras2_api.toml`) |
| `weights_files` | `WeightsFiles`: weights files renamed `.weights.h5` across a document |
| `cli` | the command line, `main(argv)`; `MIGRATORS`, a front-end per file suffix |

The pages' format (blocks, tabs, badge lines) is the site's: `keras_docs_base.page_format`.

Example:

>>> migrate_code("model.fit_generator(batches, workers=4)\\n").source
'model.fit(batches)\\n'
"""

from __future__ import annotations

from keras_docs_base.page_format import FENCE, KERAS3_MARKER
from refimpl.migrate.cli import MIGRATORS, files, main
from refimpl.migrate.markdown import add_keras3_tabs, migrate_markdown, strip_keras3_tabs
from refimpl.migrate.notebook import migrate_notebook
from refimpl.migrate.python_source import Result, Skipped, migrate_code
from refimpl.migrate.rules import (
    API_RULES,
    CLASS_NAMES,
    DECAYING_OPTIMIZERS,
    FLAG,
    FLAGGED_NAMES,
    METHODS,
    MODULES,
    NODE_API,
    WORKER_ARGUMENTS,
    ApiRule,
    Flag,
    rule_names,
)
from refimpl.migrate.transform import Knowledge, Migration

__all__ = [
    "API_RULES", "CLASS_NAMES", "DECAYING_OPTIMIZERS", "FENCE", "FLAG", "FLAGGED_NAMES",
    "KERAS3_MARKER", "METHODS", "MIGRATORS", "MODULES", "NODE_API", "WORKER_ARGUMENTS",
    "ApiRule", "Flag", "Knowledge", "Migration", "Result", "Skipped", "add_keras3_tabs", "files",
    "main", "migrate_code", "migrate_markdown", "migrate_notebook", "rule_names",
    "strip_keras3_tabs",
]  # fmt: skip
