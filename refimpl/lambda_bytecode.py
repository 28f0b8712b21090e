"""A saved Lambda function's bytecode, read without running it: text -> code object.

Keras saved a Lambda layer's Python function as its code object in `marshal`'s format:
base64 text (Keras >= 2.1, tf.keras 2.x, Keras 3) or the bytes read as
`raw_unicode_escape` text (Keras 1 and early Keras 2). Only the Python that wrote it can
`marshal.loads` it, and loading runs nothing yet but trusts the file; this module never
does either. `xdis`, a library of marshal readers and disassemblers of every Python
release, parses the bytes as data.

The bytes carry no Python version, and the code object's layout changed in 3.0, 3.8 and 3.11
and its instruction set in nearly every release. `decode` reads the bytes as each
candidate release would and keeps the releases whose reading is consistent from end to
end: every byte consumed, every instruction defined in that release with its argument in
range, the stack depth the instructions reach equal to the depth the compiler recorded,
and the line table in that release's format. Several releases may agree (3.6 and 3.7
compile `x / 127.5 - 1.0` to the same bytes); their instructions then mean the same.

Example:

>>> import base64, marshal
>>> text = base64.b64encode(marshal.dumps((lambda x: x / 127.5 - 1.0).__code__)).decode()
>>> decoded = decode(text)
>>> import sys; f"{sys.version_info[0]}.{sys.version_info[1]}" in decoded.versions
True
>>> [instruction.opname for instruction in decoded.instructions][-3:]
['LOAD_CONST', 'BINARY_OP', 'RETURN_VALUE']
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
from dataclasses import dataclass
from typing import Any

from xdis import magics
from xdis.bytecode import get_instructions_bytes
from xdis.codetype.base import CodeBase
from xdis.cross_dis import xstack_effect
from xdis.op_imports import get_opcode_module
from xdis.unmarshal import load_code

#: Releases whose Lambda bytecode can be read, oldest first: 2.7 (Keras 1 and 2 ran on
#: it), 3.5 (the oldest Python 3 that Keras 2 supported) to 3.13.
PYTHON_VERSIONS = ("2.7", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
#: First byte of a marshalled code object: TYPE_CODE, with or without FLAG_REF.
_CODE_TYPES = (ord("c"), ord("c") | 0x80)
#: Instructions that only carry the interpreter's inline caches, or do nothing.
_FILLER = {"CACHE", "EXTENDED_ARG", "NOP"}


def custom_object_key(layer_name: str, what: str = "function") -> str:
    """The `custom_objects` key that supplies a layer's saved function in place of its
    bytecode: the layer's name for its function, `'<layer>.output_shape'` (`.mask`,
    `.mode`) for the others."""
    return layer_name if what == "function" else f"{layer_name}.{what}"


class UnsafeLambdaError(ValueError):
    """A saved Lambda function that refimpl will not rebuild: it cannot be read, or it
    does something outside the small set of operations that can be rebuilt safely."""

    def __init__(
        self,
        layer_name: str,
        reason: str,
        *,
        what: str = "function",
        python: str | None = None,
        disassembly: str | None = None,
        function_name: str | None = None,
        layer_class: str = "Lambda",
    ) -> None:
        self.layer_name = layer_name
        self.reason = reason
        self.python = python
        self.disassembly = disassembly
        supply = f"custom_objects={{{custom_object_key(layer_name, what)!r}: my_{what}}}"
        if function_name and function_name != "<lambda>":
            supply += f" (or custom_objects={{{function_name!r}: my_{what}}})"
        lines = [
            f"The {what} of the {layer_class} layer {layer_name!r} was not rebuilt: {reason}",
            "refimpl never runs bytecode from a model file; it rebuilds only functions made of "
            "arithmetic, comparisons, constants, slicing and calls of a list of keras.backend, "
            "tf and NumPy functions.",
        ]
        if python:
            lines.append(f"Saved by Python {python}. Its instructions:")
        if disassembly:
            lines.append(disassembly)
        lines.append(
            f"Write the {what} again in Python and pass it when loading: {supply}"
            + (
                "; Lambda(..., output_shape=...) also takes a plain shape tuple."
                if what == "output_shape"
                else "."
            )
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class DecodedCode:
    """A code object read by `decode`: `code` is xdis's portable code object, `versions`
    the Python releases whose reading of the bytes is consistent, `instructions` the
    instructions under the oldest of them (inline caches left out), `others` the
    readings of the later ones. `certain` is False
    when no release's reading passed every check and `versions` are those whose reading
    at least has a consistent structure."""

    code: CodeBase
    versions: tuple[str, ...]
    instructions: tuple[Any, ...]
    certain: bool = True
    #: The same bytes as each of the later `versions` reads them.
    others: tuple[DecodedCode, ...] = ()

    @property
    def python(self) -> str:
        """The releases as words: '3.8', '3.8 or 3.9', '3.6 to 3.7'."""
        if len(self.versions) == 1:
            return self.versions[0]
        if len(self.versions) == 2:
            return " or ".join(self.versions)
        return f"{self.versions[0]} to {self.versions[-1]}"

    @property
    def parameters(self) -> tuple[str, ...]:
        """Names of the positional then keyword-only parameters, as the function takes them."""
        # Python 2 had no keyword-only parameters.
        count = self.code.co_argcount + getattr(self.code, "co_kwonlyargcount", 0)
        return tuple(self.code.co_varnames[:count])

    @property
    def free_variables(self) -> tuple[str, ...]:
        """Names the function reads from its closure, in the closure's order."""
        # xdis 6.3 reads the two tuples of releases before 3.11 in the wrong order; a
        # function refimpl rebuilds has no cells of its own, so one tuple is empty and
        # the other holds the closure's names, in order, whichever it is.
        return tuple(self.code.co_freevars) + tuple(self.code.co_cellvars)

    def disassembly(self) -> str:
        """One line per instruction, with the argument shown as the saving Python read it."""
        rows = []
        for instruction in self.instructions:
            shown = "" if instruction.arg is None else repr(instruction.argval)
            rows.append(f"  {instruction.offset:4d} {instruction.opname:<24} {shown}".rstrip())
        return "\n".join(rows)


