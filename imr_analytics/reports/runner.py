"""Run a report notebook: validate parameters, execute with papermill, export self-contained HTML.

Reports are notebooks shipped as package data (``imr_analytics/notebooks/*.ipynb``, outputs
stripped), so the file ``imr-analytics report`` runs is the file plain papermill and JupyterLab
run. A run executes it with papermill (so the executed notebook keeps the injected parameters and
every output for audit), and exports HTML through the package's own template, which has no
scripts and no network references so the report opens in a mail client, an air-gapped laptop or
an archive. A folder of one's own reports (``IMR_NOTEBOOKS_DIR``) may also hold jupytext
percent scripts.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from imr_analytics._atomic import output_dir, try_copy, write_files
from imr_analytics._jsonschema import import_jsonschema
from imr_analytics.reports.engine import runs_in_process
from imr_analytics.reports.errors import (
    ReportError,
    ReportExecutionError,
    ReportParameterError,
)
from imr_analytics.reports.params import ParamSpec, coerce_params, parse_parameters_cell
from imr_analytics.store.database import resolve_db_path

import_jsonschema()  # before nbformat: 3 s less CPU per run (see _jsonschema)

import nbformat  # noqa: E402

__all__ = [
    "ReportError",
    "ReportExecutionError",
    "ReportParameterError",
    "ReportResult",
    "describe_report",
    "list_reports",
    "notebooks_dir",
    "output_stem",
    "report_script",
    "resolve_db_path",
    "run_report",
]

DEFAULT_KERNEL = "python3"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class ReportResult:
    """What a run wrote and what it counted; the mailer and the CLI work from this alone."""

    name: str
    html_path: Path
    notebook_path: Path
    params: dict[str, Any]
    db_path: Path
    provenance: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    charts: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    duration_s: float = 0.0
    table_paths: list[Path] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """Every file written, HTML first, then the executed notebook and any table CSVs."""
        return [self.html_path, self.notebook_path, *self.table_paths]


# -- locating notebooks -------------------------------------------------------------------------


def notebooks_dir() -> Path:
    """Where report notebooks live: ``$IMR_NOTEBOOKS_DIR``, else the package's own notebooks.

    The shipped notebooks are package data (``imr_analytics/notebooks/*.ipynb``), found through
    ``importlib.resources`` so an editable install, ``pip install .`` and ``pip install --user``
    all find them. ``IMR_NOTEBOOKS_DIR`` points at a folder of one's own reports instead.
    A missing folder is a :class:`ReportError` that says so, never an empty list of reports
    that reads like "nothing to do".
    """
    env = os.environ.get("IMR_NOTEBOOKS_DIR")
    if env:
        folder = Path(env).expanduser().resolve()
        if not folder.is_dir():
            raise ReportError(
                f"IMR_NOTEBOOKS_DIR is {env!r}, which is not a directory; point it at the folder "
                "holding the report notebooks (.ipynb)"
            )
        return folder
    folder = Path(str(resources.files("imr_analytics") / "notebooks"))
    if not folder.is_dir():
        raise ReportError(
            f"no report notebooks directory: the package's {folder} is missing (a broken "
            "install?); reinstall imr-analytics or set IMR_NOTEBOOKS_DIR to a folder of reports"
        )
    return folder


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    """A report notebook: an ``.ipynb`` as papermill reads it, or a jupytext percent script."""
    if path.suffix == ".py":
        import jupytext

        return jupytext.read(path, fmt="py:percent")
    return nbformat.read(path, as_version=4)


def _is_report(path: Path) -> bool:
    """A report is a notebook with a code cell tagged ``parameters`` (that there is only one
    is checked when it runs, by ``_parameters_cell_index``)."""
    try:
        nb = _read_notebook(path)
    except Exception:
        return False
    return any(
        c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
        for c in nb.cells
    )


def _report_files(folder: Path) -> dict[str, Path]:
    files = sorted(folder.glob("*.py")) + sorted(folder.glob("*.ipynb"))  # .ipynb wins
    return {p.stem: p for p in files if not p.name.startswith(".") and _is_report(p)}


def _report_file(folder: Path, name: str) -> Path | None:
    """What ``_report_files(folder).get(name)`` gives, reading only that report's files."""
    if not name or name.startswith(".") or Path(name).name != name:
        return None
    for suffix in (".ipynb", ".py"):  # .ipynb wins, as in _report_files
        path = folder / f"{name}{suffix}"
        if path.is_file() and _is_report(path):
            return path
    return None


def list_reports() -> list[str]:
    """Names of the available report notebooks (file stems in :func:`notebooks_dir`).

    Raises :class:`ReportError` when there is no notebooks folder, or it holds no report.
    """
    folder = notebooks_dir()
    names = sorted(_report_files(folder))
    if not names:
        raise ReportError(
            f"no report notebooks in {folder} (a report is a notebook with a cell tagged "
            "'parameters'); set IMR_NOTEBOOKS_DIR to the folder holding them"
        )
    return names


def report_script(name: str) -> Path:
    """The notebook file of a report name (or a path to one); a clear error lists what exists.

    This is the file to hand to plain papermill: ``papermill "$(imr-analytics report NAME
    --path)" out.ipynb -p db_path ...``.
    """
    candidate = Path(name)
    if candidate.suffix in {".py", ".ipynb"} and candidate.is_file():
        return candidate.resolve()
    folder = notebooks_dir()
    found = _report_file(folder, name)
    if found is None:
        available = ", ".join(list_reports())
        raise ReportError(f"no report named {name!r} in {folder} (available: {available})")
    return found


def _parameters_cell_index(nb: nbformat.NotebookNode, script: Path) -> int:
    """Index of the one cell tagged ``parameters``; zero or several is an authoring error."""
    found = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])
    ]
    if len(found) != 1:
        raise ReportError(
            f"{script.name}: expected exactly one cell tagged 'parameters', found {len(found)}"
        )
    return found[0]


def describe_report(name: str) -> dict[str, ParamSpec]:
    """The parameters a report accepts, parsed from its ``parameters`` cell."""
    script = report_script(name)
    nb = _read_notebook(script)
    cell = nb.cells[_parameters_cell_index(nb, script)]
    return parse_parameters_cell(cell.source, where=f"{script.name} parameters cell")


# -- database path ------------------------------------------------------------------------------


def _check_database(name: str, path: Path, params: dict[str, Any]) -> None:
    """Open the database read-only once before the notebook runs: a locked or broken file, and
    a selection the data cannot satisfy, fail here with one sentence, in about a second.

    The selection (values that must occur, a selection that must match something) is checked
    by the notebook itself too (``Report.open``), the check plain papermill and JupyterLab get;
    here the same function runs first, when the run selects anything, so a mistyped
    ``-p categories`` fails before the notebook's imports (the chart worker started ahead of
    the report is killed at once). A run without a selection has nothing to refuse and pays
    nothing.
    """
    from imr_analytics.store.database import DatabaseError, first_line, open_database

    try:
        con = open_database(path, read_only=True)
    except DatabaseError as exc:
        raise ReportError(f"report {name!r}: {exc}") from None
    try:
        if _selects_anything(params):
            import duckdb

            from imr_analytics.reports.selection import check_selection

            try:
                check_selection(
                    con,
                    params,
                    report=name,
                    date_from=params.get("date_from") or None,
                    date_to=params.get("date_to") or None,
                )
            except duckdb.Error as exc:  # a damaged file, out of memory: one sentence
                raise ReportError(
                    f"report {name!r}: the selection could not be checked in {path}: "
                    f"{first_line(exc)}"
                ) from None
    finally:
        con.close()


def _selects_anything(params: dict[str, Any]) -> bool:
    """Whether the parameters narrow the letters by a selection check_selection checks."""
    from imr_analytics.reports.selection import PARAM_DIMENSIONS

    names = [*PARAM_DIMENSIONS, "date_from", "date_to"]
    return any(params.get(k) not in (None, "", [], ()) for k in names)


_PLACEHOLDERS = ("name", "date", "time", "datetime")


def output_stem(template: str, *, name: str, now: datetime) -> str:
    """The file name (without extension) of a run's outputs from ``--output-name``.

    Placeholders: ``{name}`` (the report), ``{date}`` (2026-12-01), ``{time}`` (175502) and
    ``{datetime}`` (2026-12-01T175502), so a scheduled job keeps one file per run.
    """
    import string

    fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    bad = [f for f in fields if f not in _PLACEHOLDERS]
    if bad:
        raise ReportParameterError(
            f"--output-name {template!r}: unknown placeholder {{{bad[0]}}} (use "
            + ", ".join(f"{{{p}}}" for p in _PLACEHOLDERS)
            + ")"
        )
    stem = template.format(
        name=name,
        date=now.strftime("%Y-%m-%d"),
        time=now.strftime("%H%M%S"),
        datetime=now.strftime("%Y-%m-%dT%H%M%S"),
    )
    for ext in (".html", ".ipynb"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
    if not stem or "/" in stem or "\\" in stem or stem in {".", ".."}:
        raise ReportParameterError(
            f"--output-name {template!r} must be a file name without a folder (use --out DIR)"
        )
    return stem


# -- kernel -------------------------------------------------------------------------------------


def _kernel_name(requested: str | None) -> str:
    """Pick a kernel that runs this interpreter, with an actionable error when none exists.

    ``python3`` from ipykernel resolves to ``sys.executable`` in jupyter_client, so the venv that
    runs the CLI also runs the notebook.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    name = requested or DEFAULT_KERNEL
    specs = KernelSpecManager().find_kernel_specs()
    if name not in specs:
        raise ReportError(
            f"Jupyter kernel {name!r} not found (have: {', '.join(sorted(specs)) or 'none'}); "
            f"install one with: {sys.executable} -m ipykernel install --sys-prefix"
        )
    return name


# Passed to every kernel the runner starts, as nbclient passes it to the kernels it starts: the
# kernel keeps no IPython history file (a report run is not an interactive session).
_KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


def _start_kernel(kernel: str, cwd: Path) -> Any:
    """Start the report's kernel now and return its manager, without waiting for it.

    A kernel takes about a second of CPU to start; started before the runner imports papermill
    and prepares the notebook, it boots on the other core meanwhile. Papermill is handed the
    manager and runs the notebook in it; :func:`_stop_kernel` shuts it down.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from imr_analytics.reports.chartworker import ASYNC_CHARTS_ENV

    # Its sockets are Unix sockets in a folder of the run's own, not TCP ports on localhost:
    # nothing else on the machine can connect, and ipykernel has no reason to warn on every
    # run (on stderr, which cron mails) that it runs "over TCP without encryption".
    sockets = tempfile.mkdtemp(prefix="imr-kernel-")
    km = AsyncKernelManager(kernel_name=kernel, transport="ipc", ip=str(Path(sockets) / "k"))
    run_sync(km.start_kernel)(
        cwd=str(cwd),
        extra_arguments=list(_KERNEL_ARGUMENTS),
        # the report's charts are drawn by a worker process, beside the kernel's queries
        env={**os.environ, ASYNC_CHARTS_ENV: "1"},
    )
    return km


def _ask_kernel_to_stop(km: Any) -> None:
    """Ask the kernel to shut down and return at once: it exits while the page is rendered."""
    from jupyter_core.utils import run_sync

    run_sync(km.request_shutdown)()


def _stop_kernel(km: Any, *, finished: bool = False) -> None:
    """Shut a kernel from :func:`_start_kernel` down and reap it, whatever happened meanwhile.

    A kernel that ``finished`` the notebook (every output received, its last cell closed the
    database and reaped the chart worker) and has not exited yet is killed: it has nothing
    left to do, and its orderly exit cost the run about a second of waiting. Otherwise it is
    given jupyter_client's grace time to exit, then killed.
    """
    from jupyter_core.utils import run_sync

    try:
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=finished)
    finally:
        run_sync(km.cleanup_resources)()
        shutil.rmtree(Path(km.ip).parent, ignore_errors=True)  # the sockets' folder


# -- running ------------------------------------------------------------------------------------


def _marker_lines(script: Path) -> list[int]:
    """1-based line numbers of the ``# %%`` cell markers of a percent script (none for .ipynb)."""
    if script.suffix != ".py":
        return []
    lines = script.read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line.startswith("# %%")]


def _traceback_cell_line(traceback: list[str]) -> int | None:
    """The line inside the failing cell, from IPython's ``Cell In[n], line k`` frame header."""
    line = None
    for entry in traceback:
        for m in re.finditer(r"Cell In\[\d+\], line (\d+)", _ANSI.sub("", entry)):
            line = int(m.group(1))
            break
        if line is not None:
            break
    return line


def _execution_error(
    exc: Exception,
    *,
    name: str,
    script: Path,
    source_nb: nbformat.NotebookNode,
    executed_path: Path | None,
) -> ReportExecutionError:
    """Turn a papermill/nbclient failure into one sentence that points at the script line."""
    from papermill.exceptions import PapermillExecutionError

    rel = script.name
    if isinstance(exc, PapermillExecutionError):
        source = exc.source or ""
        ename, evalue = exc.ename, _ANSI.sub("", str(exc.evalue or ""))
        index = next(
            (i for i, c in enumerate(source_nb.cells) if c.source == source),
            None,
        )
        where = f"{rel}"
        line = None
        cell_number = None
        if index is None:
            where += " (injected parameters cell)"
        else:
            cell_number = index + 1
            markers = _marker_lines(script)
            in_cell = _traceback_cell_line(exc.traceback or [])
            if len(markers) == len(source_nb.cells):
                line = markers[index] + (in_cell or 1)
            elif in_cell:
                line = in_cell  # the line inside the notebook cell
            where += f", cell {cell_number}" + (f" (line {line})" if line else "")
            code_lines = source.splitlines()
            snippet_no = (in_cell or 1) - 1
            if 0 <= snippet_no < len(code_lines):
                where += f": {code_lines[snippet_no].strip()[:120]}"
        message = f"report {name!r} failed in {where}\n  {ename}: {evalue}"
        if ename == "ModuleNotFoundError" and "imr_analytics" in evalue:
            message += (
                "\n  the Jupyter kernel runs a Python without imr-analytics; install a kernel "
                f"for this one: {sys.executable} -m ipykernel install --sys-prefix --name python3"
            )
        if executed_path:
            message += f"\n  executed notebook with the full traceback: {executed_path}"
        return ReportExecutionError(
            message,
            notebook=script,
            cell_number=cell_number,
            line=line,
            ename=ename,
            evalue=evalue,
            executed_path=executed_path,
        )
    text = _ANSI.sub("", f"{type(exc).__name__}: {exc}").strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return ReportExecutionError(
        f"report {name!r} ({rel}) could not be executed: {first}",
        notebook=script,
        ename=type(exc).__name__,
        evalue=str(exc),
        executed_path=executed_path,
    )


def _execute(
    km: Any | None,
    source_nb: nbformat.NotebookNode,
    parameters: dict[str, Any],
    *,
    name: str,
    script: Path,
    kernel: str,
    cell_timeout: int,
    failed_path: Path,
) -> nbformat.NotebookNode:
    """Run the notebook with papermill in the started kernel ``km``; one clear error if not.

    Without a kernel (``km`` None) papermill runs it in this process
    (:mod:`imr_analytics.reports.inprocess`). A failed run leaves its executed notebook (with
    the traceback) at ``failed_path``.
    """
    from imr_analytics.reports._papermill import import_papermill

    import_papermill()  # without its kernel client, requests and click until they are used
    import papermill

    engine: dict[str, Any] = {"km": km}  # the kernel started early, already booting
    if km is None:
        from imr_analytics.reports.inprocess import ENGINE_NAME, register_engine

        register_engine()
        engine = {"engine_name": ENGINE_NAME}

    with tempfile.TemporaryDirectory(prefix=f"imr-report-{name}-") as tmp:
        tmp_dir = Path(tmp)
        input_path = tmp_dir / f"{name}.ipynb"
        output_path = tmp_dir / f"{name}.executed.ipynb"
        nbformat.write(source_nb, input_path)
        try:
            executed = papermill.execute_notebook(
                str(input_path),
                str(output_path),
                parameters=parameters,
                kernel_name=kernel,
                language="python",
                progress_bar=False,
                log_output=False,
                cwd=str(script.parent),
                execution_timeout=cell_timeout,
                # the executed notebook is written once, at the end (and on failure), not
                # after every cell: nobody watches it mid-run, and each save re-serialised it
                request_save_on_cell_execute=False,
                **engine,
            )
        except Exception as exc:  # papermill, nbclient or the kernel: one clear error
            if getattr(exc, "ename", None) == ReportParameterError.__name__:
                # the notebook's own check of the selection (Report.open): the same one
                # sentence and exit status as a parameter refused before the kernel started
                raise ReportParameterError(_ANSI.sub("", str(exc.evalue))) from None
            failed_copy = None
            if output_path.exists():
                failed_copy = try_copy(output_path, failed_path)
            raise _execution_error(
                exc, name=name, script=script, source_nb=source_nb, executed_path=failed_copy
            ) from None
    return executed


@contextlib.contextmanager
def _chart_worker_ahead(wanted: bool) -> Iterator[None]:
    """Start the report's chart worker ahead of it (``wanted``), or end one nobody will use.

    The CLI may have started it already, before its own imports. One the report did not take
    over by the end (it failed before it opened, or draws nothing) is ended at once: it has
    drawn nothing for anyone, and a run refused for a mistyped parameter must not wait for it.
    """
    from imr_analytics.reports.chartworker import drop_spare, start_spare

    if wanted:
        start_spare()
    else:
        drop_spare(now=True)
    try:
        yield
    finally:
        drop_spare(now=True)


def run_report(
    name: str,
    params: dict[str, Any] | None = None,
    out_dir: str | os.PathLike[str] = "reports",
    *,
    db_path: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
    stem: str | None = None,
    cell_timeout: int = 900,
    tables: bool = False,
) -> ReportResult:
    """Execute report ``name`` with ``params`` and write ``<stem>.html`` and ``<stem>.ipynb``.

    ``params`` values may be typed Python values or CLI strings (coerced to the declared type).
    ``db_path`` wins over a ``db_path`` in ``params`` (the CLI's ``--db`` overrides
    ``-p db_path``); either is resolved to an absolute path here, so the notebook's working
    directory does not matter. Every parameter, the database file included (it must open
    read-only, i.e. not be locked by a writer), and the selection's values are checked before
    the notebook runs (a value that does not occur is a :class:`ReportParameterError`).
    The notebook runs in this process (:mod:`imr_analytics.reports.inprocess`) unless
    ``kernel_name`` or ``IMR_REPORT_ENGINE=kernel`` asks for a Jupyter kernel.
    ``out_dir`` receives the files (written atomically: all or none); ``stem`` names them
    (default: the report's name); ``kernel_name`` runs it in that Jupyter kernel;
    ``cell_timeout`` is the seconds one cell may run before the run fails.
    ``tables`` also writes every table the report shows as ``<stem>.<table>.csv`` (the rows it
    was drawn from, with counts, intervals and reliability flags), with the HTML, all or none.
    """
    started = datetime.now().astimezone()
    t0 = time.perf_counter()
    script = report_script(name)
    name = script.stem
    source_nb = _read_notebook(script)
    p_index = _parameters_cell_index(source_nb, script)
    specs = parse_parameters_cell(
        source_nb.cells[p_index].source, where=f"{script.name} parameters cell"
    )
    given = dict(params or {})
    if db_path is not None:
        given["db_path"] = str(db_path)
    coerced = coerce_params(specs, given, report=name)
    if "db_path" in specs:
        raw_db = coerced.get("db_path", specs["db_path"].default)
        try:
            resolved_db = resolve_db_path(raw_db, what="--db" if db_path is not None else "db_path")
        except FileNotFoundError as exc:
            raise ReportError(f"report {name!r}: {exc}") from None
        coerced["db_path"] = str(resolved_db)
    else:
        resolved_db = Path(str(db_path)) if db_path else Path()
    effective = {k: coerced.get(k, spec.default) for k, spec in specs.items()}

    # the chart worker of a report that opens one (Report.open) starts before the database
    # check and the imports of pandas and papermill; a kernel starts its own
    in_process = runs_in_process(bool(kernel_name))
    spare_worker = in_process and any("Report.open" in c.source for c in source_nb.cells)
    with _chart_worker_ahead(spare_worker):
        if "db_path" in specs:
            _check_database(name, resolved_db, effective)
        kernel = DEFAULT_KERNEL if in_process else _kernel_name(kernel_name)
        out = output_dir(out_dir)  # an existing file or an unwritable folder: one sentence
        stem = output_stem(stem, name=name, now=started) if stem else name
        html_path = out / f"{stem}.html"
        nb_path = out / f"{stem}.ipynb"

        source_nb.metadata["kernelspec"] = {
            "name": kernel,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        source_nb.metadata.setdefault("language_info", {"name": "python"})
        source_nb.metadata.pop("jupytext", None)
        title = effective.get("title") or name
        source_nb.metadata["title"] = str(title)

        # a kernel boots while papermill is imported (in-process, the chart worker already is)
        km = None if in_process else _start_kernel(kernel, script.parent)
        finished = False
        try:
            executed = _execute(
                km,
                source_nb,
                coerced,
                name=name,
                script=script,
                kernel=kernel,
                cell_timeout=cell_timeout,
                failed_path=out / f"{stem}.failed.ipynb",
            )
            if km is not None:
                _ask_kernel_to_stop(km)

            from imr_analytics.reports.export import export_html, extract_report_data

            data = extract_report_data(executed)
            if not data.provenance:
                raise ReportError(
                    f"report {name!r}: the notebook emitted no provenance footer "
                    "(its last cell must call show_provenance())"
                )
            html = export_html(executed, title=str(title))
            files: dict[Path, str | bytes] = {
                nb_path: nbformat.writes(executed) + "\n",
                html_path: html,
            }
            table_paths = [out / f"{stem}.{t['name']}.csv" for t in data.tables] if tables else []
            for path, table in zip(table_paths, data.tables, strict=False):
                files[path] = table["csv"]
            write_files(files)  # all or nothing
            finished = True
        finally:
            if km is not None:
                _stop_kernel(km, finished=finished)
        (out / f"{stem}.failed.ipynb").unlink(missing_ok=True)  # from an earlier, failed run
        return ReportResult(
            name=name,
            html_path=html_path,
            notebook_path=nb_path,
            params=effective,
            db_path=resolved_db,
            provenance=data.provenance,
            summary=data.summary,
            charts=data.charts,
            started_at=started,
            duration_s=time.perf_counter() - t0,
            table_paths=table_paths,
        )
