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

from keras_docs_base import strings
from keras_docs_base.files import write_text
from keras_docs_base.page_format import BADGE_LINE, EXPECT_FAILURE, KERAS3_MARKER
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

#: Names whose every use is flagged -> the kind of flag.
FLAGGED_NAMES = {
    "Tokenizer": "tokenizer",
    "to_yaml": "yaml-write",
    "model_from_yaml": "yaml-read",
    "get_session": "session",
    "set_session": "session",
    "learning_phase": "learning-phase",
}

#: The node API: Keras 2 method -> (the Keras 3 attribute for node 0, whether its shape).
NODE_API = {
    "get_output_at": ("output", False),
    "get_input_at": ("input", False),
    "get_output_shape_at": ("output", True),
    "get_input_shape_at": ("input", True),
}


@dataclass(frozen=True)
class Flag:
    """Something the tool left for a person: its kind (a key of `[migrate.flags]` in
    keras_docs_base/strings/<lang>.toml, whose text the code gets as a comment in English and
    a Keras 3 tab in its page's language) and the names its text mentions."""

    kind: str
    values: tuple[tuple[str, str], ...] = ()

    def text(self, language: str = "en") -> str:
        return strings.words(language, "migrate")["flags"][self.kind].format(**dict(self.values))

    def __str__(self) -> str:
        return self.text()


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
    ApiRule("layer-shapes", "`layer.output_shape` / `input_shape` on a layer (a name "
            "bound to a `keras.layers` class, `model.layers[i]`, `model.get_layer(...)`) -> "
            "`tuple(layer.output.shape)`; elsewhere flagged, as Keras 3 models keep the "
            "attribute and layers do not"),
    ApiRule("node-api", "`layer.get_output_at(0)` (`get_input_at`, `get_output_shape_at`, "
            "`get_input_shape_at`) -> `layer.output` (`input`, their shapes): Keras 3 keeps "
            "node 0 only; other nodes flagged"),
    ApiRule("batch-input-shape", "`batch_input_shape=(b, ...)` -> `input_shape=(...)`; on a "
            "stateful layer added to a `Sequential`, `keras.Input(batch_shape=(b, ...))` "
            "before it"),
    ApiRule("loss-per-output", "one `loss` with a list or dict of `loss_weights` -> one loss "
            "per output (Keras 2 used the one loss for every output)"),
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


