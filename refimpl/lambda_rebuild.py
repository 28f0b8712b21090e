"""A saved Lambda function rebuilt from its instructions, without running any of them.

`rebuild` reads the instructions of a decoded code object (refimpl.lambda_bytecode) the
way the interpreter would, but on a stack of expressions instead of values: `LOAD_FAST x;
LOAD_CONST 127.5; BINARY_TRUE_DIVIDE` leaves the expression `x / 127.5`. Only a small
set of instructions has a meaning here (reading arguments, constants, the closure and
local variables; arithmetic, comparisons, subscripts and slices; building tuples, lists
and dicts; calls; return), and calls only reach the names of refimpl.lambda_calls. Any
other instruction (a jump, an import, a nested function, a store outside the locals)
stops the rebuild with `NotRebuildable`. Evaluating the finished expression on tensors
calls the allowed functions, so no instruction from the file ever runs.

Example:

>>> import marshal
>>> from refimpl import lambda_bytecode, lambda_rebuild
>>> saved = marshal.dumps((lambda x, scale=2.0: x * scale - 1.0).__code__)
>>> function = lambda_rebuild.rebuild(lambda_bytecode.decode(saved), defaults=[2.0])
>>> function.source
'lambda x, scale=2.0: x * scale - 1.0'
>>> function(3.0)
5.0
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from refimpl import lambda_calls
from refimpl.lambda_bytecode import DecodedCode
from refimpl.lambda_expressions import (
    OPERATORS,
    TENSOR_ATTRIBUTES,
    UNARY_SIGNS,
    Argument,
    Attribute,
    Call,
    Collection,
    Constant,
    Expression,
    Mapping,
    Name,
    Namespace,
    NotRebuildable,
    Operation,
    RebuiltFunction,
    Slice,
    Subscript,
)

#: Code object flags of functions taking *args and **kwargs.
_VARARGS, _VARKEYWORDS = 0x04, 0x08


def rebuild(
    decoded: DecodedCode,
    *,
    defaults: Sequence[Any] | None = None,
    closure: Sequence[Any] | None = None,
) -> RebuiltFunction:
    """The function `decoded` holds, rebuilt from its instructions; NotRebuildable when
    an instruction or a name is outside the safe set."""
    code = decoded.code
    if code.co_flags & (_VARARGS | _VARKEYWORDS):
        raise NotRebuildable("it takes *args or **kwargs")
    free = decoded.free_variables
    closure = list(closure or [])
    if len(free) != len(closure):
        raise NotRebuildable(
            f"it reads {len(free)} closure variable(s) {free} but {len(closure)} value(s) "
            "were saved with it"
        )
    if len(defaults or ()) > code.co_argcount:
        raise NotRebuildable(
            f"{len(defaults or ())} defaults were saved for {code.co_argcount} parameter(s)"
        )
    state = _State(
        decoded=decoded,
        locals={name: Argument(name) for name in decoded.parameters},
        closure=dict(zip(free, closure, strict=True)),
    )
    for instruction in decoded.instructions:
        handler = _HANDLERS.get(instruction.opname)
        if handler is None:
            raise NotRebuildable(
                f"its instruction {instruction.opname} (at offset {instruction.offset}) is "
                "outside the instructions refimpl rebuilds"
            )
        handler(state, instruction)
        if state.result is not None:
            _check_values(state.result)
            return RebuiltFunction(
                code.co_name, _signature(decoded, defaults), state.result, decoded.python
            )
    raise NotRebuildable("its instructions end without returning")


def _signature(decoded: DecodedCode, defaults: Sequence[Any] | None) -> inspect.Signature:
    """The saved function's parameters, with the saved defaults of the last positional
    ones (Keras saved no keyword-only defaults: `arguments` supplies those)."""
    code = decoded.code
    positional = decoded.parameters[: code.co_argcount]
    defaults = list(defaults or [])
    first_default = len(positional) - len(defaults)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [
        inspect.Parameter(name, kind, default=defaults[index - first_default])
        if index >= first_default
        else inspect.Parameter(name, kind)
        for index, name in enumerate(positional)
    ]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)
        for name in decoded.parameters[code.co_argcount :]
    ]
    return inspect.Signature(parameters)


def _check_values(expression: Expression) -> None:
    """No module stands where a value is used, anywhere in the finished expression."""
    if isinstance(expression, Namespace):
        raise NotRebuildable(f"it uses the module {expression.dotted} as a value")
    for child in vars(expression).values():
        children = child if isinstance(child, tuple) else (child,)
        for item in children:
            for part in item if isinstance(item, tuple) else (item,):
                if isinstance(part, Expression):
                    _check_values(part)


# ---------------------------------------------------------------------------------------
# The symbolic interpreter


class _Null:
    """The NULL that 3.7+ method calls and 3.11+ calls keep beside the callable."""

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


@dataclass
class _State:
    decoded: DecodedCode
    locals: dict[str, Expression]
    closure: dict[str, Any]
    stack: list[Any] = field(default_factory=list)
    keyword_names: tuple[str, ...] = ()
    result: Expression | None = None

    @property
    def release(self) -> tuple[int, int]:
        major, minor = self.decoded.versions[0].split(".")
        return int(major), int(minor)

    def pop(self, count: int | None = None) -> Any:
        if count is None:
            if not self.stack:
                raise NotRebuildable("its instructions take a value from an empty stack")
            return self.stack.pop()
        if count > len(self.stack):
            raise NotRebuildable("its instructions take more values than the stack holds")
        taken = self.stack[len(self.stack) - count :]
        del self.stack[len(self.stack) - count :]
        return taken

    def pop_expression(self) -> Expression:
        value = self.pop()
        if not isinstance(value, Expression):
            raise NotRebuildable("its instructions use a NULL as a value")
        return value


def _load_fast(state: _State, name: str) -> None:
    if name not in state.locals:
        raise NotRebuildable(f"it reads the local variable {name!r} before setting it")
    state.stack.append(state.locals[name])


def _local_names(state: _State, instruction: Any) -> tuple[str, str]:
    """The two locals of 3.13's paired instructions: 4-bit indexes in one argument."""
    names = state.decoded.code.co_varnames
    return names[instruction.arg >> 4], names[instruction.arg & 15]


