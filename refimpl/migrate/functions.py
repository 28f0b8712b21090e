"""Keras 2 functions that Keras 3 dropped, written with what Keras 3 has, keeping their
meaning (each a rule of `rules.API_RULES`, checked against refimpl by
tests/test_migrate.py):

- `yaml`: `model.to_yaml()` -> `yaml.safe_dump(json.loads(model.to_json()))` and
  `model_from_yaml(s)` -> `keras.models.model_from_json(json.dumps(yaml.safe_load(s)))`:
  the same configuration, through JSON, which Keras 3 still reads and writes;
- `backend-function`: `K.function(inputs, outputs)` -> `keras2_function(inputs, outputs)`,
  a helper written once before its first use: a `keras.Model` from the same tensors,
  called with a list of arrays and returning a list of arrays as Keras 2 did. Where
  `K.learning_phase()` was among the inputs, it is taken out and its index passed as
  `phase=`: the value given there at each call becomes the call's `training=`;
- `reset-states`: `model.reset_states()` (a name bound to a model) -> the stateful
  layers' `reset_states()`, which Keras 3 layers still have and its models do not.

Example:

>>> import libcst as cst
>>> cst.parse_module("text = model.to_yaml()\\n").visit(Keras2Functions()).code
'text = yaml.safe_dump(json.loads(model.to_json()))\\n'
"""

from __future__ import annotations

import libcst as cst

from refimpl.migrate.transform import Pass

#: Helper functions the rules write into the code, once per document: name -> source.
HELPERS = {
    "keras2_function": '''\
def keras2_function(inputs, outputs, phase=None):
    """Keras 2's K.function on Keras 3 (written by refimpl migrate): call it with a list
    of arrays (the learning phase's 0 or 1 at index `phase`, if given); it returns the
    outputs' arrays, in a list if `outputs` is one."""
    model = keras.Model(inputs, outputs)

    def call(values):
        values = list(values)
        training = bool(values.pop(phase)) if phase is not None else False
        given = values if isinstance(inputs, (list, tuple)) else values[0]
        result = model(given, training=training)
        results = result if isinstance(result, (list, tuple)) else [result]
        arrays = [keras.ops.convert_to_numpy(r) for r in results]
        return arrays if isinstance(outputs, (list, tuple)) else arrays[0]

    return call
''',
}

#: Calls that make a model: a name bound to their result is a model.
MODEL_MAKERS = ("Sequential", "Model", "load_model", "model_from_json", "clone_model")


def _dotted(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


class Keras2Functions(Pass):
    """The rules of the module; the first pass, so that the later ones see Keras 3 code."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self._models: set[str] = set()

    def leave_Assign(self, original, updated):
        if isinstance(updated.value, cst.Call):
            func = updated.value.func
            name = func.attr.value if isinstance(func, cst.Attribute) else _dotted(func)
            if name in MODEL_MAKERS:
                self._models.update(t.target.value for t in updated.targets
                                    if isinstance(t.target, cst.Name))  # fmt: skip
        return updated

    def leave_ImportFrom(self, original, updated):
        """`from keras.models import model_from_yaml`: the rewritten calls need it no more."""
        if updated.module is None or isinstance(updated.names, cst.ImportStar):
            return updated
        if not _dotted(updated.module).endswith("models"):
            return updated
        kept = [a for a in updated.names if _dotted(a.name) != "model_from_yaml"]
        if len(kept) == len(updated.names):
            return updated
        if not kept:
            return cst.RemoveFromParent()
        return updated.with_changes(
            names=[*kept[:-1], kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        )

    def leave_Call(self, original, updated):
        func = updated.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        dotted = self._resolve(original.func) or ""
        if method == "to_yaml":
            to_json = cst.Call(func=func.with_changes(attr=cst.Name("to_json")))
            loads = cst.Call(func=cst.parse_expression("json.loads"), args=[cst.Arg(to_json)])
            return updated.with_changes(func=cst.parse_expression("yaml.safe_dump"),
                                        args=[cst.Arg(loads), *updated.args])  # fmt: skip
        if dotted.endswith(".model_from_yaml") or _dotted(func) == "model_from_yaml":
            if not updated.args:
                return updated
            first, *rest = updated.args
            load = cst.Call(
                func=cst.parse_expression("yaml.safe_load"),
                args=[first.with_changes(comma=cst.MaybeSentinel.DEFAULT)],
            )
            dumps = cst.Call(func=cst.parse_expression("json.dumps"), args=[cst.Arg(load)])
            return updated.with_changes(
                func=cst.parse_expression("keras.models.model_from_json"),
                args=[cst.Arg(dumps, comma=first.comma), *rest],
            )
        if dotted == "keras.backend.function":
            return self._function(updated)
        if (
            method == "reset_states"
            and not updated.args
            and (_dotted(func.value) in self._models or _dotted(func.value) == "self.model")
        ):
            return cst.parse_expression(
                f"[layer.reset_states() for layer in {_dotted(func.value)}.layers"
                " if getattr(layer, 'stateful', False)]"
            )
        return updated

    def _function(self, call: cst.Call) -> cst.Call:
        args = list(call.args)
        if not args:
            return call
        inputs = args[0].value
        phase = None
        if isinstance(inputs, cst.List):
            for index, element in enumerate(inputs.elements):
                value = element.value
                if isinstance(value, cst.Call) and (self._resolve(value.func) or "").endswith(
                    "learning_phase"
                ):
                    phase = index
            if phase is not None:
                kept = [e for i, e in enumerate(inputs.elements) if i != phase]
                if kept:
                    kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                args[0] = args[0].with_changes(value=inputs.with_changes(elements=kept))
        # Keras 2's `updates` (TensorFlow 1 training ops) and `name` have no equivalent.
        args = [a for a in args if not (a.keyword and a.keyword.value in ("updates", "name"))][:2]
        args = [*args[:-1], args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        if phase is not None:
            args[-1] = args[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            no_space = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
            args.append(cst.Arg(cst.Integer(str(phase)), keyword=cst.Name("phase"), equal=no_space))
        if "keras2_function" not in self.known.helpers:
            self.known.helpers.add("keras2_function")
            self._before.extend(cst.parse_module(HELPERS["keras2_function"]).body)
        return call.with_changes(func=cst.Name("keras2_function"), args=args)
