"""The rules of `refimpl migrate`, as data: what Keras 2 spells one way and Keras 3
another, and what is left for a person.

Two sources of rules:

- **Arguments**, from `refimpl.legacy.TRANSLATIONS` itself (read by the transformer),
  so that a translation added for refimpl is a migration too.
- **APIs**, from the tables here: class names, module paths, the generator methods,
  the optimizers whose `decay` becomes a schedule, the node API, the names whose every
  use is flagged, and `API_RULES`, the one-line statement of each rewrite that the
  docs and the report show.

A `Flag` is what the tool left to do by hand; its words are in
`keras_docs_base/strings/<lang>.toml` (`[migrate.flags]`), one entry per kind.

Example:

>>> CLASS_NAMES["Convolution2D"], METHODS["fit_generator"]
('Conv2D', 'fit')
>>> Flag("yaml-write").text("en")
'Keras 3 cannot write YAML; use model.to_json()'
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_docs_base import strings

FLAG = "# keras-migrate:"

#: Keras 1 and Keras 2 class names -> Keras 3's (refimpl.layers.ALIASES, without
#: importing refimpl's layers and with them TensorFlow).
CLASS_NAMES = {
    "Convolution1D": "Conv1D", "Convolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Deconvolution2D": "Conv2DTranspose", "Deconv2D": "Conv2DTranspose",
    "Deconvolution3D": "Conv3DTranspose", "Deconv3D": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D", "SeparableConvolution2D": "SeparableConv2D",
    "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D", "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
}  # fmt: skip

#: Keras 2 module paths -> Keras 3's.
MODULES = {
    "keras.utils.np_utils": "keras.utils",
    "keras.utils.generic_utils": "keras.utils",
    "keras.utils.data_utils": "keras.utils",
    "keras.utils.vis_utils": "keras.utils",
    "keras.preprocessing.sequence": "keras.utils",
    **{
        f"keras.layers.{name}": "keras.layers"
        for name in (
            "core", "convolutional", "recurrent", "embeddings", "normalization", "pooling",
            "merge", "wrappers", "noise", "advanced_activations", "local",
            "convolutional_recurrent",
        )
    },
}  # fmt: skip

#: Keras 2 method names -> Keras 3's, with the legacy table entry for their arguments.
METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
#: Arguments of the generator methods that Keras 3's `fit` has moved to `PyDataset`.
WORKER_ARGUMENTS = ("workers", "use_multiprocessing", "max_queue_size")

#: Optimizers whose Keras 2 `decay` was the time-based learning-rate decay (Nadam's
#: `decay` was its momentum schedule).
DECAYING_OPTIMIZERS = ("SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax")

#: Names whose every use is flagged -> the kind of flag.
FLAGGED_NAMES = {
    "Tokenizer": "tokenizer",
    "to_yaml": "yaml-write",
    "model_from_yaml": "yaml-read",
    "get_session": "session",
    "set_session": "session",
    "learning_phase": "learning-phase",
}

#: The node API: Keras 2 method -> (the Keras 3 attribute for node 0, whether its shape).
NODE_API = {
    "get_output_at": ("output", False),
    "get_input_at": ("input", False),
    "get_output_shape_at": ("output", True),
    "get_input_shape_at": ("input", True),
}


@dataclass(frozen=True)
class Flag:
    """Something the tool left for a person: its kind (a key of `[migrate.flags]` in
    keras_docs_base/strings/<lang>.toml, whose text the code gets as a comment in English and
    a Keras 3 tab in its page's language) and the names its text mentions."""

    kind: str
    values: tuple[tuple[str, str], ...] = ()

    def text(self, language: str = "en") -> str:
        return strings.words(language, "migrate")["flags"][self.kind].format(**dict(self.values))

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class ApiRule:
    """One API-level rewrite: its one-line rule, as the report and the docs show it."""

    name: str
    rule: str


#: The API-level rewrites (the argument-level ones come from `legacy.TRANSLATIONS`).
API_RULES = (
    ApiRule("generator-methods", "`fit_generator`/`evaluate_generator`/`predict_generator` "
            "-> `fit`/`evaluate`/`predict`; `workers`, `use_multiprocessing`, "
            "`max_queue_size` dropped there and from `fit`/`evaluate`/`predict` (Keras 3 "
            "reads them from a `PyDataset`)"),
    ApiRule("optimizer-decay", "`SGD(lr=a, decay=d)` (any optimizer) -> `learning_rate="
            "keras.optimizers.schedules.InverseTimeDecay(a, 1, d)`: Keras 2's "
            "`lr / (1 + decay * iterations)`"),
    ApiRule("int-shape", "`K.int_shape(x)` -> `tuple(x.shape)`"),
    ApiRule("layer-shapes", "`layer.output_shape` / `input_shape` on a layer (a name "
            "bound to a `keras.layers` class, `model.layers[i]`, `model.get_layer(...)`) -> "
            "`tuple(layer.output.shape)`; elsewhere flagged, as Keras 3 models keep the "
            "attribute and layers do not"),
    ApiRule("node-api", "`layer.get_output_at(0)` (`get_input_at`, `get_output_shape_at`, "
            "`get_input_shape_at`) -> `layer.output` (`input`, their shapes): Keras 3 keeps "
            "node 0 only; other nodes flagged"),
    ApiRule("batch-input-shape", "`batch_input_shape=(b, ...)` (or `batch_size=b` beside "
            "`input_shape=(...)`) -> `input_shape=(...)`; on a stateful layer, "
            "`keras.Input(batch_shape=(b, ...))` before it in its `Sequential` (added or "
            "listed, itself or by name), dropped where the layer is called on a tensor"),
    ApiRule("loss-per-output", "one `loss` (and a flat list of `metrics`) with a list or dict "
            "of losses or `loss_weights` -> one per output (Keras 2 used them for every "
            "output)"),
    ApiRule("class-names", "Keras 1 class names (`Convolution2D`, `MaxPool2D`, ...) -> "
            "Keras 3's"),
    ApiRule("module-paths", "Keras 2 module paths (`keras.utils.np_utils`, "
            "`keras.layers.convolutional`, ...) -> Keras 3's"),
    ApiRule("positional-kernel-size", "`Conv2D(32, 3, 3)` -> `Conv2D(32, (3, 3))`"),
    ApiRule("weights-h5", "`save_weights('w.h5')` (or a `ModelCheckpoint` saving weights "
            "only) -> `'w.weights.h5'`, the same string renamed wherever the document names "
            "it (`load_weights`, a variable, a later block); `save_format` dropped"),
    ApiRule("yaml", "`model.to_yaml()` -> `yaml.safe_dump(json.loads(model.to_json()))`, "
            "`model_from_yaml(s)` -> `keras.models.model_from_json(json.dumps("
            "yaml.safe_load(s)))`"),
    ApiRule("backend-function", "`K.function(inputs, outputs)` -> `keras2_function(inputs, "
            "outputs)`, a helper written once (a `keras.Model` called on a list of arrays, "
            "returning arrays); `K.learning_phase()` among the inputs -> `phase=i`, its value "
            "at each call the call's `training=`"),
    ApiRule("reset-states", "`model.reset_states()` -> `reset_states()` of each stateful "
            "layer of the model"),
    ApiRule("api-paths", "a name Keras 3 has under another path or name (`keras.layers."
            "experimental.preprocessing.Rescaling`, `keras.losses.logcosh`, `keras.optimizers."
            "legacy.SGD`, ...) -> Keras 3's, from the classification of the whole API"),
    ApiRule("backend-ops", "`K.mean(x)` (each backend function whose `keras.ops` namesake "
            "takes the same arguments with the same defaults) -> `keras.ops.mean(x)`"),
    ApiRule("argument-names", "an argument Keras 3 renamed (`relu(x, alpha=...)` -> "
            "`negative_slope=...`), from the classification of the whole API"),
)  # fmt: skip

#: Rules that are not API rules: the argument translations of `refimpl.legacy`.
ARGUMENT_RULES = ("arguments",)


def rule_names() -> set[str]:
    """Every rule's name: what `keras2_api.toml` may give as an entry's `rule`."""
    return {rule.name for rule in API_RULES} | set(ARGUMENT_RULES)
