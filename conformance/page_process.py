"""Each documentation page runs in a process of its own, forked from the test process.

A reader runs a guide in a fresh interpreter; the doc tests do the same, cheaply. The
pytest process (each xdist worker) imports the implementation under test once, then
forks a child for each page. The child runs the page's blocks in order (the same
pytest protocol: setup, call, teardown, timeouts) and streams each block's reports
back through a pipe; the parent logs them as its own, block by block, so the terminal,
xdist, `--durations` and JUnit files see no difference. When the page ends, the child
exits and takes with it everything the page left behind: TensorFlow's caches and
compiled functions, allocator fragmentation, Keras's global state. The suite's memory
stays flat from page to page, and no page sees what an earlier one did.

Forking is safe only before a backend has started its runtime: TensorFlow's or JAX's
thread pools do not survive `fork`. The parent therefore only imports; when something
in it has already started a runtime (a test of `tests/` that ran in the same worker,
say), or PyTorch is loaded, the page runs in-process as before, and the run says so
once. Pages come first in the collection order, so each worker forks its pages before
it runs anything else, and the largest pages first among them (pytest-xdist's own
reordering of files by their number of tests is turned off for this).

`--page-process=inline` turns this off (`fork` is the default where `os.fork` exists).

Example::

    pytest docs -n 2 --dist loadfile            # every page in a child of its worker
    pytest docs --page-process=inline           # every page in the worker itself
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import pytest
from _pytest._io import TerminalWriter  # what `config.get_terminal_writer()` returns

from conformance import layout

#: Values of `--page-process`.
MODES = ("fork", "inline")
#: How the failure of a block whose page's process ended early begins (the results
#: record such a block as "crashed").
LOST = "the process running this page"
#: Plugins only the parent may run: the terminal, and pytest-xdist's worker end, which
#: writes to the controller's channel.
PARENT_ONLY_PLUGINS = ("TerminalReporter", "WorkerInteractor")


# -- when forking is safe ---------------------------------------------------------------
def _tensorflow_started() -> bool:
    context = sys.modules["tensorflow.python.eager.context"].context()
    if context._initialized:
        return True
    # Listing physical devices starts no runtime, but on an accelerator it initialises
    # the driver (cuInit), which a forked child cannot use.
    devices = context._physical_devices or []
    return any(device.device_type != "CPU" for device in devices)


def _jax_started() -> bool:
    bridge = sys.modules.get("jax._src.xla_bridge")
    return bool(bridge is not None and getattr(bridge, "_backends", None))


#: Module whose presence means a runtime may be running -> whether it has started.
#: PyTorch's CPU thread pools and CUDA state cannot be checked cheaply: loaded counts
#: as started.
RUNTIME_PROBES: dict[str, Callable[[], bool]] = {
    "tensorflow.python.eager.context": _tensorflow_started,
    "jax": _jax_started,
    "torch": lambda: True,
}


def started_runtimes() -> list[str]:
    """The loaded modules whose runtime has started in this process (fork is unsafe)."""
    return [name for name, probe in RUNTIME_PROBES.items() if name in sys.modules and probe()]


# -- reports through a pipe -------------------------------------------------------------
def _write(stream: Any, kind: str, payload: dict) -> None:
    stream.write(json.dumps({"kind": kind, **payload}) + "\n")
    stream.flush()


def _serialize_warning(message: warnings.WarningMessage) -> dict:
    return {
        "message": str(message.message),
        "category": message.category.__name__,
        "filename": message.filename,
        "lineno": message.lineno,
    }


def _deserialize_warning(data: dict) -> warnings.WarningMessage:
    category = getattr(__import__("builtins"), data["category"], None)
    if not (isinstance(category, type) and issubclass(category, Warning)):
        category = UserWarning  # a library's own class: keep its name in the text
        data = {**data, "message": f"{data['category']}: {data['message']}"}
    return warnings.WarningMessage(
        category(data["message"]), category, data["filename"], data["lineno"]
    )


class _ChildReporter:
    """Installed in the child: sends what pytest reports there to the parent."""

    def __init__(self, config: pytest.Config, stream: Any) -> None:
        self.config = config
        self.stream = stream
        # `pytest_warning_recorded` is a historic hook: registering this plugin replays
        # every warning the parent recorded for earlier pages, which it already has.
        self.live = False

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        _write(self.stream, "report", {"report": data})

    @pytest.hookimpl
    def pytest_warning_recorded(self, warning_message, when, nodeid, location) -> None:
        if not self.live:
            return
        payload = {"when": when, "nodeid": nodeid, "location": location}
        _write(self.stream, "warning", {**payload, **_serialize_warning(warning_message)})


class _ChildTerminal:
    """The child's stand-in for pytest's terminal: what plugins write to it
    (`config.get_terminal_writer()`) goes to stderr, which the block's report captures."""

    def __init__(self) -> None:
        self._tw = TerminalWriter(sys.stderr)


