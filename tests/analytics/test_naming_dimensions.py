"""treatment, ingredient and body_region as uphold_rates dimensions, on a loaded synthetic corpus."""

from __future__ import annotations

import duckdb
import pytest

from imr_analytics.analytics import DIMENSIONS, uphold_rates
from imr_analytics.store.loader import load_paths
from imr_analytics.synth import generate_corpus


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("naming")
    generate_corpus(root / "c", 300, seed=31).unlink()
    db = root / "n.duckdb"
    load_paths([root / "c"], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def _decided(con, condition: str = "TRUE") -> int:
    return con.execute(
        f"SELECT count(*) FROM items WHERE decision IN ('upheld', 'overturned') AND {condition}"
    ).fetchone()[0]


def test_the_dimensions_are_declared() -> None:
    assert not DIMENSIONS["treatment"].multi_valued and DIMENSIONS["treatment"].default_top == 25
    assert DIMENSIONS["ingredient"].multi_valued and DIMENSIONS["body_region"].multi_valued
    assert not DIMENSIONS["body_regions"].multi_valued


def test_treatment_groups_add_up_to_the_total(con) -> None:
    df = uphold_rates(con, by="treatment", top=0)
    assert df["n"].sum() == _decided(con)
    assert "acetaminophen / hydrocodone · oral" in set(df["treatment"])
    assert df["treatment"].is_unique


def test_an_ingredient_counts_every_item_containing_it(con) -> None:
    df = uphold_rates(con, by="ingredient", top=0)
    assert "ingredient" in df.attrs["multi_valued"]
    row = df[df["ingredient"] == "hydrocodone"].iloc[0]
    assert row["n"] == _decided(con, "list_contains(ingredients, 'hydrocodone')")
    # items with no ingredient (every non-drug item) are one missing-value row
    assert df["ingredient"].isna().sum() == 1


def test_body_region_filters_and_groups(con) -> None:
    knee = uphold_rates(con, where={"body_region": ["knee"]})
    assert knee["n"].iloc[0] == _decided(con, "list_contains(body_regions, 'knee')") > 0
    by_treatment = uphold_rates(con, by="treatment", where={"body_region": "knee"}, top=0)
    assert by_treatment["n"].sum() == knee["n"].iloc[0]
    assert "mri" in set(by_treatment["treatment"])
    mri = uphold_rates(con, by="body_region", where={"treatment": "mri"})
    assert "lumbar spine" in set(mri["body_region"])
