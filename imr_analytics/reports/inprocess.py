"""Run a report notebook in the CLI's own process: a papermill engine without a kernel.

A kernel costs a report about 4 s of CPU that has nothing to do with its data: starting the
kernel process, importing pandas, DuckDB and Altair a second time (the CLI has its own copies
of what it needs), and jupyter_client's messaging. :class:`InProcessEngine` runs each code cell
with IPython's own ``InteractiveShell`` in the process that called papermill instead, in a
namespace of its own, and turns what the cell prints, displays and raises into the nbformat
outputs a kernel would have sent (``stream``, ``display_data`` with display ids and their
updates, ``execute_result``, ``error`` with IPython's traceback). Papermill still parameterises
the notebook, records the run in its metadata and raises :class:`PapermillExecutionError` with a
cell's error (writing the executed notebook first), so the page, the ``.failed.ipynb`` and the
error sentence are made from the same document as before.

Only ``imr-analytics report`` uses it (:data:`ENGINE_NAME`, registered by
:func:`register_engine`). Plain ``papermill`` and JupyterLab run the notebook in a kernel, as
before. A process that already hosts an IPython shell (``run_report`` called from a notebook)
uses a kernel too: IPython's display machinery belongs to one shell per process.

What a run may change in the process is put back when it ends, so one report's state never
reaches the next: the namespace is dropped, every open ``Report`` (its DuckDB connection and
chart worker) closed, and the environment variables, working directory, ``sys.path``, warning
filters, pandas options, ``sys.modules['__main__']`` and the shell singleton restored. Ctrl-C
ends the run with :class:`KeyboardInterrupt` (the CLI's "interrupted", status 130) however the
cell was stopped, and a cell that runs longer than papermill's execution timeout ends it with
nbclient's :class:`CellTimeoutError`, as a kernel's would (the cell cannot catch it with ``except
Exception``); either way the charts still queued are not waited for. As in a kernel, modules
beside the notebook can be imported, and a failed cell's traceback is not kept afterwards.
"""

from __future__ import annotations

import atexit
import base64
import builtins
import contextlib
import copy
import gc
import io
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

from imr_analytics.reports._papermill import import_papermill

import_papermill()  # see _papermill: the kernel client, requests and click load when used

from papermill.engines import Engine, papermill_engines  # noqa: E402

__all__ = ["ENGINE_NAME", "InProcessEngine", "available", "register_engine"]

ENGINE_NAME = "imr-in-process"


def available() -> bool:
    """Whether this process can run a notebook in-process (it hosts no IPython shell yet)."""
    return not InteractiveShell.initialized()


def register_engine() -> None:
    """Make :data:`ENGINE_NAME` known to papermill (in this process only; idempotent)."""
    papermill_engines.register(ENGINE_NAME, InProcessEngine)


# -- outputs ------------------------------------------------------------------------------------


def _json_data(data: dict[str, Any]) -> dict[str, Any]:
    """A display's mime bundle as a kernel sends it: binary payloads base64-encoded."""
    return {
        mime: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
        for mime, value in data.items()
    }


class _Outputs:
    """The outputs of the cell being run, and every output shown with a display id so far."""

    def __init__(self) -> None:
        self.cell: Any = None
        self.by_display_id: dict[str, list[Any]] = {}
        self._clear_before_next = False

    def _append(self, output: Any) -> None:
        if self.cell is None:  # after the last cell (a report closed at teardown): dropped
            return
        if self._clear_before_next:
            self.cell.outputs = []
            self._clear_before_next = False
        self.cell.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        if not text or self.cell is None:
            return
        outputs = self.cell.outputs
        if not self._clear_before_next and outputs:
            last = outputs[-1]
            if last.get("output_type") == "stream" and last.get("name") == name:
                last["text"] += text  # consecutive writes are one output, as a kernel sends
                return
        self._append(nbformat.v4.new_output("stream", name=name, text=text))

    def display(
        self, data: dict[str, Any], metadata: dict[str, Any], display_id: str | None, update: bool
    ) -> None:
        data, metadata = _json_data(data), dict(metadata)
        if display_id is not None:
            for shown in self.by_display_id.get(display_id, []):  # as nbclient: all of them
                shown["data"], shown["metadata"] = copy.deepcopy(data), copy.deepcopy(metadata)
        if update:
            return
        output = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        if display_id is not None:
            self.by_display_id.setdefault(display_id, []).append(output)
        self._append(output)

    def execute_result(self, data: dict[str, Any], metadata: dict[str, Any], count: int) -> None:
        self._append(
            nbformat.v4.new_output(
                "execute_result",
                data=_json_data(data),
                metadata=dict(metadata),
                execution_count=count,
            )
        )

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self._append(
            nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=traceback)
        )

    def clear(self, wait: bool) -> None:
        if self.cell is None:
            return
        if wait:
            self._clear_before_next = True
        else:
            self.cell.outputs = []


