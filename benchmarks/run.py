"""Time every guide model on refimpl, Keras 3, Keras 3 with XLA, tf_keras and the limit.

Usage::

    python benchmarks/run.py --quick          # about 5 minutes on an idle 2-core CPU
    python benchmarks/run.py                  # longer repeats, plus refimpl_step
    python benchmarks/run.py --cases mlp_binary_small,stacked_lstm --impls refimpl,keras3
    python benchmarks/run.py --quick --rounds 3   # each implementation 3 times, alternating

Each implementation runs in its own subprocess (one after the other, so they do not
compete for the CPU), trains each model of `benchmarks/models.py` on the guide's data
and batch size, and reports:

- `first`: the first one-epoch `fit` call, tracing and compilation included (seconds);
- `epoch`: the median over timed repeats of (time of a `fit(epochs=E)` call) / E, in
  milliseconds: everything a user waits for, per epoch, once compiled (E is set so
  that a repeat lasts about a second in quick runs; the heavy cases time one epoch);
- `predict`: the median latency of `model.predict` on one sample (the stateful model's
  whole fixed batch), in milliseconds.

The table then gives refimpl's epoch time as a ratio of each peer's (below 1: refimpl
is faster) and of the fused pure-TensorFlow loop of `benchmarks/limit.py` (the
practical limit; above 1: how far refimpl is from it), and checks the targets of
issue 5 that these timings measure (`TARGETS`).

The machine may be shared, and a busy minute slows whichever implementation runs in
it. `--rounds N` runs the implementations N times, in alternating order (A B C, then
C B A, ...), so such a minute falls on all of them alike; each figure is then the
median of every round's samples. Compare ratios from the same run rather than absolute
times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.models import CASES, DEFAULT_IMPLEMENTATIONS, IMPLEMENTATIONS  # noqa: E402

#: How long each timed repeat should last (seconds; its epoch count follows from a
#: one-epoch calibration call) and how many timed repeats, for normal and heavy cases.
#: With no timed repeat, the calibration call is the only sample.
PLANS = {
    "quick": {"normal": (1.0, 3), "heavy": (0.0, 0)},
    "full": {"normal": (4.0, 4), "heavy": (8.0, 2)},
}
#: The most epochs one timed repeat runs.
MAX_EPOCHS = 200
#: Implementations left out of quick runs for heavy cases (XLA makes the convnet
#: several times slower on CPU, so one epoch of it costs minutes).
QUICK_SKIPS = {("keras3_xla", True), ("refimpl_step", True)}
#: Implementations a quick run leaves out unless named (refimpl's step-by-step path,
#: which is Keras 3's `fit` with refimpl's translations, is close to `keras3`).
QUICK_LEAVES_OUT = ("refimpl_step",)
#: Predict calls timed per model (after warm-up).
PREDICT_CALLS = {"quick": 5, "full": 30}
MARKER = "BENCHMARK "
#: Issue 5's targets for these timings: what is promised, the cases it covers (a name
#: prefix; "" for all), the measure, the peers (refimpl is divided by the fastest of
#: them), and the largest ratio that meets it.
TARGETS = (
    ("MLPs within 2x of the fused limit", "mlp_", "epoch_ms", ("limit",), 2.0),
    ("MLPs at least 10x faster than Keras 3", "mlp_", "epoch_ms", ("keras3",), 0.1),
    (
        "every model at least as fast as the fastest peer",
        "",
        "epoch_ms",
        ("keras3", "keras3_xla", "tf_keras"),
        1.0,
    ),
    ("batch-1 predict no slower than Keras 3", "", "predict_ms", ("keras3",), 1.0),
)


# -- worker: one implementation ---------------------------------------------------------
def _seconds(function: Any, *args: Any, **kwargs: Any) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def _measure(run_epochs: Any, predict: Any, plan: tuple[float, int], calls: int) -> dict:
    """Time `run_epochs(n)` (first call, calibration, timed repeats) and `predict()` calls.

    The first one-epoch call includes tracing and compiling. The second, the
    calibration, sets how many epochs each timed repeat runs. It is a sample only when
    no repeat follows: like every `fit` call it also pays the call's fixed cost (checking
    and converting the data, setting up callbacks; about 3 ms on refimpl and tens of ms
    on Keras 3 for the MLPs), which a repeat of many epochs spreads out. The fixed cost
    is in `first_s`, and so in the guide's-fit-call table.
    """
    budget, repeats = plan
    first = _seconds(run_epochs, 1)
    calibration = _seconds(run_epochs, 1)
    epochs = max(1, min(MAX_EPOCHS, round(budget / calibration)))
    samples = [_seconds(run_epochs, epochs) / epochs for _ in range(repeats)] or [calibration]
    for _ in range(2):
        predict()
    latencies = [_seconds(predict) for _ in range(calls)]
    return {
        "first_s": first,
        "calibration_ms": calibration * 1e3,
        "epoch_ms": statistics.median(samples) * 1e3,
        "epoch_samples_ms": [sample * 1e3 for sample in samples],
        "predict_ms": statistics.median(latencies) * 1e3,
    }


def _time_keras(api: Any, case: Any, plan: tuple[float, int], calls: int) -> dict:
    data = case.data()
    model = case.build(api)
    kwargs = {"batch_size": case.batch_size, "verbose": 0, **data.fit_kwargs}
    sample = data.first(case.predict_batch)
    return _measure(
        lambda epochs: model.fit(data.x, data.y, epochs=epochs, **kwargs),
        lambda: model.predict(sample, verbose=0),
        plan,
        calls,
    )


def _time_limit(case: Any, plan: tuple[float, int], calls: int, xla: bool) -> dict:
    import tensorflow as tf

    from benchmarks.limit import Trainer

    trainer = Trainer(case, jit_compile=xla)
    predict = trainer.predict_function()
    sample = case.data().first(case.predict_batch)
    inputs = [
        tf.constant(a.astype("float32") if a.dtype.kind == "f" else a)
        for a in (sample if isinstance(sample, list) else [sample])
    ]
    inputs = inputs if isinstance(sample, list) else inputs[0]

    def run_epochs(epochs: int) -> None:
        for _ in range(epochs):
            trainer.epoch()

    return _measure(run_epochs, lambda: [t.numpy() for t in predict(inputs)], plan, calls)


def worker(impl: str, names: list[str], mode: str) -> None:
    """Time each case on one implementation; one JSON line per case on stdout."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from benchmarks.models import load_api

    api = load_api(impl)
    for name in names:
        case = CASES[name]
        plan = PLANS[mode]["heavy" if case.heavy else "normal"]
        calls = PREDICT_CALLS[mode]
        try:
            if impl == "limit":
                result = _time_limit(case, plan, calls, xla=False)
                if case.recurrent or (mode == "full" and not case.heavy):
                    # The limit is the better of plain TensorFlow and XLA.
                    try:
                        with_xla = _time_limit(case, plan, calls, xla=True)
                    except Exception:  # noqa: BLE001 - XLA is optional here
                        with_xla = result
                    if with_xla["epoch_ms"] < result["epoch_ms"]:
                        result = {**with_xla, "xla": True}
            else:
                result = _time_keras(api, case, plan, calls)
        except Exception as error:  # noqa: BLE001 - reported in the table, the run goes on
            result = {"error": f"{type(error).__name__}: {error}"[:200]}
        print(MARKER + json.dumps({"impl": impl, "case": name, **result}), flush=True)


