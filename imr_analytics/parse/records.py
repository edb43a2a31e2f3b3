"""The records a parsed letter becomes.

They are plain frozen dataclasses so that the parser stays a pure function (text in,
record out), records pickle cheaply between worker processes, and tests can compare them
with ``==``. Normalisation onto vocabularies (specialties, states, treatment taxonomy)
happens later, in the loader, so that the parser's output is what the letter says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from operator import attrgetter
from typing import Any

# Guideline source families, in the order reports list them.
SOURCE_FAMILIES: tuple[str, ...] = ("MTUS", "ODG", "ACOEM", "other", "none")

DECISIONS: tuple[str, ...] = ("upheld", "overturned")

PARTIES: tuple[str, ...] = ("claims_administrator", "reviewer")

# Layout codes, as in ../shared/docs/letter-formats.md. The parser writes them into
# letters.layout; the synthetic generator draws letters of each.
LAYOUT_B1 = "B1_header_table_board_sentence"
LAYOUT_B2 = "B2_header_table_credentials_block_pages_era"
LAYOUT_B3 = "B3_header_table_credentials_block_MTUS2009_sections"
LAYOUT_B4 = "B4_header_table_credentials_block_MTUS2016"
LAYOUT_A = "A_2013_notice_of_IMR_determination"
LAYOUT_C = "C_maximus_documents_reviewed"
LAYOUT_D = "D_medical_professional_review"
LAYOUTS: tuple[str, ...] = (
    LAYOUT_B1,
    LAYOUT_B2,
    LAYOUT_B3,
    LAYOUT_B4,
    LAYOUT_A,
    LAYOUT_C,
    LAYOUT_D,
)


@dataclass(frozen=True, slots=True)
class Citation:
    """One guideline a party relied on, as one family with its locators.

    An MTUS citation naming three chapters becomes three citations, one per chapter, so
    that chapter-level counts are a plain GROUP BY.
    """

    source: str  # one of SOURCE_FAMILIES
    chapter: str | None = None  # MTUS chapter with its year, e.g. "Low Back Complaints 2004"
    sections: str | None = None  # raw section list as written (names contain commas)
    pages: str | None = None  # "118-120", "607"
    text: str | None = None  # the fragment of the guideline line this came from


@dataclass(frozen=True, slots=True)
class Item:
    """One disputed item/service and the reviewer's decision on it."""

    item_no: int  # 1-based, order in the letter
    item_text: str  # the heading as written, without the outcome word
    disputed_text: str  # what went to IMR: the remainder of a modified request
    modified_request: bool
    decision: str  # "upheld" | "overturned"
    ca_guideline_text: str | None
    ca_citations: tuple[Citation, ...]
    reviewer_guideline_text: str | None
    reviewer_citations: tuple[Citation, ...]
    rationale: str | None

    @property
    def ca_guideline_sources(self) -> list[str]:
        return _families(self.ca_citations)

    @property
    def reviewer_guideline_sources(self) -> list[str]:
        return _families(self.reviewer_citations)

    @property
    def reviewer_guideline_pages(self) -> str | None:
        pages = [c.pages for c in self.reviewer_citations if c.pages]
        return "; ".join(dict.fromkeys(pages)) if pages else None

    def mtus_chapters(self, party: str) -> list[str]:
        cits = self.ca_citations if party == "claims_administrator" else self.reviewer_citations
        return list(dict.fromkeys(c.chapter for c in cits if c.source == "MTUS" and c.chapter))


@dataclass(frozen=True, slots=True)
class Letter:
    """A parsed final determination letter, values as the letter states them."""

    layout: str  # e.g. "B4_header_table_credentials_block_MTUS2016"
    case_number: str | None = None
    date_assigned: date | None = None
    decision_date: date | None = None
    injury_date: date | None = None
    ur_denial_date: date | None = None
    application_received: date | None = None
    priority: str | None = None  # "standard" | "expedited"
    patient_age: int | None = None
    patient_sex: str | None = None  # "female" | "male"
    reviewer_specialties: tuple[str, ...] = ()  # as written, wraps joined
    reviewer_licensure: tuple[str, ...] = ()  # as written
    case_summary: str | None = None
    items: tuple[Item, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()  # things the parser noticed but could not settle


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a text could not be parsed, in words a person can act on.

    ``reason`` is a stable code for grouping (``unknown_layout``, ``missing_section``,
    ``no_items``, ``empty_text``, ...); ``detail`` says what exactly was missing.
    """

    reason: str
    detail: str
    layout: str | None = None

    def __str__(self) -> str:  # pragma: no cover - trivial
        return f"{self.reason}: {self.detail}"


def _families(citations: tuple[Citation, ...]) -> list[str]:
    return list(dict.fromkeys(map(_SOURCE, citations)))  # a C-level map, no generator frame


_SOURCE = attrgetter("source")


def fast_constructor(cls: type) -> Callable[..., Any]:
    """``cls(...)`` for a frozen slots dataclass, about five times cheaper.

    A frozen dataclass's ``__init__`` sets each field with ``object.__setattr__``, which
    costs several times a plain attribute store; the parser builds an ``Item`` per item
    and a ``Letter`` per letter on the loader's hot path. This builds the instance as a
    mutable twin with the very same slots (plain stores), then makes it a ``cls``: the
    layouts are identical, so Python allows the ``__class__`` assignment, and the result
    is indistinguishable from ``cls(...)`` (same type, fields, equality, hash, frozenness).
    Same parameters and defaults as ``cls``; no ``__post_init__`` is supported.
    """
    if "__post_init__" in cls.__dict__ or not hasattr(cls, "__slots__"):
        raise TypeError(
            f"{cls.__name__}: fast_constructor needs a slots dataclass without __post_init__"
        )
    twin = type(f"_{cls.__name__}Twin", (), {"__slots__": cls.__slots__})
    params, body, env = [], [], {"_twin": twin, "_cls": cls, "_missing": MISSING}
    for f in fields(cls):
        if f.default is not MISSING:
            env[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        elif f.default_factory is not MISSING:
            env[f"_f_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_missing")
            body.append(f"    if {f.name} is _missing: {f.name} = _f_{f.name}()")
        else:
            params.append(f.name)
        body.append(f"    o.{f.name} = {f.name}")
    src = (
        f"def make_{cls.__name__}({', '.join(params)}):\n    o = _twin.__new__(_twin)\n"
        + "\n".join(body)
        + "\n    o.__class__ = _cls\n    return o\n"
    )
    exec(src, env)  # noqa: S102 - generated from the dataclass's own field names
    make = env[f"make_{cls.__name__}"]
    make.__doc__ = (
        f"``{cls.__name__}(...)``, built without the frozen __init__ (see fast_constructor)."
    )
    return make


# What the parser builds per item and per letter (see fast_constructor).
new_item: Callable[..., Item] = fast_constructor(Item)
new_letter: Callable[..., Letter] = fast_constructor(Letter)
