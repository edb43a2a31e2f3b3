"""Parameters: the notebooks' parameters cells parse, and bad values fail before a kernel starts."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest
from database_faults import held_open

from imr_analytics.reports import (
    ReportError,
    ReportParameterError,
    describe_report,
    list_reports,
    register,
    run_report,
)
from imr_analytics.reports.params import coerce_params, parse_parameters_cell
from imr_analytics.reports.runner import report_script, resolve_db_path

REQUIRED = {
    "uphold_rates": {
        "db_path": "str",
        "date_from": "str",
        "date_to": "str",
        "categories": "list[str]",
        "specialties": "list[str]",
        "top_items": "int",
        "interval": "str",
        "title": "str",
    },
    "item_drilldown": {
        "db_path": "str",
        "item_pattern": "str",
        "treatment": "str",
        "ingredient": "str",
        "body_region": "str",
        "category": "str",
        "include_text": "bool",
        "sample_size": "int",
        "title": "str",
    },
    "guideline_effects": {
        "db_path": "str",
        "date_from": "str",
        "date_to": "str",
        "categories": "list[str]",
        "adjust": "list[str]",
        "interval": "str",
        "title": "str",
    },
}


def test_all_three_reports_are_listed() -> None:
    assert {"uphold_rates", "item_drilldown", "guideline_effects"} <= set(list_reports())


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_no_report_has_a_suppression_parameter(name: str) -> None:
    specs = describe_report(name)
    assert "min_cell" not in specs
    text = report_script(name).read_text(encoding="utf-8")
    assert "suppress" not in text.lower() and "min_cell" not in text
    if "interval" in specs:
        assert specs["interval"].default == "korn-graubard"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_parameters_cell_declares_typed_commented_literals(name: str) -> None:
    specs = describe_report(name)
    for param, type_text in REQUIRED[name].items():
        assert param in specs, f"{name} lacks parameter {param}"
        assert str(specs[param].type) == type_text
    for spec in specs.values():
        assert spec.help, f"{name}.{spec.name} has no explaining comment"
    # no default database: "" means $IMR_DB, and neither given is an error (issue 9)
    assert specs["db_path"].default == ""
    if name == "item_drilldown":
        assert specs["include_text"].default is False


def test_shipped_notebooks_are_package_data_with_one_parameters_cell_and_no_outputs() -> None:
    import nbformat

    for name in REQUIRED:
        path = report_script(name)
        assert path.suffix == ".ipynb" and path.parent.name == "notebooks"
        assert path.parent.parent.name == "imr_analytics", path
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code), name
        # the cell right after the parameters checks them (and what papermill injected)
        after = nb.cells[nb.cells.index(tagged[0]) + 1].source
        assert f'Report.open("{name}", globals())' in after


def test_parse_cell_types_defaults_and_comments() -> None:
    specs = parse_parameters_cell(
        "# a comment line\n"
        'a: str = "x"  # the a\n'
        "b: int = 3\n"
        "c: float = 1  # int literal widens\n"
        "d: bool = True\n"
        "e: list[str] = []\n"
        "f: str | None = None\n"
        "g: list[int] | None = [1, 2]\n"
    )
    assert [str(s.type) for s in specs.values()] == [
        "str",
        "int",
        "float",
        "bool",
        "list[str]",
        "str | None",
        "list[int] | None",
    ]
    assert specs["a"].help == "the a"
    assert specs["c"].default == 1.0


@pytest.mark.parametrize(
    "source, fragment",
    [
        ("x = 1\n", "name: type = literal"),
        ("x: dict = {}\n", "unsupported parameter annotation"),
        ("x: int = 'a'\n", "does not match its declared type int"),
        ("x: int = len('a')\n", "not a literal"),
        ("x: int = 1\nx: int = 2\n", "declared twice"),
    ],
)
def test_malformed_parameters_cell_is_an_error(source: str, fragment: str) -> None:
    with pytest.raises(ReportParameterError, match=fragment):
        parse_parameters_cell(source)


def test_cli_strings_are_coerced_to_declared_types() -> None:
    specs = describe_report("uphold_rates")
    got = coerce_params(
        specs,
        {
            "top_items": "5",
            "categories": "Pharmaceuticals, Injections",
            "specialties": '["Psychiatry", "Internal Medicine, Pain"]',
            "date_from": "none",
            "date_to": "2017-01-31",
        },
    )
    assert got == {
        "top_items": 5,
        "categories": ["Pharmaceuticals", "Injections"],
        "specialties": ["Psychiatry", "Internal Medicine, Pain"],
        "date_from": "",  # none/null/empty: the first letter
        "date_to": "2017-01-31",
    }
    drill = describe_report("item_drilldown")
    assert coerce_params(drill, {"include_text": "yes"}) == {"include_text": True}
    assert coerce_params(drill, {"include_text": False}) == {"include_text": False}


def test_unknown_parameter_is_an_error_naming_it(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportParameterError) as info:
        run_report("uphold_rates", {"min_cell": 5}, tmp_path, db_path=small_db)
    message = str(info.value)
    assert "'min_cell'" in message and "unknown parameter" in message  # it is gone
    assert "top_items: int" in message  # lists what it accepts, with types
    assert not any(tmp_path.iterdir()), "nothing is written for a rejected run"


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"top_items": "eleven"}, "top_items", "int"),
        ({"top_items": 2.5}, "top_items", "int"),
        ({"top_items": True}, "top_items", "int"),
        ({"title": 3}, "title", "str"),
        ({"categories": 5}, "categories", "list[str]"),
        ({"date_from": 20160101}, "date_from", "str"),
    ],
)
def test_mistyped_parameter_is_an_error_naming_type(
    params: dict, name: str, expected: str, small_db: Path, tmp_path: Path
) -> None:
    with pytest.raises(ReportParameterError) as info:
        run_report("uphold_rates", params, tmp_path, db_path=small_db)
    message = str(info.value)
    assert f"'{name}'" in message
    assert f"expects {expected}," in message


def test_bool_parameter_rejects_unclear_text(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportParameterError, match="'include_text' expects bool"):
        run_report("item_drilldown", {"include_text": "maybe"}, tmp_path, db_path=small_db)


def test_missing_database_and_unknown_report_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="database 'nope.duckdb' from --db does not exist"):
        run_report("uphold_rates", {}, tmp_path, db_path="nope.duckdb")
    with pytest.raises(ReportError, match="database 'nope.duckdb' from db_path does not exist"):
        run_report("uphold_rates", {"db_path": "nope.duckdb"}, tmp_path)
    with pytest.raises(ReportError, match="no report named 'nope'.*uphold_rates"):
        run_report("nope", {}, tmp_path)


def test_database_is_explicit_no_upward_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "demo.duckdb"
    db.write_bytes(b"")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.delenv("IMR_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_db_path("data/demo.duckdb") == db
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(FileNotFoundError, match="does not exist .relative to .*notebooks"):
        resolve_db_path("data/demo.duckdb")  # found before issue 9 by searching upwards
    with pytest.raises(FileNotFoundError, match="^no database given: pass --db FILE.*IMR_DB"):
        resolve_db_path("")
    monkeypatch.setenv("IMR_DB", str(db))
    assert resolve_db_path("") == db  # db_path, then IMR_DB
    assert resolve_db_path(None) == db
    monkeypatch.setenv("IMR_DB", "missing.duckdb")
    with pytest.raises(FileNotFoundError, match="'missing.duckdb' from IMR_DB does not exist"):
        resolve_db_path("")


def _cli(argv: list[str]) -> tuple[int, str, str]:
    from imr_analytics.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_rejects_unknown_parameter_with_usage_exit(small_db: Path, tmp_path: Path) -> None:
    code, out, err = _cli(
        [
            "report",
            "uphold_rates",
            "-p",
            "bogus",
            "1",
            "--db",
            str(small_db),
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert "'bogus'" in err and "Traceback" not in err
    assert out == ""


def test_cli_lists_reports_and_parameters() -> None:
    code, out, _ = _cli(["report"])
    assert code == 0
    assert "uphold_rates" in out and "item_drilldown" in out
    assert "guideline_effects" in out
    assert "-p top_items <int>" in out and "(from 1 to 100)" in out
    assert "min_cell" not in out


def test_register_adds_report_subcommand() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(
        ["report", "uphold_rates", "-p", "top_items", "5", "-p", "categories", "A", "--db", "x"]
    )
    assert args.name == "uphold_rates"
    assert args.params == [["top_items", "5"], ["categories", "A"]]
    assert callable(args.func)


# -- values nbkit gives a meaning: checked before a kernel starts --------------------------------


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Fail the test's run if papermill is asked to execute anything; records what it got."""
    import papermill

    started: list[dict] = []

    def refuse(*args: object, **kwargs: object) -> None:
        started.append(dict(kwargs.get("parameters") or {}))  # type: ignore[call-overload]
        raise RuntimeError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)
    return started


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("period", "fortnight", "parameter 'period' must be one of year, quarter, month"),
        ("interval", "exact", "parameter 'interval' must be one of korn-graubard, wilson"),
        ("interval", "clopper-pearson", "parameter 'interval' must be one of korn-graubard"),
        ("date_from", "2016-1-5", "parameter 'date_from' must be a date YYYY-MM-DD"),
        ("date_to", "05/01/2016", "parameter 'date_to' must be a date YYYY-MM-DD"),
        ("date_to", "2016-13-01", "parameter 'date_to' must be a date YYYY-MM-DD"),
        ("top_items", "0", "parameter 'top_items' must be from 1 to 100"),
        ("top_items", "100000", "parameter 'top_items' must be from 1 to 100"),
    ],
)
def test_cli_rejects_bad_value_before_a_kernel_starts(
    key: str, value: str, fragment: str, small_db: Path, tmp_path: Path, no_kernel: list
) -> None:
    code, out, err = _cli(
        ["report", "uphold_rates", "-p", key, value, "--db", str(small_db), "--out", str(tmp_path)]
    )
    assert code == 2, err
    assert fragment in err and f"got {value}" in err.replace("'", "")
    assert "Traceback" not in err and out == ""
    assert no_kernel == []
    assert not any(tmp_path.iterdir())


