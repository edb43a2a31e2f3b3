"""A parsed ``Letter`` -> the rows of the core tables, vocabularies applied.

This runs in the worker processes, next to the parser, so that classification and
normalisation are spread over all cores like parsing is. Rows are plain tuples in the
column order of ``LETTER_COLUMNS`` etc., the cheapest shape to pickle back to the main
process and to turn into Arrow columns there.
"""

from __future__ import annotations

from .. import vocab
from ..parse import PARSER_VERSION, Letter
from ..parse.naming import name_item
from .tables import column_names

# Positional row tuples in schema.sql's column order (tables.py reads it).
LETTER_COLUMNS = column_names("letters")
ITEM_COLUMNS = column_names("items")
CITATION_COLUMNS = column_names("citations")


ITEM_CATEGORY_AT = ITEM_COLUMNS.index("item_category")
_INGREDIENTS = ITEM_COLUMNS.index("ingredients")


def unknown_drugs(item_rows: list[tuple]) -> int:
    """How many of a letter's item rows are pharmaceutical items named by an ingredient no
    drug-lexicon entry gives (kept under its cleaned name): counted in the worker, which
    has the lexicons loaded already, so the loader need not load them for a count."""
    return sum(
        1
        for r in item_rows
        if r[ITEM_CATEGORY_AT] == "Pharmaceuticals"
        and r[_INGREDIENTS]
        and vocab.is_unknown_drug(r[_INGREDIENTS])
    )


def letter_id_for(case_number: str | None, content_sha256: str) -> str:
    """The case number identifies a letter; a letter without one (headerless
    extractions) is identified by its content."""
    return case_number or f"doc-{content_sha256[:16]}"


def letter_rows(
    letter: Letter, *, source_path: str, content_sha256: str
) -> tuple[tuple, list[tuple], list[tuple]]:
    """(letter row, item rows, citation rows) for one parsed letter."""
    letter_id = letter_id_for(letter.case_number, content_sha256)
    raw_specs = list(letter.reviewer_specialties)
    raw_states = list(letter.reviewer_licensure)
    items: list[tuple] = []
    citations: list[tuple] = []
    # A naming rule that raised leaves the item unnamed; the letter's warnings say so, so
    # parse_warnings records it instead of letting it pass for "no name found".
    warnings = list(letter.warnings)
    for item in letter.items:
        category, drug_class = vocab.classify_item(item.disputed_text)
        naming = name_item(
            item.disputed_text,
            category,
            item_text=item.item_text,
            guideline_text=item.reviewer_guideline_text,
            rationale=item.rationale,
        )
        if naming.failure:
            warnings.append(f"item {item.item_no}: {naming.failure}")
        items.append(
            (
                letter_id,
                item.item_no,
                item.item_text,
                item.disputed_text,
                item.modified_request,
                item.decision,
                category,
                drug_class,
                item.ca_guideline_text,
                item.ca_guideline_sources or None,
                item.reviewer_guideline_text,
                item.reviewer_guideline_sources or None,
                item.reviewer_guideline_pages,
                item.rationale,
                vocab.item_pattern(item.disputed_text) or None,
                vocab.TAXONOMY_VERSION,
                list(naming.ingredients) or None,
                list(naming.body_regions) or None,
                naming.treatment,
                naming.strength,
                naming.quantity,
                naming.quantity_unit,
            )
        )
        for party, cits in (
            ("claims_administrator", item.ca_citations),
            ("reviewer", item.reviewer_citations),
        ):
            for n, c in enumerate(cits, start=1):
                citations.append(
                    (
                        letter_id,
                        item.item_no,
                        party,
                        n,
                        c.source,
                        c.chapter,
                        c.sections,
                        c.pages,
                        c.text,
                    )
                )
    letter_row = (
        letter_id,
        letter.case_number,
        letter.layout,
        source_path,
        content_sha256,
        letter.date_assigned,
        letter.decision_date,
        letter.injury_date,
        letter.ur_denial_date,
        letter.application_received,
        letter.priority,
        letter.patient_age,
        letter.patient_sex,
        vocab.normalize_specialties(raw_specs) or None,
        vocab.normalize_states(raw_states) or None,
        letter.case_summary,
        raw_specs or None,
        raw_states or None,
        len(letter.items),
        PARSER_VERSION,
        warnings or None,
    )
    return letter_row, items, citations
