"""The header table: case number, process dates and priority.

The table is a PDF table, and every extractor scrambles it differently: label then value
(pypdfium2, ``pdftotext -raw``/``-layout``, markdown), or the whole label column before
the whole value column (``pdftotext`` default mode), with ``Application Received:``
wrapped over two lines. So the header is read as a token stream and each value is given
to the oldest waiting label that can hold it (a date to a date label, ``Standard`` to
``Priority:``). Label-then-value text pairs as written; column-major text pairs by order.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from .dates import parse_date
from .normalize import lowered_for_search

CASE_NUMBER_RE = re.compile(r"\bCM\d{2}-\d{7}\b")

_LABELS = {
    "case number": "case_number",
    "date assigned": "date_assigned",
    "date of injury": "injury_date",
    "decision date": "decision_date",
    "ur denial date": "ur_denial_date",
    "priority": "priority",
    "application received": "application_received",
    "application": "application_received",  # label cell wrapped: "Application" / "Received:"
}

_TOKEN_RE = re.compile(
    r"(?P<label>(?:IMR\s+)?Case\s+Number:|Date\s+Assigned:|Date\s+of\s+Injury:|Decision\s+Date:"
    r"|UR\s+Denial\s+Date:|Priority:|Application\s+Received:|\bApplication\b(?!\s+for)"
    r"|\bReceived:)"
    r"|(?P<case>\bCM\d{2}-\d{7}\b)"
    r"|(?P<date>\b\d{1,2}/\d{1,2}/\d{4}\b)"
    r"|(?P<priority>\b(?:Standard|Expedited|Urgent|Regular)\b)",
    re.IGNORECASE,
)

_KIND_OF = {
    "case_number": "case",
    "priority": "priority",
}

PRIORITY_WORDS = {
    "standard": "standard",
    "regular": "standard",
    "expedited": "expedited",
    "urgent": "expedited",
}


def parse_header(header_text: str) -> tuple[dict[str, object], list[str]]:
    """Return the header fields found in ``header_text`` and warnings about leftovers."""
    fields: dict[str, object] = {}
    warnings: list[str] = []
    pending: list[str] = []
    last_label: str | None = None
    for label, case, when, priority in _tokens(header_text):
        if label:
            key = _label_key(label)
            if key is None:  # "Received:" completing a wrapped "Application" label
                if last_label == "application_received":
                    continue
                key = "application_received"
            if key not in fields and key not in pending:
                pending.append(key)
            last_label = key
            continue
        last_label = None
        kind = "case" if case else "date" if when else "priority"
        target = None
        for k in pending:  # the oldest waiting label that can hold this value
            if _KIND_OF.get(k, "date") == kind:
                target = k
                break
        if target is None:
            if case and "case_number" not in fields:
                fields["case_number"] = case.upper()
            continue
        pending.remove(target)
        if case:
            fields[target] = case.upper()
        elif when:
            fields[target] = _header_date(when)
        else:
            fields[target] = PRIORITY_WORDS[priority.lower()]
    if pending:
        warnings.append("header labels without a value: " + ", ".join(pending))
    return fields, warnings


# _TOKEN_RE for the lower-cased header, with no groups and every alternative opening with a
# literal character, which lets the regex engine skip an alternative on its first character
# instead of entering it at every position (about half the time). A ``\b`` before a word is
# the look-behind after its first character: "not a word character before that character".
_TOKEN_LOW_RE = re.compile(
    r"imr\s+case\s+number:|case\s+number:|date\s+assigned:|date\s+of\s+injury:|decision\s+date:"
    r"|ur\s+denial\s+date:|priority:|application\s+received:"
    r"|a(?<!\wa)pplication\b(?!\s+for)|r(?<!\wr)eceived:"
    r"|c(?<!\wc)m\d{2}-\d{7}\b"
    r"|\d(?<!\w\d)\d?/\d{1,2}/\d{4}\b"
    r"|s(?<!\ws)tandard\b|e(?<!\we)xpedited\b|u(?<!\wu)rgent\b|r(?<!\wr)egular\b"
)


def _tokens(header_text: str) -> list[tuple[str, str, str, str]]:
    """``_TOKEN_RE.findall(header_text)``: each token as (label, case, date, priority), one
    of them non-empty. Found in the lower-cased text, whose positions are the header's and
    where each case-insensitive match is a plain one (see ``lowered_for_search``); the
    kind of a token is told by its text. A label, a case number and a priority word are
    returned lower-cased, which is all their readers need (they lower- or upper-case them)."""
    low = lowered_for_search(header_text)
    if low is None:
        return _TOKEN_RE.findall(header_text)
    out = []
    for token in _TOKEN_LOW_RE.findall(low):
        if token[-1] == ":" or token == "application":
            out.append((token, "", "", ""))
        elif token[0] == "c":
            out.append(("", token, "", ""))
        elif token in PRIORITY_WORDS:
            out.append(("", "", "", token))
        else:
            out.append(("", "", token, ""))
    return out


# A header holds a dozen labels and dates, spelled the same way in letter after letter.
_header_date = lru_cache(maxsize=1 << 12)(parse_date)


@lru_cache(maxsize=256)
def _label_key(label: str) -> str | None:
    words = " ".join(label.lower().rstrip(":").split())
    if words == "received":
        return None
    if words.startswith("imr "):
        words = words[4:]
    return _LABELS.get(words)


def header_dates_consistent(fields: dict[str, object]) -> bool:
    """UR denial <= application <= assignment <= decision held in all 194 letters seen;
    a header that breaks it was probably paired wrongly."""
    order = ["ur_denial_date", "application_received", "date_assigned", "decision_date"]
    seen = [fields[k] for k in order if isinstance(fields.get(k), date)]
    return all(a <= b for a, b in zip(seen, seen[1:], strict=False))