class _Stream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while a cell runs: text becomes a stream output."""

    def __init__(self, outputs: _Outputs, name: str) -> None:
        super().__init__()
        self._outputs, self._name = outputs, name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._outputs.stream(self._name, text)
        return len(text)


class _Publisher(DisplayPublisher):
    """``display()`` and ``update_display()`` land in the running cell's outputs."""

    def publish(  # type: ignore[override]
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        display_id = (transient or {}).get("display_id")
        self.shell.imr_outputs.display(data, metadata or {}, display_id, update)

    def clear_output(self, wait: bool = False) -> None:
        self.shell.imr_outputs.clear(wait)


class _ResultHook(DisplayHook):
    """A cell's last expression becomes an ``execute_result``, not text on the terminal."""

    def start_displayhook(self) -> None:
        self._bundle: tuple[dict[str, Any], dict[str, Any]] | None = None

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict[str, Any], md_dict: Any = None) -> None:
        self._bundle = (format_dict, md_dict or {})

    def finish_displayhook(self) -> None:
        if self._bundle is not None:
            data, metadata = self._bundle
            self.shell.imr_outputs.execute_result(data, metadata, self.prompt_count)
        self._bundle = None


class _Shell(InteractiveShell):
    """IPython's shell with a kernel's outputs: displays, results and tracebacks are recorded."""

    display_pub_class = _Publisher
    displayhook_class = _ResultHook

    def __init__(self, **kwargs: Any) -> None:
        self.imr_outputs = _Outputs()
        super().__init__(**kwargs)

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        # what ipykernel sends as the error reply and output for the same exception
        self.imr_outputs.error(str(etype.__name__), str(evalue), list(stb))


# -- process state put back after a run ---------------------------------------------------------


def _pandas_options() -> dict[str, Any] | None:
    """Every registered pandas option's value now (None when pandas is not imported)."""
    if "pandas" not in sys.modules:
        return None
    try:
        from pandas._config import config

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecated options warn when read
            return {key: config.get_option(key) for key in _live_options(config)}
    except Exception:  # a pandas without this layout: options are not put back
        return None


def _live_options(config: Any) -> list[str]:
    """pandas' registered options less the deprecated ones (they have no effect)."""
    deprecated = getattr(config, "_deprecated_options", {})
    return [key for key in config._registered_options if key not in deprecated]


def _restore_pandas_options(before: dict[str, Any] | None) -> None:
    """Put pandas options back as they were, or to their defaults if pandas came with the run."""
    if "pandas" not in sys.modules:
        return
    try:
        from pandas._config import config

        registered = config._registered_options
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key in _live_options(config):
                option = registered[key]
                wanted = before[key] if before is not None and key in before else option.defval
                if config.get_option(key) is not wanted and config.get_option(key) != wanted:
                    config.set_option(key, wanted)
    except Exception:
        pass


_LAST_ERROR = ("last_type", "last_value", "last_traceback", "last_exc")