def _constant(value: Any) -> Constant:
    if hasattr(value, "co_code"):
        raise NotRebuildable("it defines a function, comprehension or class inside itself")
    return Constant(value)


#: Python 2 read these as global names, not constants.
_PYTHON_2_CONSTANTS = {"True": True, "False": False, "None": None}


def _global(state: _State, name: str) -> Expression:
    if state.release < (3, 0) and name in _PYTHON_2_CONSTANTS:
        return Constant(_PYTHON_2_CONSTANTS[name])
    if lambda_calls.is_allowed(name):
        return Name(name)
    if lambda_calls.is_namespace(name):
        return Namespace(name)
    raise NotRebuildable(f"it uses the global name {name!r}, which is not in refimpl's list")


def _attribute(base: Any, name: str) -> Expression:
    if name.startswith("_"):
        raise NotRebuildable(f"it reads the private attribute {name!r}")
    if isinstance(base, Namespace):
        dotted = f"{base.dotted}.{name}"
        if lambda_calls.is_allowed(dotted):
            return Name(dotted)
        if lambda_calls.is_namespace(dotted):
            return Namespace(dotted)
        raise NotRebuildable(f"it uses {dotted}, which is not in refimpl's list")
    if isinstance(base, Name) or name not in TENSOR_ATTRIBUTES:
        raise NotRebuildable(f"it reads the attribute {name!r} of {base.source()}")
    return Attribute(base, name)


def _load_global(state: _State, instruction: Any) -> None:
    if state.release >= (3, 11) and instruction.arg & 1:
        state.stack.append(NULL)
    state.stack.append(_global(state, instruction.argval))


def _load_attr(state: _State, instruction: Any) -> None:
    base = state.pop_expression()
    if state.release >= (3, 12) and instruction.arg & 1:
        state.stack.append(NULL)
    state.stack.append(_attribute(base, instruction.argval))


def _load_method(state: _State, instruction: Any) -> None:
    base = state.pop_expression()
    state.stack.extend([NULL, _attribute(base, instruction.argval)])


