"""The model-file corpus is well formed, and its script remakes it.

Checks every era directory under `conformance/model_files/`: the manifest's
schema, that each file it names exists, that inputs and expected predictions
agree in count and batch size, that ids are unique across the corpus, that the
corpus stays small, and that the HDF5 files hold what their layout promises.
The old-era generator (`scripts/model_files/old_eras.py`) must write the same
models, inputs and manifests again, byte for byte, and the same expected
predictions for a file of each era.
"""

import json
import pathlib
import re
import subprocess
import sys

import h5py
import numpy as np
import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
CORPUS = REPOSITORY / "conformance" / "model_files"
OLD_ERAS_SCRIPT = REPOSITORY / "scripts" / "model_files" / "old_eras.py"
OLD_ERAS = ("keras-1", "keras-2.0-2.2")
# Files whose expected predictions the regeneration test recomputes: one per
# old era, each through a weight-layout conversion.
RECOMPUTED = ("keras1-embedding-lstm", "keras2.1-cudnnlstm")

FORMATS = {
    "hdf5": {"model"},
    "json+hdf5": {"architecture", "weights"},
    "keras": {"model"},
    "savedmodel": {"model"},
    "weights-hdf5": {"architecture", "weights"},
}
REQUIRED_KEYS = {
    "id",
    "format",
    "writer",
    "paths",
    "inputs",
    "expected",
    "expected_from",
    "tolerance",
    "features",
}
OPTIONAL_KEYS = {"python"}
ID_PATTERN = re.compile(r"^[a-z0-9.-]+$")
CORPUS_SIZE_LIMIT = 4 * 1024 * 1024  # bytes, every era together
OLD_ERAS_SIZE_LIMIT = 2 * 1024 * 1024


def manifests():
    return sorted(CORPUS.glob("*/manifest.json"))


def entries():
    for manifest_path in manifests():
        manifest = json.loads(manifest_path.read_text())
        for entry in manifest["files"]:
            yield manifest_path.parent, entry


def entry_id(value):
    return value[1]["id"] if isinstance(value, tuple) else None


def test_old_eras_are_present():
    eras = {path.parent.name for path in manifests()}
    assert set(OLD_ERAS) <= eras, f"missing eras: {set(OLD_ERAS) - eras}"


@pytest.mark.parametrize("manifest_path", manifests(), ids=lambda p: p.parent.name)
def test_manifest_header(manifest_path):
    manifest = json.loads(manifest_path.read_text())
    assert manifest["era"] == manifest_path.parent.name
    # The generator's script, then its arguments (`installed.py keras2`).
    script = manifest["generator"].split()[0]
    assert (REPOSITORY / script).is_file(), manifest["generator"]
    assert manifest["files"], "a manifest lists at least one file"