def test_date_order_is_checked_with_the_defaults(
    small_db: Path, tmp_path: Path, no_kernel: list
) -> None:
    with pytest.raises(ReportParameterError, match="date_from 2017-02-01 is after date_to"):
        run_report(
            "uphold_rates",
            {"date_from": "2017-02-01", "date_to": "2017-01-31"},
            tmp_path,
            db_path=small_db,
        )
    with pytest.raises(ReportParameterError, match="'period' must be one of"):
        run_report("item_drilldown", {"period": "week"}, tmp_path, db_path=small_db)
    assert no_kernel == []


def test_default_outside_the_allowed_values_is_an_authoring_error() -> None:
    with pytest.raises(ReportParameterError, match="default of parameter 'period' must be one"):
        parse_parameters_cell('period: str = "fortnight"  # grain\n')
    with pytest.raises(ReportParameterError, match="'date_from' must be a date"):
        parse_parameters_cell('date_from: str | None = "2016"  # first date\n')


def test_catalogue_lists_allowed_values() -> None:
    code, out, _ = _cli(["report"])
    assert code == 0
    assert "-p period <str>" in out and "(one of: year, quarter, month)" in out
    assert "(one of: korn-graubard, wilson)" in out


@pytest.mark.parametrize(
    "report, key, value, fragment",
    [
        ("item_drilldown", "sample_size", "100000", "'sample_size' must be from 1 to 200"),
        ("item_drilldown", "sample_size", "0", "'sample_size' must be from 1 to 200"),
        ("guideline_effects", "adjust", "item_category,bogus", "unknown dimension 'bogus'"),
        ("guideline_effects", "adjust", "reviewer_specialty", "is multi-valued"),
    ],
)
def test_size_and_model_parameters_are_checked_before_a_kernel_starts(
    report: str,
    key: str,
    value: str,
    fragment: str,
    small_db: Path,
    tmp_path: Path,
    no_kernel: list,
) -> None:
    code, out, err = _cli(
        ["report", report, "-p", key, value, "--db", str(small_db), "--out", str(tmp_path)]
    )
    assert code == 2, err
    assert fragment in err and "Traceback" not in err and out == ""
    assert no_kernel == []
    assert not any(tmp_path.iterdir())


