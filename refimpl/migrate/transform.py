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


def _stateful_batch(node: cst.BaseExpression) -> tuple[cst.BaseExpression, list[cst.Arg]] | None:
    """A stateful layer's fixed batch shape, as Keras 2 let a layer say it, and the
    arguments that said it: `batch_input_shape=(b, ...)`, or `batch_size=b` beside
    `input_shape=(...)` or `input_dim=n`. None for a call that is not such a layer."""
    if not isinstance(node, cst.Call):
        return None
    stateful = _argument(node, "stateful")
    if stateful is None or _literal(stateful.value) == (True, False):
        return None
    given = _argument(node, "batch_input_shape")
    if given is not None:
        return given.value, [given]
    size, shape, dim = (_argument(node, n) for n in ("batch_size", "input_shape", "input_dim"))
    if size is None or (shape is None and dim is None):
        return None
    if dim is not None:
        return cst.Tuple([cst.Element(size.value), cst.Element(dim.value)]), [size, dim]
    if isinstance(shape.value, cst.Tuple):
        elements = [cst.Element(size.value), *(cst.Element(e.value) for e in shape.value.elements)]
        return cst.Tuple(elements), [size, shape]
    whole = cst.parse_expression("(B,) + tuple(S)")
    return whole.with_changes(
        left=cst.Tuple([cst.Element(size.value, comma=cst.Comma())]),
        right=whole.right.with_changes(args=[cst.Arg(shape.value)]),
    ), [size, shape]


def _batch_input(shape: cst.BaseExpression) -> cst.Call:
    """`keras.Input(batch_shape=<shape>)`."""
    return cst.Call(func=cst.parse_expression("keras.Input"), args=[_keyword("batch_shape", shape)])


def _without(call: cst.Call, args: list[cst.Arg]) -> cst.Call:
    kept = [a for a in call.args if not any(a is arg for arg in args)]
    return call.with_changes(args=_commas(kept, call.args[-1].comma))


#: Where other packages put Keras 2's API -> its `keras` path.
KERAS_PACKAGES = {"tensorflow.keras": "keras", "tensorflow.python.keras": "keras"}


def keras_path(module: str) -> str:
    """A module path as Keras spells it (`tensorflow.keras.layers.core` -> `keras.layers`)."""
    for package, keras in KERAS_PACKAGES.items():
        if module == package or module.startswith(package + "."):
            module = keras + module[len(package) :]
    return MODULES.get(module, module)


@dataclass
class Knowledge:
    """What the code read so far says about its names; shared by the blocks of one page
    (or the cells of a notebook), which run in one namespace."""

    layer_classes: set[str] = field(default_factory=set)  # imported from keras.layers
    layers: set[str] = field(default_factory=set)  # names bound to a layer instance
    #: local name -> the dotted Keras 2 name it was imported as (`K` -> `keras.backend`)
    imports: dict[str, str] = field(default_factory=dict)
    imported: set[str] = field(default_factory=set)  # modules imported as `import x`
    #: weights files Keras 2 code saves to -> their Keras 3 names (`weights_files`)
    weights_files: dict[str, str] = field(default_factory=dict)
    weights_files_seen: bool = False  # whether the whole document was searched for them
    #: names bound to a stateful layer with a fixed batch -> its batch shape's code
    stateful_layers: dict[str, str] = field(default_factory=dict)
    helpers: set[str] = field(default_factory=set)  # helper functions written already


