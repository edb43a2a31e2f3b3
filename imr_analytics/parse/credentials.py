"""The reviewer's specialties and licensure, in either form the letters use.

2015-2017 letters carry a credentials block (``State(s) of Licensure:`` /
``Certification(s)/Specialty:``, either line may wrap); 2013-2014 letters a sentence in
the boilerplate (``The expert reviewer is Board Certified in X and is licensed to
practice in Y.``) that hard wraps can split anywhere. Values are returned as written;
mapping onto the vocabulary is the loader's job, so the raw spelling is never lost.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .normalize import join_wrapped, lowered_for_search, search_from

_BLOCK_STATES = re.compile(
    r"State\(?s\)?\s+of\s+Licensure\s*:\s*(?P<states>.*?)\s*"
    r"(?=Certification\(?s\)?\s*/\s*Specialt(?:y|ies)\s*:|$)",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_SPECIALTIES = re.compile(
    r"Certification\(?s\)?\s*/\s*Specialt(?:y|ies)\s*:\s*(?P<specs>.*?)\s*(?=State\(?s\)?\s+of\s+Licensure|$)",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE = re.compile(
    r"(?:expert|physician|professional|medical)\s+reviewer\s+is\s+(?:Board[- ]Certified|certified)\s+in\s+"
    r"(?P<specs>.+?)\s+and\s+(?:is\s+)?licensed\s+to\s+practice\s+in\s+(?P<states>.+?)\s*(?:\.(?:\s|$)|$)",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE_STARTS = ("expert", "physician", "professional", "medical")
_SPLIT_LIST = re.compile(r"\s*[,;]\s*")
_SPLIT_STATES = re.compile(r"\s*(?:[,;/]|\band\b)\s*", re.IGNORECASE)


def parse_credentials(section_text: str) -> tuple[list[str], list[str], str | None]:
    """Return (specialties, states, form) from the text of the section holding them.

    ``section_text`` should run up to the next heading, since the specialty line can
    wrap onto a second line. ``form`` is ``"block"``, ``"sentence"`` or ``None``.
    """
    specs, states, form = _cached_credentials(section_text)
    return list(specs), list(states), form


def _credentials(section_text: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    specs, states, form = _read_credentials(section_text)
    return tuple(specs), tuple(states), form


# The section is boilerplate followed by the reviewer's credential lines, which a corpus
# repeats letter after letter (one reviewer signs many): the reading is a pure function of
# the text, cached per process. Tuples are cached, fresh lists handed out.
_cached_credentials = lru_cache(maxsize=1 << 11)(_credentials)


def _read_credentials(section_text: str) -> tuple[list[str], list[str], str | None]:
    flat = join_wrapped(section_text)
    low = lowered_for_search(flat)
    specs_m = search_from(_BLOCK_SPECIALTIES, flat, low, ("certification",))
    states_m = search_from(_BLOCK_STATES, flat, low, ("state",))
    if specs_m or states_m:
        specs = _split(specs_m.group("specs"), _SPLIT_LIST) if specs_m else []
        states = _split(states_m.group("states"), _SPLIT_STATES) if states_m else []
        return specs, states, "block"
    m = search_from(_SENTENCE, flat, low, _SENTENCE_STARTS)
    if m:
        specs = _split(m.group("specs"), _SPLIT_LIST)
        states = _split(m.group("states"), _SPLIT_STATES)
        return specs, states, "sentence"
    return [], [], None


def _split(value: str, splitter: re.Pattern[str]) -> list[str]:
    out = []
    for part in splitter.split(value):
        part = part.strip(" .:;")
        if part and part not in out:
            out.append(part)
    return out