def _call(state: _State, function: Any, args: list[Any], names: Sequence[str]) -> None:
    """Push the call of `function` with `args`, the last len(names) of them by keyword."""
    if not isinstance(function, Name) or not callable(lambda_calls.lookup(function.dotted)):
        shown = function.source() if isinstance(function, Expression) else repr(function)
        raise NotRebuildable(f"it calls {shown}, which is not a function in refimpl's list")
    if any(not isinstance(arg, Expression) for arg in args):
        raise NotRebuildable("its instructions pass a NULL as an argument")
    if len(names) > len(args):
        raise NotRebuildable("its call names more keywords than it passes values")
    split = len(args) - len(names)
    state.stack.append(
        Call(function, tuple(args[:split]), tuple(zip(names, args[split:], strict=True)))
    )


def _callable_beside_null(state: _State) -> Any:
    """The callable of a 3.7+ method call or 3.11+ call: of the two entries under the
    arguments one is NULL (their order changed in 3.13); rebuilt loads never push a
    bound method and its object."""
    pair = state.pop(2)
    if pair.count(NULL) != 1:
        raise NotRebuildable("its call instructions do not match the values on the stack")
    return pair[1] if pair[0] is NULL else pair[0]


def _call_function(state: _State, instruction: Any) -> None:
    if state.release <= (3, 5):
        # 2.7 and 3.5: low byte positional count, high byte keyword (name, value) pairs.
        pairs = state.pop(2 * (instruction.arg >> 8))
        args = state.pop(instruction.arg & 0xFF)
        names = [_constant_value(name) for name in pairs[0::2]]
        _call(state, state.pop(), args + pairs[1::2], names)
        return
    args = state.pop(instruction.arg)
    _call(state, state.pop(), args, ())


def _constant_value(expression: Any) -> Any:
    if not isinstance(expression, Constant):
        raise NotRebuildable("its keyword names are not constants")
    return expression.value


def _call_function_kw(state: _State, instruction: Any) -> None:
    if state.release <= (3, 5):
        raise NotRebuildable("it passes **kwargs to a call")
    names = _constant_value(state.pop())
    args = state.pop(instruction.arg)
    _call(state, state.pop(), args, names)


def _call_method(state: _State, instruction: Any) -> None:
    args = state.pop(instruction.arg)
    _call(state, _callable_beside_null(state), args, ())


def _call_311(state: _State, instruction: Any) -> None:
    args = state.pop(instruction.arg)
    names, state.keyword_names = state.keyword_names, ()
    _call(state, _callable_beside_null(state), args, names)


def _call_kw(state: _State, instruction: Any) -> None:
    names = _constant_value(state.pop())
    args = state.pop(instruction.arg)
    _call(state, _callable_beside_null(state), args, names)


def _operation(symbol: str) -> Callable[[_State, Any], None]:
    arity = 1 if symbol in UNARY_SIGNS else 2

    def push(state: _State, instruction: Any) -> None:
        operands = [state.pop_expression() for _ in range(arity)][::-1]
        state.stack.append(Operation(symbol, tuple(operands)))

    return push


#: 3.11+ BINARY_OP's argument -> operator; 13 and up are the in-place forms.
_BINARY_OP = ("+", "&", "//", "<<", "@", "*", "%", "|", "**", ">>", "-", "/", "^")


def _binary_op(state: _State, instruction: Any) -> None:
    symbol = _BINARY_OP[instruction.arg % 13] if instruction.arg < 26 else "?"
    if symbol not in OPERATORS:
        raise NotRebuildable(f"it uses the operator {symbol!r}")
    _operation(symbol)(state, instruction)


def _compare(state: _State, instruction: Any) -> None:
    symbol = instruction.argval
    if symbol not in OPERATORS:
        raise NotRebuildable(f"it compares with {symbol!r}")
    _operation(symbol)(state, instruction)


def _subscript(state: _State, instruction: Any) -> None:
    index = state.pop_expression()
    state.stack.append(Subscript(state.pop_expression(), index))


def _binary_slice(state: _State, instruction: Any) -> None:
    stop, start = state.pop_expression(), state.pop_expression()
    state.stack.append(Subscript(state.pop_expression(), Slice(start, stop)))


