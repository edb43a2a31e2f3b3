"""One cache for the vocabularies' list normalisers (reviewer specialties, licensure states).

A reviewer's credential and licensure lines repeat letter after letter, so a whole list is
worth caching, not only each piece: the list is the cache key (as a tuple) and every caller
gets a fresh list, so one letter's row never shares a mutable list with another's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

# Distinct credential lists seen in a process stay few; the bound keeps a hostile corpus small.
CACHED_LISTS = 1 << 11


def cached_per_list(
    normalized: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> Callable[[Sequence[str] | str], list[str]]:
    """``normalized`` (a pure function of the entries) as a list normaliser cached per list.

    A bare string is one entry; a list holding an unhashable entry (not a string, which the
    normalisers skip anyway) bypasses the cache.
    """
    cached = lru_cache(maxsize=CACHED_LISTS)(normalized)

    def normalize(raw: Sequence[str] | str) -> list[str]:
        if isinstance(raw, str):
            return list(normalized((raw,)))
        entries = tuple(raw)
        try:
            return list(cached(entries))
        except TypeError:
            return list(normalized(entries))

    return normalize
