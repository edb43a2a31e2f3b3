"""The packaged taxonomy CSV validates, and load_taxonomy explains every invalid row."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_analytics.vocab import (
    DRUG_CLASSES,
    ITEM_CATEGORIES,
    TAXONOMY_VERSION,
    classify_item,
    load_taxonomy,
)
from imr_analytics.vocab._data import data_path

HEADER = "rule_id,priority,item_category,drug_class,pattern,note\n"


def write(tmp_path: Path, body: str, header: str = HEADER, version: str | None = "test-1") -> Path:
    path = tmp_path / "taxonomy.csv"
    preamble = f"# taxonomy_version: {version}\n" if version else ""
    path.write_text(preamble + header + body, encoding="utf-8")
    return path


def test_packaged_csv_loads_and_is_versioned() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.version == TAXONOMY_VERSION
    assert TAXONOMY_VERSION and not TAXONOMY_VERSION.startswith("unversioned")
    assert len(taxonomy.rules) > 20


def test_packaged_csv_covers_every_category_and_drug_class() -> None:
    rules = load_taxonomy().rules
    assert {r.item_category for r in rules} == set(ITEM_CATEGORIES) - {"Other"}
    assert {r.drug_class for r in rules if r.drug_class} == set(DRUG_CLASSES)


def test_packaged_rules_are_in_priority_order_with_unique_ids() -> None:
    rules = load_taxonomy().rules
    assert [r.priority for r in rules] == sorted(r.priority for r in rules)
    assert len({r.rule_id for r in rules}) == len(rules)


def test_packaged_csv_has_a_note_on_every_rule() -> None:
    assert all(r.note for r in load_taxonomy().rules)


def test_an_extended_copy_is_used_instead_of_the_packaged_rules(tmp_path: Path) -> None:
    packaged = data_path("treatment_taxonomy.csv").read_text(encoding="utf-8")
    extended = packaged.replace("taxonomy_version: ", "taxonomy_version: local-") + (
        'rx_local_kit,1,Pharmaceuticals,compound,\\bzorblax\\b,"a local kit name"\n'
    )
    path = tmp_path / "mine.csv"
    path.write_text(extended, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.version == "local-" + TAXONOMY_VERSION
    assert taxonomy.classify("Zorblax 10mg/ml 250ml") == ("Pharmaceuticals", "compound")
    assert taxonomy.match("Zorblax 10mg/ml 250ml").rule_id == "rx_local_kit"
    # the packaged classifier and its cache are untouched
    assert classify_item("Zorblax 10mg/ml 250ml") == ("Pharmaceuticals", "other")


def test_load_taxonomy_accepts_str_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "a,1,Surgery,,\\bfoo\\b,\n")
    assert load_taxonomy(str(path)).classify("foo") == ("Surgery", None)


def test_equal_priorities_keep_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "first,5,Surgery,,\\bfoo,\nsecond,5,DMEPOS,,\\bfoo,\n")
    assert load_taxonomy(path).classify("foo") == ("Surgery", None)


def test_lower_priority_number_wins_whatever_the_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "late,20,Surgery,,\\bfoo,\nearly,10,DMEPOS,,\\bfoo,\n")
    assert load_taxonomy(path).classify("the foo") == ("DMEPOS", None)


def test_a_file_without_a_version_gets_a_content_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "a,1,Surgery,,\\bfoo,\n", version=None)
    version = load_taxonomy(path).version
    assert version.startswith("unversioned-")
    assert load_taxonomy(path).version == version


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ("bad_regex,1,Surgery,,\\bfoo(,", "not a valid regular expression"),
        ("bad_cat,1,Surgical,,\\bfoo,", "unknown item_category 'Surgical'"),
        ("class_on_surgery,1,Surgery,opioid,\\bfoo,", "drug_class 'opioid' set on a Surgery rule"),
        ("no_class,1,Pharmaceuticals,,\\bfoo,", "needs a drug_class"),
        ("bad_class,1,Pharmaceuticals,narcotic,\\bfoo,", "unknown drug_class 'narcotic'"),
        ("bad_priority,high,Surgery,,\\bfoo,", "priority 'high' is not an integer"),
        ("empty_pattern,1,Surgery,,,", "pattern is empty"),
        (",1,Surgery,,\\bfoo,", "rule_id is empty"),
    ],
)
def test_invalid_rows_are_named_with_the_reason(tmp_path: Path, row: str, complaint: str) -> None:
    path = write(tmp_path, "ok,1,Surgery,,\\bbar,\n" + row + "\n")
    with pytest.raises(ValueError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert complaint in message
    assert "line 4" in message  # the version comment and header come first
    assert str(path) in message


def test_all_invalid_rows_are_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a,1,Nope,,\\bx,\nb,1,Surgery,,(,\na,2,Surgery,,\\by,\n")
    with pytest.raises(ValueError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert "line 3" in message and "line 4" in message
    assert "line 5" in message and "repeats the one on line" in message


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "a,1,Surgery,x\n", header="rule_id,priority,item_category,pattern\n")
    with pytest.raises(ValueError, match="drug_class"):
        load_taxonomy(path)


def test_a_file_with_no_rules_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no rules"):
        load_taxonomy(write(tmp_path, ""))


def test_a_missing_file_is_a_value_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nope.csv"):
        load_taxonomy(tmp_path / "nope.csv")


def test_the_unchecked_default_loads_are_the_checked_ones() -> None:
    """Worker processes read the packaged files without compiling every pattern whole
    (``default_taxonomy`` and ``default_lexicons``); this test is the check they skip: every
    packaged pattern compiles, and the unchecked loads hold the same rules."""
    from imr_analytics.vocab import load_lexicons
    from imr_analytics.vocab._lexicon import default_lexicons
    from imr_analytics.vocab._taxonomy import default_taxonomy

    checked = load_taxonomy(check_patterns=True)
    assert default_taxonomy().rules == checked.rules
    assert all(rule.regex.pattern == rule.pattern for rule in checked.rules)
    checked_lexicons = load_lexicons(check_patterns=True)
    assert default_lexicons().treatments == checked_lexicons.treatments
    assert default_lexicons().drugs == checked_lexicons.drugs
    assert default_lexicons().regions == checked_lexicons.regions
