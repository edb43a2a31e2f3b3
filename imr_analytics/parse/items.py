"""Disputed items in the ``<item>: Upheld`` / ``Claims Administrator guideline:`` grammar.

Used by every header-table letter (B1-B4) and the crawler's "Format2" (C). An item is
anchored on its outcome line, which is always followed by one of the three labels; the
heading is then read backwards from the outcome to the end of the previous rationale.
Headings wrap over up to six lines, contain colons, may end with `` is`` and, for
partially authorised requests, contain whole sentences; rationales end with a sentence
terminator at a line end. That asymmetry is what the backward walk relies on.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add

from .citations import parse_guideline
from .normalize import join_wrapped, lowered_for_search, search_from
from .records import Item, new_item

OUTCOME_WORDS = {"upheld": "upheld", "overturned": "overturned"}

# Any single capitalised word after the last colon of a heading line is read as an
# outcome, so that an unseen word ("Modified") fails loudly instead of being skipped. This is
# the definition; _outcome_parts reads a line by it without the walk along the line.
_OUTCOME_WORD = r"(?P<word>Upheld|Overturned|Partially\s+Overturned|Partially\s+Upheld|Modified|Reversed|Withdrawn)"
_OUTCOME_LINE = re.compile(rf"^(?P<head>.*?):\s*{_OUTCOME_WORD}\s*\.?$", re.IGNORECASE)
# _OUTCOME_LINE after its head. The lazy head can only end at a line's last colon (nothing
# after the head's colon may hold one) and holds no line break ("." matches none), so a line
# matches _OUTCOME_LINE exactly when this matches after its last colon and no line break comes
# before that colon: a short match at the end instead of a case-insensitive walk along the line.
_OUTCOME_AFTER_COLON = re.compile(rf"\s*{_OUTCOME_WORD}\s*\.?$", re.IGNORECASE)
# Every word _OUTCOME_LINE accepts ends in one of these (d, n: letters with no other case
# under re.IGNORECASE, so the test is exact).
_OUTCOME_LAST_LETTERS = frozenset("dDnN")
_OUTCOME_ALONE = re.compile(r"^(?P<word>Upheld|Overturned)\s*\.?$", re.IGNORECASE)
# Lower-case words one of which every line _OUTCOME_LINE matches holds ("Partially Upheld"
# holds "upheld"), and those an _OUTCOME_ALONE line starts with.
_OUTCOME_WORDS_LOW = ("upheld", "overturned", "modified", "reversed", "withdrawn")
_LONE_WORDS = ("upheld", "overturned")
_CA_LABEL = re.compile(r"^Claims\s+Administrator\s+guideline\s*:\s*", re.IGNORECASE)
_REVIEWER_LABEL = re.compile(
    r"^(?:MAXIMUS|Expert\s+Reviewer|Independent\s+Reviewer|IMR)\s+guideline\s*:\s*", re.IGNORECASE
)
_RATIONALE_LABEL = re.compile(r"^Decision\s+rationale\s*:\s*", re.IGNORECASE)
_ANY_LABEL = (_CA_LABEL, _REVIEWER_LABEL, _RATIONALE_LABEL)
# One regex for "one of the three labels starts the line": a single match instead of three.
_ANY_LABEL_RE = re.compile("|".join(f"(?:{p.pattern})" for p in _ANY_LABEL), re.IGNORECASE)
# The labels as letters nearly always write them, each matched by _ANY_LABEL_RE (tests hold
# this): a line starting with one needs no case-insensitive match.
LABEL_TEXTS = (
    "Claims Administrator guideline:",
    "MAXIMUS guideline:",
    "Decision rationale:",
)
_CA_LABEL_ANYWHERE = re.compile(_CA_LABEL.pattern[1:], re.IGNORECASE)
_REVIEWER_LABEL_ANYWHERE = re.compile(r"(?<![\w-])" + _REVIEWER_LABEL.pattern[1:], re.IGNORECASE)
_RATIONALE_LABEL_ANYWHERE = re.compile(_RATIONALE_LABEL.pattern[1:], re.IGNORECASE)
# (key, label searched anywhere, words a match begins with) in the order labels come.
_LABELS_ANYWHERE = (
    ("ca", _CA_LABEL_ANYWHERE, ("claims",)),
    ("rv", _REVIEWER_LABEL_ANYWHERE, ("maximus", "expert", "independent", "imr")),
    ("ra", _RATIONALE_LABEL_ANYWHERE, ("decision",)),
)
_INTRO = re.compile(r"^The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions", re.IGNORECASE)
# How nearly every letter words _INTRO (which every line starting with it matches): a plain
# prefix test instead of a case-insensitive match.
INTRO_TEXT = "The Final Determination was based on decisions"
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
# Abbreviations that end a heading line without ending a sentence ("Lidoderm patches, Qty.").
_ABBREVIATION_END = re.compile(
    r"\b(?:qty|no|nos|dr|vs|approx|mg|mcg|ml|gm|tab|tabs|cap|caps|inj|wk|wks|hr|hrs|oz|pt|ea|dept|st|ft|e\.g|i\.e|etc)\.$",
    re.IGNORECASE,
)
# A line that states a conclusion belongs to a rationale, never to an item heading.
_CONCLUSION_LINE = re.compile(
    r"\bmedically\s+necessary\b|\bnot\s+(?:recommended|supported|warranted|indicated|certified)\b",
    re.IGNORECASE,
)

# Partial certification templates (letter-formats.md §1.4). The outcome applies to the
# remainder, which is what per-item statistics must count.
_MODIFIED_MARKERS = re.compile(
    r"was\s+the\s+original\s+request|was\s+authorized\s+by\s+the\s+Claims\s+Administrator"
    r"|The\s+Claims\s+Administrator\s+authorized|The\s+remaining\s+IMR\s+eligible\s+portion"
    r"|leaving\s+the\s+original\s+request|^The\s+original\s+request\s*,",
    re.IGNORECASE,
)
_ORIGINAL_REQUEST = re.compile(r"was\s+the\s+original\s+request", re.IGNORECASE)
_REMAINDER = re.compile(
    r"(?:The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request|The\s+original\s+request)\s*,\s*(?P<rest>.+?)(?:\s+is)?\s*$",
    re.IGNORECASE,
)


class ItemsError(ValueError):
    """The items section does not have the structure every item needs."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_items(section_lines: list[str]) -> tuple[list[Item], list[str]]:
    """Parse the lines of an items section (after its heading) into items."""
    joined = "\n".join(section_lines)
    low = lowered_for_search(joined)
    lines = _merge_lone_outcomes(section_lines, low)
    if len(lines) != len(section_lines):
        joined = "\n".join(lines)
        low = lowered_for_search(joined)
    ends = _line_ends(lines)
    # Lines that are all stripped and non-empty (normalised text) let a label's part be
    # joined by replacing its line breaks (see _join_part).
    clean = all(lines) and lines == list(map(str.strip, lines))
    start = 0
    if lines and (lines[0].startswith(INTRO_TEXT) or _INTRO.match(lines[0])):
        start = 1
        # the intro sentence may wrap onto a second line
        while (
            start < len(lines)
            and not _ends_sentence(lines[start - 1])
            and not lines[start - 1].endswith(":")
        ):
            start += 1
    outcomes = [
        (i, parts)
        for i in _outcome_candidates(lines, low, start, ends)
        if (parts := _outcome_parts(lines, i))
    ]
    anchors = [i for i, _ in outcomes]
    if not anchors:
        raise ItemsError(
            "no_items", "no '<item>: Upheld|Overturned' line followed by a guideline label"
        )

    warnings: list[str] = []
    items: list[Item] = []
    heading_starts: list[int] = []
    for k, anchor in enumerate(anchors):
        floor = start if k == 0 else anchors[k - 1] + 1
        heading_starts.append(start if k == 0 else _heading_start(lines, anchor, floor))
    for k, (anchor, (head, outcome)) in enumerate(outcomes):
        word = " ".join(outcome.lower().split())
        if word not in OUTCOME_WORDS:
            raise ItemsError(
                "unknown_outcome",
                f"item {k + 1} has outcome {outcome!r}, not Upheld/Overturned",
            )
        head_lines = lines[heading_starts[k] : anchor] + [head]
        item_text = join_wrapped(head_lines).strip()
        body_end = heading_starts[k + 1] if k + 1 < len(anchors) else len(lines)
        # the body's text and its lower-case copy are slices of the section's
        first, stop = (
            ends[anchor],
            ends[body_end - 1] - 1 if body_end > anchor + 1 else ends[anchor],
        )
        ca, reviewer, rationale = _split_label_text(
            joined[first:stop], None if low is None else low[first:stop], clean
        )
        if not item_text:
            raise ItemsError("item_structure", f"item {k + 1} has an empty heading")
        item, item_warnings = build_item(
            k + 1, item_text, OUTCOME_WORDS[word], ca, reviewer, rationale
        )
        items.append(item)
        warnings += item_warnings
    return items, warnings


