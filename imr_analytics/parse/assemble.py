"""The last step of every layout: header facts, summary and items into one ``Letter``.

Layouts differ in where they find their dates, credentials and items, but not in what
follows: the patient's age and sex come from the case summary, and the injury date from
the summary only when the letter has no header date for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .narrative import narrative_injury_date, patient_age_sex
from .records import Item, Letter, new_letter


def letter_from_parts(
    layout: str,
    header: dict[str, object],
    *,
    summary: str | None,
    specialties: Sequence[str],
    states: Sequence[str],
    items: Sequence[Item],
    warnings: Sequence[str],
) -> Letter:
    """``header`` holds the header fields found (keys are ``Letter`` field names:
    case_number, the process dates, priority); missing ones stay None."""
    fields = dict(header)
    if fields.get("injury_date") is None and summary:
        decided = fields.get("decision_date")
        fields["injury_date"] = narrative_injury_date(
            summary, reference=decided if isinstance(decided, date) else None
        )
    age, sex = patient_age_sex(summary or "")
    return new_letter(
        layout=layout,
        **fields,  # type: ignore[arg-type]
        patient_age=age,
        patient_sex=sex,
        reviewer_specialties=tuple(specialties),
        reviewer_licensure=tuple(states),
        case_summary=summary,
        items=tuple(items),
        warnings=tuple(warnings),
    )