def _python_2_slice(which: int) -> Callable[[_State, Any], None]:
    """Python 2's SLICE+0 to SLICE+3: `x[:]`, `x[a:]`, `x[:b]`, `x[a:b]`."""

    def push(state: _State, instruction: Any) -> None:
        stop = state.pop_expression() if which & 2 else Constant(None)
        start = state.pop_expression() if which & 1 else Constant(None)
        state.stack.append(Subscript(state.pop_expression(), Slice(start, stop)))

    return push


def _build_slice(state: _State, instruction: Any) -> None:
    parts = [state.pop_expression() for _ in range(instruction.arg)][::-1]
    state.stack.append(Slice(*parts))


def _collection(kind: str) -> Callable[[_State, Any], None]:
    def push(state: _State, instruction: Any) -> None:
        items = [state.pop_expression() for _ in range(instruction.arg)][::-1]
        state.stack.append(Collection(kind, tuple(items)))

    return push


def _list_extend(state: _State, instruction: Any) -> None:
    # 3.9+ builds a list display of constants as [] extended by a constant tuple.
    extension = state.pop_expression()
    target = state.stack[-instruction.arg] if len(state.stack) >= instruction.arg else None
    if not (isinstance(target, Collection) and isinstance(extension, Constant)):
        raise NotRebuildable("it unpacks a value into a list")
    items = target.items + tuple(Constant(item) for item in extension.value)
    state.stack[-instruction.arg] = Collection("list", items)


def _list_to_tuple(state: _State, instruction: Any) -> None:
    built = state.pop_expression()
    if not isinstance(built, Collection):
        raise NotRebuildable("it converts a value to a tuple")
    state.stack.append(Collection("tuple", built.items))


#: 3.12+ CALL_INTRINSIC_1 arguments that have a meaning here.
_INTRINSICS = {5: _operation("pos"), 6: _list_to_tuple}


def _intrinsic(state: _State, instruction: Any) -> None:
    handler = _INTRINSICS.get(instruction.arg)
    if handler is None:
        raise NotRebuildable(f"it calls the interpreter's intrinsic {instruction.argval}")
    handler(state, instruction)


def _const_key_map(state: _State, instruction: Any) -> None:
    keys = _constant_value(state.pop())
    values = [state.pop_expression() for _ in range(instruction.arg)][::-1]
    if not isinstance(keys, tuple) or len(keys) != len(values):
        raise NotRebuildable("its dict display does not match its keys")
    state.stack.append(Mapping(tuple((Constant(k), v) for k, v in zip(keys, values, strict=True))))


def _build_map(state: _State, instruction: Any) -> None:
    if state.release < (3, 5):
        raise NotRebuildable("it builds a dict item by item (Python 2's STORE_MAP)")
    flat = [state.pop_expression() for _ in range(2 * instruction.arg)][::-1]
    state.stack.append(Mapping(tuple(zip(flat[0::2], flat[1::2], strict=True))))


def _import_name(state: _State, instruction: Any) -> None:
    """`import tensorflow as tf` inside the function (YAD2K's space_to_depth_x2): the
    module becomes a namespace of allowed names; nothing is imported."""
    _, names = state.pop(2)  # the level, and the names of `from ... import names`
    name = instruction.argval
    if not lambda_calls.is_namespace(name):
        raise NotRebuildable(f"it imports the module {name!r}, which is not in refimpl's list")
    # `import a.b` leaves the package `a` (then read `.b`); `from a.b import c`, `a.b`.
    imported = name if _constant_value(names) else name.split(".")[0]
    state.stack.append(Namespace(imported))


def _import_from(state: _State, instruction: Any) -> None:
    # `from keras import backend`: the module stays on the stack under its attribute.
    if not state.stack or not isinstance(state.stack[-1], Namespace):
        raise NotRebuildable("it imports a name from something other than a module")
    state.stack.append(_attribute(state.stack[-1], instruction.argval))


def _swap(state: _State, instruction: Any) -> None:
    """ROT_TWO, and 3.11+'s SWAP n: exchange the top value with the n-th."""
    depth = 2 if instruction.opname == "ROT_TWO" else instruction.arg
    if depth > len(state.stack):
        raise NotRebuildable("its instructions swap values the stack does not hold")
    state.stack[-1], state.stack[-depth] = state.stack[-depth], state.stack[-1]


def _store_fast(state: _State, name: str) -> None:
    state.locals[name] = state.pop_expression()


def _return(state: _State, instruction: Any) -> None:
    state.result = state.pop_expression()


