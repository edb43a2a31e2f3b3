"""The in-process engine gives the outputs a kernel gives, and a report leaves nothing behind.

``imr-analytics report`` runs notebooks in its own process (``reports.inprocess``); plain
papermill and JupyterLab use a kernel. These tests run small notebooks both ways and compare,
and check what must not survive a run: its names, a report's open database and chart worker,
the process's environment, options and shell, and what Ctrl-C and a timeout do.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from imr_analytics.reports import ReportExecutionError, run_report
from imr_analytics.reports.inprocess import ENGINE_NAME, available, register_engine

OUTPUTS_CELLS = [
    'print("to stdout")\nprint("again")\nimport sys\nprint("to stderr", file=sys.stderr)',
    "from IPython.display import HTML, Markdown, display, update_display\n"
    'display(Markdown("**bold**"))\n'
    'display({"text/plain": "placeholder"}, raw=True, display_id="chart-1")',
    'display(HTML("<p>x</p>"), metadata={"k": 1})\n41 + 1',
    'update_display({"text/plain": "drawn", "image/svg+xml": "<svg/>"}, raw=True, '
    'display_id="chart-1")\nx = 3;',
    "x",
]


def _notebook(cells: list[str], path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _run(path: Path, out: Path, **kwargs: Any) -> nbformat.NotebookNode:
    register_engine()
    return papermill.execute_notebook(
        str(path),
        str(out),
        engine_name=ENGINE_NAME,
        kernel_name="python3",
        progress_bar=False,
        **kwargs,
    )


def _outputs(nb: nbformat.NotebookNode) -> list[list[dict[str, Any]]]:
    return [[dict(o) for o in cell.outputs] for cell in nb.cells]


def test_outputs_are_what_a_kernel_gives(tmp_path: Path) -> None:
    source = _notebook(OUTPUTS_CELLS, tmp_path / "outputs.ipynb")
    mine = _run(source, tmp_path / "mine.ipynb")
    kernel = papermill.execute_notebook(
        str(source), str(tmp_path / "kernel.ipynb"), kernel_name="python3", progress_bar=False
    )
    assert _outputs(mine) == _outputs(kernel)
    assert [c.execution_count for c in mine.cells] == [c.execution_count for c in kernel.cells]
    # and they are the outputs meant: the update replaced the placeholder in cell 2
    cells = _outputs(mine)
    assert cells[0] == [
        {"output_type": "stream", "name": "stdout", "text": "to stdout\nagain\n"},
        {"output_type": "stream", "name": "stderr", "text": "to stderr\n"},
    ]
    assert cells[1][1]["data"] == {"text/plain": "drawn", "image/svg+xml": "<svg/>"}
    assert cells[2][-1]["output_type"] == "execute_result"
    assert cells[2][-1]["data"]["text/plain"] == "42"
    assert cells[3] == []  # an update shows nothing where it is called; `;` hides the value
    assert cells[4][0]["data"] == {"text/plain": "3"} and cells[4][0]["execution_count"] == 5
    assert mine.metadata["language_info"]["name"] == "python"
    assert available()  # the shell of the run is gone


def test_an_error_stops_the_run_with_ipythons_traceback(tmp_path: Path) -> None:
    source = _notebook(["a = 1", "b = [1]\nc = b[a]", "never = True"], tmp_path / "broken.ipynb")
    with pytest.raises(PapermillExecutionError) as info:
        _run(source, tmp_path / "out.ipynb")
    assert info.value.ename == "IndexError" and "list index out of range" in info.value.evalue
    frames = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in info.value.traceback]
    assert any("Cell In[2], line 2" in line for line in frames)
    written = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in written.cells if c.cell_type == "code"]
    assert code[1].outputs[-1]["output_type"] == "error"
    assert code[2].execution_count is None and code[2].outputs == []
    assert written.metadata.papermill.exception is True
    assert available()


def test_a_report_leaves_nothing_for_the_next(tmp_path: Path) -> None:
    extra_path = str(tmp_path / "on-path")
    first = _notebook(
        [
            "left = 'from the first report'\nimport os, sys, warnings\nimport pandas as pd\n"
            "pd.set_option('display.max_rows', 3)\n"
            "os.environ['IMR_TEST_LEAK'] = '1'\n"
            f"sys.path.append({extra_path!r})\n"
            f"os.chdir({str(tmp_path)!r})\n"
            "warnings.simplefilter('error')",
        ],
        tmp_path / "first.ipynb",
    )
    second = _notebook(
        [
            "import os, sys, warnings\nimport pandas as pd\n"
            "assert 'left' not in globals(), 'a name of the first report'\n"
            "assert pd.get_option('display.max_rows') == 60, 'a pandas option'\n"
            "assert 'IMR_TEST_LEAK' not in os.environ, 'an environment variable'\n"
            f"assert {extra_path!r} not in sys.path, 'sys.path'\n"
            "assert len(In) == 2, 'the input history'",
        ],
        tmp_path / "second.ipynb",
    )
    cwd, main, filters = os.getcwd(), sys.modules["__main__"], list(warnings.filters)
    _run(first, tmp_path / "first.out.ipynb", cwd=str(tmp_path.parent))
    assert os.getcwd() == cwd and sys.modules["__main__"] is main
    assert warnings.filters == filters and "IMR_TEST_LEAK" not in os.environ
    _run(second, tmp_path / "second.out.ipynb")


def _failing_report(folder: Path) -> None:
    (folder / "half_done.py").write_text(
        textwrap.dedent(
            """\
            # %% tags=["parameters"]
            db_path: str = ""  # database

            # %%
            from imr_analytics.reports.nbkit import Report

            rep = Report.open("half_done", globals())
            rep.chart(rep.rates("item_category"), __import__("imr_analytics.analytics").analytics.rate_bars)

            # %%
            raise RuntimeError("stopped halfway")
            """
        ),
        encoding="utf-8",
    )


def _children() -> set[int]:
    """Processes whose parent is this one (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def test_a_failed_report_closes_its_database_and_chart_worker(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    _failing_report(tmp_path)
    monkeypatch.setenv("IMR_NOTEBOOKS_DIR", str(tmp_path))
    before = _children()
    with pytest.raises(ReportExecutionError, match="RuntimeError: stopped halfway") as info:
        run_report("half_done", {}, tmp_path / "out", db_path=small_db)
    assert info.value.executed_path and info.value.executed_path.name == "half_done.failed.ipynb"
    failed = nbformat.read(info.value.executed_path, as_version=4)
    assert any(
        o.get("data", {}).get("image/svg+xml") for c in failed.cells for o in c.get("outputs", [])
    )
    # the chart worker was reaped and the read-only connection closed: a writer may open it
    assert _children() <= before
    duckdb.connect(str(small_db)).close()
    assert available()


def test_ctrl_c_ends_the_run_even_when_the_cell_swallows_it(tmp_path: Path) -> None:
    source = _notebook(
        [
            "import os, signal, time\ntry:\n    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(5)\nexcept KeyboardInterrupt:\n    pass",
            "never = True",
        ],
        tmp_path / "interrupted.ipynb",
    )
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        _run(source, tmp_path / "out.ipynb")
    assert signal.getsignal(signal.SIGINT) is handler
    assert available()


def test_a_cell_past_the_timeout_ends_the_run_as_a_kernels_would(tmp_path: Path) -> None:
    from nbclient.exceptions import CellTimeoutError

    source = _notebook(["import time\ntime.sleep(10)"], tmp_path / "slow.ipynb")
    with pytest.raises(CellTimeoutError, match="timed out"):
        _run(source, tmp_path / "out.ipynb", execution_timeout=1)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert available()


def test_a_cell_that_catches_the_timeout_still_ends_the_run(tmp_path: Path) -> None:
    """A retry loop with ``except Exception``/``except OSError`` does not outlast the timeout."""
    from nbclient.exceptions import CellTimeoutError

    cell = (
        "import time\n"
        "for _ in range(40):\n"
        "    try:\n"
        "        time.sleep(0.25)\n"
        "    except (Exception, OSError):\n"
        "        pass\n"
        "print('went on')"
    )
    source = _notebook([cell], tmp_path / "retry.ipynb")
    with pytest.raises(CellTimeoutError, match="timed out"):
        _run(source, tmp_path / "out.ipynb", execution_timeout=1)
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert "went on" not in str(executed.cells[0].outputs)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_failed_cell_leaves_no_traceback_or_builtins_behind(tmp_path: Path) -> None:
    import builtins

    before = set(vars(builtins))
    source = _notebook(
        ["def f():\n    big = list(range(10))\n    1 / 0\nf()"], tmp_path / "e.ipynb"
    )
    with pytest.raises(PapermillExecutionError):
        _run(source, tmp_path / "out.ipynb")
    assert not any(hasattr(sys, n) for n in ("last_type", "last_value", "last_traceback"))
    assert set(vars(builtins)) == before


def test_a_module_beside_the_notebook_can_be_imported(tmp_path: Path) -> None:
    """As in a kernel, whose working directory (the notebook's folder here) is on the path."""
    (tmp_path / "imr_test_helper_beside.py").write_text("VALUE = 42\n")
    source = _notebook(
        ["import imr_test_helper_beside\nprint(imr_test_helper_beside.VALUE)"],
        tmp_path / "uses_helper.ipynb",
    )
    path_before = list(sys.path)
    try:
        executed = _run(source, tmp_path / "out.ipynb", cwd=str(tmp_path))
    finally:
        sys.modules.pop("imr_test_helper_beside", None)
    assert "42" in str(executed.cells[0].outputs)
    assert sys.path == path_before


def test_report_cli_runs_in_process_unless_a_kernel_is_asked_for(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imr_analytics.reports.engine import ENGINE_ENV, runs_in_process
    from imr_analytics.reports.errors import ReportError

    monkeypatch.setenv(ENGINE_ENV, "kernl")
    with pytest.raises(ReportError, match="IMR_REPORT_ENGINE='kernl' is not an engine"):
        run_report("uphold_rates", {}, tmp_path, db_path=small_db)
    monkeypatch.delenv(ENGINE_ENV)
    assert runs_in_process(False)
    assert not runs_in_process(True)
    monkeypatch.setenv(ENGINE_ENV, "kernel")
    assert not runs_in_process(False)
    monkeypatch.delenv(ENGINE_ENV)
    import threading

    answers: list[bool] = []
    thread = threading.Thread(target=lambda: answers.append(runs_in_process(False)))
    thread.start()
    thread.join()
    assert answers == [False]  # off the main thread a kernel runs it (signals need the main one)


def test_a_bad_selection_fails_before_the_notebook_runs(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imr_analytics.reports import ReportParameterError, chartworker

    executed: list[object] = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: executed.append(k))
    before = _children()
    with pytest.raises(ReportParameterError, match="categories value 'Pharmaceutical' does not"):
        run_report("uphold_rates", {"categories": ["Pharmaceutical"]}, tmp_path, db_path=small_db)
    with pytest.raises(ReportParameterError, match="matches no decided item"):
        run_report(
            "uphold_rates",
            {"date_from": "1999-01-01", "date_to": "1999-12-31"},
            tmp_path,
            db_path=small_db,
        )
    assert executed == [] and chartworker._spare is None and _children() <= before
    assert not any(tmp_path.iterdir())


def test_a_database_error_while_checking_the_selection_is_one_sentence(
    tmp_path: Path, small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    from imr_analytics.reports import ReportError, selection

    def broken(*args: Any, **kwargs: Any) -> None:
        raise duckdb.OutOfMemoryException("Out of Memory Error: could not allocate\nhint: ...")

    monkeypatch.setattr(selection, "check_selection", broken)
    with pytest.raises(ReportError) as caught:
        run_report("uphold_rates", {"categories": ["Pharmaceuticals"]}, tmp_path, db_path=small_db)
    message = str(caught.value)
    assert "selection could not be checked" in message and str(small_db) in message
    assert "Out of Memory Error: could not allocate" in message and "\n" not in message


def test_what_a_run_imported_is_frozen_during_it_and_only_then(tmp_path: Path) -> None:
    """The collector skips what the run imported (full collections walked 135,000 objects
    three times a run), and a cell's cyclic garbage is still collected; afterwards nothing
    stays frozen."""
    import gc

    source = _notebook(
        [
            "import gc\nbefore = gc.get_freeze_count()",
            "import colorsys",  # a module new to the process: frozen after this cell
            "after_import = gc.get_freeze_count()\nclass Cycle:\n    pass\n"
            "c = Cycle()\nc.me = c\nimport weakref\ngone = weakref.ref(c)\ndel c\ngc.collect()\n"
            "print(before > 0, after_import > before, gone() is None)",
        ],
        tmp_path / "freeze.ipynb",
    )
    sys.modules.pop("colorsys", None)  # imported by the notebook
    out = _run(source, tmp_path / "out.ipynb")
    assert out.cells[2].outputs[0]["text"] == "True True True\n"
    assert gc.get_freeze_count() == 0
