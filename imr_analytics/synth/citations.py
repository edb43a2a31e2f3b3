"""Guideline lines (``Claims Administrator guideline:`` / ``MAXIMUS guideline:``) per era.

Each builder returns the sentence(s) a letter prints and, alongside, the values the
database must end up with (families in order of appearance, MTUS chapters with years,
the reviewer's page locators). Text and truth are made together so that they cannot
drift apart.

Eras (``letter-formats.md`` §1.5):

* ``pages`` (B1, B2, A, C: 2013-15): ``Decision based on MTUS Chronic Pain Treatment
  Guidelines <Topic> Page(s): 118-120.``; outside-MTUS preamble ``… did not base their
  decision on the MTUS.``
* ``sections2009`` (B3, D: late 2015): ``Decision based on MTUS <Chapter> <Year>[,
  Section(s): …]`` with the 2009 Chronic Pain chapter; same preamble as ``pages``.
* ``mtus2016`` (B4): as ``sections2009`` with the 2016 chapters (``Opioid Treatment 2016``)
  and the preamble ``… based their decision on recommendation(s) outside of the MTUS
  Guidelines.``
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from . import _data as D

ERAS = ("pages", "sections2009", "mtus2016")

PARTY_NAME = {"ca": "Claims Administrator", "reviewer": "Expert Reviewer"}


@dataclass(slots=True)
class Cite:
    """A guideline line and what it must parse to."""

    text: str
    sources: list[str] = field(default_factory=list)
    chapters: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)

    @property
    def primary(self) -> str:
        return self.sources[0] if self.sources else "none"


def no_evidence(party: str) -> Cite:
    return Cite(
        f"The {PARTY_NAME[party]} did not cite any medical evidence for its decision.", ["none"]
    )


def _preamble(era: str, party: str) -> str:
    if era == "mtus2016":
        return (
            f"The {PARTY_NAME[party]} based their decision on recommendation(s) outside of the "
            "MTUS Guidelines."
        )
    return f"The {PARTY_NAME[party]} did not base their decision on the MTUS."


def _join(rng: random.Random, a: str, b: str) -> str:
    # Double spaces between sentences were seen ("MTUS.  Decision"); they are harmless.
    return a + ("  " if rng.random() < 0.08 else " ") + b


# ---------------------------------------------------------------------------------------
# MTUS
# ---------------------------------------------------------------------------------------


def _sections(rng: random.Random, pool: tuple[str, ...], k_max: int) -> list[str]:
    if not pool:
        return []
    k = 1 if rng.random() < 0.7 else min(len(pool), rng.randint(2, max(2, k_max)))
    picks = rng.sample(pool, min(k, len(pool)))
    return picks


def _mtus_parts(
    rng: random.Random, era: str, party: str, profile: dict, region: str
) -> list[tuple[str, list[str]]]:
    """[(chapter with year, sections)] for one MTUS citation."""
    cp = D.CP_2016 if era == "mtus2016" else D.CP_2009
    if era == "mtus2016" and party == "ca" and rng.random() < 0.03:
        cp = D.CP_2009  # some UR still cited the 2009 edition in 2016-17
    region_ch = D.REGION_CHAPTER.get(region)
    options: list[tuple[str, tuple[str, ...]]] = []
    if profile["cp"]:
        options.append((cp, profile["cp"]))
    if profile["acoem"] and region_ch:
        options.append((region_ch, profile["acoem"]))
    for extra in profile["extra"]:
        if extra == D.GENERAL:
            options.append(
                (
                    extra,
                    (
                        "Initial Approaches to Treatment",
                        "Cornerstones of Disability Prevention and Management",
                    ),
                )
            )
        elif extra == D.STRESS:
            options.append((extra, ("General Approach", "Treatment")))
        elif extra == D.POSTSURG:
            options.append((extra, ("Postsurgical Physical Medicine Treatment",)))
        else:
            options.append((extra, ()))
    if era == "mtus2016" and profile is D.PROFILES["opioid"] and rng.random() < 0.35:
        options = [(D.OPIOID_2016, D.OPIOID_2016_SECTIONS)]
    if not options:
        return []
    # Acupuncture / General Approaches are secondary unless nothing else fits.
    first = options[0] if rng.random() < 0.8 else rng.choice(options)
    parts = [(first[0], _sections(rng, first[1], 3))]
    # Several chapters in one citation: the region chapter plus Chronic Pain, etc.
    if rng.random() < 0.14:
        pool = [o for o in options if o[0] != first[0]]
        if not pool:
            pool = [
                (c, ("Special Studies", "Initial Care", "Summary"))
                for c in D.REGION_CHAPTER.values()
                if c and c != first[0]
            ]
            pool.append(
                (
                    cp,
                    (
                        "Physical medicine treatment",
                        "Office visits" if era == "mtus2016" else "Physical Medicine",
                    ),
                )
            )
        extra_part = rng.choice(pool)
        parts.append((extra_part[0], _sections(rng, extra_part[1], 2)))
        if rng.random() < 0.2:
            third = rng.choice(
                [c for c in D.REGION_CHAPTER.values() if c and c not in (p[0] for p in parts)]
            )
            parts.append(
                (
                    third,
                    _sections(
                        rng, ("Initial Care", "Special Studies", "Surgical Considerations"), 2
                    ),
                )
            )
    if era == "mtus2016" and party == "ca" and rng.random() < 0.01:
        # A section given as a page number ("Elbow Complaints 2007, Section(s): 326"); only
        # on the claims administrator's line, whose pages are not recorded.
        parts[0] = (parts[0][0], [str(rng.randint(20, 340))])
    return parts


def _mtus_sentence(
    rng: random.Random, era: str, party: str, parts: list[tuple[str, list[str]]]
) -> str:
    with_sections_p = 0.55 if party == "ca" else 0.9
    chunks = []
    for chapter, sections in parts:
        s = chapter
        if rng.random() < 0.03:
            s += " Guidelines"
        if sections and rng.random() < with_sections_p:
            s += ", Section(s): " + ", ".join(sections)
        chunks.append(s)
    body = ", and ".join(chunks)
    if era == "mtus2016" and len(parts) == 1 and parts[0][0] == D.CP_2016 and rng.random() < 0.004:
        body = "Chronic pain guidelines 2016"  # seen once; the chapter is still CP 2016
    return f"Decision based on MTUS {body}."


def _pages_sentence(rng: random.Random, party: str, profile: dict) -> tuple[str, str | None]:
    topic, pages = rng.choice(profile["pages"])
    if party == "ca" and rng.random() < 0.6:
        return f"Decision based on MTUS Chronic Pain Treatment Guidelines {topic}.", None
    return (
        f"Decision based on MTUS Chronic Pain Treatment Guidelines {topic} Page(s): {pages}.",
        pages,
    )


# ---------------------------------------------------------------------------------------
# Outside MTUS
# ---------------------------------------------------------------------------------------


def _odg_text(rng: random.Random, era: str, profile: dict, region: str, decided: date) -> str:
    key = profile["odg_chapter"]
    if key == "region":
        key = region if region in D.ODG_CHAPTERS else "pain"
    chapter = rng.choice(D.ODG_CHAPTERS[key])
    topic = rng.choice(profile["odg"]) if profile["odg"] else ""
    r = rng.random()
    if r < 0.04:
        return "Official Disability Guidelines (ODG)."
    if r < 0.10:
        return f"Official Disability Guidelines (ODG) Chapter: {chapter} Section: {topic}."
    if r < 0.14 and era == "mtus2016":
        return (
            f"Official Disability Guidelines (ODG), Work Loss Data Institute (21th Annual Edition), "
            f"{decided.year - 1 if decided.month < 3 else decided.year}, {chapter} Chapter."
        )
    if r < 0.17 and era == "mtus2016":
        return f"ODG Guidelines, 14th Edition, {decided.year}, {chapter}."
    if r < 0.20:
        return f"Official Disability Guidelines, {decided.year}, Web Version, {topic}."
    prefix = rng.choice(
        (
            "Official Disability Guidelines (ODG), ",
            "Official Disability Guidelines (ODG) ",
            "Official Disability Guidelines (ODG) ",
            "ODG, ",
            "ODG guidelines, ",
            "Official Disability Guidelines: ",
            "Official Disability Guidelines, ",
            "Official Disability Guidelines - ",
        )
    )
    s = prefix + chapter
    if rng.random() < 0.2:
        u = date.fromordinal(decided.toordinal() - rng.randint(20, 70))
        s += f" (updated {u.month}/{u.day}/{u.year % 100:02d})"
    if topic and rng.random() < 0.75:
        s += rng.choice((", ", ", ", " - ", "/ ", " ")) + topic
    # A citation with no final period was seen.
    return s if rng.random() < 0.04 else s + "."


def _acoem(rng: random.Random, region: str) -> tuple[str, str | None]:
    pool = [c for c in D.ACOEM_CITATIONS if c[2] in (region, None)] or list(D.ACOEM_CITATIONS)
    text, page, _ = rng.choice(pool)
    return text, page


def _other(rng: random.Random, drug: str | None, decided: date) -> str:
    template = rng.choice(D.OTHER_CITATIONS)
    if "{drug}" in template.lower() and not drug:
        template = D.OTHER_CITATIONS[4]
    d = date.fromordinal(decided.toordinal() - rng.randint(1, 25))
    return template.format(
        Drug=(drug or "").capitalize(),
        drug=(drug or "").lower(),
        date=f"{d:%m/%d/%Y}",
    )


def _non_mtus(
    rng: random.Random,
    kind: str,
    era: str,
    profile: dict,
    region: str,
    drug: str | None,
    decided: date,
) -> tuple[str, list[str], list[str]]:
    """(free text, families, pages) of one Non-MTUS citation."""
    if kind == "odg":
        return _odg_text(rng, era, profile, region, decided), ["ODG"], []
    if kind == "acoem":
        text, page = _acoem(rng, region)
        return text, ["ACOEM"], [page] if page else []
    if kind == "odg+acoem":
        if rng.random() < 0.4:
            return "ACOEM guidelines and the Official Disability Guidelines.", ["ACOEM", "ODG"], []
        odg = _odg_text(rng, era, profile, region, decided).rstrip(".")
        text, page = _acoem(rng, region)
        return (
            f"{odg} and Other Medical Treatment Guidelines {text}",
            ["ODG", "ACOEM"],
            [page] if page else [],
        )
    return _other(rng, drug, decided), ["other"], []


def _non_mtus_sentence(rng: random.Random, free: str) -> str:
    if free.startswith("Official Disability Guidelines (ODG), ") and rng.random() < 0.03:
        # Seen once without "Citation".
        return f"Decision based on Non-MTUS {free}"
    return f"Decision based on Non-MTUS Citation {free}"


# ---------------------------------------------------------------------------------------
# Putting a line together
# ---------------------------------------------------------------------------------------

# Composition of a party's line (B4 tallies, letter-formats.md §1.5), used for every era.
CA_KINDS = (
    ("mtus", 37),
    ("mtus+odg", 24),
    ("odg", 18),
    ("none", 18),
    ("other", 1.0),
    ("acoem", 0.6),
    ("mtus+acoem", 0.3),
    ("odg+acoem", 0.4),
)
REVIEWER_KINDS = (
    ("mtus", 72),
    ("odg", 14),
    ("mtus+odg", 11),
    ("other", 1.0),
    ("mtus+other", 0.3),
    ("acoem", 0.5),
    ("mtus+acoem", 0.5),
    ("odg+acoem", 0.3),
)


def draw_kind(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    total = sum(w for _, w in table)
    x = rng.random() * total
    for k, w in table:
        x -= w
        if x < 0:
            return k
    return table[-1][0]


def build(
    rng: random.Random,
    era: str,
    party: str,
    kind: str,
    profile_name: str,
    region: str,
    drug: str | None,
    decided: date,
) -> Cite:
    """One party's guideline line of the given composition ``kind``."""
    if kind == "none":
        return no_evidence(party)
    profile = D.PROFILES[profile_name]
    cite = Cite("")
    sentences: list[str] = []
    has_mtus = kind.startswith("mtus")
    if has_mtus:
        if era == "pages":
            if profile["pages"]:
                s, page = _pages_sentence(rng, party, profile)
                sentences.append(s)
                cite.sources.append("MTUS")
                cite.chapters.append(D.CP_PAGES_CHAPTER)
                if page:
                    cite.pages.append(page)
            else:
                has_mtus = False
        else:
            parts = _mtus_parts(rng, era, party, profile, region)
            if parts:
                sentences.append(_mtus_sentence(rng, era, party, parts))
                cite.sources.append("MTUS")
                for ch, _ in parts:
                    if ch not in cite.chapters:
                        cite.chapters.append(ch)
            else:
                has_mtus = False
    rest = kind.split("+", 1)[1] if "+" in kind else (None if kind == "mtus" else kind)
    if kind == "mtus" and not has_mtus:
        rest = "odg"  # nothing in MTUS covers this item: cite ODG instead
    if rest:
        free, fams, pages = _non_mtus(rng, rest, era, profile, region, drug, decided)
        if not has_mtus:
            sentences.append(_preamble(era, party))
        sentences.append(_non_mtus_sentence(rng, free))
        for f in fams:
            if f not in cite.sources:
                cite.sources.append(f)
        cite.pages.extend(p for p in pages if p not in cite.pages)
    text = sentences[0]
    for s in sentences[1:]:
        text = _join(rng, text, s)
    cite.text = text
    return cite


def guideline_name(cite: Cite, era: str) -> str:
    """How a rationale names the guideline the reviewer relied on."""
    p = cite.primary
    if p == "MTUS":
        ch = cite.chapters[0] if cite.chapters else D.CP_PAGES_CHAPTER
        if ch.startswith("Chronic Pain"):
            return (
                "The MTUS Chronic Pain Medical Treatment Guidelines"
                if era != "mtus2016"
                else "The California MTUS 2016 Chronic Pain Guidelines"
            )
        if ch.startswith("Opioid"):
            return "The MTUS Opioid Treatment Guidelines"
        return "The California MTUS/ACOEM Guidelines"
    if p == "ODG":
        return "The Official Disability Guidelines"
    if p == "ACOEM":
        return "The ACOEM Guidelines"
    return "The referenced guidelines"
