"""`python -m refimpl script.py [args]`: run an unmodified Keras 2 script on refimpl.

The script runs as `__main__` with `sys.argv` set to `[script.py, args...]`, exactly as
`python script.py args` would run it, except that `import keras` gives refimpl.
`python -m refimpl -m package.module [args]` runs a module the same way, and
`python -m refimpl NOTEBOOK.ipynb` runs a notebook's code cells (`refimpl.notebook`).
"""

from __future__ import annotations

import os
import runpy
import sys

USAGE = (
    "usage: python -m refimpl SCRIPT.py [ARGS...] | NOTEBOOK.ipynb | -m MODULE [ARGS...] | "
    "migrate PATH... [--diff | --check | --write] | convert OLD_MODEL NEW.keras [--check]"
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    if argv[0] == "migrate":
        from refimpl import migrate

        return migrate.main(argv[1:])
    if argv[0] == "convert":
        from refimpl.saved import convert

        return convert.main(argv[1:])
    import refimpl

    refimpl.install()
    if argv[0].endswith(".ipynb"):
        from refimpl import notebook

        if len(argv) > 1:
            print(f"refimpl: a notebook takes no arguments, received {argv[1:]}", file=sys.stderr)
            return 2
        return notebook.run(argv[0])
    if argv[0] == "-m":
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        # As `python script.py` does: the script's own directory comes first on
        # `sys.path` (instead of the current directory), so that the script can import
        # the modules beside it.
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