def test_locked_database_fails_before_a_kernel_starts(
    small_db: Path, tmp_path: Path, no_kernel: list
) -> None:

    db = tmp_path / "busy.duckdb"
    db.write_bytes(small_db.read_bytes())
    with held_open(db):
        code, out, err = _cli(
            ["report", "uphold_rates", "--db", str(db), "--out", str(tmp_path / "out")]
        )
    assert code == 1
    assert str(db) in err and "in use by another process" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert no_kernel == []


# -- --db and -p db_path ------------------------------------------------------------------------


def test_db_option_wins_over_db_path_parameter(
    small_db: Path, tmp_path: Path, no_kernel: list
) -> None:
    with pytest.raises(ReportError, match="a kernel was started"):
        run_report("uphold_rates", {"db_path": "nope.duckdb"}, tmp_path / "out", db_path=small_db)
    assert no_kernel[-1]["db_path"] == str(small_db.resolve())
    code, _, err = _cli(
        [
            "report",
            "uphold_rates",
            "-p",
            "db_path",
            "nope.duckdb",
            "--db",
            str(small_db),
            "--out",
            str(tmp_path / "cli"),
        ]
    )
    assert "a kernel was started" in err and "nope.duckdb" not in err
    assert no_kernel[-1]["db_path"] == str(small_db.resolve())
    parser = argparse.ArgumentParser()
    help_text = register(parser.add_subparsers()).format_help()
    assert "wins over -p db_path, which wins over $IMR_DB" in " ".join(help_text.split())


