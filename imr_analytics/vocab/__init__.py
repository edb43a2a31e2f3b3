"""Controlled vocabularies: treatment taxonomy, reviewer specialties and licensure states.

The vocabularies are data files in ``vocab/data`` (CSV, each with a version in its header), read
at first use, so analysts can read and extend them without editing code. The loader calls these
functions on every letter; the parser itself never normalises, so the database keeps the text
as written beside the normalised value.
"""

from __future__ import annotations

from imr_analytics.vocab import _data
from imr_analytics.vocab._lexicon import (
    BODY_REGIONS,
    ROUTES,
    Lexicons,
    default_lexicons,
    is_unknown_drug,
    load_lexicons,
    packaged_lexicon_version,
)
from imr_analytics.vocab._pattern import item_pattern
from imr_analytics.vocab._specialties import SPECIALTIES_FILE, normalize_specialties
from imr_analytics.vocab._specialties import VERSION_KEY as _VOCAB_KEY
from imr_analytics.vocab._states import normalize_state, normalize_states
from imr_analytics.vocab._taxonomy import (
    DRUG_CLASSES,
    ITEM_CATEGORIES,
    Taxonomy,
    classify_item,
    load_taxonomy,
    packaged_version,
)

# One version for the taxonomy and the naming lexicons: together they decide what an item is, and
# every item row records it (items.taxonomy_version). The lexicon files must declare the same.
TAXONOMY_VERSION: str = packaged_version()
LEXICON_VERSION: str = packaged_lexicon_version()
VOCAB_VERSION: str = _data.header_version(_data.data_path(SPECIALTIES_FILE), _VOCAB_KEY)

__all__ = [
    "BODY_REGIONS",
    "LEXICON_VERSION",
    "ROUTES",
    "Lexicons",
    "default_lexicons",
    "is_unknown_drug",
    "load_lexicons",
    "DRUG_CLASSES",
    "ITEM_CATEGORIES",
    "TAXONOMY_VERSION",
    "VOCAB_VERSION",
    "Taxonomy",
    "classify_item",
    "item_pattern",
    "load_taxonomy",
    "normalize_specialties",
    "normalize_state",
    "normalize_states",
]
