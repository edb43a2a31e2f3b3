"""Letter text -> ``Letter`` record: a pure function, one module per layout.

``parse_letter`` never raises: text it cannot read becomes a ``ParseFailure`` with a
named reason (``not_an_imr_letter``, ``unknown_layout``, ``missing_section``,
``no_items``, ``unknown_outcome``, ...), so that a load can quarantine the file and go on.
"""

from __future__ import annotations

import re

from .layout_a import TITLE as _A_TITLE
from .layout_a import parse_a
from .layout_b import DOCUMENTS, HOW_MADE, ITEMS_B, ITEMS_C, find_heading, heading_lines, parse_b
from .layout_d import parse_d
from .normalize import join_wrapped, lowered_for_search, normalize_text, normalized_lines
from .records import DECISIONS, PARTIES, SOURCE_FAMILIES, Citation, Item, Letter, ParseFailure

# Bump on any change that can change parsed values, so a database records which parser
# produced it and `imr-analytics reparse` has a reason to exist.
PARSER_VERSION = "1.0.0"

_D_START = re.compile(r"^MEDICAL\s+PROFESSIONAL\s+REVIEW\b", re.IGNORECASE)
_IMR_WORDS = re.compile(
    r"Independent\s+Medical\s+Review|\bIMR\b|MAXIMUS|Utilization\s+Review|Claims\s+Administrator",
    re.IGNORECASE,
)

__all__ = [
    "DECISIONS",
    "PARSER_VERSION",
    "PARTIES",
    "SOURCE_FAMILIES",
    "Citation",
    "Item",
    "Letter",
    "ParseFailure",
    "detect_layout",
    "normalize_text",
    "parse_letter",
]


def detect_layout(lines: list[str], heads: list[tuple[int, str]] | None = None) -> str | None:
    """The layout family of normalised lines: 'A', 'B', 'C', 'D' or None.

    ``heads`` is ``heading_lines(lines)`` when the caller has it (and will parse with it).
    """
    if heads is None:
        heads = heading_lines(lines)
    head = lines[:40]
    # every line _D_START matches starts with "medical" once lowered (unless case folding
    # differs), and most letters have no such line
    low_head = lowered_for_search("\n".join(head))
    if (low_head is None or low_head.startswith("medical") or "\nmedical" in low_head) and (
        any(_D_START.match(line) for line in head[:5])
        or (
            any(_D_START.match(line) for line in head)
            and any("AT DISPUTE" in line for line in lines)
        )
    ):
        return "D"
    if find_heading(lines, HOW_MADE, heads=heads) is not None:
        if (
            find_heading(lines, ITEMS_C, heads=heads) is not None
            and find_heading(lines, DOCUMENTS, heads=heads) is not None
        ):
            return "C"
        if find_heading(lines, ITEMS_B, heads=heads) is not None:
            return "B"
        if find_heading(lines, ITEMS_C, heads=heads) is not None:
            return "C"
        return "B"  # a B letter missing its items section: parse_b names what is missing
    flat_head = join_wrapped(head)
    if _A_TITLE.search(flat_head) or any(
        "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE" in line for line in lines
    ):
        return "A"
    return None


def parse_letter(text: str) -> Letter | ParseFailure:
    """Parse one letter's extracted text (any extraction style) into a record."""
    try:
        return _parse(text)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop a load
        return ParseFailure("parser_error", f"{type(exc).__name__}: {exc}")


def _parse(text: str) -> Letter | ParseFailure:
    if not text or text.isspace():  # what strip() leaves nothing of, without the copy
        return ParseFailure(
            "empty_text", "the document has no text (a scanned image, or an empty file)"
        )
    lines = normalized_lines(text)
    heads = heading_lines(lines)
    family = detect_layout(lines, heads)
    if family == "B":
        return parse_b(lines, heads=heads)
    if family == "C":
        return parse_b(lines, variant_c=True, heads=heads)
    if family == "A":
        return parse_a(lines)
    if family == "D":
        return parse_d(lines)
    if _IMR_WORDS.search(text[:20000]):
        return ParseFailure(
            "unknown_layout",
            "mentions IMR but has none of the known headings (HOW THE IMR FINAL DETERMINATION WAS MADE, "
            "Notice of Independent Medical Review Determination, MEDICAL PROFESSIONAL REVIEW)",
        )
    return ParseFailure(
        "not_an_imr_letter", "none of the headings or wording of an IMR determination letter"
    )