def test_ids_are_unique_across_the_corpus():
    ids = [entry["id"] for _, entry in entries()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"ids used more than once: {duplicates}"


@pytest.mark.parametrize("era_dir, entry", list(entries()), ids=entry_id)
def test_entry_schema_and_files(era_dir, entry):
    keys = set(entry)
    assert keys >= REQUIRED_KEYS, f"missing keys {REQUIRED_KEYS - keys}"
    assert keys <= REQUIRED_KEYS | OPTIONAL_KEYS, (
        f"unknown keys {keys - REQUIRED_KEYS - OPTIONAL_KEYS}"
    )
    assert ID_PATTERN.match(entry["id"]), entry["id"]
    assert entry["format"] in FORMATS, entry["format"]
    assert set(entry["paths"]) == FORMATS[entry["format"]], entry["paths"]
    for relative in [*entry["paths"].values(), entry["inputs"], entry["expected"]]:
        assert (era_dir / relative).exists(), f"{era_dir.name}/{relative} is missing"
    assert set(entry["tolerance"]) == {"rtol", "atol"}
    assert all(0 < value < 0.01 for value in entry["tolerance"].values())
    assert entry["features"] and all(isinstance(f, str) for f in entry["features"])
    if any(feature.startswith("lambda-py") for feature in entry["features"]):
        assert re.match(r"^[23]\.\d+$", entry.get("python", "")), "a Lambda file names its Python"


@pytest.mark.parametrize("era_dir, entry", list(entries()), ids=entry_id)
def test_inputs_and_expected_agree(era_dir, entry):
    with np.load(era_dir / entry["inputs"]) as inputs_file:
        inputs = [inputs_file[f"x{i}"] for i in range(len(inputs_file.files))]
    with np.load(era_dir / entry["expected"]) as expected_file:
        expected = [expected_file[f"y{i}"] for i in range(len(expected_file.files))]
    assert inputs and expected
    batch = inputs[0].shape[0]
    assert 2 <= batch <= 4, f"{batch} samples"
    for array in inputs:
        assert array.shape[0] == batch
        assert array.dtype in (np.float32, np.int32, np.int64), array.dtype
    for array in expected:
        assert array.shape[0] == batch
        assert array.dtype == np.float32
        assert np.all(np.isfinite(array))


def hdf5_weights_groups(era_dir, entry):
    if entry["format"] == "hdf5":
        return era_dir / entry["paths"]["model"], "model_weights"
    return era_dir / entry["paths"]["weights"], "/"


OLD_ENTRIES = [(d, e) for d, e in entries() if d.name in OLD_ERAS]


@pytest.mark.parametrize("era_dir, entry", OLD_ENTRIES, ids=entry_id)
def test_old_era_hdf5_layout(era_dir, entry):
    """Every listed layer has a group, every listed weight a dataset."""
    path, group_name = hdf5_weights_groups(era_dir, entry)
    with h5py.File(path, "r") as handle:
        if entry["format"] == "hdf5":
            config = json.loads(handle.attrs["model_config"])
            assert {"class_name", "config"} <= set(config)
        else:
            architecture = json.loads((era_dir / entry["paths"]["architecture"]).read_text())
            assert {"class_name", "config"} <= set(architecture)
        group = handle[group_name]
        # Keras 2 told a Keras 1 file by the missing version on this group.
        assert ("keras_version" in group.attrs) == (era_dir.name != "keras-1")
        layer_names = [name.decode("utf8") for name in group.attrs["layer_names"]]
        assert len(set(layer_names)) == len(layer_names)
        for layer_name in layer_names:
            weight_names = [name.decode("utf8") for name in group[layer_name].attrs["weight_names"]]
            for weight_name in weight_names:
                assert group[layer_name][weight_name].dtype.kind in "fiu"


def test_corpus_size():
    sizes = {era: sum(f.stat().st_size for f in (CORPUS / era).iterdir()) for era in OLD_ERAS}
    assert sum(sizes.values()) < OLD_ERAS_SIZE_LIMIT, sizes
    total = sum(f.stat().st_size for f in CORPUS.rglob("*") if f.is_file())
    assert total < CORPUS_SIZE_LIMIT, total


def run_old_eras(out_dir, *expected_for):
    arguments = [sys.executable, str(OLD_ERAS_SCRIPT), "--out", str(out_dir)]
    for file_id in expected_for or ("none",):
        arguments += ["--expected-for", file_id]
    subprocess.run(arguments, check=True, capture_output=True, timeout=600)


def test_old_eras_script_remakes_models_inputs_and_manifests(tmp_path):
    run_old_eras(tmp_path)
    for era in OLD_ERAS:
        committed = {
            p.name for p in (CORPUS / era).iterdir() if not p.name.endswith(".expected.npz")
        }
        remade = {p.name for p in (tmp_path / era).iterdir()}
        assert committed == remade, f"{era}: {committed ^ remade}"
        for name in sorted(committed):
            assert (CORPUS / era / name).read_bytes() == (tmp_path / era / name).read_bytes(), (
                f"{era}/{name} differs when remade"
            )


def test_old_eras_script_remakes_expected_predictions(tmp_path):
    run_old_eras(tmp_path, *RECOMPUTED)
    for era_dir, entry in OLD_ENTRIES:
        if entry["id"] not in RECOMPUTED:
            continue
        with (
            np.load(era_dir / entry["expected"]) as committed,
            np.load(tmp_path / era_dir.name / entry["expected"]) as remade,
        ):
            assert committed.files == remade.files
            for key in committed.files:
                np.testing.assert_allclose(committed[key], remade[key], rtol=1e-6, atol=1e-7)
