"""Writing a user's file so that a failure never destroys the previous one.

Every writer of a user's file (a saved model, saved weights, a results file, a report
page) writes a temporary file beside the target, flushes it to the disk, then puts it
in the target's place with `os.replace`, which is atomic on one file system. A crash,
a full disk or a kill at any moment leaves either the old file or the new one, never
a mixture or nothing, and a failed write removes its temporary file.

refimpl uses it for `model.save` and `save_weights`, the suite for its results and
report pages, `refimpl migrate --write` for the files it edits: it lives in the base
both packages stand on, so neither imports the other for it.

Example:

>>> with replace_atomically("model.h5") as temporary:  # doctest: +SKIP
...     write_the_model(temporary)          # any writer that takes a path
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _fsync(path: str | os.PathLike[str], directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        descriptor = os.open(path, flags)
    except OSError:  # a platform that cannot open directories: nothing to sync
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a directory
        pass
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def replace_atomically(target: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path beside `target`; on success it replaces `target`.

    The temporary name keeps `target`'s suffixes (`.h5`, `.keras`, `.weights.h5`),
    which writers that choose a format by the suffix need. On any exception the temporary file is
    removed and `target` is left as it was.
    """
    target = os.fspath(target)
    directory = os.path.dirname(os.path.abspath(target))
    name = os.path.basename(target)
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{name}.", suffix=".partial" + "".join(Path(name).suffixes)
    )
    os.close(handle)
    os.remove(temporary)  # writers create it themselves (h5py refuses an empty file)
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _fsync(directory, directory=True)


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `target` atomically."""
    with replace_atomically(target) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
