"""`refimpl migrate`'s front-end for a Python source: a whole file, or one block of a
page.

Example:

>>> result = migrate_code("from keras.optimizers import SGD\\nsgd = SGD(lr=0.1, decay=1e-6)\\n")
>>> print(result.source)
from keras.optimizers import SGD
import keras
sgd = SGD(learning_rate=keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 1e-6))
<BLANKLINE>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from refimpl.migrate.rules import Flag
from refimpl.migrate.transform import Knowledge, Migration


@dataclass(frozen=True)
class Result:
    """A migrated source and what was flagged in it (each front-end's answer)."""

    source: str
    flags: tuple[Flag, ...]


def migrate_code(code: str, known: Knowledge | None = None) -> Result:
    """Keras 2 Python code -> Keras 3 code, and the flags left in it. `known` carries what
    earlier code of the same namespace said (the blocks of one page).

    >>> migrate_code("SGD(lr=0.1)\\n").source  # doctest: +SKIP
    'SGD(learning_rate=0.1)\\n'
    """
    migration = Migration(known or Knowledge())
    module = cst.parse_module(code).visit(migration)
    source = module.code
    if re.search(r"\bkeras\.(optimizers\.schedules|Input)\b", source) and not re.search(
        r"^import keras$", source, re.M
    ):
        source = _add_import(source)
    return Result(source, tuple(dict.fromkeys(migration.flags)))


def _add_import(code: str) -> str:
    """`import keras` after the last top-level import (the names added need it)."""
    lines = code.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if re.match(r"(import|from) \S", line)),
               default=-1)  # fmt: skip
    return "".join([*lines[: last + 1], "import keras\n", *lines[last + 1 :]])
