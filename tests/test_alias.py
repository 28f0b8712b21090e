"""`refimpl.install()`: `import keras` gives refimpl while Keras 3 keeps working below.

The checks run in fresh Python processes (`python -c ...`): they change which module
the name `keras` means, which must not leak into other tests. Each process prints one
JSON object of observations, asserted here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _observe(code: str) -> dict:
    """Run `code` in a fresh interpreter; return the JSON it prints on its last line."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "KERAS_BACKEND": "tensorflow",
    }
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def installed_session() -> dict:
    return _observe(
        """
        import json, sys
        import numpy as np
        import keras as keras3_before        # Keras 3, imported before the alias
        import refimpl

        seen = {}
        refimpl.install()
        import keras
        seen["keras_is_refimpl"] = keras is refimpl
        seen["version"] = keras.__version__

        from keras.models import Sequential
        from keras.layers import Dense
        import keras.backend as K
        from keras.backend.tensorflow_backend import set_session
        from keras.engine.topology import Layer
        from keras.preprocessing.text import Tokenizer
        from keras.utils import np_utils
        from keras import optimizers, callbacks
        seen["imports"] = {
            "Sequential": Sequential is refimpl.models.Sequential,
            "Dense": Dense is refimpl.layers.Dense,
            "backend": K is refimpl.backend,
            "set_session": set_session is refimpl.backend.tensorflow_backend.set_session,
            "Layer": Layer is refimpl.layers.Layer,
            "Tokenizer": Tokenizer is refimpl.preprocessing.text.Tokenizer,
            "np_utils": np_utils is refimpl.utils.np_utils,
            "optimizers": optimizers is refimpl.optimizers,
            "callbacks": callbacks is refimpl.callbacks,
            "sys.modules": sys.modules["keras.layers"] is refimpl.layers,
        }
        seen["to_categorical"] = np_utils.to_categorical([0, 2], 3).tolist()
        seen["tokenizer"] = Tokenizer(num_words=10).__class__.__module__

        # A Keras 2 model built from the aliased names trains.
        model = Sequential([Dense(4, input_dim=3, activation="relu"), Dense(1)])
        model.compile(optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True), "mse")
        history = model.fit(np.ones((8, 3)), np.ones((8, 1)), nb_epoch=2, verbose=0)
        seen["refimpl_fit_epochs"] = history.epoch

        # TensorFlow's tf.keras is still Keras 3, and Keras 3 itself still works.
        import tensorflow as tf
        seen["tf_keras_dense"] = tf.keras.layers.Dense.__module__
        seen["tf_keras_is_keras3"] = tf.keras.layers.Dense is keras3_before.layers.Dense
        k3_model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
        k3_model.compile("sgd", "mse")
        k3_history = k3_model.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=2, verbose=0)
        seen["keras3_fit_epochs"] = k3_history.epoch
        seen["keras3_model_module"] = type(k3_model).__module__
        import keras.src.layers  # Keras 3's private modules stay reachable
        seen["keras_src"] = keras.src.layers.Dense is keras3_before.layers.Dense

        # keras.ops is Keras 3 API, not Keras 2's.
        try:
            import keras.ops
            seen["keras_ops"] = "importable"
        except ImportError as error:
            seen["keras_ops"] = type(error).__name__
        try:
            from keras import ops
            seen["from_keras_import_ops"] = "importable"
        except ImportError as error:
            seen["from_keras_import_ops"] = type(error).__name__

        # Nesting: an inner install/uninstall leaves the outer one in place.
        with refimpl.installed() as inner:
            seen["nested_inner"] = inner is refimpl
        import keras
        seen["after_inner"] = keras is refimpl
        refimpl.install()
        refimpl.uninstall()
        import keras
        seen["after_balanced_pair"] = keras is refimpl

        refimpl.uninstall()
        import keras
        import keras.layers
        seen["uninstalled_is_keras3"] = keras is keras3_before
        seen["uninstalled_dense"] = keras.layers.Dense.__module__
        seen["uninstalled_same_dense"] = keras.layers.Dense is keras3_before.layers.Dense
        from keras import ops
        seen["uninstalled_ops"] = ops.__name__
        refimpl.uninstall()  # one too many: harmless
        import keras
        seen["extra_uninstall"] = keras is keras3_before
        print(json.dumps(seen))
        """
    )


def test_import_keras_gives_refimpl(installed_session):
    assert installed_session["keras_is_refimpl"] is True
    assert installed_session["version"].startswith("2.")


def test_keras2_import_paths_resolve_to_refimpl(installed_session):
    imports = installed_session["imports"]
    assert imports == {name: True for name in imports}
    assert installed_session["to_categorical"] == [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    assert installed_session["tokenizer"] == "refimpl.preprocessing.text"
    assert installed_session["refimpl_fit_epochs"] == [0, 1]


def test_tensorflow_and_keras3_keep_working_while_installed(installed_session):
    assert installed_session["tf_keras_is_keras3"] is True
    assert installed_session["tf_keras_dense"].startswith("keras.src.")
    assert installed_session["keras3_fit_epochs"] == [0, 1]
    assert installed_session["keras3_model_module"].startswith("keras.src.")
    assert installed_session["keras_src"] is True


def test_keras3_only_modules_are_not_importable_under_the_alias(installed_session):
    assert installed_session["keras_ops"] in ("ModuleNotFoundError", "ImportError")
    assert installed_session["from_keras_import_ops"] == "ImportError"


def test_installs_nest(installed_session):
    assert installed_session["nested_inner"] is True
    assert installed_session["after_inner"] is True
    assert installed_session["after_balanced_pair"] is True


def test_uninstall_restores_keras3(installed_session):
    assert installed_session["uninstalled_is_keras3"] is True
    assert installed_session["uninstalled_same_dense"] is True
    assert installed_session["uninstalled_dense"].startswith("keras.src.")
    assert installed_session["uninstalled_ops"] == "keras.ops"
    assert installed_session["extra_uninstall"] is True


def test_installed_context_manager_and_other_targets():
    seen = _observe(
        """
        import json, sys
        import refimpl
        from keras_docs_base.alias import KerasAlias

        seen = {}
        # Nothing named keras.* is imported yet apart from what refimpl needed.
        with refimpl.installed() as keras:
            import keras.layers as layers
            seen["inside"] = keras is refimpl and layers is refimpl.layers
            try:
                with refimpl.installed():
                    raise KeyError("inner failure")
            except KeyError:
                pass
            import keras
            seen["inside_after_error"] = keras is refimpl
        import keras
        seen["outside"] = keras.__name__ == "keras" and keras is not refimpl
        seen["installed_flag"] = refimpl._alias.installed

        # The same mechanism aliases Keras 2's own package (used by the script test).
        with KerasAlias("tf_keras") as keras2:
            import keras
            from keras.layers import Dense
            seen["tf_keras"] = keras.__name__ == "tf_keras" and keras is keras2
            seen["tf_keras_dense"] = Dense.__module__
        import keras
        seen["after_tf_keras"] = keras.layers.Dense.__module__
        print(json.dumps(seen))
        """
    )
    assert seen["inside"] is True
    assert seen["inside_after_error"] is True
    assert seen["outside"] is True
    assert seen["installed_flag"] is False
    assert seen["tf_keras"] is True
    assert seen["tf_keras_dense"].startswith("tf_keras.")
    assert seen["after_tf_keras"].startswith("keras.src.")
