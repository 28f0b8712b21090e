"""The expression a saved Lambda function is rebuilt as, and the function made of it.

refimpl.lambda_rebuild turns a saved function's instructions into a tree of these
expressions: arguments, constants, allowed names (refimpl.lambda_calls), attributes of
values, calls, operators, subscripts, slices, tuples, lists and dicts. Evaluating the
tree on the function's arguments computes what the saved function computed, by calling
only the allowed names and Python's operators; `source()` shows it as Python.

Example:

>>> from refimpl.lambda_expressions import Argument, Constant, Operation
>>> half = Operation("/", (Argument("x"), Constant(2.0)))
>>> half.source(), half.evaluate({"x": 3.0})
('x / 2.0', 1.5)
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from refimpl import lambda_calls


class NotRebuildable(Exception):
    """The function does something outside what `rebuild` can express safely."""


# ---------------------------------------------------------------------------------------
# Expressions


class Expression:
    """A node of a rebuilt function's expression tree."""

    def evaluate(self, scope: dict[str, Any]) -> Any:
        raise NotImplementedError

    def source(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Argument(Expression):
    name: str

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return scope[self.name]

    def source(self) -> str:
        return self.name


@dataclass(frozen=True)
class Constant(Expression):
    value: Any

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return self.value

    def source(self) -> str:
        return "..." if self.value is Ellipsis else repr(self.value)


@dataclass(frozen=True)
class Name(Expression):
    """An allowed name of refimpl.lambda_calls (`K.mean`, `np.pi`, `abs`)."""

    dotted: str

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return lambda_calls.lookup(self.dotted)

    def source(self) -> str:
        # In the tables' spelling (`K.mean`, `tf.space_to_depth`), whatever the module
        # was imported as: the source then reads the same for every saved function.
        return lambda_calls.canonical(self.dotted)


@dataclass(frozen=True)
class Namespace(Expression):
    """A module on the way to an allowed name (`tf`, `tf.image`); never a value itself."""

    dotted: str

    def evaluate(self, scope: dict[str, Any]) -> Any:
        raise NotRebuildable(f"the module {self.dotted} is used as a value")

    def source(self) -> str:
        return self.dotted


#: Attributes a rebuilt function may read from a value (a tensor, a shape).
TENSOR_ATTRIBUTES = {"shape", "ndim", "dtype"}


@dataclass(frozen=True)
class Attribute(Expression):
    base: Expression
    name: str

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return getattr(self.base.evaluate(scope), self.name)

    def source(self) -> str:
        return f"{_operand(self.base)}.{self.name}"


@dataclass(frozen=True)
class Call(Expression):
    function: Name
    args: tuple[Expression, ...]
    keywords: tuple[tuple[str, Expression], ...] = ()

    def evaluate(self, scope: dict[str, Any]) -> Any:
        args = [arg.evaluate(scope) for arg in self.args]
        keywords = {name: value.evaluate(scope) for name, value in self.keywords}
        return self.function.evaluate(scope)(*args, **keywords)

    def source(self) -> str:
        shown = [arg.source() for arg in self.args]
        shown += [f"{name}={value.source()}" for name, value in self.keywords]
        return f"{self.function.source()}({', '.join(shown)})"


def _bounded_repeat(a: Any, b: Any) -> Any:
    """`a * b`, refusing to build a huge sequence out of a constant one."""
    for sequence, count in ((a, b), (b, a)):
        repeated = isinstance(sequence, (str, bytes, tuple, list)) and isinstance(count, int)
        if repeated and len(sequence) * count > 10_000:
            raise ValueError(f"a rebuilt Lambda repeated a sequence {count} times")
    return operator.mul(a, b)


def _classic_divide(a: Any, b: Any) -> Any:
    """Python 2's `/` without `from __future__ import division`: integers floor-divide."""
    if isinstance(a, int) and isinstance(b, int):
        return operator.floordiv(a, b)
    return operator.truediv(a, b)


def _bounded_power(a: Any, b: Any) -> Any:
    """`a ** b`, refusing integer powers that would take the process's memory."""
    if isinstance(a, int) and isinstance(b, int) and abs(b) > 256:
        raise ValueError(f"a rebuilt Lambda raised an integer to the power {b}")
    return operator.pow(a, b)


#: Operators -> (function, precedence for showing the source; higher binds tighter).
OPERATORS: dict[str, tuple[Callable[..., Any], int]] = {
    "+": (operator.add, 4), "-": (operator.sub, 4), "*": (_bounded_repeat, 5),
    "/": (operator.truediv, 5), "div": (_classic_divide, 5), "//": (operator.floordiv, 5),
    "%": (operator.mod, 5),
    "@": (operator.matmul, 5), "**": (_bounded_power, 7), "&": (operator.and_, 2),
    "|": (operator.or_, 1), "^": (operator.xor, 2),
    "<": (operator.lt, 0), "<=": (operator.le, 0), "==": (operator.eq, 0),
    "!=": (operator.ne, 0), ">": (operator.gt, 0), ">=": (operator.ge, 0),
    "neg": (operator.neg, 6), "pos": (operator.pos, 6), "invert": (operator.invert, 6),
}  # fmt: skip
UNARY_SIGNS = {"neg": "-", "pos": "+", "invert": "~"}


@dataclass(frozen=True)
class Operation(Expression):
    symbol: str
    operands: tuple[Expression, ...]

    def evaluate(self, scope: dict[str, Any]) -> Any:
        function, _ = OPERATORS[self.symbol]
        return function(*(operand.evaluate(scope) for operand in self.operands))

    def source(self) -> str:
        precedence = OPERATORS[self.symbol][1]
        if self.symbol in UNARY_SIGNS:
            return UNARY_SIGNS[self.symbol] + _operand(self.operands[0], precedence)
        left, right = self.operands
        shown = "/" if self.symbol == "div" else self.symbol
        # Left-associative: only the right operand needs brackets at equal precedence.
        return f"{_operand(left, precedence)} {shown} {_operand(right, precedence + 1)}"


@dataclass(frozen=True)
class Subscript(Expression):
    base: Expression
    index: Expression

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return self.base.evaluate(scope)[self.index.evaluate(scope)]

    def source(self) -> str:
        index = self.index
        if isinstance(index, Collection) and index.kind == "tuple" and index.items:
            shown = ", ".join(item.source() for item in index.items)
        elif isinstance(index, Constant) and isinstance(index.value, tuple) and index.value:
            shown = ", ".join(Constant(item).source() for item in index.value)
        else:
            shown = index.source()
        return f"{_operand(self.base)}[{shown}]"


@dataclass(frozen=True)
class Slice(Expression):
    start: Expression
    stop: Expression
    step: Expression | None = None

    def evaluate(self, scope: dict[str, Any]) -> Any:
        step = None if self.step is None else self.step.evaluate(scope)
        return slice(self.start.evaluate(scope), self.stop.evaluate(scope), step)

    def source(self) -> str:
        parts = [self.start, self.stop] + ([self.step] if self.step is not None else [])
        shown = [
            "" if isinstance(part, Constant) and part.value is None else part.source()
            for part in parts
        ]
        return ":".join(shown)


@dataclass(frozen=True)
class Collection(Expression):
    kind: str  # "tuple" or "list"
    items: tuple[Expression, ...]

    def evaluate(self, scope: dict[str, Any]) -> Any:
        values = [item.evaluate(scope) for item in self.items]
        return tuple(values) if self.kind == "tuple" else values

    def source(self) -> str:
        shown = ", ".join(item.source() for item in self.items)
        if self.kind == "list":
            return f"[{shown}]"
        return f"({shown},)" if len(self.items) == 1 else f"({shown})"


@dataclass(frozen=True)
class Mapping(Expression):
    pairs: tuple[tuple[Expression, Expression], ...]

    def evaluate(self, scope: dict[str, Any]) -> Any:
        return {key.evaluate(scope): value.evaluate(scope) for key, value in self.pairs}

    def source(self) -> str:
        return "{" + ", ".join(f"{k.source()}: {v.source()}" for k, v in self.pairs) + "}"


def _operand(expression: Expression, precedence: int = 8) -> str:
    """`expression`'s source, bracketed when it binds looser than `precedence`."""
    text = expression.source()
    if isinstance(expression, Operation) and OPERATORS[expression.symbol][1] < precedence:
        return f"({text})"
    return text


# ---------------------------------------------------------------------------------------
# The rebuilt function


class RebuiltFunction:
    """A saved function rebuilt as an expression: calling it evaluates the expression on
    its arguments. `source` shows it as Python; `python` names the saving release(s)."""

    def __init__(
        self, name: str, signature: inspect.Signature, body: Expression, python: str
    ) -> None:
        self.__name__ = self.__qualname__ = name
        self.__signature__ = signature
        self.body = body
        self.python = python
        parameters = str(signature)[1:-1]
        head = f"lambda {parameters}" if parameters else "lambda"
        self.source = f"{head}: {body.source()}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        return self.body.evaluate(dict(bound.arguments))

    def __repr__(self) -> str:
        return f"<rebuilt Lambda function of Python {self.python}: {self.source}>"