def _nothing(state: _State, instruction: Any) -> None:
    """Bookkeeping of the interpreter (RESUME, PRECALL, COPY_FREE_VARS)."""


def _keyword_names(state: _State, instruction: Any) -> None:
    state.keyword_names = tuple(instruction.argval)


def _load_pair(state: _State, instruction: Any) -> None:
    for name in _local_names(state, instruction):
        _load_fast(state, name)


def _store_load(state: _State, instruction: Any) -> None:
    stored, loaded = _local_names(state, instruction)
    _store_fast(state, stored)
    _load_fast(state, loaded)


def _store_pair(state: _State, instruction: Any) -> None:
    for name in _local_names(state, instruction):
        _store_fast(state, name)


def _load_deref(state: _State, instruction: Any) -> None:
    if instruction.argval not in state.closure:
        raise NotRebuildable(f"it reads the cell {instruction.argval!r}, not a saved closure")
    state.stack.append(Constant(state.closure[instruction.argval]))


#: Python 2.7-3.10's operator instructions.
_OPERATOR_INSTRUCTIONS = {
    "ADD": "+", "SUBTRACT": "-", "MULTIPLY": "*", "TRUE_DIVIDE": "/", "FLOOR_DIVIDE": "//",
    "MODULO": "%", "POWER": "**", "MATRIX_MULTIPLY": "@", "AND": "&", "OR": "|", "XOR": "^",
}  # fmt: skip

#: Instruction name -> what it does to the symbolic state.
_HANDLERS: dict[str, Callable[[_State, Any], None]] = {
    "RESUME": _nothing, "PRECALL": _nothing, "COPY_FREE_VARS": _nothing,
    "PUSH_NULL": lambda state, _: state.stack.append(NULL),
    "POP_TOP": lambda state, _: state.pop(),
    "ROT_TWO": _swap, "SWAP": _swap,
    "IMPORT_NAME": _import_name, "IMPORT_FROM": _import_from,
    "LOAD_FAST": lambda state, i: _load_fast(state, i.argval),
    "LOAD_FAST_CHECK": lambda state, i: _load_fast(state, i.argval),
    "LOAD_FAST_LOAD_FAST": _load_pair,
    "STORE_FAST": lambda state, i: _store_fast(state, i.argval),
    "STORE_FAST_LOAD_FAST": _store_load, "STORE_FAST_STORE_FAST": _store_pair,
    "LOAD_CONST": lambda state, i: state.stack.append(_constant(i.argval)),
    "RETURN_CONST": lambda state, i: setattr(state, "result", _constant(i.argval)),
    "RETURN_VALUE": _return,
    "LOAD_DEREF": _load_deref,
    "LOAD_GLOBAL": _load_global, "LOAD_ATTR": _load_attr, "LOAD_METHOD": _load_method,
    "CALL_FUNCTION": _call_function, "CALL_FUNCTION_KW": _call_function_kw,
    "CALL_METHOD": _call_method, "CALL": _call_311, "CALL_KW": _call_kw,
    "KW_NAMES": _keyword_names,
    **{f"{kind}_{name}": _operation(symbol) for name, symbol in _OPERATOR_INSTRUCTIONS.items()
       for kind in ("BINARY", "INPLACE")},
    "BINARY_OP": _binary_op, "COMPARE_OP": _compare,
    "UNARY_NEGATIVE": _operation("neg"), "UNARY_POSITIVE": _operation("pos"),
    "UNARY_INVERT": _operation("invert"), "CALL_INTRINSIC_1": _intrinsic,
    "BINARY_SUBSCR": _subscript, "BINARY_SLICE": _binary_slice, "BUILD_SLICE": _build_slice,
    "BUILD_TUPLE": _collection("tuple"), "BUILD_LIST": _collection("list"),
    "LIST_EXTEND": _list_extend, "LIST_TO_TUPLE": _list_to_tuple,
    "BUILD_CONST_KEY_MAP": _const_key_map, "BUILD_MAP": _build_map,
    # Python 2
    "BINARY_DIVIDE": _operation("div"), "INPLACE_DIVIDE": _operation("div"),
    **{f"SLICE+{which}": _python_2_slice(which) for which in range(4)},
}  # fmt: skip
