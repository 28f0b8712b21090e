"""Parallel test workers share the CPU cores instead of each claiming all of them.

TensorFlow, oneDNN, OpenMP (PyTorch) and XLA size their thread pools by the number of
cores. Under `pytest -n N` each of the N workers does so, and N pools of that size on
the same cores take turns, spin-waiting for one another. Measured on a 2-core CPU, two
processes training the guides' VGG-like convnet at once took 4.24 s an epoch each
with 2 threads apiece and 3.65 s with 1; the documentation suite (`-n 2`) went from
470 s to 439 s.

So each pytest-xdist worker gives the libraries its share of the cores, `cores // N`
(at least 1), through the environment variables they read when their runtime starts.
A variable already set (by the user, or by CI) is left as it is, and a single process
(no `-n`, or `-n 1`) keeps every core. `--worker-threads=N` sets the share by hand;
`--worker-threads=0` leaves every library at its own default.

Example::

    pytest docs -n 2 --dist loadfile                    # 2 cores: 1 thread a worker
    pytest docs -n 2 --worker-threads=2                 # oversubscribe on purpose
    TF_NUM_INTRAOP_THREADS=4 pytest docs -n 2           # the environment wins
"""

from __future__ import annotations

import os

import pytest

#: Variables that size a library's pool of threads for one process: TensorFlow's
#: intra-op and inter-op pools (read when its runtime starts), OpenMP's (PyTorch,
#: oneDNN builds that use it) and MKL's.
THREAD_VARIABLES = (
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count() -> int:
    """How many pytest-xdist workers share the machine (1 outside xdist)."""
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)


def share(cores: int, workers: int) -> int:
    """Threads for each of `workers` processes on `cores` cores: an even share, >= 1."""
    return max(1, cores // max(1, workers))


def apply(threads: int, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set every unset variable of `THREAD_VARIABLES` to `threads`; returns those set."""
    environ = os.environ if environ is None else environ
    chosen = {name: str(threads) for name in THREAD_VARIABLES if name not in environ}
    environ.update(chosen)
    return chosen


def _threads_option(value: str) -> int | None:
    if value == "auto":
        return None
    try:
        threads = int(value)
    except ValueError:
        threads = -1
    if threads < 0:
        raise pytest.UsageError(
            f"--worker-threads expects 'auto' or a whole number >= 0; received {value!r}."
        )
    return threads


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("conformance").addoption(
        "--worker-threads",
        default="auto",
        help="threads each pytest-xdist worker gives TensorFlow, OpenMP and MKL: 'auto' "
        "(the default: the usable cores divided evenly among the workers), a number, or 0 "
        "for the libraries' own defaults. Variables already set in the environment win.",
    )


def pytest_configure(config: pytest.Config) -> None:
    threads = _threads_option(config.getoption("--worker-threads"))
    workers = worker_count()
    if threads == 0 or (threads is None and workers <= 1):
        return
    apply(threads if threads is not None else share(usable_cores(), workers))
