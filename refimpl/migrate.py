"""`python -m refimpl migrate PATH...`: rewrite Keras 2 code as Keras 3 code.

Built on LibCST, so comments and formatting stay as they were. Two sources of rules:

- **Arguments**, from `refimpl.legacy.TRANSLATIONS` itself, so that a translation added
  for refimpl is a migration too: Keras 1 and Keras 2 names renamed (`lr` ->
  `learning_rate`, `nb_epoch` -> `epochs`, `border_mode` -> `padding` with its value
  converted), combined (`nb_row, nb_col` -> `kernel_size=(...)`), split, Keras 2's
  changed defaults written out, and positional kernel sizes (`Conv2D(32, 3, 3)`).
- **APIs**, from `API_RULES` below: each entry a one-line rule (`fit_generator` ->
  `fit`, `SGD(lr, decay)` -> an `InverseTimeDecay` schedule, which is Keras 2's
  `lr / (1 + decay * iterations)` exactly, `K.int_shape(x)` -> `tuple(x.shape)`, ...).

Where Keras 3 has nothing with the same meaning (`Tokenizer`, `to_yaml`, TensorFlow 1
sessions, `get_output_at`), the code stays and a `# keras-migrate: ...` comment says
what to do by hand; such a file counts as flagged.

    python -m refimpl migrate model.py guide.md          # print a unified diff
    python -m refimpl migrate --check src/               # exit 1 if anything would change
    python -m refimpl migrate --write src/               # edit in place

Markdown files: the fenced Python blocks are migrated, the prose is left alone.
Exit status: 0 nothing to change, 1 changes (`--check`, or flags left), 2 bad usage.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from refimpl import legacy

FLAG = "# keras-migrate:"

#: Keras 1 and Keras 2 class names -> Keras 3's (refimpl.layers.ALIASES, without
#: importing refimpl's layers and with them TensorFlow).
CLASS_NAMES = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Deconvolution2D": "Conv2DTranspose", "Deconv2D": "Conv2DTranspose",
    "Deconvolution3D": "Conv3DTranspose", "Deconv3D": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
}  # fmt: skip

#: Keras 2 module paths -> Keras 3's.
MODULES = {
    "keras.utils.np_utils": "keras.utils",
    "keras.utils.generic_utils": "keras.utils",
    "keras.utils.data_utils": "keras.utils",
    "keras.utils.vis_utils": "keras.utils",
    "keras.preprocessing.sequence": "keras.utils",
    **{
        f"keras.layers.{name}": "keras.layers"
        for name in (
            "core", "convolutional", "recurrent", "embeddings", "normalization", "pooling",
            "merge", "wrappers", "noise", "advanced_activations", "local",
            "convolutional_recurrent",
        )
    },
}  # fmt: skip

#: Keras 2 method names -> Keras 3's, with the legacy table entry for their arguments.
METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
#: Arguments of the generator methods that Keras 3's `fit` has moved to `PyDataset`.
WORKER_ARGUMENTS = ("workers", "use_multiprocessing", "max_queue_size")

#: Optimizers whose Keras 2 `decay` was the time-based learning-rate decay (Nadam's
#: `decay` was its momentum schedule).
DECAYING_OPTIMIZERS = ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax")

#: What Keras 3 cannot do with the same meaning: a name used in the code -> what to do.
FLAGGED: dict[str, str] = {
    "Tokenizer": "Keras 3 has no Tokenizer; use keras.layers.TextVectorization "
    "(its vocabulary and indices differ) or keep Keras 2's Tokenizer code",
    "to_yaml": "Keras 3 cannot write YAML; use model.to_json()",
    "model_from_yaml": "Keras 3 cannot read YAML; use keras.models.model_from_json",
    "get_session": "TensorFlow 1 sessions do not exist in Keras 3; remove the session code",
    "set_session": "TensorFlow 1 sessions do not exist in Keras 3; remove the session code",
    "learning_phase": "Keras 3 has no global learning phase; pass training=True/False "
    "to the model or layer call",
    "get_output_at": "Keras 3 layers have no node API; keep the tensor each call of a "
    "shared layer returns",
    "get_input_at": "Keras 3 layers have no node API; keep the tensor given to each call",
    "get_output_shape_at": "Keras 3 layers have no node API; use the shape of the tensor "
    "each call returns",
    "get_input_shape_at": "Keras 3 layers have no node API; use the shape of the tensor "
    "given to each call",
    "hard_sigmoid": "Keras 3's hard_sigmoid has slope 1/6, Keras 2's 0.2; for Keras 2's "
    "numbers use lambda x: keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)",
}


@dataclass(frozen=True)
class ApiRule:
    """One API-level rewrite: its one-line rule, as the report and the docs show it."""

    name: str
    rule: str


#: The API-level rewrites (the argument-level ones come from `legacy.TRANSLATIONS`).
API_RULES = (
    ApiRule("generator-methods", "`fit_generator`/`evaluate_generator`/`predict_generator` "
            "-> `fit`/`evaluate`/`predict`; `workers`, `use_multiprocessing`, "
            "`max_queue_size` dropped (Keras 3 reads them from a `PyDataset`)"),
    ApiRule("optimizer-decay", "`SGD(lr=a, decay=d)` (any optimizer) -> `learning_rate="
            "keras.optimizers.schedules.InverseTimeDecay(a, 1, d)`: Keras 2's "
            "`lr / (1 + decay * iterations)`"),
    ApiRule("int-shape", "`K.int_shape(x)` -> `tuple(x.shape)`"),
    ApiRule("layer-shapes", "`model.layers[i].output_shape` (`input_shape`, and on "
            "`get_layer(...)`) -> `tuple(model.layers[i].output.shape)`; elsewhere flagged, "
            "as Keras 3 models keep the attribute and layers do not"),
    ApiRule("batch-input-shape", "`batch_input_shape=(b, ...)` -> `input_shape=(...)` "
            "(flagged on a stateful layer, which needs `keras.Input(batch_shape=...)`)"),
    ApiRule("class-names", "Keras 1 class names (`Convolution2D`, `MaxPool2D`, ...) -> "
            "Keras 3's"),
    ApiRule("module-paths", "Keras 2 module paths (`keras.utils.np_utils`, "
            "`keras.layers.convolutional`, ...) -> Keras 3's"),
    ApiRule("positional-kernel-size", "`Conv2D(32, 3, 3)` -> `Conv2D(32, (3, 3))`"),
)  # fmt: skip


# -- the transformer -------------------------------------------------------------------


def _callee(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _literal(node: cst.BaseExpression) -> tuple[bool, object]:
    """(True, value) when `node` is a Python literal."""
    try:
        return True, ast.literal_eval(cst.Module([]).code_for_node(node))
    except (ValueError, SyntaxError):
        return False, None


def _expression(value: object) -> cst.BaseExpression:
    return cst.parse_expression(repr(value))


def _keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def _is_layer(node: cst.BaseExpression) -> bool:
    """Whether `node` is surely a layer: `<...>.layers[i]` or `<...>.get_layer(...)`."""
    if isinstance(node, cst.Subscript):
        return isinstance(node.value, cst.Attribute) and node.value.attr.value == "layers"
    return isinstance(node, cst.Call) and _callee(node.func) == "get_layer"


def _dotted(node: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(node)


@dataclass
class Migration(cst.CSTTransformer):
    """Rewrites one module; `flags` collects what it could not do."""

    flags: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._pending: list[str] = []

    # Flags become comments on the statement that holds them.
    def leave_SimpleStatementLine(self, original, updated):
        if not self._pending:
            return updated
        notes, self._pending = self._pending, []
        comments = [
            cst.EmptyLine(comment=cst.Comment(f"{FLAG} {note}"))
            for note in dict.fromkeys(notes)
            if not any(
                f"{FLAG} {note}" in (line.comment.value if line.comment else "")
                for line in updated.leading_lines
            )  # fmt: skip
        ]
        return updated.with_changes(leading_lines=[*updated.leading_lines, *comments])

    def _flag(self, note: str) -> None:
        self._pending.append(note)
        self.flags.append(note)

    def leave_Name(self, original, updated):
        if updated.value in FLAGGED:
            self._flag(FLAGGED[updated.value])
        if updated.value in CLASS_NAMES:
            return updated.with_changes(value=CLASS_NAMES[updated.value])
        return updated

    def leave_SimpleString(self, original, updated):
        if updated.evaluated_value == "hard_sigmoid":
            self._flag(FLAGGED["hard_sigmoid"])
        return updated

    def leave_Attribute(self, original, updated):
        name = updated.attr.value
        if name in FLAGGED:
            self._flag(FLAGGED[name])
        if name in METHODS:
            return updated.with_changes(attr=cst.Name(METHODS[name]))
        if name in ("input_shape", "output_shape"):
            tensor = name.split("_")[0]
            if not _is_layer(updated.value):
                self._flag(
                    f"if this is a layer (not a model), write tuple(<layer>.{tensor}.shape): "
                    f"Keras 3 layers have no {name}"
                )
                return updated
            shape = cst.Attribute(
                value=cst.Attribute(value=updated.value, attr=cst.Name(tensor)),
                attr=cst.Name("shape"),
            )
            return cst.Call(func=cst.Name("tuple"), args=[cst.Arg(shape)])
        dotted = _dotted(updated)
        if dotted in MODULES:
            return cst.parse_expression(MODULES[dotted])
        return updated

    def leave_ImportFrom(self, original, updated):
        if updated.module is not None:
            dotted = _dotted(updated.module)
            if dotted in MODULES:
                return updated.with_changes(module=cst.parse_expression(MODULES[dotted]))
            if dotted == "keras.preprocessing.text":
                self._flag(FLAGGED["Tokenizer"])
        return updated

    def leave_Call(self, original, updated):
        name = _callee(original.func)
        if name == "int_shape" and len(updated.args) == 1:
            shape = cst.Attribute(value=updated.args[0].value, attr=cst.Name("shape"))
            return cst.Call(func=cst.Name("tuple"), args=[cst.Arg(shape)])
        owner = METHODS.get(name, name)
        owner = name if name in METHODS else CLASS_NAMES.get(owner, owner)
        args = list(updated.args)
        args = self._positional_kernel_size(owner, args)
        args = self._arguments(owner, args)
        if name in METHODS:
            args = [a for a in args if not (a.keyword and a.keyword.value in WORKER_ARGUMENTS)]
        if owner in DECAYING_OPTIMIZERS:
            args = self._decay(args)
        args = self._batch_input_shape(args)
        if args == list(updated.args):
            return updated
        trailing = updated.args[-1].comma if updated.args else cst.MaybeSentinel.DEFAULT
        return updated.with_changes(args=_commas(args, trailing))

    def _positional_kernel_size(self, owner: str, args: list[cst.Arg]) -> list[cst.Arg]:
        rank = legacy.POSITIONAL_KERNEL_SIZE.get(owner)
        positional = [a for a in args if a.keyword is None and not a.star]
        if rank is None or len(positional) < 1 + rank:
            return args
        sizes = positional[1 : 1 + rank]
        if not all(isinstance(a.value, cst.Integer) for a in sizes):
            return args
        kernel = cst.Tuple([cst.Element(a.value) for a in sizes])
        index = args.index(sizes[0])
        return [*args[:index], cst.Arg(kernel), *args[index + rank :]]

    def _arguments(self, owner: str, args: list[cst.Arg]) -> list[cst.Arg]:
        by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        positional = sum(1 for a in args if a.keyword is None)
        for entry in legacy.TRANSLATIONS.get(owner, ()):
            args = self._apply(owner, entry, args, by_name, positional)
            by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        return args

    def _apply(self, owner, entry, args, by_name, positional):
        if isinstance(entry, legacy.Renamed) and entry.old in by_name:
            if entry.new == "schedule_decay":
                self._flag(f"Keras 3's {owner} has no Keras 2 `decay` (momentum schedule)")
                return args
            value = by_name[entry.old].value
            if entry.convert is not None:
                ok, literal = _literal(value)
                if not ok:
                    self._flag(f"`{entry.old}` of {owner}: write `{entry.new}` by hand")
                    return args
                value = _expression(entry.convert(literal))
            renamed = by_name[entry.old].with_changes(keyword=cst.Name(entry.new), value=value)
            return [renamed if a is by_name[entry.old] else a for a in args]
        if isinstance(entry, legacy.Combined) and all(n in by_name for n in entry.olds):
            tuple_ = cst.Tuple([cst.Element(by_name[n].value) for n in entry.olds])
            first = by_name[entry.olds[0]]
            kept = [a for a in args if a is first or a.keyword is None
                    or a.keyword.value not in entry.olds]  # fmt: skip
            return [_keyword(entry.new, tuple_) if a is first else a for a in kept]
        if isinstance(entry, legacy.Split) and entry.old in by_name:
            value = by_name[entry.old].value
            index = args.index(by_name[entry.old])
            return [*args[:index], *(_keyword(n, value) for n in entry.news), *args[index + 1 :]]
        if isinstance(entry, legacy.Unsupported) and entry.name in by_name:
            ok, literal = _literal(by_name[entry.name].value)
            if ok and any(literal is v or literal == v for v in entry.accepts):
                return [a for a in args if a is not by_name[entry.name]]
            self._flag(f"{owner}(`{entry.name}`): {entry.instead}")
            return args
        if isinstance(entry, legacy.Default):
            given = entry.name in by_name or (
                entry.position is not None and positional > entry.position
            )
            if not given and not callable(entry.value):
                if entry.value == "hard_sigmoid":
                    self._flag(FLAGGED["hard_sigmoid"])
                return [*args, _keyword(entry.name, _expression(entry.value))]
        return args

    def _decay(self, args: list[cst.Arg]) -> list[cst.Arg]:
        by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        decay = by_name.get("decay")
        if decay is None:
            return args
        ok, literal = _literal(decay.value)
        kept = [a for a in args if a is not decay]
        if ok and literal == 0:
            return kept
        rate = by_name.get("learning_rate")
        positional = [a for a in args if a.keyword is None]
        if rate is None and positional:
            rate = positional[0]
        initial = rate.value if rate is not None else cst.Float("0.01")
        schedule = cst.parse_expression(
            "keras.optimizers.schedules.InverseTimeDecay(LR, 1, DECAY)"
        ).with_changes(args=_commas([cst.Arg(initial), cst.Arg(cst.Integer("1")),
                                     cst.Arg(decay.value)]))  # fmt: skip
        if rate is None:
            return [_keyword("learning_rate", schedule), *kept]
        return [_keyword("learning_rate", schedule) if a is rate else a for a in kept]

    def _batch_input_shape(self, args: list[cst.Arg]) -> list[cst.Arg]:
        by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        given = by_name.get("batch_input_shape")
        if given is None:
            return args
        stateful = by_name.get("stateful")
        if stateful is not None and _literal(stateful.value) != (True, False):
            self._flag("a stateful layer needs a fixed batch size: start the model with "
                       "keras.Input(batch_shape=...) instead of batch_input_shape")  # fmt: skip
            return args
        if not isinstance(given.value, cst.Tuple) or not given.value.elements:
            self._flag("batch_input_shape: write input_shape=(...) without the batch size")
            return args
        shape = cst.Tuple([cst.Element(e.value) for e in given.value.elements[1:]])
        # Without `stateful`, the batch size only constrained the data: Keras 3 drops it.
        return [a.with_changes(keyword=cst.Name("input_shape"), value=shape) if a is given
                else a for a in args]  # fmt: skip


def _commas(args: Sequence[cst.Arg], trailing: object = cst.MaybeSentinel.DEFAULT) -> list[cst.Arg]:
    """Arguments separated by commas: those they had, else ", "; the last one gets
    `trailing` (the comma the call's last argument had, if any)."""
    out = []
    for index, arg in enumerate(args):
        if index == len(args) - 1:
            out.append(arg.with_changes(comma=trailing))
        elif isinstance(arg.comma, cst.Comma):
            out.append(arg)
        else:
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            out.append(arg.with_changes(comma=comma))
    return out


# -- files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """A migrated source and what was flagged in it."""

    source: str
    flags: tuple[str, ...]


def migrate_code(code: str) -> Result:
    """Keras 2 Python code -> Keras 3 code, and the flags left in it.

    >>> migrate_code("SGD(lr=0.1)\\n").source  # doctest: +SKIP
    'SGD(learning_rate=0.1)\\n'
    """
    migration = Migration()
    module = cst.parse_module(code).visit(migration)
    source = module.code
    if "keras.optimizers.schedules" in source and "import keras\n" not in source:
        source = _add_import(source)
    return Result(source, tuple(dict.fromkeys(migration.flags)))


def _add_import(code: str) -> str:
    """`import keras` after the last top-level import (the schedule needs the name)."""
    lines = code.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if re.match(r"(import|from) \S", line)),
               default=-1)  # fmt: skip
    return "".join([*lines[: last + 1], "import keras\n", *lines[last + 1 :]])


