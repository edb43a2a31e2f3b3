"""The naming lexicons: drugs -> generic ingredients, words -> body regions, modality rules.

Three CSVs in ``vocab/data`` (``drug_lexicon.csv``, ``body_regions.csv``, ``treatments.csv``), read
once per process and compiled into a few regular expressions, so that the loader's hot path runs
one search per lexicon instead of one per entry. Like the taxonomy they are data an analyst can read
and extend; they carry the taxonomy's version, because together they decide what an item *is*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from imr_analytics.vocab import _data
from imr_analytics.vocab._matcher import Matcher

DRUG_FILE = "drug_lexicon.csv"
REGION_FILE = "body_regions.csv"
TREATMENT_FILE = "treatments.csv"
VERSION_KEY = "taxonomy_version"

ROUTES: tuple[str, ...] = ("oral", "topical", "injection", "other")
DRUG_KINDS: tuple[str, ...] = (
    "generic",
    "brand",
    "abbreviation",
    "misspelling",
    "kit",
    "medical food",
)
# Kinds whose route is the product's own (a Lidoderm is a patch whatever the text says next to
# it); the route of a generic name is only that ingredient's usual route.
PRODUCT_KINDS = frozenset({"brand", "kit", "medical food"})

# The fixed list of ../shared/docs/treatment-names.md, in its order.
BODY_REGIONS: tuple[str, ...] = (
    "head",
    "cervical spine",
    "thoracic spine",
    "lumbar spine",
    "sacroiliac/pelvis",
    "shoulder",
    "elbow",
    "wrist/hand",
    "hip",
    "knee",
    "ankle/foot",
    "chest",
    "abdomen",
    "upper extremity",
    "lower extremity",
)

# What separates ingredients and the route in a `treatment`; no ingredient may contain them.
INGREDIENT_JOIN = " / "
ROUTE_JOIN = " · "


@dataclass(frozen=True, slots=True)
class DrugEntry:
    name: str
    ingredients: tuple[str, ...]  # sorted
    route: str | None
    kind: str
    line: int


@dataclass(frozen=True, slots=True)
class TreatmentRule:
    treatment: str
    priority: int
    pattern: str
    evaluation: str | None
    line: int


class _Names:
    """Many literal names compiled into one trie-shaped regex; a match maps back to its entry."""

    def __init__(self, names: dict[str, object]) -> None:
        self._by_key = {_key(n): v for n, v in names.items()}
        body = _trie_regex([_units(n) for n in names])
        # A trailing plural is allowed; names never end inside a word.
        # Digits may touch a name ("Norco10/325" in a squeezed extraction); letters may not, and
        # a name ending in a digit ("Tylenol #3") may not run on into more digits ("#30").
        self.regex = re.compile(
            rf"(?<![a-z0-9#])(?:{body})(?:e?s)?(?![a-z])(?!(?<=\d)\d)", re.IGNORECASE
        )

    def find(self, text: str) -> list[object]:
        out = []
        for m in self.regex.finditer(text):
            found = self._lookup(m.group(0))
            if found is not None:
                out.append(found)
        return out

    def spans(self, text: str) -> list[tuple[int, int, object]]:
        out = []
        for m in self.regex.finditer(text):
            found = self._lookup(m.group(0))
            if found is not None:
                out.append((m.start(), m.end(), found))
        return out

    def _lookup(self, matched: str) -> object | None:
        key = _key(matched)
        if key in self._by_key:
            return self._by_key[key]
        for suffix in ("es", "s"):  # the plural the regex allows
            if key.endswith(suffix) and key[: -len(suffix)] in self._by_key:
                return self._by_key[key[: -len(suffix)]]
        return None


def _key(name: str) -> str:
    """A name's lookup key: lower case, spaces and hyphens removed (they are optional in text)."""
    return re.sub(r"[\s\-]+", "", name.lower())


def _units(name: str) -> list[str]:
    """A name as regex units: a space matches any run of spaces/hyphens, a hyphen an optional one."""
    out: list[str] = []
    for c in name.lower():
        if c == " ":
            out.append(r"[\s\-]*")
        elif c == "-":
            out.append(r"[\s\-]?")
        else:
            out.append(re.escape(c))
    return out