# -- parent: subprocesses and the table --------------------------------------------------
def _run_worker(impl: str, names: list[str], mode: str) -> dict[tuple[str, str], dict]:
    """One implementation in a fresh subprocess; its records keyed by (impl, case)."""
    wanted = [n for n in names if not (mode == "quick" and (impl, CASES[n].heavy) in QUICK_SKIPS)]
    if not wanted:
        return {}
    command = [sys.executable, __file__, "--worker", impl, "--cases", ",".join(wanted)]
    command += ["--quick"] if mode == "quick" else []
    start = time.perf_counter()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    records = {}
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            record = json.loads(line[len(MARKER) :])
            records[(record["impl"], record["case"])] = record
    if done.returncode:
        tail = done.stderr.strip().splitlines()[-3:]
        print(f"[{impl}] exited with {done.returncode}: {' | '.join(tail)}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"[{impl}] {len(records)} cases in {elapsed:.0f} s", file=sys.stderr)
    return records


def merge_rounds(rounds: list[dict]) -> dict:
    """One record from the same (impl, case) measured in several rounds.

    The epoch time is the median of every round's samples; the first call's, the
    calibration's and the predict latency are the medians of the rounds' values. A
    round that failed is left out while another succeeded; if all failed, the first
    error stands.
    """
    measured = [r for r in rounds if "error" not in r]
    if not measured:
        return rounds[0]
    if len(measured) == 1:
        return measured[0]
    samples = [sample for r in measured for sample in r["epoch_samples_ms"]]
    return {
        **measured[0],
        "first_s": statistics.median(r["first_s"] for r in measured),
        "calibration_ms": statistics.median(r["calibration_ms"] for r in measured),
        "epoch_ms": statistics.median(samples),
        "epoch_samples_ms": samples,
        "predict_ms": statistics.median(r["predict_ms"] for r in measured),
        "rounds": len(measured),
    }


def run_all(
    impls: list[str], names: list[str], mode: str, rounds: int = 1
) -> dict[tuple[str, str], dict]:
    """Run each implementation `rounds` times, alternating their order; merged records."""
    measured: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(rounds):
        order = impls if round_number % 2 == 0 else impls[::-1]
        for impl in order:
            for key, record in _run_worker(impl, names, mode).items():
                measured.setdefault(key, []).append(record)
    return {key: merge_rounds(records) for key, records in measured.items()}


class TargetCheck(NamedTuple):
    """One target of `TARGETS` checked on a run: its worst model and that model's ratio."""

    what: str
    case: str | None
    ratio: float | None
    bound: float

    @property
    def met(self) -> bool | None:
        """Whether the worst ratio is within the bound (None: not measured)."""
        return None if self.ratio is None else self.ratio <= self.bound


def check_targets(results: dict[tuple[str, str], dict]) -> list[TargetCheck]:
    """Each target of `TARGETS` with its worst case: refimpl ÷ the fastest peer named.

    A case counts where refimpl and at least one of the target's peers were measured;
    a target with no such case has neither case nor ratio.
    """
    checks = []
    for what, prefix, key, peers, bound in TARGETS:
        worst: tuple[float, str] | None = None
        for name in CASES:
            mine = results.get(("refimpl", name))
            others = [results.get((p, name)) for p in peers]
            others = [o for o in others if o and "error" not in o]
            if not name.startswith(prefix) or not mine or "error" in mine or not others:
                continue
            ratio = mine[key] / min(o[key] for o in others)
            worst = max(worst or (ratio, name), (ratio, name))
        ratio, name = worst or (None, None)
        checks.append(TargetCheck(what, name, ratio, bound))
    return checks


def _cell(record: dict | None, key: str, scale: str = "{:.1f}") -> str:
    if record is None:
        return "-"
    if "error" in record:
        return "error"
    return scale.format(record[key])


def _ratio(mine: dict | None, other: dict | None) -> str:
    if not mine or not other or "error" in mine or "error" in other:
        return "-"
    return f"{mine['epoch_ms'] / other['epoch_ms']:.2f}"


def table(results: dict[tuple[str, str], dict], impls: list[str], names: list[str]) -> str:
    """The report: ms/epoch per implementation, ratios, first-epoch time, predict latency."""
    peers = [i for i in impls if i != "refimpl"]
    lines = ["## Time per epoch (ms, median), and refimpl / peer", ""]
    header = ["model", *impls, *[f"ref/{p}" for p in peers]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in names:
        mine = results.get(("refimpl", name))
        row = [name, *[_cell(results.get((i, name)), "epoch_ms") for i in impls]]
        row += [_ratio(mine, results.get((p, name))) for p in peers]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "## First fit(epochs=1) call, tracing and compilation included (s)", ""]
    lines += ["| model | " + " | ".join(impls) + " |", "|" + "---|" * (len(impls) + 1)]
    for name in names:
        cells = [_cell(results.get((i, name)), "first_s", "{:.2f}") for i in impls]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## The guide's fit call: first epoch + (guide epochs - 1) x epoch (s)", ""]
    lines += ["| model | epochs | " + " | ".join(impls) + " |", "|" + "---|" * (len(impls) + 2)]
    for name in names:
        cells = []
        for impl in impls:
            record = results.get((impl, name))
            if record is None or "error" in record:
                cells.append(_cell(record, "first_s"))
                continue
            total = record["first_s"] + (CASES[name].guide_epochs - 1) * record["epoch_ms"] / 1e3
            cells.append(f"{total:.1f}")
        lines.append(f"| {name} | {CASES[name].guide_epochs} | " + " | ".join(cells) + " |")
    lines += ["", "## predict() latency on one sample (ms, median)", ""]
    lines += ["| model | " + " | ".join(impls) + " | ref/keras3 |", "|" + "---|" * (len(impls) + 2)]
    for name in names:
        cells = [_cell(results.get((i, name)), "predict_ms", "{:.2f}") for i in impls]
        mine, peer = results.get(("refimpl", name)), results.get(("keras3", name))
        ratio = "-"
        if mine and peer and "error" not in mine and "error" not in peer:
            ratio = f"{mine['predict_ms'] / peer['predict_ms']:.2f}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    lines += ["", "## Targets (issue 5): refimpl's time ÷ the fastest of the peers named", ""]
    lines += ["| target | worst model | ratio | met |", "|---|---|---|---|"]
    for check in check_targets(results):
        verdict = {True: "yes", False: "NO", None: "not measured"}[check.met]
        ratio = "-" if check.ratio is None else f"{check.ratio:.2f} (at most {check.bound:g})"
        lines.append(f"| {check.what} | {check.case or '-'} | {ratio} | {verdict} |")
    errors = [f"- {i} / {n}: {r['error']}" for (i, n), r in results.items() if "error" in r]
    if errors:
        lines += ["", "Errors:", *errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats")
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument(
        "--impls",
        help=f"comma-separated, among {', '.join(IMPLEMENTATIONS)} (default: "
        f"{', '.join(DEFAULT_IMPLEMENTATIONS)}; --quick leaves out {', '.join(QUICK_LEAVES_OUT)})",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every implementation this many times, alternating their order",
    )
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    names = [n for n in args.cases.split(",") if n]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; expected some of {list(CASES)}")
    if args.worker:
        worker(args.worker, names, mode)
        return 0
    if args.impls:
        impls = [i for i in args.impls.split(",") if i]
    else:
        left_out = QUICK_LEAVES_OUT if mode == "quick" else ()
        impls = [i for i in DEFAULT_IMPLEMENTATIONS if i not in left_out]
    unknown = sorted(set(impls) - set(IMPLEMENTATIONS))
    if unknown:
        parser.error(f"unknown implementations {unknown}; expected some of {list(IMPLEMENTATIONS)}")
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1; got {args.rounds}")
    start = time.perf_counter()
    results = run_all(impls, names, mode, args.rounds)
    print(table(results, impls, names))
    rounds = f", {args.rounds} rounds" if args.rounds > 1 else ""
    print(f"\n({mode} run{rounds}, {time.perf_counter() - start:.0f} s)")
    if args.json:
        records = [results[key] for key in sorted(results)]
        Path(args.json).write_text(json.dumps(records, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
