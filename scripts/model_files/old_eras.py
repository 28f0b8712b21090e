"""Writes the model-file corpus of Keras 1.x and standalone Keras 2.0-2.2.

Those releases no longer install, so their files are written here with h5py
from the documented format (`hdf5_layout.py`, `old_configs.py`), with weights
drawn from a seeded generator. Each file's expected predictions come from an
oracle: the same model built on tf_keras, its weights converted from the
file's arrays by `weight_layouts.py`. Every file is also opened by tf_keras
itself where it still can (`load_model`, or `load_weights` into the oracle's
architecture, which runs tf_keras's own Keras 1 and cuDNN conversions), and
the two predictions must agree, so the oracle and tf_keras check each other.

Run from the repository root:

```text
python scripts/model_files/old_eras.py              # writes conformance/model_files/...
python scripts/model_files/old_eras.py --out /tmp/x  # elsewhere, e.g. to compare
```
"""

import argparse
import io
import json
import pathlib
import sys
import zipfile
import zlib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import hdf5_layout  # noqa: E402
import old_eras_keras1  # noqa: E402
import old_eras_keras1_graphs  # noqa: E402
import old_eras_keras1_images  # noqa: E402
import old_eras_keras2  # noqa: E402
import old_eras_keras2_recurrent  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPOSITORY / "conformance" / "model_files"
GENERATOR = "scripts/model_files/old_eras.py"
CROSSCHECK_TOLERANCE = {"rtol": 1e-5, "atol": 1e-6}

ERAS = {
    "keras-1": (
        old_eras_keras1.CASES + old_eras_keras1_images.CASES + old_eras_keras1_graphs.CASES
    ),
    "keras-2.0-2.2": old_eras_keras2.CASES + old_eras_keras2_recurrent.CASES,
}


def seeded_generator(file_id):
    """One generator per file, seeded by its id, so files do not shift each other."""
    return np.random.RandomState(zlib.crc32(file_id.encode("utf8")))


def save_npz(path, arrays):
    """An `.npz` with fixed timestamps, so a rerun writes the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def write_case_files(case, era_dir):
    """Writes the model file(s) of `case`; returns the manifest's `paths`."""
    stem = case.stem
    if case.format == "hdf5":
        hdf5_layout.write_model_file(
            era_dir / f"{stem}.h5",
            root_attributes=case.root_attributes,
            model_config=case.model_config,
            training_config=case.training_config,
            layers=case.layers,
            weights_group_attributes=case.weights_group_attributes,
            optimizer_weights=case.optimizer_weights,
        )
        return {"model": f"{stem}.h5"}
    if case.format == "json+hdf5":
        architecture = dict(case.model_config, **case.json_extra)
        (era_dir / f"{stem}.json").write_text(json.dumps(architecture))
        hdf5_layout.write_weights_file(
            era_dir / f"{stem}-weights.h5",
            layers=case.layers,
            attributes=case.weights_group_attributes,
        )
        return {"architecture": f"{stem}.json", "weights": f"{stem}-weights.h5"}
    raise ValueError(f"Unknown format {case.format!r} of {case.id}")


def predict(model, inputs):
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    if not isinstance(outputs, list):
        outputs = [outputs]
    return [np.asarray(output, dtype="float32") for output in outputs]


CROSSCHECK_DESCRIPTIONS = {
    "load_model": "tf_keras.models.load_model",
    "load_weights": "tf_keras load_weights(by_name=True) into the oracle's architecture",
}


def expected_from(case):
    """The manifest's account of where a file's expected predictions come from."""
    text = (
        "tf_keras model built from the same weights "
        "(converted by scripts/model_files/weight_layouts.py)"
    )
    if case.expected_note:
        text += f"; {case.expected_note}"
    if case.crosscheck is not None:
        text += f"; agrees with {CROSSCHECK_DESCRIPTIONS[case.crosscheck]}"
    return text


def crosscheck(case, paths, era_dir, expected):
    """Opens the written file with tf_keras itself and compares its predictions."""
    import tf_keras

    if case.crosscheck is None:
        return
    if case.crosscheck == "load_model":
        model = tf_keras.models.load_model(era_dir / paths["model"], compile=False)
    else:
        model = case.build_oracle(tf_keras, None)
        weights_path = str(era_dir / paths.get("weights", paths.get("model")))
        if case.build_twin is None:
            model.load_weights(weights_path, by_name=True)
        else:
            # tf_keras loads into a twin whose layers it can convert for; the
            # oracle then takes the loaded weights layer by layer.
            twin = case.build_twin(tf_keras)
            twin.load_weights(weights_path, by_name=True)
            for layer in twin.layers:
                if layer.weights:
                    model.get_layer(layer.name).set_weights(layer.get_weights())
    for index, (ours, theirs) in enumerate(zip(expected, predict(model, case.inputs), strict=True)):
        if not np.allclose(ours, theirs, **CROSSCHECK_TOLERANCE):
            worst = float(np.max(np.abs(ours - theirs)))
            raise AssertionError(
                f"{case.id}: output {index} of the oracle and of "
                f"{CROSSCHECK_DESCRIPTIONS[case.crosscheck]} differ "
                f"(max abs difference {worst:.3g})"
            )


def build_era(era, cases, out_dir, expected_for=None):
    """Writes one era's files and manifest.

    `expected_for`: ids whose expected predictions are computed (with tf_keras);
    None means every file.
    """
    era_dir = out_dir / era
    era_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for make_case in cases:
        case = make_case(seeded_generator)
        paths = write_case_files(case, era_dir)
        save_npz(
            era_dir / f"{case.stem}.inputs.npz", {f"x{i}": x for i, x in enumerate(case.inputs)}
        )
        if expected_for is None or case.id in expected_for:
            import tf_keras

            tf_keras.backend.clear_session()
            expected = predict(case.build_oracle(tf_keras, case.layers), case.inputs)
            save_npz(
                era_dir / f"{case.stem}.expected.npz", {f"y{i}": y for i, y in enumerate(expected)}
            )
            crosscheck(case, paths, era_dir, expected)
            print(
                f"{era}/{case.stem}: expected predictions written and cross-checked",
                file=sys.stderr,
            )
        entry = {
            "id": case.id,
            "format": case.format,
            "writer": case.writer,
            "paths": paths,
            "inputs": f"{case.stem}.inputs.npz",
            "expected": f"{case.stem}.expected.npz",
            "expected_from": expected_from(case),
            "tolerance": case.tolerance,
            "features": case.features,
        }
        if case.python:
            entry["python"] = case.python
        entries.append(entry)
    manifest = {"era": era, "generator": GENERATOR, "files": entries}
    (era_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--expected-for",
        action="append",
        metavar="ID",
        help="compute expected predictions only for this file id (repeatable); "
        "'none' for none (no tf_keras). Default: every file.",
    )
    args = parser.parse_args(argv)
    expected_for = None if args.expected_for is None else set(args.expected_for)
    for era, cases in ERAS.items():
        build_era(era, cases, args.out, expected_for)


if __name__ == "__main__":
    main()
