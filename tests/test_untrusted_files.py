"""Loading a file or a config never runs code that it carries, unless the user says so.

A saved model is data. These tests craft hostile ones, each of which would create a
marker file if any of its code ran, and give them to every loader: `load_model` on
`.h5` and `.keras` files, `model_from_json`, `model_from_config` and `model_from_yaml`.
Under the default `safe_mode`, each is refused with an error and the marker never
appears; a Lambda layer's marshalled bytecode loads only with `safe_mode=False`, and
the refusal says so.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

import refimpl
from refimpl.models import (
    Sequential,
    load_model,
    model_from_config,
    model_from_json,
    model_from_yaml,
)


def _base_config() -> dict:
    model = Sequential([refimpl.layers.Dense(2, input_dim=3)])
    return json.loads(model.to_json())


def _hostile_layers(marker: Path) -> dict[str, dict]:
    """Layer configs that name code to run instead of a Keras class."""
    command = f"touch {marker}"
    return {
        "module-and-class": {"module": "os", "class_name": "system", "registered_name": "system",
                             "config": {"command": command}},
        "dotted-class-name": {"class_name": "os.system", "config": {"command": command}},
        "activation-function": {
            "module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"units": 2, "activation": {"module": "os", "class_name": "function",
                                                  "config": "system", "registered_name": "system"}},
        },
        "builtin-eval": {"module": "builtins", "class_name": "function", "config": "eval",
                         "registered_name": "function"},
        "registered-name": {"module": "subprocess", "class_name": "Popen",
                            "registered_name": "subprocess>Popen", "config": {"args": command}},
    }  # fmt: skip


def _with_layer(layer: dict) -> dict:
    config = _base_config()
    config["config"]["layers"].append(layer)
    return config


def _write_keras_archive(path: Path, config: dict) -> None:
    model = Sequential([refimpl.layers.Dense(2, input_dim=3)])
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _write_hdf5(path: Path, config: dict) -> None:
    Sequential([refimpl.layers.Dense(2, input_dim=3)]).save(path)
    with h5py.File(path, "r+") as handle:
        handle.attrs["model_config"] = json.dumps(config)


LOADERS = {
    "model_from_json": lambda config, tmp: model_from_json(json.dumps(config)),
    "model_from_config": lambda config, tmp: model_from_config(config),
    "model_from_yaml": lambda config, tmp: model_from_yaml(yaml.safe_dump(config)),
    "load_model-keras": lambda config, tmp: load_model(_written(tmp / "m.keras", config)),
    "load_model-h5": lambda config, tmp: load_model(_written(tmp / "m.h5", config)),
}


def _written(path: Path, config: dict) -> Path:
    (_write_keras_archive if path.suffix == ".keras" else _write_hdf5)(path, config)
    return path


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("hostile", sorted(_hostile_layers(Path("x"))), ids=lambda name: name)
def test_a_config_naming_code_is_refused_and_nothing_runs(tmp_path, loader, hostile):
    marker = tmp_path / "code-ran"
    config = _with_layer(_hostile_layers(marker)[hostile])
    with pytest.raises((ValueError, TypeError)):
        model = LOADERS[loader](config, tmp_path)
        model.predict(np.ones((1, 3)))  # had it loaded, calling it must not run code either
    assert not marker.exists(), f"{loader} ran the code of a {hostile} config"


def _lambda_model():
    """A model with a Python lambda, saved as marshalled bytecode; when run, it leaves a
    file called `lambda-ran` in the working directory."""
    touch_then_double = lambda x: (  # noqa: E731 - a lambda on purpose
        __import__("pathlib").Path("lambda-ran").touch(),
        x * 2.0,
    )[1]
    layers = [refimpl.layers.Dense(2, input_dim=3), refimpl.layers.Lambda(touch_then_double)]
    return Sequential(layers)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lambda_bytecode_loads_only_with_safe_mode_off(tmp_path, monkeypatch, suffix):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "lambda-ran"
    path = tmp_path / f"lambda{suffix}"
    _lambda_model().save(path)
    marker.unlink(missing_ok=True)  # saving traced the function once
    with pytest.raises(ValueError, match="safe_mode=False"):
        load_model(path)
    assert not marker.exists()
    loaded = load_model(path, safe_mode=False)  # the user vouches for the file
    np.testing.assert_allclose(
        loaded.predict(np.ones((1, 3))), 2.0 * loaded.layers[0](np.ones((1, 3))), rtol=1e-6
    )
    assert marker.exists()  # the payload was real: it ran once the user allowed it