@contextlib.contextmanager
def _process_state_restored() -> Iterator[None]:
    """Whatever a notebook changes in the process's global state is put back afterwards."""
    environ = dict(os.environ)
    cwd = os.getcwd()
    path = list(sys.path)
    filters = list(warnings.filters)
    main = sys.modules.get("__main__")
    stdout, stderr, displayhook = sys.stdout, sys.stderr, sys.displayhook
    pandas_options = _pandas_options()
    # IPython keeps the last error's traceback (and with it the failing frames' locals, an
    # open connection perhaps) in sys.last_*, and puts __IPYTHON__ and display into builtins
    last_error = {name: getattr(sys, name) for name in _LAST_ERROR if hasattr(sys, name)}
    builtin_names = dict(vars(builtins))
    # a kernel can import modules beside the notebook (its working directory is on the path)
    sys.path.insert(0, "")
    try:
        yield
    finally:
        sys.stdout, sys.stderr, sys.displayhook = stdout, stderr, displayhook
        for name in _LAST_ERROR:
            if name in last_error:
                setattr(sys, name, last_error[name])
            elif hasattr(sys, name):
                delattr(sys, name)
        for name in set(vars(builtins)) - set(builtin_names):
            delattr(builtins, name)
        for name, value in builtin_names.items():
            if vars(builtins).get(name) is not value:
                setattr(builtins, name, value)
        if main is not None:
            sys.modules["__main__"] = main
        warnings.filters[:] = filters
        mutated = getattr(warnings, "_filters_mutated", None)
        if mutated is not None:  # modules' warning registries are rechecked, as after any
            mutated()  # change through warnings.filterwarnings
        sys.path[:] = path
        with contextlib.suppress(OSError):
            os.chdir(cwd)
        for key in set(os.environ) - set(environ):
            del os.environ[key]
        for key, value in environ.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        _restore_pandas_options(pandas_options)


class _CellTimedOut(BaseException):
    """Raised in a cell past its timeout: not an ``Exception`` (TimeoutError is an OSError),
    so the cell's own ``except Exception`` or ``except OSError`` does not swallow it."""


class _Signals:
    """Ctrl-C and the cell timeout while a cell runs, remembered whatever the cell made of them.

    DuckDB turns a signal that arrives during a query into its own ``InterruptException``; the
    flags say what really happened, so the run ends as interrupted or timed out, not as a
    failed cell.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout if timeout and timeout > 0 else None
        self.interrupted = False
        self.timed_out = False
        self._main = threading.current_thread() is threading.main_thread()
        self._saved: dict[int, Any] = {}

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        self.interrupted = True
        raise KeyboardInterrupt

    def _on_alarm(self, signum: int, frame: Any) -> None:
        self.timed_out = True
        raise _CellTimedOut(f"the cell ran longer than {self.timeout:g} s")

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        if not self._main:  # signals can only be handled in the main thread
            yield
            return
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # nohup, `cmd &`: ignored
            self._saved[signal.SIGINT] = signal.signal(signal.SIGINT, self._on_interrupt)
        if self.timeout:
            self._saved[signal.SIGALRM] = signal.signal(signal.SIGALRM, self._on_alarm)
            # again every second: a cell that catches the first (a retry loop) gets the next
            signal.setitimer(signal.ITIMER_REAL, self.timeout, 1.0)
        try:
            yield
        finally:
            if self.timeout:
                signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in self._saved.items():
                signal.signal(signum, handler)
            self._saved.clear()


def _close_reports(namespace: dict[str, Any], *, stopped: bool) -> None:
    """Close every report a notebook left open (its database and its chart worker); after
    Ctrl-C or a timeout (``stopped``) without waiting for the charts still queued."""
    nbkit = sys.modules.get("imr_analytics.reports.nbkit")
    duckdb = sys.modules.get("duckdb")
    for value in list(namespace.values()):
        with contextlib.suppress(Exception):
            if nbkit is not None and isinstance(value, nbkit.Report):
                if stopped:
                    value.abandon()
                else:
                    value.close()
            elif duckdb is not None and isinstance(value, duckdb.DuckDBPyConnection):
                value.close()


# Set for an in-process run, as the runner sets it for its kernel: the report's charts are
# drawn by a worker process while the queries go on (see reports.chartworker).
def _charts_env() -> dict[str, str]:
    from imr_analytics.reports.chartworker import ASYNC_CHARTS_ENV

    return {ASYNC_CHARTS_ENV: "1"}


def _language_info() -> dict[str, Any]:
    """What ipykernel reports for this interpreter (papermill records it in the metadata)."""
    major = sys.version_info[0]
    return {
        "name": "python",
        "version": sys.version.split()[0],
        "mimetype": "text/x-python",
        "codemirror_mode": {"name": "ipython", "version": major},
        "pygments_lexer": f"ipython{major}",
        "nbconvert_exporter": "python",
        "file_extension": ".py",
    }


class InProcessEngine(Engine):
    """A papermill engine that runs the notebook's code cells in this process (see module)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        if not available():
            raise RuntimeError("this process already runs an IPython shell; use a kernel")
        signals = _Signals(execution_timeout)
        with _process_state_restored(), _imports_frozen() as imported:
            os.environ.update(_charts_env())
            shell = _Shell.instance(config=_shell_config(), user_ns={"__name__": "__main__"})
            atexit.unregister(shell.atexit_operations)  # nothing of a report's to do at exit
            try:
                for index, cell in enumerate(nb_man.nb.cells):
                    nb_man.cell_start(cell, index)
                    try:
                        failed = _run_cell(shell, cell, signals)
                        imported()
                        if signals.interrupted:
                            raise KeyboardInterrupt
                        if signals.timed_out:
                            # (imported here: nbclient's package loads jupyter_client)
                            from nbclient.exceptions import CellTimeoutError

                            raise CellTimeoutError.error_from_timeout_and_cell(
                                "A cell timed out while it was being executed",
                                signals.timeout,
                                cell,
                            )
                        if failed:
                            nb_man.cell_exception(cell, cell_index=index, exception=failed)
                            break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
                nb_man.nb.metadata["language_info"] = _language_info()
            finally:
                shell.imr_outputs.cell = None
                _close_reports(shell.user_ns, stopped=signals.interrupted or signals.timed_out)
                with contextlib.suppress(Exception):
                    shell.history_manager.end_session()
                shell.user_ns.clear()
                shell.user_global_ns.clear()
                _Shell.clear_instance()
        return nb_man.nb