# -- where the notebooks are --------------------------------------------------------------------


def test_missing_notebooks_directory_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imr_analytics.reports import runner

    monkeypatch.setenv("IMR_NOTEBOOKS_DIR", str(tmp_path / "absent"))
    for call in (list_reports, lambda: run_report("uphold_rates", {}, tmp_path / "out")):
        with pytest.raises(ReportError, match="IMR_NOTEBOOKS_DIR .*absent.* not a directory"):
            call()
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("IMR_NOTEBOOKS_DIR", str(tmp_path / "empty"))
    with pytest.raises(ReportError, match="no report notebooks in .*empty.*IMR_NOTEBOOKS_DIR"):
        list_reports()
    # an installed package without a checkout and without the variable
    monkeypatch.delenv("IMR_NOTEBOOKS_DIR")
    monkeypatch.setattr(runner.resources, "files", lambda _pkg: tmp_path / "site-packages")
    with pytest.raises(ReportError, match="no report notebooks directory.*IMR_NOTEBOOKS_DIR"):
        list_reports()
    with pytest.raises(ReportError, match="IMR_NOTEBOOKS_DIR"):
        run_report("uphold_rates", {}, tmp_path / "out")
    # the CLI still builds (other subcommands need it) and says why when asked for reports
    help_text = register(argparse.ArgumentParser().add_subparsers()).format_help()
    assert "none found, see IMR_NOTEBOOKS_DIR" in " ".join(help_text.split())
    code, out, err = _cli(["report"])
    assert code == 1 and out == ""
    assert "IMR_NOTEBOOKS_DIR" in err and "Traceback" not in err


def test_notebooks_directory_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.py").write_text('# %% tags=["parameters"]\nx: int = 1  # x\n')
    (tmp_path / "helper.py").write_text("x = 1\n")
    monkeypatch.setenv("IMR_NOTEBOOKS_DIR", str(tmp_path))
    assert list_reports() == ["mine"]
    with pytest.raises(ReportError, match="no report named 'nope'.*available: mine"):
        run_report("nope", {}, tmp_path / "out")


def test_a_report_is_found_by_its_name_alone_as_the_folder_scan_finds_it(tmp_path: Path) -> None:
    from imr_analytics.reports import runner

    folder = runner.notebooks_dir()
    everything = runner._report_files(folder)
    assert everything, "the shipped notebooks are reports"
    for name, path in everything.items():
        assert runner._report_file(folder, name) == path
    for name in ("", ".hidden", "../notebooks/uphold_rates", "no_such_report"):
        assert runner._report_file(folder, name) is None
    # a notebook without a parameters cell is not a report, in either lookup
    (tmp_path / "plain.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    assert runner._report_file(tmp_path, "plain") is None
    assert "plain" not in runner._report_files(tmp_path)
