"""The package's front door: what a notebook sees on ``import imr_analytics as imr``.

The cold first call is checked by what it loads, not by a timer (speed is the benchmark's job):
chart and model libraries cost seconds and must wait until a chart is drawn or a model fitted.
The wall time of the call is printed (``pytest -s``) and recorded as a test property.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import imr_analytics as imr
from imr_analytics.analytics import DIMENSIONS
from imr_analytics.store import create_schema

HEAVY = (
    "altair",
    "vl_convert",
    "statsmodels",
    "scipy.stats",
    "matplotlib",
    "papermill",
    "nbformat",
)


@pytest.fixture()
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "small.duckdb"
    con = duckdb.connect(str(path))
    create_schema(con)
    con.execute(
        "INSERT INTO letters (letter_id, decision_date, reviewer_specialties, item_count) "
        "SELECT 'CM' || r, DATE '2015-01-01' + r::INT, ['Internal Medicine'], 2 FROM range(200) t(r)"
    )
    con.execute(
        "INSERT INTO items (letter_id, item_no, decision, item_category, "
        "reviewer_guideline_sources) SELECT 'CM' || (r // 2), r % 2 + 1, "
        "CASE WHEN r % 7 = 0 THEN 'overturned' ELSE 'upheld' END, "
        "(['Pharmaceuticals', 'Surgery', 'DMEPOS'])[1 + r % 3], ['MTUS'] FROM range(400) t(r)"
    )
    con.close()
    return path


def test_first_uphold_rates_call_loads_no_chart_or_model_library(small_db: Path, record_property):
    code = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        "import imr_analytics as imr\n"
        "con = imr.connect(sys.argv[1])\n"
        "df = imr.uphold_rates(con, by=['item_category'])\n"
        "seconds = time.perf_counter() - t0\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'seconds': seconds, 'heavy': heavy, 'n': int(df['n'].sum())}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(small_db)], capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    print(f"cold import + first uphold_rates: {result['seconds']:.2f} s")
    record_property("cold_uphold_rates_seconds", round(result["seconds"], 3))
    assert result["n"] == 400
    assert result["heavy"] == []


def test_drawing_a_chart_is_what_loads_altair():
    """The other half of the check above: the lazy names do resolve to the heavy modules."""
    code = (
        "import sys, imr_analytics.analytics as a\n"
        "assert 'altair' not in sys.modules\n"
        "a.rate_bars\n"
        "assert 'altair' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_dir_lists_the_public_api():
    names = dir(imr)
    assert names == sorted({*imr.__all__, "__version__"})
    for name in ("connect", "uphold_rates", "letter_volumes", "compare_rates", "export_tables"):
        assert name in names
    for name in imr.__all__:
        assert getattr(imr, name) is not None, name  # every listed name resolves


@pytest.mark.parametrize(
    "name",
    [n for n in imr.__all__ if inspect.isfunction(getattr(imr, n))],
)
def test_public_function_docstring_names_every_parameter(name: str):
    obj = getattr(imr, name)
    doc = inspect.getdoc(obj) or ""
    assert doc, name
    missing = [p for p in inspect.signature(obj).parameters if p != "con" and p not in doc]
    assert not missing, f"{name}'s docstring does not mention {missing}"


def test_uphold_rates_docstring_lists_every_dimension():
    doc = imr.uphold_rates.__doc__
    assert "{dimensions}" not in doc
    for name, dim in DIMENSIONS.items():
        assert f"{name}{'*' if dim.multi_valued else ''}: {dim.description}" in doc
    compare = imr.compare_rates.__doc__
    listed = compare.split("cannot be model terms)")[1]
    for name, dim in DIMENSIONS.items():
        assert (name in listed.replace(",", " ").split()) != dim.multi_valued, name


def test_uphold_rates_takes_a_path_and_leaves_no_connection_open(small_db: Path) -> None:
    by_path = imr.uphold_rates(str(small_db), by="item_category")
    con = imr.connect(small_db)
    try:
        assert by_path.equals(imr.uphold_rates(con, by="item_category"))
    finally:
        con.close()
    # the call's own read-only connection is closed: a writer can open the file again
    duckdb.connect(str(small_db)).close()
    with pytest.raises(FileNotFoundError):
        imr.uphold_rates(str(small_db.with_name("missing.duckdb")))