def _trie_regex(words: list[list[str]]) -> str:
    """One regex for many unit sequences, sharing prefixes (Python's re does not build a trie)."""
    trie: dict = {}
    for units in words:
        node = trie
        for u in units:
            node = node.setdefault(u, {})
        node[""] = {}

    def render(node: dict) -> str:
        ends = "" in node
        branches = [u + render(child) for u, child in sorted(node.items()) if u != ""]
        if not branches:
            return ""
        # longest first at each place: a branch that goes on is tried before the end here
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            body = "(?:" + body + ")?"
        return body

    return render(trie)


@dataclass(frozen=True)
class Lexicons:
    """The three naming lexicons, compiled."""

    version: str
    drugs: tuple[DrugEntry, ...]
    regions: dict[str, tuple[str, ...]]
    treatments: tuple[TreatmentRule, ...]

    @property
    def drug_names(self) -> _Names:
        return _compiled(self)[0]

    @property
    def region_names(self) -> _Names:
        return _compiled(self)[1]

    @property
    def treatment_matcher(self) -> Matcher:
        return _compiled(self)[2]

    # Identity, as object's own slots give it: a Lexicons is a key of the naming caches, which
    # hash it on every item, and a Python-level __hash__ would be a call each time.
    __hash__ = object.__hash__
    __eq__ = object.__eq__


_COMPILED: dict[int, tuple[_Names, _Names, Matcher]] = {}


def _compiled(lex: Lexicons) -> tuple[_Names, _Names, Matcher]:
    got = _COMPILED.get(id(lex))
    if got is None:
        got = (
            _Names({d.name: d for d in lex.drugs}),
            _Names(dict(lex.regions)),
            Matcher([r.pattern for r in lex.treatments]),
        )
        _COMPILED[id(lex)] = got
    return got


