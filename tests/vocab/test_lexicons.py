"""The naming lexicons as data: valid files, one version with the taxonomy, names that cannot collide."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from imr_analytics import vocab
from imr_analytics.parse.naming import naming_of
from imr_analytics.vocab import _data
from imr_analytics.vocab._lexicon import (
    DRUG_FILE,
    INGREDIENT_JOIN,
    REGION_FILE,
    ROUTE_JOIN,
    TREATMENT_FILE,
    default_lexicons,
    load_lexicons,
)

LEX = default_lexicons()


def test_the_lexicons_carry_the_taxonomy_version() -> None:
    # The loader records one version (items.taxonomy_version) for the taxonomy and the lexicons.
    assert vocab.LEXICON_VERSION == vocab.TAXONOMY_VERSION == LEX.version
    assert not LEX.version.startswith("unversioned")


def test_packaged_lexicons_are_broad() -> None:
    ingredients = {i for d in LEX.drugs for i in d.ingredients}
    assert len(LEX.drugs) >= 700 and len(ingredients) >= 250
    kinds = {d.kind for d in LEX.drugs}
    assert kinds == {"generic", "brand", "abbreviation", "misspelling", "kit", "medical food"}
    assert set().union(*LEX.regions.values()) == set(vocab.BODY_REGIONS)
    assert len({r.treatment for r in LEX.treatments}) >= 150


def test_every_drug_entry_names_its_own_ingredients() -> None:
    """Each name, written alone as a pharmaceutical item, gives exactly its row's ingredients."""
    wrong = []
    for entry in LEX.drugs:
        got = naming_of(entry.name, "Pharmaceuticals")
        if got.ingredients != entry.ingredients:
            wrong.append((entry.line, entry.name, got.ingredients, entry.ingredients))
    assert not wrong, wrong[:20]


def test_distinct_ingredients_never_share_a_treatment() -> None:
    """No two lexicon entries with different ingredients produce the same treatment name."""
    by_treatment: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for entry in LEX.drugs:
        for form in ("", " tablets", " cream", " injection"):
            naming = naming_of(entry.name + form, "Pharmaceuticals")
            by_treatment[naming.treatment].add(naming.ingredients)
    collisions = {t: s for t, s in by_treatment.items() if len(s) > 1}
    assert not collisions
    # and modality names can never look like a drug's
    drug_treatments = set(by_treatment)
    for rule in LEX.treatments:
        assert ROUTE_JOIN.strip() not in rule.treatment
        assert rule.treatment not in drug_treatments
    for entry in LEX.drugs:
        for ingredient in entry.ingredients:
            assert (
                INGREDIENT_JOIN.strip() not in ingredient and ROUTE_JOIN.strip() not in ingredient
            )


def test_every_region_term_reads_as_its_regions() -> None:
    wrong = []
    for term, regions in LEX.regions.items():
        got = naming_of(f"MRI of the {term}", "Diagnostic Tests").body_regions
        if got != tuple(sorted(regions)):
            wrong.append((term, got, regions))
    assert not wrong, wrong


def test_every_modality_rule_is_reachable() -> None:
    """Each rule's own name, as an item, is named by that rule or one that means the same."""
    unreachable = []
    for rule in LEX.treatments:
        got = naming_of(rule.treatment, "Other").treatment
        if got not in (rule.treatment, rule.evaluation):
            unreachable.append((rule.line, rule.treatment, got))
    # names that are deliberately read as a more specific or broader request
    allowed = {
        "surgery",
        "pain pump",
        "physical therapy",
        "office visit",
        "specialist consultation",
    }
    assert [u for u in unreachable if u[1] not in allowed] == []


def _copy(tmp_path: Path, name: str, edit) -> Path:
    text = _data.read_text(_data.data_path(name))
    path = tmp_path / name
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_invalid_rows_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    drugs = _copy(
        tmp_path,
        DRUG_FILE,
        lambda t: t + "norco,hydrocodone,,brand,\nfoo,,oral,brand,\nbar,baz,by air,generic,\n",
    )
    regions = _copy(tmp_path, REGION_FILE, lambda t: t + "nose,nose region,\n")
    treatments = _copy(tmp_path, TREATMENT_FILE, lambda t: t + "Bad Name,1,(unclosed,,\n")
    with pytest.raises(ValueError) as err:
        load_lexicons(drugs, regions, treatments)
    message = str(err.value)
    for needle in (
        "'norco'): name repeats",
        "'foo'): ingredients is empty",
        "route 'by air'",
        "unknown region(s) 'nose region'",
        "treatment must be non-empty lower case",
        "not a valid regular expression",
    ):
        assert needle in message


def test_versions_must_agree(tmp_path: Path) -> None:
    drugs = _copy(
        tmp_path,
        DRUG_FILE,
        lambda t: t.replace(f"taxonomy_version: {LEX.version}", "taxonomy_version: 0"),
    )
    with pytest.raises(ValueError, match="different versions"):
        load_lexicons(drugs, None, None)


def test_an_extended_copy_is_used(tmp_path: Path) -> None:
    drugs = _copy(tmp_path, DRUG_FILE, lambda t: t + "zzdrugol,zzdrugolin,,brand,\n")
    lex = load_lexicons(drugs)
    assert naming_of("Zzdrugol 5mg #30", "Pharmaceuticals", lexicons=lex).ingredients == (
        "zzdrugolin",
    )
    assert naming_of("Zzdrugol 5mg #30", "Pharmaceuticals").unknown_drug
