"""Dates as the letters write them.

Header dates are zero-padded ``MM/DD/YYYY``; narrative dates come in every form a
clinician types (``10-13-16``, ``10/14/ 2016``, ``October 10, 2015``, wrapped across
lines). Everything becomes a ``datetime.date`` or ``None``; an impossible date (month
13) is ``None``, never a guess.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

# One pattern for every date form seen in narratives. Numeric: M/D/Y or M-D-Y with a
# 2- or 4-digit year and an optional stray space after a separator. Named: "October 10,
# 2015" or "Oct. 10 2015".
DATE_PATTERN = (
    r"(?:(?P<m>\d{1,2})\s?[/-]\s?(?P<d>\d{1,2})\s?[/-]\s?(?P<y>\d{4}|\d{2})(?!\d)"
    rf"|(?P<mn>{_MONTH_NAMES})\.?\s+(?P<dn>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<yn>\d{{4}}))"
)
DATE_RE = re.compile(DATE_PATTERN, re.IGNORECASE)


def parse_date(text: str | None, *, pivot_year: int | None = None) -> date | None:
    """Parse the first date in ``text``; two-digit years resolve to the latest year not
    after ``pivot_year`` (the letter's own year when known), since an injury date is
    never in the future of the letter that reviews it."""
    if not text:
        return None
    m = DATE_RE.search(text)
    return date_from_match(m, pivot_year=pivot_year) if m else None


def date_from_match(m: re.Match[str], *, pivot_year: int | None = None) -> date | None:
    if m.group("m"):
        month, day, year_text = int(m.group("m")), int(m.group("d")), m.group("y")
    else:
        month = _MONTHS[m.group("mn").lower()]
        day, year_text = int(m.group("dn")), m.group("yn")
    year = int(year_text)
    if len(year_text) == 2:
        pivot = pivot_year or date.today().year
        year += 2000
        if year > pivot:
            year -= 100
    try:
        return date(year, month, day)
    except ValueError:
        return None
