"""Where a report's notebook runs: in the CLI's own process, or in a Jupyter kernel.

One decision, asked twice: by the runner, and before anything heavy is imported by the CLI,
which starts the chart worker ahead only for a report that will use it (a kernel draws its
own charts). Kept apart from the runner so that asking costs no import.
"""

from __future__ import annotations

import os
import sys
import threading

from imr_analytics.reports.errors import ReportError

# Set to "kernel" to run reports in a Jupyter kernel as plain papermill does (to compare, or
# when a notebook needs a kernel of its own); by default they run in the CLI's process.
ENGINE_ENV = "IMR_REPORT_ENGINE"


def runs_in_process(kernel_requested: bool) -> bool:
    """Whether to run the notebook in this process: unless a kernel is asked for (``--kernel``
    or ``IMR_REPORT_ENGINE=kernel``), the caller is not the main thread, or this process
    already hosts an IPython shell (the runner called from a notebook), which owns the
    process's display machinery. ``ReportError`` for an engine name that is not one."""
    engine = os.environ.get(ENGINE_ENV, "").strip().lower()
    if engine not in {"", "kernel", "in-process"}:
        raise ReportError(
            f"{ENGINE_ENV}={engine!r} is not an engine: use 'kernel' or 'in-process' (default)"
        )
    if kernel_requested or engine == "kernel":
        return False
    if threading.current_thread() is not threading.main_thread():
        return False  # the cell timeout and Ctrl-C need the main thread's signal handlers
    # what inprocess.available() says, without importing IPython and papermill yet (the chart
    # worker is started first): a shell exists only if IPython has been imported
    shell = sys.modules.get("IPython.core.interactiveshell")
    return shell is None or not shell.InteractiveShell.initialized()