def _line_ends(lines: list[str]) -> list[int]:
    """The offset after each line's break in ``"\\n".join(lines)`` (C-level maps, no
    per-line Python step)."""
    return list(accumulate(map(add, map(len, lines), repeat(1))))


def build_item(
    item_no: int,
    item_text: str,
    decision: str,
    ca_text: str | None,
    reviewer_text: str | None,
    rationale: str | None,
) -> tuple[Item, list[str]]:
    """One item from its parts, as every layout reads them: guideline lines become
    citations, a partial authorisation gives its disputed remainder."""
    ca_cits, w1 = parse_guideline(ca_text)
    rv_cits, w2 = parse_guideline(reviewer_text)
    disputed, modified = disputed_part(item_text)
    item = new_item(
        item_no=item_no,
        item_text=item_text,
        disputed_text=disputed,
        modified_request=modified,
        decision=decision,
        ca_guideline_text=ca_text,
        ca_citations=ca_cits,
        reviewer_guideline_text=reviewer_text,
        reviewer_citations=rv_cits,
        rationale=rationale,
    )
    return item, [f"item {item_no}: {w}" for w in w1 + w2]


# Headings repeat from letter to letter (the same drug, dose and count; the same therapy), and
# the marker and remainder searches are case-insensitive scans of the whole heading: this pure
# function of one short string is cached per process, bounded.
@lru_cache(maxsize=1 << 13)
def disputed_part(item_text: str) -> tuple[str, bool]:
    """The part of a heading that went to IMR, and whether UR authorised the rest."""
    if not _may_be_modified(item_text) or not _MODIFIED_MARKERS.search(item_text):
        return item_text, False
    m = _REMAINDER.search(item_text)
    if m:
        return m.group("rest").strip(" ,"), True
    return item_text, True


