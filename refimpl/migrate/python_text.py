"""Is a block of text Python, and what would make it Python: `refimpl migrate` reads
documents it did not write, whose blocks marked `python` may hold a BibTeX entry, a
program's output, a shell or `>>>` session, or code whose indentation a web page turned
into non-breaking spaces.

`prepare(code)` answers with the code to migrate (unchanged, or with its whitespace made
Python's: each change named in `notes`) or with the reason it is not Python, and where.

>>> prepare("for i in x:\\n\\u00a0\\u00a0print(i)\\n").notes
('no-break space (U+00A0) in indentation replaced by spaces',)
>>> prepare(">>> x = 1\\n").reason
'a >>> prompt session, not a program'
"""

from __future__ import annotations

import ast
import re
import unicodedata
import warnings
from dataclasses import dataclass

#: Whitespace Python does not accept in code, other than the space and the tab:
#: Unicode's space separators (NBSP, ideographic space, em space, ...) and the
#: zero-width characters that web pages leave in copied code.
ODD_SPACES = {
    c: f"{unicodedata.name(c, f'U+{ord(c):04X}').lower()} (U+{ord(c):04X})"
    for c in [
        "\u00a0",
        "\u1680",
        *map(chr, range(0x2000, 0x200C)),
        "\u202f",
        "\u205f",
        "\u3000",
        "\ufeff",
    ]  # fmt: skip
}

#: What a block that is not Python looks like -> the reason given (first match wins).
NOT_PYTHON = (
    (re.compile(r"\A\s*@\w+\s*\{", re.S), "a BibTeX entry, not a program"),
    (re.compile(r"^\s*>>>( |$)", re.M), "a >>> prompt session, not a program"),
    (re.compile(r"^\s*(\$|%|!)\s*\w", re.M), "a shell session, not a program"),
    (re.compile(r"^\s*(Traceback \(most recent call last\)|>> |\w+(Error|Exception): )", re.M),
     "the output of a program, not a program"),
    (re.compile(r"^\s*(print [^(=]|exec [^(=])|except \w+(\.\w+)*\s*,\s*\w+\s*:", re.M),
     "Python 2 code (a print statement or `except E, e`): Keras 3 needs Python 3"),
)  # fmt: skip


@dataclass(frozen=True)
class Prepared:
    """What `prepare` answers: `code` to migrate with its `notes`, or `reason` and `line`
    (1-based, in the block) when it is not Python."""

    code: str | None
    notes: tuple[str, ...] = ()
    reason: str | None = None
    line: int = 1


def parses(code: str) -> SyntaxError | None:
    """None when `code` is Python 3, else the parser's error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            ast.parse(code)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes, deep nesting
        return SyntaxError(str(error))
    return None


def prepare(code: str) -> Prepared:
    """The block as Python to migrate, or why it is not Python (see the module)."""
    error = parses(code)
    if error is None:
        return Prepared(code)
    fixed, notes = _whitespace(code)
    if notes and parses(fixed) is None:
        return Prepared(fixed, tuple(notes))
    for pattern, reason in NOT_PYTHON:
        found = pattern.search(code)
        if found:
            return Prepared(None, reason=reason, line=code.count("\n", 0, found.start()) + 1)
    message = (error.msg or "invalid syntax").strip()
    return Prepared(None, reason=f"not Python: {message}", line=max(error.lineno or 1, 1))


def _whitespace(code: str) -> tuple[str, list[str]]:
    """`code` with line endings, odd spaces outside string quotes and indentation tabs made
    plain, and a note for each kind of change."""
    notes: list[str] = []
    if "\r" in code:
        code = code.replace("\r\n", "\n").replace("\r", "\n")
        notes.append("CR line endings made LF")
    lines = []
    seen: dict[str, bool] = {}
    for line in code.split("\n"):
        indent = re.match(r"[ \t" + "".join(ODD_SPACES) + "]*", line).group(0)
        body = line[len(indent) :]
        plain = "".join(" " if c in ODD_SPACES else c for c in indent)
        for c in set(indent) & set(ODD_SPACES):
            seen.setdefault(f"{ODD_SPACES[c]} in indentation replaced by spaces", True)
        if "\t" in plain:
            plain = plain.expandtabs(8)
            seen.setdefault("tabs in indentation replaced by spaces (a tab stop every 8 "
                            "columns, as Python counts them)", True)  # fmt: skip
        body, replaced = _outside_quotes(body)
        for c in replaced:
            seen.setdefault(f"{ODD_SPACES[c]} between tokens replaced by a space", True)
        lines.append(plain + body)
    return "\n".join(lines), notes + list(seen)


def _outside_quotes(line: str) -> tuple[str, set[str]]:
    """The line with odd spaces replaced by plain ones where no quote is open (a string
    literal keeps its characters) and before any comment."""
    out, replaced, quote = [], set(), None
    for index, c in enumerate(line):
        if quote is None and c == "#":
            out.append(line[index:])
            break
        if c in "'\"":
            quote = None if quote == c else (c if quote is None else quote)
        if quote is None and c in ODD_SPACES:
            out.append(" ")
            replaced.add(c)
        else:
            out.append(c)
    return "".join(out), replaced