# -- the plugin -------------------------------------------------------------------------
def is_page(item: pytest.Item) -> bool:
    """Whether `item` is a block of a documentation page."""
    return layout.is_doc_block(item.nodeid)


class PageProcesses:
    """Runs each page's items in a forked child and replays their reports here."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.pipe: TextIO | None = None  # the read end of the current child's pipe
        self.reports: Iterator[dict] | None = None  # the messages read from it
        self.child: int | None = None
        self.page: list[pytest.Item] = []
        self.lost = ""  # how the current page's child ended early, if it did
        self.in_child = False
        self.warned = False

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Pages first, so that each worker forks its pages before anything starts a
        runtime; the largest first, a rough guess at the slowest (more blocks, more
        output), so that parallel workers finish together. Other files follow, those
        with more tests first, as pytest-xdist would order them. Stable: each file's
        tests keep their order."""
        tests_in = collections.Counter(item.path for item in items)

        def order(item: pytest.Item) -> tuple[int, int]:
            if is_page(item):
                return 0, -item.path.stat().st_size
            return 1, -tests_in[item.path]

        items.sort(key=order)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        if self.in_child or not is_page(item):
            return None
        if self.child is None:
            if self.page and item in self.page:  # the page's child ended early
                return self._replay(item, nextitem)
            if not self._fork(item):
                return None  # the page runs here, in the standard protocol
        return self._replay(item, nextitem)

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        if self.child is not None and not self.in_child:  # stopped mid-page (-x, ^C)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)
            self._reap()

    def _warn_inline(self, started: list[str]) -> None:
        if not self.warned:
            self.warned = True
            sys.stderr.write(
                f"\nconformance: pages run in-process in this worker ({', '.join(started)} "
                "started before its first page); memory is not returned between pages.\n"
            )

    def _page_items(self, item: pytest.Item) -> list[pytest.Item]:
        return [other for other in item.session.items if other.parent is item.parent]

    def _fork(self, item: pytest.Item) -> bool:
        """Start the child running `item`'s page; False where forking is unsafe."""
        # Import the implementation here, once, so children do not each import it.
        # (A failure to import is each block's result, raised again in the child.)
        try:
            from conformance import implementations

            implementations.activate(implementations.resolve())
        except Exception:  # noqa: BLE001 - reported by every block of the page
            pass
        started = started_runtimes()
        if started:
            self._warn_inline(started)
            return False
        self.page = self._page_items(item)
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run the page, report, exit without pytest's teardown
            os.close(read_end)
            stream = os.fdopen(write_end, "w", encoding="utf-8")
            code = 0
            try:
                self._run_page(item, stream)
            except BaseException:  # noqa: BLE001 - sent to the parent, which reports it
                code = 1
                with contextlib.suppress(Exception):
                    _write(stream, "error", {"text": traceback.format_exc()})
            finally:
                os._exit(code)
        os.close(write_end)
        self.child = pid
        self.pipe = os.fdopen(read_end, encoding="utf-8")
        self.reports = (json.loads(line) for line in self.pipe)
        return True

    def _run_page(self, first: pytest.Item, stream: Any) -> None:
        """In the child: the standard protocol for each block, reports to `stream`."""
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        self.in_child = True
        manager = self.config.pluginmanager
        for plugin in manager.get_plugins():
            # The parent shows and sends what the child reports: the child drops the
            # terminal and pytest-xdist's channel to the controller.
            if type(plugin).__name__ in PARENT_ONLY_PLUGINS:
                manager.unregister(plugin)
        # pytest-timeout writes a hung block's stacks to the terminal before it fails the
        # block; without a terminal its own assertion would fail the block instead.
        manager.register(_ChildTerminal(), "terminalreporter")
        reporter = _ChildReporter(self.config, stream)
        manager.register(reporter, "page-process-child")
        reporter.live = True
        items = self.page
        # After the last block tear down the page only: the session's fixtures belong
        # to the parent, which tears them down itself.
        outside = [other for other in first.session.items if other.parent is not first.parent]
        after_page = outside[0] if outside else None
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else after_page
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            _write(stream, "done", {"nodeid": item.nodeid})
            if item.session.shouldfail or item.session.shouldstop:  # -x, --maxfail
                break
        stream.close()

    def _replay(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool:
        """Log the child's reports of `item` here, as if it had run in this process."""
        hook = item.ihook
        hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        finished = False
        for message in self.reports or ():
            if message["kind"] == "warning":
                self.config.hook.pytest_warning_recorded.call_historic(
                    kwargs={
                        "warning_message": _deserialize_warning(message),
                        "when": message["when"],
                        "nodeid": message["nodeid"],
                        "location": tuple(message["location"] or ()) or None,
                    }
                )
            elif message["kind"] == "report":
                report = self.config.hook.pytest_report_from_serializable(
                    config=self.config, data=message["report"]
                )
                hook.pytest_runtest_logreport(report=report)
            elif message["kind"] == "done":
                finished = True
                break
            elif message["kind"] == "error":
                self.lost = f"failed outside the blocks:\n{message['text']}"
                break
        if not finished:
            self._report_lost(item)
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        if item is self.page[-1]:
            self._end_page(item, nextitem)
        return True

    def _report_lost(self, item: pytest.Item) -> None:
        """The child ended before reporting `item`: a failure that says how."""
        if not self.lost:
            status = self._reap()
            self.lost = f"exited with status {status}"
            if status is not None and status < 0:
                self.lost = f"was killed by signal {signal.Signals(-status).name}"
        report = pytest.TestReport(
            item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
            f"{LOST} {self.lost} before this block finished "
            "(run the page with --page-process=inline to debug it in-process)",
            "call", [],
        )  # fmt: skip
        item.ihook.pytest_runtest_logreport(report=report)
        # A test's record is complete at its teardown (conformance.results).
        item.ihook.pytest_runtest_logreport(report=pytest.TestReport(
            item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "passed", None,
            "teardown", [],
        ))  # fmt: skip

    def _reap(self) -> int | None:
        if self.child is None:
            return None
        _, status = os.waitpid(self.child, 0)
        self.pipe.close()
        self.child = None
        self.reports = None
        return os.waitstatus_to_exitcode(status)

    def _end_page(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        self._reap()
        self.page, self.lost = [], ""
        # Nothing of the page was set up here; drop what the next item does not share.
        item.session._setupstate.teardown_exact(nextitem)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("conformance").addoption(
        "--page-process",
        choices=MODES,
        default="fork" if hasattr(os, "fork") else "inline",
        help="run each documentation page in a forked child of the test process (fork, "
        "the default where available) or in the test process itself (inline)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--page-process") == "fork":
        config.pluginmanager.register(PageProcesses(config), "page-process")
        # pytest-xdist hands out files with the most tests first (its loadscope and
        # loadfile modes); keep the order above instead, which puts pages first.
        if hasattr(config.option, "loadscopereorder"):
            config.option.loadscopereorder = False
