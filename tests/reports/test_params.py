"""Parameters: the notebooks' parameters cells parse, and bad values fail before a kernel starts."""

from __future__ import annotations

import argparse
import contextlib
import io
from pathlib import Path

import pytest

from imr_analytics.reports import (
    ReportError,
    ReportParameterError,
    describe_report,
    list_reports,
    register,
    run_report,
)
from imr_analytics.reports.params import coerce_params, parse_parameters_cell
from imr_analytics.reports.runner import REPO_ROOT, resolve_db_path

REQUIRED = {
    "uphold_rates": {
        "db_path": "str",
        "date_from": "str | None",
        "date_to": "str | None",
        "categories": "list[str]",
        "specialties": "list[str]",
        "min_cell": "int",
        "title": "str",
    },
    "item_drilldown": {
        "db_path": "str",
        "item_pattern": "str | None",
        "category": "str | None",
        "include_text": "bool",
        "min_cell": "int",
        "title": "str",
    },
}


def test_both_reports_are_listed() -> None:
    assert {"uphold_rates", "item_drilldown"} <= set(list_reports())


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_parameters_cell_declares_typed_commented_literals(name: str) -> None:
    specs = describe_report(name)
    for param, type_text in REQUIRED[name].items():
        assert param in specs, f"{name} lacks parameter {param}"
        assert str(specs[param].type) == type_text
    for spec in specs.values():
        assert spec.help, f"{name}.{spec.name} has no explaining comment"
    assert specs["db_path"].default == "data/demo.duckdb"
    assert specs["min_cell"].default == 11
    if name == "item_drilldown":
        assert specs["include_text"].default is False


def test_notebook_scripts_are_percent_format_with_one_parameters_cell() -> None:
    for name in REQUIRED:
        text = (REPO_ROOT / "notebooks" / f"{name}.py").read_text(encoding="utf-8")
        assert "format_name: percent" in text
        assert text.count('tags=["parameters"]') == 1


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
            "min_cell": "5",
            "categories": "Pharmaceuticals, Injections",
            "specialties": '["Psychiatry", "Internal Medicine, Pain"]',
            "date_from": "none",
            "date_to": "2017-01-31",
        },
    )
    assert got == {
        "min_cell": 5,
        "categories": ["Pharmaceuticals", "Injections"],
        "specialties": ["Psychiatry", "Internal Medicine, Pain"],
        "date_from": None,
        "date_to": "2017-01-31",
    }
    drill = describe_report("item_drilldown")
    assert coerce_params(drill, {"include_text": "yes"}) == {"include_text": True}
    assert coerce_params(drill, {"include_text": False}) == {"include_text": False}


def test_unknown_parameter_is_an_error_naming_it(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportParameterError) as info:
        run_report("uphold_rates", {"min_cel": 5}, tmp_path, db_path=small_db)
    message = str(info.value)
    assert "'min_cel'" in message and "unknown parameter" in message
    assert "min_cell: int" in message  # lists what it accepts, with types
    assert not any(tmp_path.iterdir()), "nothing is written for a rejected run"


@pytest.mark.parametrize(
    "params, name, expected",
    [
        ({"min_cell": "eleven"}, "min_cell", "int"),
        ({"min_cell": 2.5}, "min_cell", "int"),
        ({"min_cell": True}, "min_cell", "int"),
        ({"title": 3}, "title", "str"),
        ({"categories": 5}, "categories", "list[str]"),
        ({"date_from": 20160101}, "date_from", "str | None"),
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
    with pytest.raises(ReportError, match="database .*nope.duckdb.* not found"):
        run_report("uphold_rates", {}, tmp_path, db_path="nope.duckdb")
    with pytest.raises(ReportError, match="no report named 'nope'.*uphold_rates"):
        run_report("nope", {}, tmp_path)


def test_relative_db_path_found_from_notebooks_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "demo.duckdb"
    db.write_bytes(b"")
    (tmp_path / "notebooks").mkdir()
    assert resolve_db_path("data/demo.duckdb", start=tmp_path) == db
    assert resolve_db_path("data/demo.duckdb", start=tmp_path / "notebooks") == db


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
    assert "-p min_cell <int>" in out


def test_register_adds_report_subcommand() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(
        ["report", "uphold_rates", "-p", "min_cell", "5", "-p", "categories", "A", "--db", "x"]
    )
    assert args.name == "uphold_rates"
    assert args.params == [["min_cell", "5"], ["categories", "A"]]
    assert callable(args.func)
