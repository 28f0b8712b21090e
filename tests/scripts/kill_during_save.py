"""Kill a process at random moments of a save loop; check that the file always loads.

    python kill_during_save.py DIRECTORY ROUNDS SUFFIX    # prints a JSON summary

This process imports refimpl once and then, for each round, forks a worker that saves
two models (A and B, with known weights) to the same path in turn, without end; after
a random delay it kills the worker with SIGKILL, then forks a checker that loads the
file and reports whether its weights are A's or B's. Forking before TensorFlow's
runtime has started is safe (conformance.page_process relies on the same), so each
round costs a fork, not a new interpreter.
"""

import json
import os
import random
import signal
import sys
import time

import numpy as np

import refimpl

directory, rounds, suffix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = os.path.join(directory, f"model{suffix}")
WEIGHTS = {
    name: [np.full((4, 8), value, "float32"), np.full((8,), value, "float32"),
           np.full((8, 2), -value, "float32"), np.full((2,), -value, "float32")]
    for name, value in (("A", 0.25), ("B", 0.5))
}  # fmt: skip


def build(name):
    model = refimpl.models.Sequential(
        [refimpl.layers.Dense(8, input_dim=4), refimpl.layers.Dense(2)]
    )
    model.set_weights(WEIGHTS[name])
    model.compile("adam", "mse")
    return model


def fork(function):
    pid = os.fork()
    if pid == 0:
        try:
            code = function()
        except BaseException:  # noqa: BLE001 - any failure is the child's result
            code = 3
        os._exit(code or 0)
    return pid


def worker(ready):
    models = [build("A"), build("B")]
    os.write(ready, b"x")  # building is done: what follows is the save loop
    index = 0
    while True:
        models[index % 2].save(path)
        index += 1


def checker():
    model = refimpl.models.load_model(path)
    weights = model.get_weights()
    for code, name in ((10, "A"), (11, "B")):
        if all(np.array_equal(w, e) for w, e in zip(weights, WEIGHTS[name], strict=True)):
            return code
    return 2  # it loaded, but as neither model


def main():
    random.seed(1234)
    if fork(lambda: build("A").save(path)) and os.wait()[1] != 0:
        raise SystemExit("could not write the first file")
    outcomes = []
    for _ in range(rounds):
        read_end, write_end = os.pipe()
        pid = fork(lambda end=write_end: worker(end))
        os.close(write_end)
        os.read(read_end, 1)
        os.close(read_end)
        time.sleep(random.uniform(0.0, 0.25))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        partial = [n for n in os.listdir(directory) if ".partial" in n]
        status = os.waitpid(fork(checker), 0)[1]
        code = os.waitstatus_to_exitcode(status)
        outcomes.append({"loaded_as": {10: "A", 11: "B"}.get(code, f"failed ({code})"),
                         "killed_mid_save": bool(partial)})  # fmt: skip
        for name in partial:  # a killed writer cannot remove its temporary file
            os.remove(os.path.join(directory, name))
    print(json.dumps(outcomes))


main()
