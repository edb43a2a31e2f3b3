"""Licensure states: names, USPS abbreviations and common variants onto the full state name."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from imr_analytics.vocab import _data
from imr_analytics.vocab._list_cache import cached_per_list

STATES_FILE = "states.csv"

# Typos of full names only ("Californa", "Pennsylvannia"); abbreviations are too short to guess.
_FUZZY_CUTOFF = 0.85
_FUZZY_MIN_LEN = 5

_SPACE = re.compile(r"\s+")
_DROP = re.compile(r"[.'ʻ’`\"()]")
_PREFIX = re.compile(r"^(?:the\s+)?(?:state|commonwealth)\s+of\s+")
_SUFFIX = re.compile(r"\s+state$")
_SEPARATORS = re.compile(r"\s*(?:[,;/&]|\band\b)\s*", re.I)


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DROP.sub("", text)
    text = _SPACE.sub(" ", text.replace(",", " ")).strip(" -:")
    text = _PREFIX.sub("", text)
    return text


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(every accepted spelling -> name, full-name key -> name) for fuzzy matching."""
    path = _data.data_path(STATES_FILE)
    lookup: dict[str, str] = {}
    names: dict[str, str] = {}
    for line, row in _data.rows(_data.read_text(path)):
        name, abbreviation = row.get("name", ""), row.get("abbreviation", "")
        if not name or not abbreviation:
            raise ValueError(f"{path}: line {line}: both name and abbreviation are needed")
        names[_key(name)] = name
        spellings = [name, abbreviation, *row.get("variants", "").split("|")]
        for spelling in spellings:
            if spelling.strip():
                lookup[_key(spelling)] = name
    return lookup, names


def state_names() -> list[str]:
    """Full names in file order (50 states, DC, territories)."""
    return list(_tables()[1].values())


@lru_cache(maxsize=1024)
def normalize_state(raw: str) -> str | None:
    """Full name of a state from its name (any case), abbreviation or variant; None if unknown."""
    if not isinstance(raw, str):
        return None
    key = _key(raw)
    if not key:
        return None
    lookup, names = _tables()
    for candidate in (key, _SUFFIX.sub("", key)):
        if candidate in lookup:
            return lookup[candidate]
    if len(key) >= _FUZZY_MIN_LEN:
        close = difflib.get_close_matches(key, names.keys(), n=1, cutoff=_FUZZY_CUTOFF)
        if close:
            return names[close[0]]
    return None


def normalize_states(raw: Sequence[str]) -> list[str]:
    """Full state names in the order given, duplicates and unknowns dropped.

    Entries still holding several states (``California,North Carolina``) are split first.
    """
    return _normalized_list(raw)


def _normalized(raw: Sequence[str]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for piece in _pieces(raw):
        name = normalize_state(piece)
        if name:
            out[name] = None
    return tuple(out)


_normalized_list = cached_per_list(_normalized)


def _pieces(raw: Sequence[str] | str) -> Iterable[str]:
    items = [raw] if isinstance(raw, str) else [r for r in raw if isinstance(r, str)]
    for item in items:
        # "Washington, DC" is one place; try the whole entry before splitting it.
        if normalize_state(item):
            yield item
        else:
            yield from _SEPARATORS.split(item)
