"""The crawler's "Format3" (variant D): ``MEDICAL PROFESSIONAL REVIEW``.

Known only from the IMRCrawler's parser (letter-formats.md §3): one issue per letter
under ``ISSUE AT DISPUTE:``, the reviewer's guideline under a heading that wraps, a
rationale heading that presumes a denial, and the reviewer's qualifications last. No
outcome word is printed, so the outcome is read from the rationale's own conclusion
(``… is not medically necessary``); when the rationale states none, the letter fails
with ``outcome_not_stated`` instead of presuming a denial. The claims administrator's
guideline is not stated in this layout and stays unknown (NULL).
"""

from __future__ import annotations

import re

from .assemble import letter_from_parts
from .credentials import parse_credentials
from .header import CASE_NUMBER_RE, parse_header
from .items import build_item
from .normalize import join_wrapped
from .records import LAYOUT_D, Letter, ParseFailure

LAYOUT = LAYOUT_D

_HEADINGS = {
    "issue": re.compile(r"ISSUES?\s+AT\s+DISPUTE\s*:"),
    "summary": re.compile(r"(?<!CLINICAL )CASE\s+SUMMARY\s*:"),
    "documents": re.compile(r"DOCUMENTS\s+REVIEWED\s+FOR\s+DETERMINATION\s*:"),
    "guideline": re.compile(
        r"MEDICAL\s+TREATMENT\s+GUIDELINE\s*\(?S?\)?\s+RELIED\s+UPON\s+BY\s+PROFESSIONAL\s+REVIEWER\s+AND\s+WHY\s*:"
    ),
    "rationale": re.compile(
        r"RATIONALE\s+FOR\s+WHY\s+THE\s+REQUESTED\s+TREATMENT\s*/\s*SERVICE\s+IS\s*/\s*WAS\s+NOT\s+MEDICALLY\s+NECESSARY\s*:"
    ),
    "qualifications": re.compile(r"MEDICAL\s+REVIEWER\s+QUALIFICATIONS\s*:"),
}
_HEADING_NAMES = {
    "issue": "ISSUE AT DISPUTE:",
    "guideline": "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:",
    "rationale": "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:",
}
_CONCLUSION = re.compile(
    r"\bis\s+(?P<neg>not\s+)?(?:medically\s+necessary|medically\s+appropriate|recommended)\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"(?:^|\s)(\d{1,2})\s*[).]\s+")


def parse_d(lines: list[str]) -> Letter | ParseFailure:
    flat = join_wrapped(lines)
    found = {k: p.search(flat) for k, p in _HEADINGS.items()}
    for key in ("issue", "guideline", "rationale"):
        if found[key] is None:
            return ParseFailure("missing_section", f"no '{_HEADING_NAMES[key]}' heading", LAYOUT)
    order = sorted((m.start(), m.end(), k) for k, m in found.items() if m)

    def section(key: str) -> str | None:
        for i, (_, end, k) in enumerate(order):
            if k == key:
                stop = order[i + 1][0] if i + 1 < len(order) else len(flat)
                return flat[end:stop].strip() or None
        return None

    issue = section("issue") or ""
    guideline = section("guideline")
    rationale = section("rationale")
    conclusions = list(_CONCLUSION.finditer(rationale or ""))
    if not conclusions:
        return ParseFailure(
            "outcome_not_stated",
            "the rationale states no conclusion ('… is (not) medically necessary')",
            LAYOUT,
        )
    decision = "upheld" if conclusions[-1].group("neg") else "overturned"
    warnings = [
        "decision inferred from the rationale's conclusion (layout D prints no outcome word)"
    ]

    parts = [p.strip(" ;.") for p in _NUMBERED.split(issue) if p and not p.strip().isdigit()]
    texts = [p for p in parts if p] or [issue.strip()]
    if len(texts) > 1:
        warnings.append("several issues share one rationale; each takes its conclusion")
    items = []
    for k, text in enumerate(texts):
        # The claims administrator's guideline is not stated in this layout: unknown.
        item, item_warnings = build_item(k + 1, text, decision, None, guideline, rationale)
        items.append(item)
        warnings += item_warnings
    first = order[0][0]
    header, _ = parse_header(flat[:first])
    summary = section("summary")
    quals = section("qualifications") or ""
    specialties, states, _ = parse_credentials(quals)
    if not header.get("case_number") and (m := CASE_NUMBER_RE.search(flat)):
        header["case_number"] = m.group(0)
    return letter_from_parts(
        LAYOUT,
        header,
        summary=summary,
        specialties=specialties,
        states=states,
        items=items,
        warnings=warnings,
    )
