"""pytest-benchmark versions of `benchmarks/run.py`: one epoch of each guide model.

Run explicitly (the default `pytest` run does not collect `benchmarks/`)::

    pytest benchmarks/test_benchmarks.py --benchmark-group-by=param:case
    pytest benchmarks/test_benchmarks.py -k "mlp_binary_small"

Each test builds one guide model with one implementation, runs one `fit` epoch to
trace and compile it, then times `fit(epochs=1)` calls (or one epoch of the fused
pure-TensorFlow limit). Everything runs in this one process, so prefer
`benchmarks/run.py` for the published table (one subprocess per implementation);
these are for quick comparisons and regression tracking with pytest-benchmark's
storage (`--benchmark-autosave`, `--benchmark-compare`). Nothing here asserts a
time: a slow machine fails no test.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402

pytest.importorskip("pytest_benchmark")

from benchmarks.models import CASES, IMPLEMENTATIONS, load_api  # noqa: E402

#: Implementations timed here (the XLA variants of refimpl are for the policy study).
IMPLS = ("refimpl", "refimpl_step", "keras3", "keras3_xla", "tf_keras", "limit")
#: Timed rounds per test: heavy models take seconds an epoch.
ROUNDS = {False: 5, True: 2}


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("case", list(CASES))
def test_fit_one_epoch(benchmark, monkeypatch, case, impl):
    spec = CASES[case]
    if spec.heavy and impl == "keras3_xla":
        pytest.skip("XLA makes the convnet several times slower on CPU; see run.py")
    for name, value in IMPLEMENTATIONS[impl].items():
        monkeypatch.setenv(name, value)
    benchmark.group = case
    benchmark.extra_info.update(guide_epochs=spec.guide_epochs, batch_size=spec.batch_size)
    if impl == "limit":
        from benchmarks.limit import Trainer

        trainer = Trainer(spec)
        trainer.epoch()
        logs = benchmark.pedantic(trainer.epoch, rounds=ROUNDS[spec.heavy], iterations=1)
        assert set(logs) >= {"loss", "accuracy"}
        return
    api = load_api(impl, set_environment=False)
    data = spec.data()
    model = spec.build(api)
    kwargs = {"batch_size": spec.batch_size, "verbose": 0, "epochs": 1, **data.fit_kwargs}
    model.fit(data.x, data.y, **kwargs)
    history = benchmark.pedantic(
        model.fit, args=(data.x, data.y), kwargs=kwargs, rounds=ROUNDS[spec.heavy], iterations=1
    )
    assert "loss" in history.history


@pytest.mark.parametrize("impl", ("refimpl", "keras3", "tf_keras"))
@pytest.mark.parametrize("case", [name for name, spec in CASES.items() if not spec.heavy])
def test_predict_latency(benchmark, case, impl):
    spec = CASES[case]
    benchmark.group = f"predict {case}"
    model = spec.build(load_api(impl, set_environment=False))
    sample = spec.data().first(spec.predict_batch)
    model.predict(sample, verbose=0)
    outputs = benchmark.pedantic(
        model.predict, args=(sample,), kwargs={"verbose": 0}, rounds=20, iterations=1
    )
    assert len(outputs[0] if isinstance(outputs, list) else outputs) == spec.predict_batch
