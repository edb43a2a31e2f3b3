"""Reviewer specialties: raw credential strings onto one canonical spelling per specialty.

Reviewer-specialty breakdowns group by this value, so ``Physical Medicine and Rehabilitation``
(the board sentence) and ``Physical Medicine & Rehabilitation`` (the credentials block) must
land in one group, while a specialty nobody has listed yet must still show up under its own
name instead of silently disappearing from the counts.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from imr_analytics.vocab import _data
from imr_analytics.vocab._list_cache import cached_per_list

SPECIALTIES_FILE = "specialties.csv"
VERSION_KEY = "vocab_version"

# Close enough to be a typo of a known spelling ("Sports Medicinea"), far enough that distinct
# specialties ("Urology" / "Neurology" score 0.875) are not merged.
_FUZZY_CUTOFF = 0.9

_PREFIX = re.compile(
    r"^(?:board\s+certified\s+in|certification\(s\)\s*/\s*specialty\s*:|specialty\s*:)\s*", re.I
)
_AND = re.compile(r"\s*(?:&|\+|\band\b)\s*", re.I)
_FOLD_PUNCT = re.compile(r"[.,;:\-–_\"'`()]+")
_SPACE = re.compile(r"\s+")
_EDGE_PUNCT = " \t.,;:-–_\"'`"
_WRAPPED = re.compile(r"(?:&|\band)\s*$", re.I)


def _key(text: str) -> str:
    """What two spellings of one specialty have in common."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PREFIX.sub("", text.strip())
    text = _AND.sub(" and ", text)
    text = _FOLD_PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def _clean(text: str) -> str:
    """The raw text made presentable (kept for specialties not in the vocabulary)."""
    text = unicodedata.normalize("NFKC", text)
    text = _PREFIX.sub("", _SPACE.sub(" ", text).strip())
    return text.strip(_EDGE_PUNCT)


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    path = _data.data_path(SPECIALTIES_FILE)
    table: dict[str, str] = {}
    for line, row in _data.rows(_data.read_text(path)):
        variant, canonical = row.get("variant", ""), row.get("canonical", "")
        if not variant or not canonical:
            raise ValueError(f"{path}: line {line}: both variant and canonical are needed")
        table[_key(variant)] = canonical
    return table


def canonical_specialties() -> list[str]:
    """The canonical spellings, in file order."""
    return list(dict.fromkeys(_table().values()))


@lru_cache(maxsize=4096)
def normalize_specialty(raw: str) -> str | None:
    """Canonical spelling of one specialty; its cleaned text if unknown; None if empty."""
    cleaned = _clean(raw)
    if not cleaned:
        return None
    table = _table()
    key = _key(cleaned)
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, table.keys(), n=1, cutoff=_FUZZY_CUTOFF)
    return table[close[0]] if close else cleaned


def normalize_specialties(raw: Sequence[str]) -> list[str]:
    """Canonical specialties in the order given, duplicates removed, unknowns kept as text."""
    return _normalized_list(raw)


def _normalized(raw: Sequence[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for piece in _pieces(raw):
        name = normalize_specialty(piece)
        if name:
            out[name] = None
    return tuple(out)


_normalized_list = cached_per_list(_normalized)


def _pieces(raw: Sequence[str] | str) -> Iterable[str]:
    """Single specialties from a list that may still hold wrapped or comma-joined entries.

    A credentials line can wrap after ``Public Health &``; if the parser hands over the two
    halves, they are joined again. An entry holding several comma-separated specialties is
    split, unless the whole entry is itself a known specialty.
    """
    items = [raw] if isinstance(raw, str) else [r for r in raw if isinstance(r, str)]
    joined: list[str] = []
    for item in items:
        if joined and _WRAPPED.search(joined[-1]):
            joined[-1] = f"{joined[-1]} {item}"
        else:
            joined.append(item)
    table = _table()
    for item in joined:
        if "," in item and _key(item) not in table:
            yield from item.split(",")
        else:
            yield item
