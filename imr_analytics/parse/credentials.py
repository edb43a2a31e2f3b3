"""The reviewer's specialties and licensure, in either form the letters use.

2015-2017 letters carry a credentials block (``State(s) of Licensure:`` /
``Certification(s)/Specialty:``, either line may wrap); 2013-2014 letters a sentence in
the boilerplate (``The expert reviewer is Board Certified in X and is licensed to
practice in Y.``) that hard wraps can split anywhere. Values are returned as written;
mapping onto the vocabulary is the loader's job, so the raw spelling is never lost.
"""

from __future__ import annotations

import re

from .normalize import join_wrapped

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


# Characters whose case folding under re.IGNORECASE differs from str.lower() (dotted and
# dotless i, long s, Kelvin sign): a text holding one is searched the plain way.
_FOLD_TRAPS = ("\u0130", "\u0131", "\u017f", "\u212a")


def lowered_for_search(text: str) -> str | None:
    """``text.lower()`` when its positions match ``text`` and every case-insensitive match
    of an ASCII word is a plain substring of it; None otherwise."""
    if not text.isascii() and any(c in text for c in _FOLD_TRAPS):
        return None
    return text.lower()


def search_from(
    pattern: re.Pattern[str], text: str, low: str | None, starts: tuple[str, ...]
) -> re.Match[str] | None:
    """``pattern.search(text)``, started at the first place a match can start.

    ``starts`` are lower-case words one of which every match of ``pattern`` begins with
    (case-insensitively); finding them with ``str.find`` skips the slow per-position
    case-insensitive scan over the text before them. Same result as ``pattern.search``.
    """
    if low is None:
        return pattern.search(text)
    found = [i for i in (low.find(w) for w in starts) if i >= 0]
    return pattern.search(text, min(found)) if found else None


def _split(value: str, splitter: re.Pattern[str]) -> list[str]:
    out = []
    for part in splitter.split(value):
        part = part.strip(" .:;")
        if part and part not in out:
            out.append(part)
    return out
