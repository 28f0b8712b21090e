"""The model-file corpus: files that Keras releases wrote, with what to check them by.

`conformance/model_files/<era>/manifest.json` lists the files of one era (Keras 1.x,
standalone Keras 2.0-2.2, genuine Keras 2.12-2.15, tf_keras 2.16-2.21, Keras 3): each
entry names its format, its file(s), the inputs to predict and the predictions the
saving Keras (or a model built from the same weights) made, and the tolerance a
loader must meet. The `model-files` category (`conformance/suite/test_model_files.py`)
has one test per entry, named by the entry's id; the report groups those tests by era
and format. Nothing here imports a Keras: the suite collects without TensorFlow.

Example:

>>> first = entries()[0]
>>> first.era, first.format in FORMATS
('keras-1', True)
>>> entry_of(f"conformance/suite/test_model_files.py::test_model_file[{first.id}]") == first
True
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CORPUS = Path(__file__).resolve().parent / "model_files"

#: The eras, oldest first (the report's order); an era directory not named here
#: comes after them, alphabetically.
ERAS = ("keras-1", "keras-2.0-2.2", "keras-2.12-2.15", "tf_keras-2.16-2.21", "keras-3")

#: Format -> the keys of its `paths` entry, and how a Keras 2 user opens it (the
#: report's order).
FORMATS: dict[str, tuple[tuple[str, ...], str]] = {
    "hdf5": (("model",), "keras.models.load_model(model)"),
    "json+hdf5": (("architecture", "weights"),
                  "keras.models.model_from_json(architecture); model.load_weights(weights)"),
    "keras": (("model",), "keras.models.load_model(model)"),
    "savedmodel": (("model",), "keras.models.load_model(model)"),
    "weights-hdf5": (("architecture", "weights"),
                     "keras.models.model_from_json(architecture); model.load_weights(weights)"),
}  # fmt: skip


@dataclass(frozen=True)
class ModelFile:
    """One entry of an era's manifest."""

    id: str
    era: str
    format: str
    directory: Path  # the era's directory: `paths`, `inputs` and `expected` are relative to it
    paths: dict[str, str]
    inputs_file: str
    expected_file: str
    rtol: float
    atol: float
    writer: str
    features: tuple[str, ...]

    def path(self, key: str) -> Path:
        """The file (or SavedModel directory) under `paths[key]`."""
        return self.directory / self.paths[key]

    def inputs(self) -> list[np.ndarray]:
        """The model's inputs, in input order (`x0`, `x1`, ...)."""
        return _numbered(self.directory / self.inputs_file, "x")

    def expected(self) -> list[np.ndarray]:
        """The predictions to match, in output order (`y0`, `y1`, ...)."""
        return _numbered(self.directory / self.expected_file, "y")


def _numbered(path: Path, prefix: str) -> list[np.ndarray]:
    with np.load(path, allow_pickle=False) as arrays:
        count = sum(1 for name in arrays.files if name.startswith(prefix))
        missing = [f"{prefix}{i}" for i in range(count) if f"{prefix}{i}" not in arrays.files]
        if not count or missing:
            raise ValueError(
                f"{path}: expected arrays {prefix}0, {prefix}1, ... in order, received "
                f"{sorted(arrays.files)}"
            )
        return [arrays[f"{prefix}{i}"] for i in range(count)]


def _era_order(directory: Path) -> tuple[int, str]:
    name = directory.name
    return (ERAS.index(name) if name in ERAS else len(ERAS), name)


def _entry(directory: Path, raw: dict[str, Any]) -> ModelFile:
    fmt = raw["format"]
    if fmt not in FORMATS:
        raise ValueError(
            f"{directory / 'manifest.json'}: entry {raw.get('id')!r} has format {fmt!r}; "
            f"expected one of {sorted(FORMATS)}"
        )
    missing = [key for key in FORMATS[fmt][0] if key not in raw["paths"]]
    if missing:
        raise ValueError(
            f"{directory / 'manifest.json'}: entry {raw['id']!r} ({fmt}) needs paths "
            f"{list(FORMATS[fmt][0])}, has {sorted(raw['paths'])}"
        )
    return ModelFile(
        id=raw["id"], era=directory.name, format=fmt, directory=directory,
        paths=dict(raw["paths"]), inputs_file=raw["inputs"], expected_file=raw["expected"],
        rtol=float(raw["tolerance"]["rtol"]), atol=float(raw["tolerance"]["atol"]),
        writer=raw.get("writer", ""), features=tuple(raw.get("features", ())),
    )  # fmt: skip


@functools.cache
def entries() -> tuple[ModelFile, ...]:
    """Every file of the corpus: eras oldest first, each in its manifest's order."""
    found = []
    for directory in sorted((m.parent for m in CORPUS.glob("*/manifest.json")), key=_era_order):
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        found += [_entry(directory, raw) for raw in manifest["files"]]
    ids = [entry.id for entry in found]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise ValueError(f"{CORPUS}: ids must be unique across the corpus, doubled: {doubled}")
    return tuple(found)


def entry_of(test: str) -> ModelFile | None:
    """The corpus entry a test id names (`...::test_model_file[<id>]`), else None."""
    if not test.endswith("]") or "[" not in test:
        return None
    wanted = test[test.rindex("[") + 1 : -1]
    return next((entry for entry in entries() if entry.id == wanted), None)
