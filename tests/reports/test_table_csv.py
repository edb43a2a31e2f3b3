"""``imr-analytics report --tables``: each table the report shows, as CSV beside the HTML.

The CSVs must hold what the API returns for the same selection (same columns, same rows, same
counts and intervals, nothing pooled or suppressed), be written with the HTML through the one
atomic write, and not be written unless asked.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imr_analytics.analytics import letter_volumes, uphold_rates
from imr_analytics.store.database import open_database


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def _selection() -> dict[str, Any]:
    """The custom uphold_rates run's selection (tests/reports/conftest.py CUSTOM_PARAMS)."""
    return {
        "where": {
            "item_category": ["Pharmaceuticals", "Injections"],
            "reviewer_specialty": ["Occupational Medicine", "Anesthesiology", "Psychiatry"],
        },
        "date_from": "2016-03-01",
        "date_to": "2017-06-30",
    }


@pytest.fixture(scope="module")
def tables(custom_reports: dict[str, Any]) -> dict[str, Path]:
    run = custom_reports["uphold_rates"]
    assert run.exit_code == 0, run.stderr
    return {
        p.name.removeprefix("uphold_rates.").removesuffix(".csv"): p
        for p in run.out_dir.glob("uphold_rates.*.csv")
    }


def test_each_table_is_written_with_a_name_after_the_output_and_the_table(
    tables: dict[str, Path],
) -> None:
    for name in (
        "by_item_category",
        "by_decision_year",
        "by_drug_class",
        "by_treatment",
        "volumes_by_decision_year",
        "share_item_category_by_decision_year",
    ):
        assert name in tables, sorted(tables)
    assert not [p for p in tables.values() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.parametrize(
    ("table", "by", "extra"),
    [
        ("by_item_category", "item_category", {}),
        ("by_decision_year", "decision_year", {}),
        ("by_reviewer_specialty", "reviewer_specialty", {}),
        ("by_drug_class", "drug_class", {"item_category": ["Pharmaceuticals"]}),
        ("by_treatment", "treatment", {"top": 5}),
    ],
)
def test_rate_csv_matches_the_api_for_the_same_selection(
    tables: dict[str, Path], small_db: Path, table: str, by: str, extra: dict[str, Any]
) -> None:
    sel = _selection()
    where = dict(sel["where"])
    top = extra.pop("top", None)
    for key, values in extra.items():  # a section's filter narrows the report's selection
        where[key] = [v for v in values if v in where.get(key, values)]
    con = open_database(small_db, read_only=True)
    try:
        api = uphold_rates(
            con,
            by=by,
            where=where,
            date_from=sel["date_from"],
            date_to=sel["date_to"],
            method="wilson",
            top=top,
        )
    finally:
        con.close()
    got = _read(tables[table])
    assert list(got.columns) == list(api.columns)
    assert len(got) == len(api) > 0
    for column in ("n", "upheld", "overturned", "n_letters"):
        assert got[column].tolist() == api[column].astype(int).tolist(), column
    for column in ("uphold_rate", "ci_low", "ci_high", "effective_n", "share"):
        assert got[column].to_numpy() == pytest.approx(api[column].to_numpy(float)), column
    assert got["reliable"].tolist() == api["reliable"].tolist()  # flags, nothing suppressed
    shown = ["" if pd.isna(v) else str(v) for v in api[by]]
    assert ["" if pd.isna(v) else str(v) for v in got[by]] == shown


def test_volume_csv_matches_letter_volumes(tables: dict[str, Path], small_db: Path) -> None:
    sel = _selection()
    con = open_database(small_db, read_only=True)
    try:
        api = letter_volumes(
            con,
            period="year",
            where=sel["where"],
            date_from=sel["date_from"],
            date_to=sel["date_to"],
            method="wilson",
        )
    finally:
        con.close()
    got = _read(tables["volumes_by_decision_year"])
    assert list(got.columns) == list(api.columns)
    assert got["n_letters"].tolist() == api["n_letters"].astype(int).tolist()
    assert got["n_items"].tolist() == api["n_items"].astype(int).tolist()


def test_share_csv_is_the_pivot_in_long_form(tables: dict[str, Path]) -> None:
    got = _read(tables["share_item_category_by_decision_year"])
    assert list(got.columns) == ["item_category", "decision_year", "n", "column_n", "share"]
    assert got["share"].to_numpy() == pytest.approx((got["n"] / got["column_n"]).to_numpy())
    # every year's shares add up to the whole year
    sums = got.groupby("decision_year", dropna=False)["share"].sum()
    assert sums.to_numpy() == pytest.approx([1.0] * len(sums))


def test_csv_is_plain_text_with_a_header(tables: dict[str, Path]) -> None:
    with tables["by_item_category"].open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["item_category", "n"] and len(rows) >= 2


def test_no_csv_unless_asked(default_reports: dict[str, Any]) -> None:
    for result in default_reports.values():
        assert result.table_paths == []
        assert not list(result.html_path.parent.glob(f"{result.name}.*.csv"))
