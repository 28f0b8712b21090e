"""The LibCST transformer of `refimpl migrate`: one Python module, Keras 2 -> Keras 3.

Built on LibCST, so comments and formatting stay as they were. `Migration` applies the
argument translations of `refimpl.legacy.TRANSLATIONS` and the API rules of
`refimpl.migrate.rules`; where Keras 3 has nothing with the same meaning it leaves the
code and records a `Flag`, which becomes a `# keras-migrate: ...` comment on the
statement. `Knowledge` carries what earlier code said about its names (which are
layers), so the blocks of one page, which run in one namespace, are read together.

Example:

>>> import libcst as cst
>>> migration = Migration()
>>> cst.parse_module("SGD(lr=0.1)\\n").visit(migration).code
'SGD(learning_rate=0.1)\\n'
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from refimpl import legacy
from refimpl.migrate.rules import (
    CLASS_NAMES,
    DECAYING_OPTIMIZERS,
    FLAG,
    FLAGGED_NAMES,
    METHODS,
    MODULES,
    NODE_API,
    WORKER_ARGUMENTS,
    Flag,
)


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
    return cst.Call(func=cst.parse_expression("keras.Input"), args=[_keyword("batch_shape", shape)])


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
        return (
            isinstance(node.func, cst.Attribute)
            and _dotted(node.func.value).split(".")[-1] == "layers"
        )

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
        self._inputs_before.append(call.with_changes(args=[cst.Arg(_batch_input(given.value))]))
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