def code_bytes(text: str | bytes) -> bytes:
    """The marshal bytes behind a saved function's text, in either encoding Keras used."""
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise TypeError(f"expected the saved code as text, received {type(text).__name__}")
    try:
        # Keras >= 2.1 wrote codecs' base64: the alphabet, in lines of 76 characters.
        # Raw marshal text always holds other characters (its integers hold zero bytes).
        return base64.b64decode("".join(text.split()).encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        # Keras 1 and early Keras 2 wrote the bytes themselves as raw_unicode_escape text.
        return text.encode("raw_unicode_escape")


def decode(text: str | bytes) -> DecodedCode:
    """Read a saved function's code object as data; ValueError when no release can."""
    data = code_bytes(text)
    if not data or data[0] not in _CODE_TYPES:
        raise ValueError(
            "the saved text is not a marshalled Python code object "
            f"(it starts with {data[:8]!r}; a code object starts with b'c' or b'\\xe3')"
        )
    readings = {}
    for version in PYTHON_VERSIONS:
        reading = _read_as(data, version)
        if reading is not None:
            readings[version] = reading
    if not readings:
        raise ValueError(
            f"no Python release from {PYTHON_VERSIONS[0]} to {PYTHON_VERSIONS[-1]} reads "
            f"these {len(data)} bytes as a code object"
        )
    consistent = {version: r for version, r in readings.items() if r[2]}
    chosen = consistent or readings
    (_, (code, instructions, _)), *later = chosen.items()
    others = tuple(
        DecodedCode(code, (version,), tuple(instructions), certain=bool(consistent))
        for version, (code, instructions, _) in later
    )
    return DecodedCode(
        code, tuple(chosen), tuple(instructions), certain=bool(consistent), others=others
    )


def _read_as(data: bytes, version: str) -> tuple[CodeBase, list[Any], bool] | None:
    """The code object and instructions as `version` would read `data`, and whether the
    stack depth agrees too; None when the reading's structure is inconsistent."""
    magic = magics.magic2int(magics.by_version[version])
    stream = io.BytesIO(data)
    try:
        # xdis reports the marshal types a release does not know on stderr, then
        # fails: expected while trying the releases that did not write these bytes.
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            code = load_code(stream, magic)
    except Exception:  # noqa: BLE001 - any failure only rules this release out
        return None
    if stream.tell() != len(data) or not isinstance(code, CodeBase):
        return None
    opcodes = get_opcode_module(magics.magic_int2tuple(magic), "CPython")
    try:
        every = list(get_instructions_bytes(code, opcodes))
    except Exception:  # noqa: BLE001
        return None
    instructions = [instruction for instruction in every if instruction.opname not in _FILLER]
    checks = (_instructions_defined, _arguments_in_range, _line_table_fits)
    if _caches_fit(every, version) and all(check(code, instructions, opcodes) for check in checks):
        # xdis lacks the stack effect of a few instructions of some releases (3.11's
        # MAKE_FUNCTION with a closure), so a failed depth check alone keeps the
        # reading, marked uncertain, for the disassembly an error message shows.
        return code, instructions, _stack_depth_matches(code, instructions, opcodes)
    return None


#: How many CACHE words follow an instruction in 3.11 and later (CPython's
#: `_inline_cache_entries`); an instruction not named has none.
_INLINE_CACHES = {
    "3.11": {"BINARY_SUBSCR": 4, "STORE_SUBSCR": 1, "UNPACK_SEQUENCE": 1, "STORE_ATTR": 4,
             "LOAD_ATTR": 4, "COMPARE_OP": 2, "LOAD_GLOBAL": 5, "BINARY_OP": 1,
             "LOAD_METHOD": 10, "PRECALL": 1, "CALL": 4},
    "3.12": {"LOAD_GLOBAL": 4, "BINARY_OP": 1, "UNPACK_SEQUENCE": 1, "COMPARE_OP": 1,
             "BINARY_SUBSCR": 1, "FOR_ITER": 1, "LOAD_SUPER_ATTR": 1, "LOAD_ATTR": 9,
             "STORE_ATTR": 4, "CALL": 3, "STORE_SUBSCR": 1, "SEND": 1},
    "3.13": {"LOAD_GLOBAL": 4, "BINARY_OP": 1, "UNPACK_SEQUENCE": 1, "COMPARE_OP": 1,
             "CONTAINS_OP": 1, "BINARY_SUBSCR": 1, "FOR_ITER": 1, "LOAD_SUPER_ATTR": 1,
             "LOAD_ATTR": 9, "STORE_ATTR": 4, "CALL": 3, "STORE_SUBSCR": 1, "SEND": 1,
             "JUMP_BACKWARD": 1, "TO_BOOL": 3, "POP_JUMP_IF_TRUE": 1,
             "POP_JUMP_IF_FALSE": 1, "POP_JUMP_IF_NONE": 1, "POP_JUMP_IF_NOT_NONE": 1},
}  # fmt: skip


def _caches_fit(every: list[Any], version: str) -> bool:
    """In 3.11 and later each instruction is followed by exactly its release's number
    of CACHE words (zeros, as marshal writes them); the releases differ in these."""
    caches = _INLINE_CACHES.get(version)
    if caches is None:
        return True
    position = 0
    while position < len(every):
        wanted = caches.get(every[position].opname, 0)
        following = every[position + 1 : position + 1 + wanted]
        if len(following) < wanted or any(word.opname != "CACHE" for word in following):
            return False
        position += 1 + wanted
        if position < len(every) and every[position].opname == "CACHE":
            return False
    return True


def _instructions_defined(code: CodeBase, instructions: list[Any], opcodes: Any) -> bool:
    """Every instruction exists in the release and its argument indexes something."""
    if not instructions:
        return False
    for instruction in instructions:
        name = opcodes.opname[instruction.opcode]
        if name.startswith("<") or name != instruction.opname:  # "<160>": not defined
            return False
    if opcodes.version_tuple >= (3, 11):
        # The interpreter's entry point follows only the closure's set-up.
        names = [instruction.opname for instruction in instructions]
        start = next((i for i, name in enumerate(names) if name not in _PROLOGUE), None)
        if start is None or names[start] != "RESUME":
            return False
    return True


#: Instructions that may come before RESUME in 3.11 and later.
_PROLOGUE = {"COPY_FREE_VARS", "MAKE_CELL"}
#: Instructions whose argument packs more than a table index, by the release that
#: started packing: the index is the argument shifted right by this many bits.
_PACKED_NAME = {"LOAD_GLOBAL": ((3, 11), 1), "LOAD_ATTR": ((3, 12), 1),
                "LOAD_SUPER_ATTR": ((3, 12), 2)}  # fmt: skip
#: 3.13's instructions on two locals: two 4-bit indexes in one argument.
_TWO_LOCALS = {"LOAD_FAST_LOAD_FAST", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST"}


def _arguments_in_range(code: CodeBase, instructions: list[Any], opcodes: Any) -> bool:
    """Every argument that indexes a table of the code object indexes inside it."""
    release = opcodes.version_tuple[:2]
    cells = len(code.co_cellvars) + len(code.co_freevars)
    if release >= (3, 11):
        # Closure variables are numbered after the locals there.
        cells += len(code.co_varnames)
    tables = (
        (set(opcodes.hasconst), len(code.co_consts)),
        (set(opcodes.hasname), len(code.co_names)),
        (set(opcodes.haslocal), len(code.co_varnames)),
        (set(opcodes.hasfree), cells),
    )
    for instruction in instructions:
        arg = instruction.arg or 0
        since, shift = _PACKED_NAME.get(instruction.opname, ((99,), 0))
        if release >= since:
            arg >>= shift
        indexes = (arg >> 4, arg & 15) if instruction.opname in _TWO_LOCALS else (arg,)
        for opcodes_of_table, size in tables:
            if instruction.opcode in opcodes_of_table and max(indexes) >= size:
                return False
    return True


def _stack_depth_matches(code: CodeBase, instructions: list[Any], opcodes: Any) -> bool:
    """The deepest stack the instructions reach, following every jump, is the depth the
    compiler wrote in `co_stacksize`."""
    release = opcodes.version_tuple[:2]
    by_offset = {instruction.offset: index for index, instruction in enumerate(instructions)}
    jumps = set(opcodes.hasjrel) | set(opcodes.hasjabs)
    depths: dict[int, int] = {}
    pending = [(0, 0)]
    deepest = 0
    while pending:
        index, depth = pending.pop()
        while index < len(instructions):
            if depths.get(index, -1) >= depth:
                break
            depths[index] = depth
            instruction = instructions[index]
            target = instruction.argval if instruction.opcode in jumps else None
            if target is not None:
                jumped = _stack_effect(instruction, opcodes, jump=True)
                if jumped is None or target not in by_offset:
                    return False
                if depth + jumped < 0:
                    return False
                pending.append((by_offset[target], depth + jumped))
            effect = _stack_effect(instruction, opcodes, jump=False)
            if effect is None or depth + effect < 0:
                return False
            depth += effect
            deepest = max(deepest, depth, depth + _FOLDED.get((instruction.opname, release), 0))
            if instruction.opname in _ENDS:
                break
            index += 1
    if release <= (3, 6):
        # 2.7 to 3.6 folded constants (`(-1, 6)`) after recording the depth that the
        # unfolded instructions needed, so the record may exceed what the stack reaches.
        return deepest <= code.co_stacksize
    return deepest == code.co_stacksize


#: Calls of 2.7 and 3.5, whose argument counts positional arguments in its low byte and
#: keyword (name, value) pairs in the next: values taken beyond those arguments.
_OLD_CALLS = {"CALL_FUNCTION": 0, "CALL_FUNCTION_KW": 1, "CALL_FUNCTION_VAR": 1,
              "CALL_FUNCTION_VAR_KW": 2}  # fmt: skip


def _stack_effect(instruction: Any, opcodes: Any, *, jump: bool) -> int | None:
    """How many values `instruction` adds to the stack (negative: takes). xdis's table
    is used, except where it is wrong for old releases: their calls, BUILD_SLICE."""
    arg = instruction.arg or 0
    if opcodes.version_tuple[:2] <= (3, 5) and instruction.opname in _OLD_CALLS:
        return -((arg & 0xFF) + 2 * (arg >> 8)) - _OLD_CALLS[instruction.opname]
    if instruction.opname == "BUILD_SLICE":
        return 1 - arg
    return xstack_effect(instruction.opcode, opcodes, arg, jump=jump)


#: 3.13 records the depth of LOAD_CONST + RETURN_VALUE before it folds them into one.
_FOLDED = {("RETURN_CONST", (3, 13)): 1}
#: Instructions after which control does not fall through.
_ENDS = {"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD",
         "JUMP_ABSOLUTE", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "JUMP"}  # fmt: skip


def _line_table_fits(code: CodeBase, instructions: list[Any], opcodes: Any) -> bool:
    """3.10's line table spans the whole bytecode; 2.7-3.9's table only marks where
    later lines start, so its byte increments stop short of the end."""
    version = opcodes.version_tuple[:2]
    if version >= (3, 11):
        return True
    field = "co_linetable" if version == (3, 10) else "co_lnotab"
    table = getattr(code, field, None) or b""
    if isinstance(table, str):
        # xdis reads Python 2's table as text.
        table = table.encode("latin-1")
    if len(table) % 2:
        return False
    covered = sum(table[0::2])
    if version == (3, 10):
        return covered == len(code.co_code)
    return covered < len(code.co_code)
