"""The Keras implementations the suite can run against, and how to activate one.

An implementation is chosen by name: `--impl NAME` (pytest and `python -m
conformance`) or the `KERAS_IMPL` environment variable. Activating it makes `import
keras` in the code under test resolve to that implementation, in this process.

Built in:

| name | `import keras` gives |
|---|---|
| `refimpl` (default) | this project's reference implementation (Keras 2 API on Keras 3) |
| `tf_keras` | Keras 2's own package, `tf_keras` |
| `keras3` | Keras 3 on TensorFlow |
| `keras3-migrated` | Keras 3 on TensorFlow, running each block's Keras 3 tab where it has one |
| `keras3-jax`, `keras3-torch` | Keras 3 on JAX / PyTorch, when installed |
| `keras` | whatever `keras` is installed here: genuine Keras 2 in a Keras 2 environment |

Any other name is taken as an importable module that stands in for `keras`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass, field
from types import ModuleType

ENVIRONMENT_VARIABLE = "KERAS_IMPL"
DEFAULT = "refimpl"


@dataclass(frozen=True)
class Implementation:
    """How to make `keras` mean one implementation."""

    name: str
    module: str  # the module `import keras` resolves to
    description: str
    environment: dict[str, str] = field(default_factory=dict)  # set before any import
    requires: tuple[str, ...] = ()  # distributions that must be importable
    #: The capabilities it claims (see CAPABILITIES); tests of others are skipped.
    claims: frozenset[str] = frozenset()
    #: How to install it where it is missing.
    install: str = ""
    #: How it reads the documentation pages (conformance.docblocks.READINGS).
    reading: str = "as-written"

    def available(self) -> tuple[bool, str]:
        """Whether this implementation can run here, and if not, why."""
        for requirement in (self.module.split(".")[0], *self.requires):
            if importlib.util.find_spec(requirement) is None:
                hint = f"run `{self.install}`" if self.install else "install it"
                return False, (
                    f"{requirement!r} is not installed (needed by {self.name}); {hint} in "
                    "this environment"
                )
        return True, ""


#: Capabilities a test can require with `@pytest.mark.requires(...)`. A test whose
#: capability an implementation does not claim is skipped, with this reason.
CAPABILITIES: dict[str, str] = {
    "keras2_api": "Keras 2's argument names and semantics (lr, decay, input_dim, nb_epoch, ...)",
    "hdf5": "saving and loading whole models and weights as Keras 2 HDF5 files",
    "tensorflow": "TensorFlow tensors and devices underneath",
}
_ALL = frozenset(CAPABILITIES)
_KERAS3 = frozenset({"hdf5"})

BUILTIN: dict[str, Implementation] = {
    impl.name: impl
    for impl in (
        Implementation(
            "refimpl", "refimpl", "Keras 2 API on Keras 3 / TensorFlow (reference)",
            requires=("tensorflow", "keras"), claims=_ALL,
            install="pip install 'keras-docs-conformance[refimpl]'",
        ),
        Implementation(
            "tf_keras", "tf_keras", "Keras 2 (the tf_keras package)", requires=("tensorflow",),
            claims=_ALL, install="pip install tf_keras",
        ),
        Implementation(
            "keras3", "keras", "Keras 3, TensorFlow backend", {"KERAS_BACKEND": "tensorflow"},
            ("tensorflow",), claims=_KERAS3 | {"tensorflow"},
            install="pip install keras tensorflow",
        ),
        Implementation(
            "keras3-migrated", "keras", "Keras 3, TensorFlow backend, the pages' Keras 3 tabs",
            {"KERAS_BACKEND": "tensorflow"}, ("tensorflow",), claims=_KERAS3 | {"tensorflow"},
            install="pip install keras tensorflow", reading="migrated",
        ),
        Implementation(
            "keras3-jax", "keras", "Keras 3, JAX backend", {"KERAS_BACKEND": "jax"}, ("jax",),
            claims=_KERAS3, install="pip install keras 'jax[cpu]'",
        ),
        Implementation(
            "keras3-torch", "keras", "Keras 3, PyTorch backend", {"KERAS_BACKEND": "torch"},
            ("torch",), claims=_KERAS3, install="pip install keras torch",
        ),
    )
}  # fmt: skip


def installed_keras() -> Implementation:
    """The `keras` distribution installed here, as it is: Keras 2 claims Keras 2's
    API; Keras 3 only what Keras 3 offers (its version is read from the package's
    metadata, without importing it)."""
    try:
        version = importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    claims = _ALL if version.startswith(("2.", "1.")) else _KERAS3
    return Implementation("keras", "keras", f"the installed keras ({version})", claims=claims)


def resolve(name: str | None = None) -> Implementation:
    """The implementation named `name`, else `$KERAS_IMPL`, else refimpl."""
    name = name or os.environ.get(ENVIRONMENT_VARIABLE) or DEFAULT
    if name in BUILTIN:
        return BUILTIN[name]
    if name == "keras":
        return installed_keras()
    return Implementation(name, name, f"the module {name!r} standing in for keras", claims=_ALL)


_active: dict[str, object] = {}


def activate(implementation: Implementation) -> ModuleType:
    """Make `import keras` give `implementation` in this process; return that module.

    Raises ImportError (with the reason) when the implementation cannot be imported.
    """
    if _active.get("name") == implementation.name:
        return _active["module"]  # type: ignore[return-value]
    if _active:
        raise RuntimeError(
            f"{_active['name']!r} is already active in this process; run each "
            "implementation in its own process."
        )
    ok, why = implementation.available()
    if not ok:
        raise ImportError(why)
    for key, value in implementation.environment.items():
        os.environ[key] = value
    if implementation.module == "keras":
        module = importlib.import_module("keras")
        backend = implementation.environment.get("KERAS_BACKEND")
        if backend and module.backend.backend() != backend:
            raise ImportError(
                f"{implementation.name} needs Keras 3 on {backend}, but Keras was already "
                f"imported with {module.backend.backend()}; run it in a fresh process."
            )
    elif implementation.module == "refimpl":
        import refimpl

        module = refimpl.install()
    else:
        from keras_docs_base.alias import KerasAlias

        alias = KerasAlias(implementation.module)
        alias.install()
        module = importlib.import_module("keras")
    _active.update(name=implementation.name, module=module)
    return module