def _dotted(node: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(node)


def _shape_of(value: cst.BaseExpression, tensor: str) -> cst.Call:
    """`tuple(<value>.<tensor>.shape)`."""
    shape = cst.Attribute(
        value=cst.Attribute(value=value, attr=cst.Name(tensor)), attr=cst.Name("shape")
    )
    return cst.Call(func=cst.Name("tuple"), args=[cst.Arg(shape)])


def _argument(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def _stateful_batch_shape(node: cst.BaseExpression) -> cst.Arg | None:
    """The `batch_input_shape` argument of a call that also says `stateful=True`."""
    if not isinstance(node, cst.Call):
        return None
    given, stateful = _argument(node, "batch_input_shape"), _argument(node, "stateful")
    if given is None or stateful is None or _literal(stateful.value) == (True, False):
        return None
    return given


def _batch_input(shape: cst.BaseExpression) -> cst.Call:
    """`keras.Input(batch_shape=<shape>)`."""
    return cst.Call(
        func=cst.parse_expression("keras.Input"), args=[_keyword("batch_shape", shape)]
    )


def _without(call: cst.Call, arg: cst.Arg) -> cst.Call:
    kept = [a for a in call.args if a is not arg]
    return call.with_changes(args=_commas(kept, call.args[-1].comma))


@dataclass
class Knowledge:
    """What the code read so far says about its names; shared by the blocks of one page,
    which run in one namespace."""

    layer_classes: set[str] = field(default_factory=set)  # imported from keras.layers
    layers: set[str] = field(default_factory=set)  # names bound to a layer instance


@dataclass
class Migration(cst.CSTTransformer):
    """Rewrites one module; `flags` collects what it could not do."""

    known: Knowledge = field(default_factory=Knowledge)
    flags: list[Flag] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._pending: list[Flag] = []
        self._inputs_before: list[cst.BaseExpression] = []  # statements to insert

    # Flags become comments on the statement that holds them.
    def leave_SimpleStatementLine(self, original, updated):
        for call in _calls(updated):
            if _stateful_batch_shape(call) is not None:
                self._flag("stateful-batch-shape")
        if self._pending:
            notes, self._pending = self._pending, []
            comments = [
                cst.EmptyLine(comment=cst.Comment(f"{FLAG} {note}"))
                for note in dict.fromkeys(map(str, notes))
                if not any(
                    f"{FLAG} {note}" in (line.comment.value if line.comment else "")
                    for line in updated.leading_lines
                )  # fmt: skip
            ]
            updated = updated.with_changes(leading_lines=[*updated.leading_lines, *comments])
        if not self._inputs_before:
            return updated
        inserted, self._inputs_before = self._inputs_before, []
        lines = [cst.SimpleStatementLine([cst.Expr(call)]) for call in inserted]
        return cst.FlattenSentinel([
            lines[0].with_changes(leading_lines=updated.leading_lines), *lines[1:],
            updated.with_changes(leading_lines=[]),
        ])  # fmt: skip

    def _flag(self, kind: str, **values: str) -> None:
        flag = Flag(kind, tuple(values.items()))
        self._pending.append(flag)
        self.flags.append(flag)

    def visit_ImportFrom(self, node):
        if node.module is not None and not isinstance(node.names, cst.ImportStar):
            module = _dotted(node.module)
            if MODULES.get(module, module) == "keras.layers":
                self.known.layer_classes.update(
                    (alias.asname.name if alias.asname else alias.name).value
                    for alias in node.names
                    if isinstance(alias.asname.name if alias.asname else alias.name, cst.Name)
                )  # fmt: skip
        return True

    def leave_Assign(self, original, updated):
        if self._is_layer_class_call(updated.value):
            for target in updated.targets:
                if isinstance(target.target, cst.Name):
                    self.known.layers.add(target.target.value)
        return updated

    def _is_layer_class_call(self, node: cst.BaseExpression) -> bool:
        if not isinstance(node, cst.Call):
            return False
        if isinstance(node.func, cst.Name):
            return node.func.value in self.known.layer_classes
        return isinstance(node.func, cst.Attribute) and _dotted(node.func.value).split(".")[
            -1
        ] == "layers"

    def _is_layer(self, node: cst.BaseExpression) -> bool:
        """Whether `node` is surely a layer: a name bound to a layer, `<...>.layers[i]` or
        `<...>.get_layer(...)`."""
        if isinstance(node, cst.Name):
            return node.value in self.known.layers
        if isinstance(node, cst.Subscript):
            return isinstance(node.value, cst.Attribute) and node.value.attr.value == "layers"
        return isinstance(node, cst.Call) and _callee(node.func) == "get_layer"

    def leave_Name(self, original, updated):
        if updated.value in FLAGGED_NAMES:
            self._flag(FLAGGED_NAMES[updated.value])
        if updated.value in CLASS_NAMES:
            return updated.with_changes(value=CLASS_NAMES[updated.value])
        return updated

    def leave_SimpleString(self, original, updated):
        if updated.evaluated_value == "hard_sigmoid":
            self._flag("hard-sigmoid")
        return updated

    def leave_Attribute(self, original, updated):
        name = updated.attr.value
        if name in METHODS:
            return updated.with_changes(attr=cst.Name(METHODS[name]))
        if name in ("input_shape", "output_shape"):
            tensor = name.split("_")[0]
            if not self._is_layer(updated.value):
                self._flag("maybe-layer-shape", tensor=tensor, attribute=name)
                return updated
            return _shape_of(updated.value, tensor)
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
                self._flag("tokenizer")
        return updated

    def leave_Call(self, original, updated):
        name = _callee(original.func)
        if name == "int_shape" and len(updated.args) == 1:
            return cst.Call(
                func=cst.Name("tuple"),
                args=[cst.Arg(cst.Attribute(value=updated.args[0].value, attr=cst.Name("shape")))],
            )
        if name in NODE_API and isinstance(updated.func, cst.Attribute):
            return self._node_api(name, updated)
        if name == "add" and len(updated.args) == 1:
            return self._input_before_added_layer(updated)
        if name == "Sequential" and updated.args and isinstance(updated.args[0].value, cst.List):
            return self._input_first_in_list(updated)
        owner = name if name in METHODS else CLASS_NAMES.get(name, name)
        args = list(updated.args)
        args = self._positional_kernel_size(owner, args)
        args = self._arguments(owner, args)
        if name in METHODS:
            args = [a for a in args if not (a.keyword and a.keyword.value in WORKER_ARGUMENTS)]
        if owner in DECAYING_OPTIMIZERS:
            args = self._decay(args)
        if name == "compile":
            args = self._loss_per_output(args)
        args = self._batch_input_shape(args)
        if args == list(updated.args):
            return updated
        trailing = updated.args[-1].comma if updated.args else cst.MaybeSentinel.DEFAULT
        return updated.with_changes(args=_commas(args, trailing))

    def _node_api(self, name: str, call: cst.Call) -> cst.BaseExpression:
        tensor, shape = NODE_API[name]
        index = call.args[0].value if len(call.args) == 1 else None
        if index is None or _literal(index) != (True, 0):
            self._flag("node-api", method=name, index=_dotted(index) if index else "")
            return call
        layer = call.func.value
        if shape:
            return _shape_of(layer, tensor)
        return cst.Attribute(value=layer, attr=cst.Name(tensor))

    def _input_before_added_layer(self, call: cst.Call) -> cst.Call:
        """`model.add(LSTM(..., stateful=True, batch_input_shape=s))` -> the same without
        it, after `model.add(keras.Input(batch_shape=s))`."""
        layer = call.args[0].value
        given = _stateful_batch_shape(layer)
        if given is None:
            return call
        self._inputs_before.append(
            call.with_changes(args=[cst.Arg(_batch_input(given.value))])
        )
        return call.with_changes(args=[call.args[0].with_changes(value=_without(layer, given))])

    def _input_first_in_list(self, call: cst.Call) -> cst.Call:
        """`Sequential([LSTM(..., stateful=True, batch_input_shape=s), ...])` ->
        `Sequential([keras.Input(batch_shape=s), LSTM(...), ...])`."""
        layers = call.args[0].value
        if not layers.elements:
            return call
        first = layers.elements[0].value
        given = _stateful_batch_shape(first)
        if given is None:
            return call
        elements = [
            cst.Element(
                _batch_input(given.value),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
            ),
            layers.elements[0].with_changes(value=_without(first, given)),
            *layers.elements[1:],
        ]
        return call.with_changes(
            args=[call.args[0].with_changes(value=layers.with_changes(elements=elements)),
                  *call.args[1:]]
        )  # fmt: skip

    def _loss_per_output(self, args: list[cst.Arg]) -> list[cst.Arg]:
        """Keras 2 applied one loss to every output; Keras 3 wants one per output. The
        outputs are counted by a literal list or dict of `loss_weights`."""
        by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        loss, weights = by_name.get("loss"), by_name.get("loss_weights")
        if loss is None or weights is None or isinstance(loss.value, (cst.List, cst.Dict)):
            return args
        if isinstance(weights.value, cst.List) and len(weights.value.elements) > 1:
            per_output = cst.List([cst.Element(loss.value) for _ in weights.value.elements])
        elif isinstance(weights.value, cst.Dict) and len(weights.value.elements) > 1:
            per_output = cst.Dict([
                cst.DictElement(element.key, loss.value) for element in weights.value.elements
            ])  # fmt: skip
        else:
            return args
        return [a.with_changes(value=per_output) if a is loss else a for a in args]

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
                self._flag("momentum-decay", owner=owner)
                return args
            value = by_name[entry.old].value
            if entry.convert is not None:
                ok, literal = _literal(value)
                if not ok:
                    self._flag("by-hand", old=entry.old, owner=owner, new=entry.new)
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
            self._flag("unsupported", owner=owner, name=entry.name, instead=entry.instead)
            return args
        if isinstance(entry, legacy.Default):
            given = entry.name in by_name or (
                entry.position is not None and positional > entry.position
            )
            if not given and not callable(entry.value):
                if entry.value == "hard_sigmoid":
                    self._flag("hard-sigmoid")
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
            return args  # `add` or `Sequential` moves it to an Input, else it is flagged
        if not isinstance(given.value, cst.Tuple) or not given.value.elements:
            self._flag("batch-shape")
            return args
        shape = cst.Tuple([cst.Element(e.value) for e in given.value.elements[1:]])
        # Without `stateful`, the batch size only constrained the data: Keras 3 drops it.
        return [a.with_changes(keyword=cst.Name("input_shape"), value=shape) if a is given
                else a for a in args]  # fmt: skip


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    """Every call inside `node`."""
    found: list[cst.Call] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    node.visit(Finder())
    return found


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


# -- Markdown --------------------------------------------------------------------------

#: A fenced Python block, from its opening fence to the end of its closing fence's line.
FENCE = re.compile(r"^```(?:python|py)[^\n]*\n(?P<code>.*?)^```[ \t]*\n", re.S | re.M)
_KERAS3_TAB = re.compile(
    r"\n/// tab \| Keras 3\n\n" + re.escape(KERAS3_MARKER) + r"\n.*?^///\n", re.S | re.M
)
#: A block's line of badges (conformance.badges), if it has one.
_BADGES = f"(?:{BADGE_LINE.pattern})?"
_KERAS2_TAB = re.compile(
    r"^/// tab \| Keras 2\n\n(```(?:python|py)[^\n]*\n.*?^```[ \t]*)(" + _BADGES + r")\n///\n",
    re.S | re.M,
)
_CONTAINER = re.compile(r"^/// (\w+)", re.M)
#: What follows the closing fence of a block that has a Keras 3 tab.
_HAS_TAB = re.compile(_BADGES + r"\n///\n\n/// tab \| Keras 3\n\n" + re.escape(KERAS3_MARKER))


def migrate_markdown(text: str, known: Knowledge | None = None) -> Result:
    """Every fenced Python block of a Markdown text migrated in place; the prose, broken
    originals (an `expect-failure` comment) and Keras 3 tabs unchanged."""
    known = known or Knowledge()
    flags: list[Flag] = []

    def block(match: re.Match[str]) -> str:
        if _skipped(text, match):
            return match.group(0)
        result = migrate_code(match.group("code"), known)
        flags.extend(result.flags)
        return match.group(0).replace(match.group("code"), result.source, 1)

    return Result(FENCE.sub(block, text), tuple(dict.fromkeys(flags)))


def _skipped(text: str, match: re.Match[str]) -> bool:
    """Blocks the migration leaves: broken originals, Keras 3 tabs, and the blocks that
    have a Keras 3 tab already (`add_keras3_tabs`)."""
    before = text[: match.start()]
    return (
        bool(EXPECT_FAILURE.search(before))
        or before.rstrip().endswith(KERAS3_MARKER)
        or bool(_HAS_TAB.match(text, match.end() - 1))
    )


def strip_keras3_tabs(text: str) -> str:
    """The page without the tabs `add_keras3_tabs` made."""
    return _KERAS2_TAB.sub(r"\1\2\n", _KERAS3_TAB.sub("", text))


def add_keras3_tabs(text: str, language: str = "en") -> Result:
    """The page with a "Keras 3" tab beside every block the migration changes or flags:
    a bare block becomes a "Keras 2" tab, a block that ends a tab (a corrected variant)
    gets the new tab after its own. Made anew from the page without them, so running it
    again changes nothing."""
    text = strip_keras3_tabs(text)
    known, flags, out, done = Knowledge(), [], [], 0
    for match in FENCE.finditer(text):
        if _skipped(text, match):
            continue
        try:
            result = migrate_code(match.group("code"), known)
        except cst.ParserSyntaxError:
            continue  # not Python 3: left as it is
        if result.source == match.group("code") and not result.flags:
            continue
        flags.extend(result.flags)
        tab = _keras3_tab(result, language)
        # The block ends with its closing fence and the line of badges under it, if any
        # (conformance.badges); the fence's newline follows.
        end = match.end() - 1
        badges = BADGE_LINE.match(text, end)
        end = badges.end() if badges else end
        openers = _CONTAINER.findall(text, 0, match.start())
        if text.startswith("\n///\n", end) and openers and openers[-1] == "tab":
            out += [text[done : end + len("\n///\n")], tab]  # after the tab it ends
            done = end + len("\n///\n")
        else:
            out += [text[done : match.start()], "/// tab | Keras 2\n\n", text[match.start() : end],
                    "\n///\n", tab]  # fmt: skip
            done = end + 1
    out.append(text[done:])
    return Result("".join(out), tuple(dict.fromkeys(flags)))


def _keras3_tab(result: Result, language: str) -> str:
    notes = ""
    if result.flags:
        items = "".join(f"- {flag.text(language)}\n" for flag in result.flags)
        notes = f"\n{strings.words(language, 'migrate')['left_to_do']}\n\n{items}"
    return (f"\n/// tab | Keras 3\n\n{KERAS3_MARKER}\n```python\n{result.source}```\n{notes}"
            "///\n")  # fmt: skip


MIGRATORS: dict[str, Callable[[str], Result]] = {
    ".py": migrate_code,
    ".md": migrate_markdown,
}


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


def _language(path: Path) -> str:
    """The site's language of a page, from its folder (`docs/zh/...`); else English."""
    return path.parent.name if path.parent.name in strings.LANGUAGES else "en"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m refimpl migrate", description="Rewrite Keras 2 code for Keras 3."
    )
    parser.add_argument("paths", nargs="+", help=".py and .md files, or directories")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="print a unified diff (default)")
    mode.add_argument("--check", action="store_true", help="exit 1 if anything would change")
    mode.add_argument("--write", action="store_true", help="edit the files in place")
    parser.add_argument(
        "--tabs",
        action="store_true",
        help="Markdown: keep each Keras 2 block and add a 'Keras 3' tab beside it (flags are "
        "explained there, in the language of the page's folder: en, zh, zh-TW, ja) instead "
        "of rewriting the block",
    )
    options = parser.parse_args(argv)
    try:
        targets = files(options.paths)
    except FileNotFoundError as error:
        parser.exit(2, f"migrate: error: {error}\n")
    changed = flagged = 0
    for path in targets:
        before = path.read_text(encoding="utf-8")
        if options.tabs and path.suffix == ".md":
            result = add_keras3_tabs(before, _language(path))
        else:
            result = MIGRATORS[path.suffix](before)
            flagged += bool(result.flags)  # with --tabs, the page shows them
        for note in result.flags:
            print(f"{path}: {FLAG} {note}", file=sys.stderr)
        if result.source == before:
            continue
        changed += 1
        if options.write:
            write_text(path, result.source)
        elif not options.check:
            sys.stdout.writelines(difflib.unified_diff(
                before.splitlines(keepends=True), result.source.splitlines(keepends=True),
                f"a/{path}", f"b/{path}",
            ))  # fmt: skip
    verb = "migrated" if options.write else "would change"
    print(f"{changed} of {len(targets)} file(s) {verb}, {flagged} with flags", file=sys.stderr)
    return 1 if (changed and not options.write) or flagged else 0