# Every match of _MODIFIED_MARKERS holds one of these words (case-insensitively).
_MODIFIED_WORDS = ("original", "authorized", "remaining")


def _modified(text: str) -> bool:
    """``_MODIFIED_MARKERS.search(text)``, run only where one of its words occurs."""
    return _may_be_modified(text) and _MODIFIED_MARKERS.search(text) is not None


def _may_be_modified(text: str) -> bool:
    """False only when ``_MODIFIED_MARKERS`` cannot match: none of its words is in the text
    (most headings), found with ``in`` instead of a case-insensitive scan."""
    low = lowered_for_search(text)
    return low is None or any(w in low for w in _MODIFIED_WORDS)


def _outcome_candidates(
    lines: list[str], low: str | None, start: int, ends: list[int] | None = None
) -> list[int]:
    """Indices from ``start`` of the lines that may be outcome lines: those holding an
    outcome word. ``low`` is ``lowered_for_search("\\n".join(lines))``; without it, all.
    ``ends`` are the offsets after each line's break in that text, when the caller has them."""
    if low is None:
        return list(range(start, len(lines)))
    places = []
    for word in _OUTCOME_WORDS_LOW:
        i = low.find(word)
        while i >= 0:
            places.append(i)
            i = low.find(word, i + 1)
    if not places:
        return []
    if ends is None:
        ends = _line_ends(lines)
    found = {bisect_right(ends, p) for p in places}
    return [i for i in sorted(found) if i >= start]


def _merge_lone_outcomes(lines: list[str], low: str | None = None) -> list[str]:
    """``…knees:`` ⏎ ``Upheld`` becomes one line, so every outcome sits on its heading.

    ``low`` is ``lowered_for_search("\\n".join(lines))`` when the caller has it: a text
    with no line starting with an outcome word has nothing to merge."""
    if low is not None and not (
        low.startswith(_LONE_WORDS) or any(f"\n{w}" in low for w in _LONE_WORDS)
    ):
        return lines
    out: list[str] = []
    for line in lines:
        if out and out[-1].rstrip().endswith(":") and _OUTCOME_ALONE.match(line):
            out[-1] = out[-1].rstrip() + " " + line
        else:
            out.append(line)
    return out


def _is_outcome(lines: list[str], i: int) -> bool:
    return _outcome_parts(lines, i) is not None


def _outcome_parts(lines: list[str], i: int) -> tuple[str, str] | None:
    """(head, outcome word) as ``_OUTCOME_LINE`` reads line ``i``, if it is an item's
    outcome line (one of the labels follows it); else None."""
    line = lines[i]
    # Cheap necessary conditions first (most lines fail them): a colon, and a last
    # letter (before an optional period) that ends one of the outcome words.
    colon = line.rfind(":")
    if colon < 0:
        return None
    tail = line.rstrip()
    if tail.endswith("."):
        tail = tail[:-1].rstrip()
    if tail[-1:] not in _OUTCOME_LAST_LETTERS:
        return None
    m = _OUTCOME_AFTER_COLON.match(line, colon + 1)
    if m is None or line.find("\n", 0, colon) >= 0:
        return None
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if not nxt.startswith(LABEL_TEXTS) and _ANY_LABEL_RE.match(nxt) is None:
        return None
    return line[:colon], m.group("word")