@dataclass
class Pass(cst.CSTTransformer):
    """A rewrite of one module; `flags` collects what it could not do (each becomes a
    `# keras-migrate:` comment on its statement), `notes` what it did that a reader
    should be told, and `before` statements to insert before the current one."""

    known: Knowledge = field(default_factory=Knowledge)
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._pending: list[Flag] = []
        self._before: list[cst.BaseStatement] = []

    def _flag(self, kind: str, **values: str) -> None:
        flag = Flag(kind, tuple(values.items()))
        self._pending.append(flag)
        self.flags.append(flag)

    # What the imports bind, so that a name can be resolved (`K.function`).
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            module = keras_path(_dotted(alias.name))
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.known.imports[alias.asname.name.value] = module
            else:
                head = module.split(".")[0]
                self.known.imports.setdefault(head, head)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is None or node.relative or isinstance(node.names, cst.ImportStar):
            return True
        module = keras_path(_dotted(node.module))
        for alias in node.names:
            local = _dotted(alias.asname.name) if alias.asname else _dotted(alias.name)
            self.known.imports[local] = f"{module}.{_dotted(alias.name)}"
        return True

    def _resolve(self, node: cst.BaseExpression) -> str | None:
        """The dotted name an expression means, through the imports; else None."""
        if isinstance(node, cst.Name):
            return self.known.imports.get(node.value)
        if isinstance(node, cst.Attribute):
            base = self._resolve(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    def leave_SimpleStatementLine(self, original, updated):
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
        if not self._before:
            return updated
        inserted, self._before = self._before, []
        return cst.FlattenSentinel([
            inserted[0].with_changes(leading_lines=updated.leading_lines), *inserted[1:],
            updated.with_changes(leading_lines=[]),
        ])  # fmt: skip


@dataclass
class Migration(Pass):
    """Rewrites one module with the rules of `rules.py` and `refimpl.legacy`."""

    def leave_SimpleStatementLine(self, original, updated):
        for call in _calls(updated):
            if _stateful_batch(call) is not None:
                self._flag("stateful-batch-shape")
        return super().leave_SimpleStatementLine(original, updated)

    def visit_ImportFrom(self, node):
        super().visit_ImportFrom(node)
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
        names = [t.target.value for t in updated.targets if isinstance(t.target, cst.Name)]
        if self._is_layer_class_call(updated.value) or self._is_layer(updated.value):
            self.known.layers.update(names)
        found = _stateful_batch(updated.value)
        if found is not None and names:
            # Its batch shape goes to the `keras.Input` put before it where it is added.
            shape, said = found
            self.known.stateful_layers.update(dict.fromkeys(names, _dotted(shape)))
            return updated.with_changes(value=_without(updated.value, said))
        return updated

    def visit_For(self, node):
        self._layers_of(node.target, node.iter)

    def visit_CompFor(self, node):
        self._layers_of(node.target, node.iter)

    def visit_ListComp(self, node):
        # The element comes before its `for` in the tree: read the `for` first.
        self._layers_of(node.for_in.target, node.for_in.iter)

    visit_GeneratorExp = visit_SetComp = visit_ListComp

    def _layers_of(self, target: cst.BaseExpression, iterated: cst.BaseExpression) -> None:
        """`for layer in model.layers`: `layer` is a layer."""
        if (
            isinstance(target, cst.Name)
            and isinstance(iterated, cst.Attribute)
            and (iterated.attr.value == "layers")
        ):
            self.known.layers.add(target.value)

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
        if isinstance(updated.func, cst.Call) and _stateful_batch(updated.func):
            # A layer called on a tensor: its input says the batch shape already.
            _, said = _stateful_batch(updated.func)
            return updated.with_changes(func=_without(updated.func, said))
        owner = name if name in METHODS else CLASS_NAMES.get(name, name)
        args = list(updated.args)
        args = self._positional_kernel_size(owner, args)
        args = self._arguments(owner, args)
        if name in METHODS or name in METHODS.values():
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
        it, after `model.add(keras.Input(batch_shape=s))`; so too for a name bound to
        such a layer (`model.add(lstm)`)."""
        layer = call.args[0].value
        if isinstance(layer, cst.Name) and layer.value in self.known.stateful_layers:
            shape = cst.parse_expression(self.known.stateful_layers[layer.value])
            added = call.with_changes(args=[cst.Arg(_batch_input(shape))])
            self._before.append(cst.SimpleStatementLine([cst.Expr(added)]))
            return call
        found = _stateful_batch(layer)
        if found is None:
            return call
        shape, said = found
        added = call.with_changes(args=[cst.Arg(_batch_input(shape))])
        self._before.append(cst.SimpleStatementLine([cst.Expr(added)]))
        return call.with_changes(args=[call.args[0].with_changes(value=_without(layer, said))])

    def _input_first_in_list(self, call: cst.Call) -> cst.Call:
        """`Sequential([LSTM(..., stateful=True, batch_input_shape=s), ...])` ->
        `Sequential([keras.Input(batch_shape=s), LSTM(...), ...])`."""
        layers = call.args[0].value
        if not layers.elements:
            return call
        first = layers.elements[0].value
        if isinstance(first, cst.Name) and first.value in self.known.stateful_layers:
            shape = cst.parse_expression(self.known.stateful_layers[first.value])
            said, replaced = [], first
        else:
            found = _stateful_batch(first)
            if found is None:
                return call
            (shape, said), replaced = found, None
        elements = [
            cst.Element(
                _batch_input(shape),
                comma=cst.Comma(cst.SimpleWhitespace(""), cst.SimpleWhitespace(" ")),
            ),
            layers.elements[0].with_changes(value=replaced or _without(first, said)),
            *layers.elements[1:],
        ]
        return call.with_changes(
            args=[call.args[0].with_changes(value=layers.with_changes(elements=elements)),
                  *call.args[1:]]
        )  # fmt: skip

    def _loss_per_output(self, args: list[cst.Arg]) -> list[cst.Arg]:
        """Keras 2 applied one loss, and every metric, to each output; Keras 3 wants one
        loss per output, and refuses a flat list of metrics for several outputs. The
        outputs are counted by a literal list or dict of losses or of `loss_weights`."""
        by_name = {a.keyword.value: a for a in args if a.keyword is not None}
        loss, weights = by_name.get("loss"), by_name.get("loss_weights")
        metrics = by_name.get("metrics")
        outputs = next((a.value for a in (loss, weights) if a is not None
                        and isinstance(a.value, (cst.List, cst.Dict))
                        and len(a.value.elements) > 1), None)  # fmt: skip
        if outputs is None:
            return args
        replaced = {}
        if not isinstance(loss.value if loss else None, (cst.List, cst.Dict, type(None))):
            replaced[id(loss)] = _per_output(outputs, loss.value)
        flat_metrics = (
            metrics is not None and isinstance(metrics.value, cst.List) and metrics.value.elements
            and not any(isinstance(e.value, (cst.List, cst.Dict)) for e in metrics.value.elements)
        )  # fmt: skip
        if flat_metrics:
            replaced[id(metrics)] = _per_output(outputs, metrics.value)
        return [a.with_changes(value=replaced[id(a)]) if id(a) in replaced else a for a in args]

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
        stateful = by_name.get("stateful")
        if (
            given is None
            and "batch_size" in by_name
            and ("input_shape" in by_name or "input_dim" in by_name)
            and (stateful is None or _literal(stateful.value) == (True, False))
        ):
            # A layer's `batch_size` only constrained the data: Keras 3 layers refuse it.
            return [a for a in args if a is not by_name["batch_size"]]
        if given is None:
            return args
        if stateful is not None and _literal(stateful.value) != (True, False):
            return args  # `add` or `Sequential` moves it to an Input, else it is flagged
        if not isinstance(given.value, cst.Tuple) or not given.value.elements:
            self._flag("batch-shape")
            return args
        shape = cst.Tuple([cst.Element(e.value) for e in given.value.elements[1:]])
        # Without `stateful`, the batch size only constrained the data: Keras 3 drops it.
        return [a.with_changes(keyword=cst.Name("input_shape"), value=shape) if a is given
                else a for a in args]  # fmt: skip


def _per_output(outputs: cst.List | cst.Dict, value: cst.BaseExpression) -> cst.BaseExpression:
    """`value` once per output, in the form (list or dict) `outputs` has."""
    if isinstance(outputs, cst.List):
        return cst.List([cst.Element(value) for _ in outputs.elements])
    return cst.Dict([cst.DictElement(element.key, value) for element in outputs.elements])


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