@contextlib.contextmanager
def _imports_frozen() -> Iterator[Callable[[], None]]:
    """Keep the cyclic garbage collector off what the run imported, while the run lasts.

    A full collection walks every object the process tracks: after the imports of a report
    (pandas, Altair, IPython, papermill) about 135,000, most of them module contents that live
    as long as the process. The imports themselves set off full collections, three or four a
    run at 0.1-0.15 s of CPU each. What exists when the notebook starts, and after a cell that
    imported modules, is frozen (``gc.freeze``): collections skip it, and objects that die are
    still freed when their last reference goes. The yielded function is called after each
    cell; the run's end unfreezes everything, so a process that goes on collects as before,
    and collects once (after the engine cleared the namespace, whose connections and frames go
    now, not later; a frozen cycle would have outlived that collection).
    """
    modules = len(sys.modules)
    gc.freeze()

    def imported() -> None:
        nonlocal modules
        if len(sys.modules) != modules:
            modules = len(sys.modules)
            gc.freeze()

    try:
        yield imported
    finally:
        gc.unfreeze()
        gc.collect()


def _shell_config() -> Any:
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # as the runner's kernels: no history file
    return config


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _run_cell(shell: _Shell, cell: Any, signals: _Signals) -> BaseException | None:
    """Run one cell as nbclient would; the exception of a cell that raised, else None."""
    if cell.cell_type != "code" or not cell.source.strip():
        return None
    tags = cell.get("metadata", {}).get("tags", [])
    if "skip-execution" in tags:
        return None
    cell.outputs = []
    cell.execution_count = shell.execution_count
    shell.imr_outputs.cell = cell
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Stream(shell.imr_outputs, "stdout")
    sys.stderr = _Stream(shell.imr_outputs, "stderr")
    started = _timestamp()
    result = None
    try:
        with signals.watching():
            result = shell.run_cell(cell.source, store_history=True)
    except _CellTimedOut:  # fired again outside the cell's code: the engine ends the run
        pass
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        shell.imr_outputs.cell = None
        ended = _timestamp()
        # the timings nbclient records from a kernel's messages (busy, input, reply, idle)
        cell.metadata["execution"] = {
            "iopub.execute_input": started,
            "iopub.status.busy": started,
            "iopub.status.idle": ended,
            "shell.execute_reply": ended,
        }
    if result is None:
        return None
    error = result.error_before_exec or result.error_in_exec
    if error is not None and "raises-exception" in tags:
        return None
    return error
