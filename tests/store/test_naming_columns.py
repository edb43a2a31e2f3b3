"""The item naming columns: a database made before them gains them, and `reparse` fills them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from imr_analytics.cli import main
from imr_analytics.store.loader import load_paths
from imr_analytics.synth import generate_corpus

NAMING = ("ingredients", "body_regions", "treatment", "strength", "quantity", "quantity_unit")


def test_reparse_fills_the_naming_columns_of_an_older_database(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "c", 60, seed=21).unlink()  # no truth file in the load
    db = tmp_path / "old.duckdb"
    load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    # make it look like a database from before the naming columns
    con = duckdb.connect(str(db))
    for column in NAMING:
        con.execute(f"ALTER TABLE items DROP COLUMN {column}")
    con.execute("ALTER TABLE load_runs DROP COLUMN items_unknown_drug")
    con.close()

    assert main(["reparse", "--db", str(db)]) == 0

    con = duckdb.connect(str(db), read_only=True)
    n, named, drugs, with_ingredients, regions = con.execute(
        "SELECT count(*), count(treatment), count(*) FILTER (item_category = 'Pharmaceuticals'), "
        "count(*) FILTER (item_category = 'Pharmaceuticals' AND len(ingredients) > 0), "
        "count(body_regions) FROM items"
    ).fetchone()
    runs = con.execute(
        "SELECT command, items_unknown_drug FROM load_runs ORDER BY started_at"
    ).fetchall()
    con.close()
    assert n > 60 and named == n
    assert drugs > 0 and with_ingredients == drugs
    assert regions > 0
    assert runs[-1] == ("reparse", 0)
