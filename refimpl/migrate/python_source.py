"""`refimpl migrate`'s front-end for a Python source: a whole file, or one block of a
page or a notebook.

The code is first made Python if only its whitespace keeps it from being so
(`python_text.prepare`: non-breaking spaces, tab indentation, CR line endings; each
change is a note); a block that is not Python at all (a BibTeX entry, a `>>>` session,
a program's output) is left as it is and reported in `skipped`, with the reason. Then
the passes rewrite it: `transform.Migration` (the rules of `rules.py` and the argument
translations of `refimpl.legacy`), `api_names.ApiNames` (the names of Keras 2's API
that Keras 3 moved, renamed or dropped, from `keras2_api.toml`) and
`weights_files.WeightsFiles` (weights files renamed for Keras 3).

Example:

>>> result = migrate_code("from keras.optimizers import SGD\\nsgd = SGD(lr=0.1, decay=1e-6)\\n")
>>> print(result.source)
from keras.optimizers import SGD
import keras
sgd = SGD(learning_rate=keras.optimizers.schedules.InverseTimeDecay(0.1, 1, 1e-6))
<BLANKLINE>
>>> migrate_code("@book{keras,\\n  title={Keras}}\\n").skipped
(Skipped(line=1, reason='a BibTeX entry, not a program'),)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from refimpl.migrate.api_names import ApiNames
from refimpl.migrate.functions import Keras2Functions
from refimpl.migrate.python_text import prepare
from refimpl.migrate.rules import Flag
from refimpl.migrate.transform import Knowledge, Migration
from refimpl.migrate.weights_files import WeightsFiles, weights_files


@dataclass(frozen=True)
class Skipped:
    """A block left as it was: where it starts (1-based line) and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class Result:
    """A migrated source and what was flagged in it (each front-end's answer); `notes`
    says what was changed that a reader might not expect (whitespace made Python's, a
    file renamed), `skipped` what was left alone."""

    source: str
    flags: tuple[Flag, ...]
    notes: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()


#: The imports a rewrite may need: the module -> the pattern of its use.
IMPORTS = {
    "keras": re.compile(r"\bkeras\.\w"),
    "json": re.compile(r"\bjson\.(dumps|loads)\b"),
    "yaml": re.compile(r"\byaml\.safe_(load|dump)\b"),
}


def migrate_code(code: str, known: Knowledge | None = None) -> Result:
    """Keras 2 Python code -> Keras 3 code, and the flags left in it. `known` carries what
    earlier code of the same namespace said (the blocks of one page); a block that is not
    Python comes back unchanged, with the reason in `skipped`.

    >>> migrate_code("SGD(lr=0.1)\\n").source
    'SGD(learning_rate=0.1)\\n'
    """
    known = known if known is not None else Knowledge()
    prepared = prepare(code)
    if prepared.code is None:
        return Result(code, (), skipped=(Skipped(prepared.line, prepared.reason),))
    try:
        module = cst.parse_module(prepared.code)
        if not known.weights_files_seen:
            known.weights_files.update(weights_files(module))
        passes = (Keras2Functions(known), Migration(known), ApiNames(known), WeightsFiles(known))
        for rewrite in passes:
            module = module.visit(rewrite)
    except Exception as error:  # noqa: BLE001 - a block the tool cannot handle is reported
        # and left as it is: one odd block must not stop the run over a whole document
        # (tests/test_migrate_robustness.py throws random documents at it).
        first = (str(error).splitlines() or [""])[0]
        reason = f"the tool could not rewrite it ({type(error).__name__}: {first})"
        if isinstance(error, cst.ParserSyntaxError):
            reason = f"LibCST cannot read it: {first}"
        return Result(code, (), skipped=(Skipped(1, reason),))
    source = module.code
    written, original = _code_only(source), _code_only(prepared.code)
    for name, use in IMPORTS.items():
        if use.search(written) and not use.search(original) and name not in known.imported:
            # only for what a rewrite wrote: the original's own uses are its business
            source = _add_import(source, name)
    # `import keras` and `import keras.backend` bind `keras`; `import keras.backend as K` not
    known.imported.update(re.findall(r"^import (\w+)(?:\.\w+)*[ \t]*$", source, re.M))
    flags = tuple(dict.fromkeys(flag for rewrite in passes for flag in rewrite.flags))
    notes = prepared.notes + tuple(dict.fromkeys(n for p in passes for n in p.notes))
    return Result(source, flags, notes)


def _code_only(code: str) -> str:
    """The code without its comment lines (a flag's words name Keras 3's modules) and
    its import lines (which use no module, and may bind another name)."""
    return re.sub(r"^[ \t]*(#|from |import ).*$", "", code, flags=re.M)


def _add_import(code: str, name: str) -> str:
    """`import <name>` after the last top-level import (the names added need it)."""
    if re.search(rf"^import {name}$", code, re.M):
        return code
    lines = code.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if re.match(r"(import|from) \S", line)),
               default=-1)  # fmt: skip
    return "".join([*lines[: last + 1], f"import {name}\n", *lines[last + 1 :]])
