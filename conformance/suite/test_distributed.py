"""Distributed training on TensorFlow's own engine, tf.distribute: the same loss curve
on several devices or workers as on one.

The guides' multi-class MLP trains by full-batch gradient descent (the same initial
weights and data everywhere, `conformance/suite/distributed_worker.py`), each run in a
fresh process:

- on one device;
- under `tf.distribute.MirroredStrategy` over two logical CPU devices;
- under `tf.distribute.MultiWorkerMirroredStrategy` with two worker processes on
  127.0.0.1 (a `TF_CONFIG` per worker, free local ports).

Each epoch's loss must equal one device's within `[distributed]` of `thresholds.toml`.
An implementation with no TensorFlow underneath fails with the worker's reason, which
its known-failure list records.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from conformance import thresholds

SETTINGS = thresholds.load()["distributed"]
WORKER = "conformance.suite.distributed_worker"


def _run(implementation: str, mode: str, environments: list[dict[str, str]]) -> list[dict]:
    """Start one worker process per environment at once; their results, in order."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", WORKER, implementation, mode],
            env={**os.environ, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in environments
    ]
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=SETTINGS["process_timeout_seconds"])
            if process.returncode != 0:
                reason = err.strip().splitlines()[-1] if err.strip() else "no output"
                pytest.fail(f"{mode} training exited with {process.returncode}: {reason}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    return results


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(scope="module")
def one_device(implementation) -> dict:
    return _run(implementation.name, "one", [{}])[0]


def _assert_same_curve(curve: list[float], reference: list[float], what: str) -> None:
    np.testing.assert_allclose(
        curve, reference, rtol=SETTINGS["rtol"], atol=SETTINGS["atol"],
        err_msg=f"{what}: each epoch's loss against one device's",
    )  # fmt: skip
    assert reference[-1] < reference[0], "the model did not learn on one device"


def test_mirrored_strategy_over_two_devices_follows_one_device(implementation, one_device):
    mirrored = _run(implementation.name, "mirrored", [{}])[0]
    _assert_same_curve(mirrored["losses"], one_device["losses"], "MirroredStrategy")
    print(
        f"training seconds: one device {one_device['seconds']:.2f} "
        f"(fallback: {one_device['fallback_reason']!r}), mirrored {mirrored['seconds']:.2f} "
        f"(fallback: {mirrored['fallback_reason']!r})"
    )


def test_multi_worker_strategy_with_two_workers_follows_one_device(implementation, one_device):
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    environments = [
        {
            "TF_CONFIG": json.dumps(
                {
                    "cluster": {"worker": workers},
                    "task": {"type": "worker", "index": index},
                }
            )
        }  # fmt: skip
        for index in range(len(workers))
    ]
    results = _run(implementation.name, "worker", environments)
    for index, result in enumerate(results):
        _assert_same_curve(
            result["losses"], one_device["losses"], f"MultiWorkerMirroredStrategy, worker {index}"
        )
