"""Running reports: files written, parameters injected, provenance recorded, failures explained."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest

from imr_analytics.reports import ReportExecutionError, run_report

pytestmark = pytest.mark.slow


def _injected(nb: nbformat.NotebookNode) -> str:
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


def test_default_runs_write_html_and_executed_notebook(
    default_reports: dict[str, Any], small_db: Path
) -> None:
    assert set(default_reports) >= {"uphold_rates", "item_drilldown"}
    for name, result in default_reports.items():
        assert result.html_path == result.html_path.parent / f"{name}.html"
        assert result.notebook_path == result.html_path.with_suffix(".ipynb")
        assert result.html_path.stat().st_size > 10_000
        nb = nbformat.read(result.notebook_path, as_version=4)
        assert str(small_db) in _injected(nb)
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert errors == []
        assert not list(result.html_path.parent.glob("*.failed.ipynb"))


def test_provenance_counts_versions_and_parameters(
    default_reports: dict[str, Any], facts: Any
) -> None:
    prov = default_reports["uphold_rates"].provenance
    assert prov["letters"] == facts.letters
    assert prov["items"] > 300
    assert prov["parser_versions"] == facts.parser_version
    assert prov["taxonomy_versions"] == facts.taxonomy_version
    assert "min_cell" not in prov["params"]
    assert prov["params"]["interval"] == "korn-graubard"
    assert "2016-01" in prov["date_range"]
    assert prov["run_at"]
    drill = default_reports["item_drilldown"].provenance
    assert drill["items"] < prov["items"]  # the Pharmaceuticals default selection
    assert "Pharmaceuticals" in drill["filters"]


def test_footer_shows_provenance(
    default_reports: dict[str, Any], small_db: Path, facts: Any
) -> None:
    html = default_reports["uphold_rates"].html_path.read_text(encoding="utf-8")
    footer = html[html.index('<footer class="imr-footer">') :]
    for needle in (
        str(small_db),
        f"{facts.letters} letters",
        facts.parser_version,
        facts.taxonomy_version,
        "interval = 'korn-graubard'",
        "letters as clusters",
        "Date range",
        "Run",
    ):
        assert needle in footer, needle


def test_custom_runs_via_cli_print_paths_and_apply_parameters(
    custom_reports: dict[str, Any],
) -> None:
    for run in custom_reports.values():
        assert run.exit_code == 0, run.stderr
        printed = [Path(line) for line in run.stdout.splitlines()]
        assert printed[:2] == [run.html_path, run.notebook_path]
        tables = printed[2:]  # --tables: the CSVs, after the HTML and the notebook
        assert tables and all(p.parent == run.out_dir and p.suffix == ".csv" for p in tables)
        assert all(p.name.startswith(f"{run.name}.") and p.exists() for p in tables)
        assert run.html_path.exists() and run.notebook_path.exists()
    nb = nbformat.read(custom_reports["uphold_rates"].notebook_path, as_version=4)
    injected = _injected(nb)
    assert "period = 'month'" in injected.replace('"', "'")
    assert "categories = ['Pharmaceuticals', 'Injections']" in injected.replace('"', "'")
    assert "date_from = '2016-03-01'" in injected.replace('"', "'")
    html = custom_reports["uphold_rates"].html_path.read_text(encoding="utf-8")
    assert "Every count is shown" in html and "suppress" not in html.lower()
    assert "decision dates 2016-03-01 to 2017-06-30" in html
    assert "wilson" in html
    assert "Rx &amp; injections &lt;i&gt;draft&lt;/i&gt;" in html  # the title, escaped
    assert "<title>Rx &amp; injections &lt;i&gt;draft&lt;/i&gt;</title>" in html


def test_notebook_failure_names_notebook_and_cell(tmp_path: Path, small_db: Path) -> None:
    script = tmp_path / "broken_report.py"
    script.write_text(
        textwrap.dedent(
            """\
            # %% tags=["parameters"]
            db_path: str = "x.duckdb"  # database
            divisor: int = 0  # what to divide by

            # %%
            ok = 1

            # %%
            values = [1, 2, 3]
            total = sum(values) / divisor
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReportExecutionError) as info:
        run_report(str(script), {}, tmp_path / "out", db_path=small_db)
    err = info.value
    message = str(err)
    assert "broken_report.py" in message
    assert "cell 3" in message and "line 10" in message
    assert "total = sum(values) / divisor" in message
    assert "ZeroDivisionError" in message
    assert "Traceback" not in message and "\x1b[" not in message
    assert len(message.splitlines()) <= 3
    assert err.cell_number == 3 and err.line == 10
    assert err.executed_path and err.executed_path.exists()
    assert not (tmp_path / "out" / "broken_report.html").exists()