FENCE = re.compile(r"(^```python[^\n]*\n)(.*?)(^```)", re.S | re.M)


def migrate_markdown(text: str) -> Result:
    """Every fenced Python block of a Markdown text migrated; the prose unchanged."""
    flags: list[str] = []

    def block(match: re.Match[str]) -> str:
        try:
            result = migrate_code(match.group(2))
        except cst.ParserSyntaxError:
            return match.group(0)  # not Python 3 (a broken original): left as it is
        flags.extend(result.flags)
        return match.group(1) + result.source + match.group(3)

    return Result(FENCE.sub(block, text), tuple(dict.fromkeys(flags)))


MIGRATORS: dict[str, Callable[[str], Result]] = {".py": migrate_code, ".md": migrate_markdown}


def files(paths: Iterable[str]) -> list[Path]:
    """The Python and Markdown files at or under `paths`."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in MIGRATORS)
        elif path.suffix in MIGRATORS and path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(
                f"{name!r}: expected a .py or .md file or a directory, received "
                f"{'a missing path' if not path.exists() else 'a ' + path.suffix + ' file'}"
            )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m refimpl migrate", description="Rewrite Keras 2 code for Keras 3."
    )
    parser.add_argument("paths", nargs="+", help=".py and .md files, or directories")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff (default)")
    mode.add_argument("--check", action="store_true", help="exit 1 if anything would change")
    mode.add_argument("--write", action="store_true", help="edit the files in place")
    options = parser.parse_args(argv)
    try:
        targets = files(options.paths)
    except FileNotFoundError as error:
        parser.exit(2, f"migrate: error: {error}\n")
    changed = flagged = 0
    for path in targets:
        before = path.read_text(encoding="utf-8")
        result = MIGRATORS[path.suffix](before)
        flagged += bool(result.flags)
        for note in result.flags:
            print(f"{path}: {FLAG} {note}", file=sys.stderr)
        if result.source == before:
            continue
        changed += 1
        if options.write:
            from conformance.files import write_text

            write_text(path, result.source)
        elif not options.check:
            sys.stdout.writelines(difflib.unified_diff(
                before.splitlines(keepends=True), result.source.splitlines(keepends=True),
                f"a/{path}", f"b/{path}",
            ))  # fmt: skip
    verb = "migrated" if options.write else "would change"
    print(f"{changed} of {len(targets)} file(s) {verb}, {flagged} with flags", file=sys.stderr)
    return 1 if (changed and not options.write) or flagged else 0