def _read(path: Path, columns: tuple[str, ...]) -> tuple[str, list[tuple[int, dict[str, str]]]]:
    try:
        text = _data.read_text(path)
    except OSError as exc:
        raise ValueError(f"cannot read lexicon file {path}: {exc}") from exc
    missing = [c for c in columns if c not in _data.columns(text)]
    if missing:
        raise ValueError(
            f"{path}: the header row lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )
    version = _data.versions(text).get(VERSION_KEY) or _data.unversioned(text)
    return version, _data.rows(text)


def load_lexicons(
    drugs: str | Path | None = None,
    regions: str | Path | None = None,
    treatments: str | Path | None = None,
    *,
    check_patterns: bool = True,
) -> Lexicons:
    """Load and validate the three lexicons (the packaged ones by default).

    Every invalid row is reported at once, with its file and line. The files must declare the same
    version: they are extended together, and the loader records one version for all of them.
    ``check_patterns=False`` skips compiling each treatment pattern whole to check it (see
    ``load_taxonomy``: ``default_lexicons`` passes it for the packaged files).
    """
    paths = [
        Path(p) if p is not None else _data.data_path(f)
        for p, f in ((drugs, DRUG_FILE), (regions, REGION_FILE), (treatments, TREATMENT_FILE))
    ]
    errors: list[str] = []
    v1, drug_rows = _read(paths[0], ("name", "ingredients", "route", "kind"))
    v2, region_rows = _read(paths[1], ("term", "regions"))
    v3, treatment_rows = _read(paths[2], ("treatment", "priority", "pattern", "evaluation"))
    if len({v1, v2, v3}) != 1:
        errors.append(
            f"the lexicons declare different versions ({paths[0].name} {v1}, {paths[1].name} {v2}, "
            f"{paths[2].name} {v3}); bump them together"
        )

    entries: list[DrugEntry] = []
    seen: dict[str, int] = {}
    for line, row in drug_rows:
        name = " ".join(row["name"].lower().split())
        ingredients = tuple(
            sorted({i.strip().lower() for i in row["ingredients"].split("+")} - {""})
        )
        problems = []
        if not name:
            problems.append("name is empty")
        elif _key(name) in seen:
            problems.append(f"name repeats the one on line {seen[_key(name)]}")
        if not ingredients:
            problems.append("ingredients is empty")
        for i in ingredients:
            if INGREDIENT_JOIN.strip() in i or ROUTE_JOIN.strip() in i or "," in i:
                problems.append(f"ingredient {i!r} contains a separator")
        route = row["route"].strip().lower() or None
        if route is not None and route not in ROUTES:
            problems.append(f"route {route!r} is not one of {', '.join(ROUTES)}")
        kind = row["kind"].strip().lower()
        if kind not in DRUG_KINDS:
            problems.append(f"kind {kind!r} is not one of {', '.join(DRUG_KINDS)}")
        seen.setdefault(_key(name), line)
        if problems:
            errors.append(f"{paths[0].name} line {line} ({name!r}): " + "; ".join(problems))
            continue
        entries.append(DrugEntry(name, ingredients, route, kind, line))

    region_map: dict[str, tuple[str, ...]] = {}
    region_keys: set[str] = set()
    for line, row in region_rows:
        term = " ".join(row["term"].lower().split())
        regs = tuple(r.strip() for r in row["regions"].split("+") if r.strip())
        bad = [r for r in regs if r not in BODY_REGIONS]
        if not term or not regs or bad:
            errors.append(
                f"{paths[1].name} line {line} ({term!r}): "
                + (
                    "unknown region(s) " + ", ".join(map(repr, bad))
                    if bad
                    else "term or regions empty"
                )
            )
            continue
        key = _key(term)
        if key in region_keys:
            errors.append(f"{paths[1].name} line {line} ({term!r}): term repeats an earlier one")
            continue
        region_keys.add(key)
        region_map[term] = tuple(r for r in BODY_REGIONS if r in regs)

    rules: list[TreatmentRule] = []
    for line, row in treatment_rows:
        problems = []
        name = row["treatment"].strip()
        if not name or name != name.lower():
            problems.append("treatment must be non-empty lower case")
        if ROUTE_JOIN.strip() in name:
            problems.append(f"treatment contains the route separator {ROUTE_JOIN.strip()!r}")
        try:
            priority = int(row["priority"])
        except ValueError:
            problems.append(f"priority {row['priority']!r} is not an integer")
            priority = 0
        if check_patterns and (bad := _data.pattern_problem(row["pattern"])):
            problems.append(bad)
        if not row["pattern"]:
            problems.append("pattern is empty")
        evaluation = row["evaluation"].strip()
        if evaluation and (
            evaluation != evaluation.lower() or re.search(r"[\\()\[\]{}|?*+^$]", evaluation)
        ):
            problems.append(
                "evaluation is not a lower-case name (a pattern with a comma must be in double quotes)"
            )
        if problems:
            errors.append(f"{paths[2].name} line {line} ({name!r}): " + "; ".join(problems))
            continue
        rules.append(
            TreatmentRule(name, priority, row["pattern"], row["evaluation"].strip() or None, line)
        )
    if errors:
        raise ValueError("invalid lexicon rows:\n  " + "\n  ".join(errors))
    ordered = tuple(sorted(rules, key=lambda r: r.priority))
    return Lexicons(v1, tuple(entries), region_map, ordered)


@lru_cache(maxsize=1)
def default_lexicons() -> Lexicons:
    """The packaged lexicons, read once per process on first use (not at import); their
    patterns are checked by the tests, not compiled whole again here."""
    return load_lexicons(check_patterns=False)


def packaged_lexicon_version() -> str:
    return _data.header_version(_data.data_path(DRUG_FILE), VERSION_KEY)


def is_unknown_drug(
    ingredients: list[str] | tuple[str, ...], lexicons: Lexicons | None = None
) -> bool:
    """Whether an item's ingredients include one no lexicon entry gives: a drug kept under its
    cleaned name, to be added to the lexicon."""
    known = _known_ingredients(lexicons or default_lexicons())
    return any(i not in known for i in ingredients)


@lru_cache(maxsize=4)
def _known_ingredients(lex: Lexicons) -> frozenset[str]:
    return frozenset(i for d in lex.drugs for i in d.ingredients)
