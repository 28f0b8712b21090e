"""Model files: every file of the corpus opens and predicts what its saving Keras did.

One test per entry of `conformance/model_files/<era>/manifest.json` (see
`conformance.corpus`), named by the entry's id. Each opens its file as a Keras 2 user
would, through the implementation under test only:

- HDF5, `.keras` and SavedModel: `keras.models.load_model(path)`;
- JSON architecture + HDF5 weights: `keras.models.model_from_json(text)`, then
  `model.load_weights(path)`;

then predicts the stored inputs (a list when the model has several) and compares each
output with the stored predictions within the entry's tolerance. A file that does not
open fails with the loader's error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from conformance import corpus

ENTRIES = [pytest.param(entry, id=entry.id) for entry in corpus.entries()]


def _one_line(error: BaseException, limit: int = 400) -> str:
    """An error as one line of at most `limit` characters (results keep one line per
    test): its beginning and its end, where loaders say what they could not accept."""
    text = f"{type(error).__name__}: {' '.join(str(error).split())}"
    if len(text) <= limit:
        return text
    head = limit // 3
    return f"{text[:head]} [...] {text[-(limit - head - 7) :]}"


def _open(keras: Any, entry: corpus.ModelFile) -> Any:
    """The model of `entry`, opened as a Keras 2 user opens its format."""
    if corpus.FORMATS[entry.format][0] == ("model",):
        return keras.models.load_model(str(entry.path("model")))
    model = keras.models.model_from_json(entry.path("architecture").read_text(encoding="utf-8"))
    model.load_weights(str(entry.path("weights")))
    return model


@pytest.mark.parametrize("entry", ENTRIES)
def test_model_file(keras, entry):
    """Open the file, predict its inputs, match the saving Keras's predictions."""
    where = f"{entry.id} ({entry.format})"
    try:
        model = _open(keras, entry)
    except Exception as error:  # noqa: BLE001 - the loader's error is the test's result
        pytest.fail(f"{where} does not open: {_one_line(error)}", pytrace=False)
    inputs = entry.inputs()
    try:
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    except Exception as error:  # noqa: BLE001 - opened, but the model cannot run
        pytest.fail(f"{where} opens but does not predict: {_one_line(error)}", pytrace=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    expected = entry.expected()
    if len(outputs) != len(expected):
        pytest.fail(
            f"{where}: {len(outputs)} outputs predicted, {len(expected)} expected", pytrace=False
        )
    for index, (got, want) in enumerate(zip(outputs, expected, strict=True)):
        got = np.asarray(got)
        if got.shape != want.shape:
            pytest.fail(
                f"{where}: output {index} has shape {got.shape}, expected {want.shape}",
                pytrace=False,
            )
        close = np.isclose(got, want, rtol=entry.rtol, atol=entry.atol)
        if not close.all():
            worst = float(np.max(np.abs(got.astype("float64") - want)))
            pytest.fail(
                f"{where}: output {index} differs from the saving Keras's predictions in "
                f"{int((~close).sum())} of {close.size} values (largest difference {worst:.3g}; "
                f"tolerance rtol={entry.rtol:g}, atol={entry.atol:g})",
                pytrace=False,
            )
