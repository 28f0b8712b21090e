"""Weights files, renamed for Keras 3: `save_weights` (and a `ModelCheckpoint` that
saves weights only) writes only to a file whose name ends in `.weights.h5`, where
Keras 2 took any HDF5 name (`my_model_weights.h5`).

The whole document is read first (`weights_files`): every file name that Keras 2 code
saves weights to, given as a string or as a name bound to one. Then `WeightsFiles`
renames that string wherever the document has it (the `load_weights` that reads the
file back, an `os.path.exists`, a later block), so the code still reads the file it
wrote; each renaming is a note. A file that is only read (weights shipped with a
guide) keeps its name: Keras 3 still loads Keras 2's HDF5 weights.

Example:

>>> import libcst as cst
>>> code = "path = 'w.h5'\\nmodel.save_weights(path)\\nm.load_weights('w.h5')\\n"
>>> weights_files(cst.parse_module(code))
{'w.h5': 'w.weights.h5'}
"""

from __future__ import annotations

import re

import libcst as cst

from refimpl.migrate.python_text import prepare
from refimpl.migrate.transform import Knowledge, Pass

#: A weights file name Keras 3 refuses to save to, and the part to replace.
_HDF5 = re.compile(r"(?<!\.weights)\.(h5|hdf5)$")
#: Calls that save weights: the method or class -> the argument naming the file.
SAVERS = {"save_weights": "filepath", "ModelCheckpoint": "filepath"}
#: Arguments Keras 3 does not take beside the weights file's name (it goes by the name).
DROPPED = {"save_weights": ("save_format",), "load_weights": ()}


def keras3_name(name: str) -> str:
    """`my_weights.h5` -> `my_weights.weights.h5`."""
    return _HDF5.sub(".weights.h5", name)


def weights_files(module: cst.Module) -> dict[str, str]:
    """The weights file names Keras 2 code in `module` (a whole document's code: see
    `document_weights_files`) saves to -> their Keras 3 names."""
    strings: dict[str, str] = {}
    saved: list[cst.BaseExpression] = []

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            if isinstance(node.value, cst.SimpleString):
                for target in node.targets:
                    if isinstance(target.target, cst.Name):
                        strings[target.target.value] = node.value.evaluated_value

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            name = (
                func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
            )
            if name not in SAVERS:
                return
            if name == "ModelCheckpoint" and not _weights_only(node):
                return
            keyword = next((a for a in node.args if a.keyword and a.keyword.value == SAVERS[name]),
                           None)  # fmt: skip
            positional = [a for a in node.args if a.keyword is None]
            if keyword or positional:
                saved.append((keyword or positional[0]).value)

    module.visit(Finder())
    found = {}
    for value in saved:
        if isinstance(value, cst.SimpleString):
            name = value.evaluated_value
        elif isinstance(value, cst.Name):
            name = strings.get(value.value)
        else:
            name = None
        if isinstance(name, str) and _HDF5.search(name):
            found[name] = keras3_name(name)
    return found


def document_weights_files(blocks: list[str], known: Knowledge) -> None:
    """Find the weights files of a whole document (its blocks or cells, in order) before
    any of it is migrated, so a block that reads a file saved later is renamed too."""
    codes = []
    for block in blocks:
        prepared = prepare(block).code
        if prepared is not None:
            codes.append(prepared if prepared.endswith("\n") else prepared + "\n")
    try:
        known.weights_files.update(weights_files(cst.parse_module("".join(codes))))
    except Exception:  # noqa: BLE001 - then each block is searched on its own
        return
    known.weights_files_seen = True


def _weights_only(call: cst.Call) -> bool:
    return any(
        a.keyword and a.keyword.value == "save_weights_only"
        and isinstance(a.value, cst.Name) and a.value.value == "True"
        for a in call.args
    )  # fmt: skip


class WeightsFiles(Pass):
    """Renames every string naming a weights file that the document saves (see the
    module), and drops `save_format` where Keras 3 goes by the name."""

    def leave_SimpleString(self, original, updated):
        value = updated.evaluated_value
        renamed = self.known.weights_files.get(value) if isinstance(value, str) else None
        if renamed is None:
            return updated
        self.notes.append(
            f"weights file {value!r} renamed {renamed!r} everywhere the document names it "
            "(Keras 3 saves weights only to a .weights.h5 file)"
        )
        quote = updated.quote
        prefix = updated.value[: updated.value.index(quote)]
        return updated.with_changes(value=f"{prefix}{quote}{renamed}{quote}")

    def leave_Call(self, original, updated):
        func = updated.func
        name = func.attr.value if isinstance(func, cst.Attribute) else None
        if name not in DROPPED or not self.known.weights_files:
            return updated
        kept = [a for a in updated.args if not (a.keyword and a.keyword.value in DROPPED[name])]
        if len(kept) == len(updated.args):
            return updated
        return updated.with_changes(
            args=[*kept[:-1], kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        )
