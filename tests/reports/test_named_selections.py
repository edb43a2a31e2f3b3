"""item_drilldown selects by treatment, ingredient and body region; a value not in the database
is an error naming the nearest ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import imr_analytics.analytics as analytics
from imr_analytics.reports import nbkit
from imr_analytics.reports.errors import ReportParameterError
from imr_analytics.reports.nbkit import Report
from imr_analytics.reports.runner import describe_report, report_script


def _open(small_db: Path, **overrides: Any) -> Report:
    """Report.open as the notebook calls it: on the globals its parameters cell made."""
    import nbformat

    nb = nbformat.read(report_script("item_drilldown"), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    ns: dict[str, Any] = {}
    exec(compile(cell.source, "item_drilldown parameters", "exec"), ns)
    ns.update({"db_path": str(small_db), "category": "", **overrides})
    return Report.open("item_drilldown", ns)


def test_the_drilldown_declares_the_three_selections() -> None:
    specs = describe_report("item_drilldown")
    for name in ("treatment", "ingredient", "body_region"):
        assert str(specs[name].type) == "str" and specs[name].default == ""


@pytest.mark.parametrize(
    ("param", "given", "stored"),
    [
        ("treatment", "acetaminophen / hydrocodone · oral", "acetaminophen / hydrocodone · oral"),
        ("treatment", "Acetaminophen/Hydrocodone oral", "acetaminophen / hydrocodone · oral"),
        ("treatment", "MRI", "mri"),
        ("ingredient", "Hydrocodone", "hydrocodone"),
        ("body_region", "lumbar  spine", "lumbar spine"),
    ],
)
def test_a_value_in_the_database_selects_its_items(
    small_db: Path, param: str, given: str, stored: str
) -> None:
    rep = _open(small_db, **{param: given})
    try:
        assert rep.where[param] == [stored]
        n = rep.rates()["n"].iloc[0]
        everything = analytics.uphold_rates(rep.con)["n"].iloc[0]
        assert 0 < n < everything
    finally:
        rep.close()


@pytest.mark.parametrize(
    ("param", "given", "suggested"),
    [
        ("treatment", "Norco", "acetaminophen / hydrocodone · oral"),  # a brand: its generic
        ("treatment", "mir", "mri"),  # a misspelling: the nearest spelling
        ("ingredient", "Ultram", "tramadol"),
        ("ingredient", "omeprazol", "omeprazole"),
        ("body_region", "lumbar", "lumbar spine"),
    ],
)
def test_a_value_not_in_the_database_is_an_error_naming_the_nearest(
    small_db: Path, param: str, given: str, suggested: str
) -> None:
    with pytest.raises(ReportParameterError) as info:
        _open(small_db, **{param: given})
    message = str(info.value)
    assert f"no disputed item has {param} {given!r}" in message
    assert f"nearest: {suggested!r}" in message or f"{suggested!r}" in message.split("nearest:")[1]


def test_the_category_scopes_the_values(small_db: Path) -> None:
    with pytest.raises(ReportParameterError, match="in Pharmaceuticals"):
        _open(small_db, category="Pharmaceuticals", treatment="mri")


def test_every_section_honours_a_treatment_selection(
    small_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat

    calls: list[Any] = []
    real = analytics.uphold_rates

    def rates(con: Any, by: Any = (), where: Any = None, **kw: Any) -> Any:
        calls.append((by, where))
        return real(con, by=by, where=where, **kw)

    monkeypatch.setattr(analytics, "uphold_rates", rates)
    monkeypatch.setattr(nbkit, "_display", lambda bundle, metadata=None: None)
    monkeypatch.setattr(analytics, "to_svg", lambda chart: "<svg></svg>")
    nb = nbformat.read(report_script("item_drilldown"), as_version=4)
    ns: dict[str, Any] = {"__name__": "report_item_drilldown"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, "item_drilldown.py", "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(db_path=str(small_db), category="", ingredient="lidocaine")
    assert len(calls) > 8
    assert all(where["ingredient"] == ["lidocaine"] for _, where in calls)
    assert ns["subject"] == "lidocaine"
    assert any(by == "treatment" for by, _ in calls) and any(by == "ingredient" for by, _ in calls)