def _heading_start(lines: list[str], anchor: int, floor: int) -> int:
    """Walk back from the outcome line to the first line of the heading.

    The previous rationale ends with a sentence terminator at a line end; a heading line
    does not, except inside a partial-authorisation heading (whole sentences) or after an
    abbreviation. A rationale whose last sentence lost its period would still end in a
    conclusion ("... is not medically necessary"), which no heading states, so such a
    line is handed back to the rationale.
    """
    i = anchor
    while i > floor:
        prev = lines[i - 1]
        if _RATIONALE_LABEL.match(prev) or _REVIEWER_LABEL.match(prev) or _CA_LABEL.match(prev):
            break
        if _ends_sentence(prev) and not _ends_abbreviation(prev):
            head = " ".join(lines[i : anchor + 1])
            # A partially authorised request's heading holds whole sentences; keep
            # going until its first sentence ("X was the original request.") is in.
            if _modified(head) and not _ORIGINAL_REQUEST.search(head):
                i -= 1
                continue
            if head[:1].islower():
                i -= 1
                continue
            break
        i -= 1
    while (
        i < anchor
        and _states_conclusion(lines, i)
        and not _modified(" ".join(lines[i : anchor + 1]))
    ):
        i += 1
    return i


def _ends_sentence(line: str) -> bool:
    """``_SENTENCE_END.search(line)``, read from the line's end instead of searched for from
    every position: a terminator, then only closing quotes and brackets (``$`` also matches
    before a final line break)."""
    if line.endswith("\n"):
        line = line[:-1]
    return line.rstrip(_CLOSERS)[-1:] in _TERMINATORS


_CLOSERS = "\"'”’)]"
_TERMINATORS = (".", "!", "?")
# Longer than any match of _ABBREVIATION_END ("approx." is 7 characters, plus a line break).
_ABBREVIATION_TAIL = 16


def _ends_abbreviation(line: str) -> bool:
    """``_ABBREVIATION_END.search(line)``: every match ends the line with a period, so only
    lines that do are searched, and only their tail (``\\b`` still sees the whole line)."""
    if not line.endswith((".", ".\n")):
        return False
    return _ABBREVIATION_END.search(line, max(0, len(line) - _ABBREVIATION_TAIL)) is not None


def _states_conclusion(lines: list[str], i: int) -> bool:
    """Whether line ``i`` holds (part of) a conclusion such as "not medically necessary",
    also when the phrase wraps onto it from the line before."""
    before = lines[i - 1] if i > 0 else ""
    joined = f"{before} {lines[i]}"
    # every match holds "medically" or "not": without either, no case-insensitive scan
    low = lowered_for_search(joined)
    if low is not None and "not" not in low and "medically" not in low:
        return False
    return any(m.end() > len(before) + 1 for m in _CONCLUSION_LINE.finditer(joined))


def _split_label_text(
    text: str, low: str | None, clean: bool = False
) -> tuple[str | None, str | None, str | None]:
    """The three labelled parts of an item body's ``text``, each joined across its wraps.

    Labels are looked for anywhere in the body, not only at line starts: a converter
    that joins lines can leave ``… 2004. MAXIMUS guideline: …`` on one line. Each label
    is taken once, in its order, after the previous one. ``low`` is
    ``lowered_for_search(text)`` (or None, which only makes the label searches slower);
    ``clean`` says that the lines of ``text`` are stripped and non-empty.
    """
    found: list[tuple[str, int, int]] = []
    pos = 0
    for key, pattern, starts in _LABELS_ANYWHERE:
        m = search_from(pattern, text, low, starts, pos)
        if m:
            found.append((key, m.start(), m.end()))
            pos = m.end()
    parts: dict[str, str | None] = {"ca": None, "rv": None, "ra": None}
    for n, (key, _, end) in enumerate(found):
        stop = found[n + 1][1] if n + 1 < len(found) else len(text)
        parts[key] = _join_part(text[end:stop], clean) or None
    return parts["ca"], parts["rv"], parts["ra"]


def _join_part(part: str, clean: bool) -> str:
    """``join_wrapped(part.split("\\n"))``. In a body whose lines are stripped and non-empty
    only a part's own ends can hold white space (a label ends in ``\\s*``; the next one may
    start mid-line), so, unless a line ends in a hyphen, the join is a replace and a strip."""
    if clean and "-\n" not in part:
        return part.replace("\n", " ").strip()
    return join_wrapped(part.split("\n"))
