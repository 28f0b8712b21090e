"""Marshalled bytecode of small Lambda functions, as old Pythons wrote it.

Keras saved a `Lambda` layer's function as `marshal.dumps(func.__code__)`, so
a file holds bytecode of the Python that saved it. This module asks each old
interpreter (through `pyenv`) to compile the lambdas below and marshal their
code objects, and keeps the bytes in `lambda_bytecode.json` beside it, so the
corpus can be regenerated where those interpreters are absent. Nothing here
ever unmarshals the bytes: the current Python only base64-encodes them.

Refresh the table (needs the pyenv interpreters):

```text
python scripts/model_files/lambda_bytecode.py
```
"""

import base64
import json
import pathlib
import subprocess
import sys

TABLE_PATH = pathlib.Path(__file__).with_name("lambda_bytecode.json")

# Sources as a user's training script would have held them.
LAMBDA_SOURCES = {
    "scale-to-unit": "lambda x: x / 127.5 - 1.0",
    "mean-over-time": "lambda x: K.mean(x, axis=1)",
    "drop-time-axis-shape": "lambda s: (s[0], s[2])",
}

# Where each Python version lives on a machine set up with pyenv.
INTERPRETERS = {
    "2.7": "~/.pyenv/versions/2.7.18/bin/python",
    "3.6": "~/.pyenv/versions/3.6.15/bin/python",
    "3.7": "~/.pyenv/versions/3.7.16/bin/python",
}

# Runs inside the old interpreter: compiles each lambda as a module-level
# assignment of a script named train.py and prints its marshalled code object.
_CHILD_PROGRAM = r"""
import base64, json, marshal, sys
sources = json.loads(sys.argv[1])
out = {}
for key, source in sources.items():
    module = compile("f = " + source + "\n", "train.py", "exec")
    code = [c for c in module.co_consts if hasattr(c, "co_code")][0]
    raw = marshal.dumps(code)
    out[key] = {"marshal_base64": base64.b64encode(raw).decode("ascii"),
                "raw_unicode_escape": raw.decode("raw_unicode_escape")}
print(json.dumps(out, sort_keys=True))
"""


def marshal_with(python_version):
    """Returns `{lambda key: {marshal_base64, raw_unicode_escape}}` from one Python."""
    interpreter = str(pathlib.Path(INTERPRETERS[python_version]).expanduser())
    completed = subprocess.run(
        [interpreter, "-c", _CHILD_PROGRAM, json.dumps(LAMBDA_SOURCES)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(completed.stdout)


def refresh_table():
    """Rebuilds `lambda_bytecode.json` from the pyenv interpreters."""
    table = {"sources": LAMBDA_SOURCES, "bytecode": {}}
    for version in INTERPRETERS:
        entries = marshal_with(version)
        for key, entry in entries.items():
            raw = base64.b64decode(entry["marshal_base64"])
            # The old interpreter's raw_unicode_escape text must be the same
            # text this one makes from the bytes, or the Keras 1 form would lie.
            if raw.decode("raw_unicode_escape") != entry["raw_unicode_escape"]:
                raise ValueError(
                    f"raw_unicode_escape text of {key!r} from Python {version} "
                    "differs from the one made here from the same bytes"
                )
        table["bytecode"][version] = {
            key: entry["marshal_base64"] for key, entry in entries.items()
        }
    TABLE_PATH.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    return table


def marshalled(python_version, key):
    """Returns the marshalled code bytes of lambda `key` as `python_version` wrote them.

    Example:

    ```python
    raw = marshalled("3.6", "scale-to-unit")
    assert raw[:1] == b"\\xe3"  # a code object, with its reference flag
    ```
    """
    table = json.loads(TABLE_PATH.read_text())
    try:
        return base64.b64decode(table["bytecode"][python_version][key])
    except KeyError:
        raise KeyError(
            f"No bytecode of lambda {key!r} for Python {python_version} in "
            f"{TABLE_PATH}; known: {sorted(table['bytecode'])}. Run this module "
            "with the pyenv interpreters to refresh it."
        ) from None


if __name__ == "__main__":
    refresh_table()
    print(f"wrote {TABLE_PATH}", file=sys.stderr)
