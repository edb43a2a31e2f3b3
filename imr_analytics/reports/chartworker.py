"""Draw a report's charts in a process of their own while the kernel goes on with its queries.

vl-convert holds the GIL while it draws (about 0.2 s of CPU a chart, plus about 1 s to start
its JavaScript engine on the first one), so a thread in the kernel gains nothing: every chart
stopped the report for as long as it took to draw. A second process draws them on the other
core instead. ``nbkit`` sends it each chart's Vega-Lite spec as soon as the chart is built,
shows a placeholder with a display id, and replaces the placeholder with the SVG (an
``update_display``) before the footer, so the executed notebook and the page hold exactly what
drawing in the kernel gives.

The worker is used when the report runner starts the kernel (it sets :data:`ASYNC_CHARTS_ENV`);
in JupyterLab or under plain papermill a chart is drawn where it is shown, as before, so a
cell run on its own still shows its chart.

Protocol: one JSON object per line each way. Requests ``{"id", "spec", "vl_version"}``;
answers ``{"id", "svg"}`` or ``{"id", "error"}``. The worker exits when its input closes.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import queue
import subprocess
import sys
import threading
from typing import Any

__all__ = ["ASYNC_CHARTS_ENV", "ChartWorker", "ChartWorkerError", "drop_spare", "start_spare"]

ASYNC_CHARTS_ENV = "IMR_REPORT_CHART_WORKER"  # "1": draw charts in a worker process

# Drawn once at start, so the engine and the fonts are ready before the first real chart.
_WARM_UP = {
    "data": {"values": [{"a": "x", "b": 1}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "a", "type": "nominal"},
        "y": {"field": "b", "type": "quantitative"},
    },
    "title": "warm-up",
}


class ChartWorkerError(RuntimeError):
    """A chart the worker could not draw, or a worker that stopped."""


def _serve() -> None:
    """The worker process: draw each requested spec to SVG, answer in order.

    Ctrl-C in a terminal reaches every process of the report's group; the worker leaves it to
    the report, which closes its input (the worker then exits) however it ends.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # first: a Ctrl-C while vl-convert loads too

    import vl_convert as vlc

    with contextlib.suppress(Exception):  # a failed warm-up only costs the first chart
        vlc.vegalite_to_svg(_WARM_UP, allowed_base_urls=[])
    for line in sys.stdin:
        request = json.loads(line)
        try:
            svg = vlc.vegalite_to_svg(
                request["spec"], vl_version=request.get("vl_version"), allowed_base_urls=[]
            )
            answer = {"id": request["id"], "svg": svg}
        except Exception as exc:  # reported for that chart; the worker goes on
            answer = {"id": request["id"], "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _spawn() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "imr_analytics.reports.chartworker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


# A worker process started ahead of the report that will use it (see start_spare).
_spare: subprocess.Popen[str] | None = None


def start_spare() -> None:
    """Start the next report's worker process now, in this process, ahead of the report.

    Its JavaScript engine takes about a second to start and warm up; the CLI starts it before
    its own imports (``reports.cli.start_chart_worker_early``), the runner before it checks
    the database and imports papermill, so the engine is ready by the first chart instead of
    a second after it. The next :class:`ChartWorker`
    made in this process takes it over; :func:`drop_spare` ends one nobody took.
    """
    global _spare
    if _spare is None:
        _spare = _spawn()


def drop_spare(*, now: bool = False) -> None:
    """End a worker from :func:`start_spare` that no report took over (a report that failed
    before it opened, or that draws no chart).

    It is let finish its warm-up and exit, unless ``now``: a run refused before its notebook
    started (a mistyped parameter) ends at once instead of a second later, and the worker,
    which has drawn nothing for anyone, is killed.
    """
    global _spare
    proc, _spare = _spare, None
    if proc is None:
        return
    if now and proc.poll() is None:
        proc.kill()
    with contextlib.suppress(OSError):
        assert proc.stdin is not None
        proc.stdin.close()  # the worker exits when its input closes
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    finally:
        with contextlib.suppress(OSError):
            assert proc.stdout is not None
            proc.stdout.close()


class ChartWorker:
    """A worker process with a queue of charts to draw; ``result`` waits for one chart's SVG.

    Requests are written by a thread of their own, so ``submit`` never waits for the pipe
    while the worker is busy drawing; answers are read by another. A worker process started
    ahead (:func:`start_spare`) is taken over instead of starting another.
    """

    def __init__(self) -> None:
        global _spare
        proc, _spare = _spare, None
        self._proc = proc if proc is not None and proc.poll() is None else _spawn()
        self._requests: queue.Queue[str | None] = queue.Queue()
        self._answers: dict[str, dict[str, Any]] = {}
        self._done = threading.Condition()
        self._stopped = False
        threading.Thread(target=self._write, name="imr-chart-writer", daemon=True).start()
        threading.Thread(target=self._read, name="imr-chart-reader", daemon=True).start()
        atexit.register(self.close)  # a notebook that never closes its report still reaps it

    def _write(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while (line := self._requests.get()) is not None:
                stdin.write(line)
                stdin.flush()
        except OSError:  # the worker died; _read reports it
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        for line in stdout:
            answer = json.loads(line)
            with self._done:
                self._answers[answer["id"]] = answer
                self._done.notify_all()
        with self._done:
            self._stopped = True
            self._done.notify_all()

    def submit(self, key: str, spec: dict[str, Any], vl_version: str | None) -> None:
        """Queue one chart; its SVG is :meth:`result` ``(key)``."""
        self._requests.put(json.dumps({"id": key, "spec": spec, "vl_version": vl_version}) + "\n")

    def result(self, key: str) -> str:
        """The SVG of chart ``key``, waiting for it; :class:`ChartWorkerError` if not drawn."""
        with self._done:
            while key not in self._answers and not self._stopped:
                self._done.wait()
            answer = self._answers.pop(key, None)
        if answer is None:
            raise ChartWorkerError(
                f"the chart worker stopped (exit status {self._proc.poll()}) before drawing it"
            )
        if "error" in answer:
            raise ChartWorkerError(answer["error"])
        return str(answer["svg"])

    def kill(self) -> None:
        """End the worker now, without drawing what is queued, and reap it."""
        if self._proc.returncode is None:
            self._proc.kill()
        self.close()

    def close(self) -> None:
        """Let the worker finish and reap it (so its CPU counts with the kernel's)."""
        atexit.unregister(self.close)
        if self._proc.returncode is not None:
            return
        self._requests.put(None)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


if __name__ == "__main__":
    _serve()
