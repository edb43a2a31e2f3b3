"""Treatment taxonomy: the rules in ``data/treatment_taxonomy.csv`` and the classifier using them.

The rules live in a CSV, not in code, so that an analyst can read why an item landed where it
did, extend the vocabulary without touching Python, and so that every database row can record
which version of the rules produced its category (``taxonomy_version``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from imr_analytics.vocab import _data
from imr_analytics.vocab._matcher import Matcher, fold
from imr_analytics.vocab._pattern import ANCILLARY_PREFIX

TAXONOMY_FILE = "treatment_taxonomy.csv"
VERSION_KEY = "taxonomy_version"
COLUMNS = ("rule_id", "priority", "item_category", "drug_class", "pattern", "note")

PHARMACEUTICALS = "Pharmaceuticals"
OTHER = "Other"

# In the order reports list them; "Other" last because every item there is a rule to write.
ITEM_CATEGORIES: tuple[str, ...] = (
    PHARMACEUTICALS,
    "Rehabilitation Services",
    "Diagnostic Tests",
    "DMEPOS",
    "Surgery",
    "Injections",
    "Evaluation and Management",
    "Behavioral and Mental Health",
    "Programs",
    "Home Health and Transportation",
    OTHER,
)

DRUG_CLASSES: tuple[str, ...] = (
    "opioid",
    "muscle relaxant",
    "topical analgesic",
    "compound",
    "NSAID",
    "anticonvulsant",
    "antidepressant",
    "sleep aid",
    "proton pump inhibitor",
    "anesthetic",
    "other",
)

# An ancillary item of a surgery is classified by what it is (a sling is DMEPOS), so the
# prefix that only says "this belongs to a surgery" is removed before matching.
_ANCILLARY_PREFIX = re.compile(ANCILLARY_PREFIX, re.I)

_CACHE_SIZE = 1 << 16


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the taxonomy CSV, compiled."""

    rule_id: str
    priority: int
    item_category: str
    drug_class: str | None
    pattern: str
    note: str
    line: int  # line in the CSV, for error messages and for "why was this classified so"

    @property
    def regex(self) -> re.Pattern[str]:
        """The pattern compiled (case-insensitive), from ``re``'s own cache after the first
        use: classifying goes through the matcher's index, so a process compiles no rule
        whole unless it asks for one."""
        return re.compile(self.pattern, re.IGNORECASE)


class Taxonomy:
    """An ordered, compiled rule set with a cached classifier.

    Each instance keeps its own cache so that an analyst's extended copy never serves results
    computed with the packaged rules.
    """

    def __init__(self, rules: tuple[Rule, ...], version: str, source: str) -> None:
        self.rules = rules
        self.version = version
        self.source = source
        self._matcher = Matcher([r.pattern for r in rules])
        self._cached: Callable[[str], tuple[str, str | None]] = lru_cache(maxsize=_CACHE_SIZE)(
            self._classify
        )

    def __repr__(self) -> str:
        return (
            f"Taxonomy(version={self.version!r}, rules={len(self.rules)}, source={self.source!r})"
        )

    def classify(self, disputed_text: str) -> tuple[str, str | None]:
        """(item_category, drug_class); ("Other", None) when no rule matches or not text.

        The type check comes before the cache because the cache needs a hashable key and the
        loader must never fail on a malformed item.
        """
        if not isinstance(disputed_text, str):
            return (OTHER, None)
        return self._cached(disputed_text)

    def match(self, disputed_text: str) -> Rule | None:
        """The rule that decides ``disputed_text``, or None: answers "why is this item here?"."""
        text = _prepare(disputed_text)
        if text is None:
            return None
        i = self._matcher.match_index(text)
        return None if i is None else self.rules[i]

    def match_slow(self, disputed_text: str) -> Rule | None:
        """Same answer as :meth:`match` by trying each rule in turn (the reference for tests)."""
        text = _prepare(disputed_text)
        if text is None:
            return None
        i = self._matcher.match_index_slow(text)
        return None if i is None else self.rules[i]

    def _classify(self, disputed_text: str) -> tuple[str, str | None]:
        rule = self.match(disputed_text)
        if rule is None:
            return (OTHER, None)
        return (rule.item_category, rule.drug_class)


def _prepare(disputed_text: str) -> str | None:
    if not isinstance(disputed_text, str):
        return None
    text = " ".join(disputed_text.split())
    # An item that is nothing but the prefix is classified on the full text.
    text = _ANCILLARY_PREFIX.sub("", text, count=1) or text
    return fold(text)


def load_taxonomy(path: str | Path | None = None, *, check_patterns: bool = True) -> Taxonomy:
    """Load and validate a taxonomy CSV (the packaged one when ``path`` is None).

    Every invalid row is reported at once, with its line, so that an analyst extending the
    file can fix it in one pass rather than one error per run. ``check_patterns=False``
    skips compiling each pattern whole to check it; ``default_taxonomy`` passes it for the
    packaged file, which the tests check, because those compiles were a sixth of a loader
    worker's start-up and the matcher compiles the pieces it needs anyway.
    """
    source = Path(path) if path is not None else _data.data_path(TAXONOMY_FILE)
    try:
        text = _data.read_text(source)
    except OSError as exc:
        raise ValueError(f"cannot read taxonomy file {source}: {exc}") from exc
    missing = [c for c in COLUMNS if c not in _data.columns(text)]
    if missing:
        raise ValueError(
            f"{source}: the header row lacks column(s) {', '.join(missing)}; "
            f"expected {', '.join(COLUMNS)}"
        )
    version = _data.versions(text).get(VERSION_KEY) or _data.unversioned(text)

    rules: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for line, row in _data.rows(text):
        problems = _row_problems(row, seen)
        # remembered even when the row is invalid, so a later copy of its id is reported too
        seen.setdefault(row.get("rule_id", ""), line)
        if not problems and check_patterns and (bad := _data.pattern_problem(row["pattern"])):
            problems.append(bad)
        if problems:
            errors.append(f"line {line} (rule_id {row.get('rule_id')!r}): " + "; ".join(problems))
            continue
        rules.append(
            Rule(
                rule_id=row["rule_id"],
                priority=int(row["priority"]),
                item_category=row["item_category"],
                drug_class=row["drug_class"] or None,
                pattern=row["pattern"],
                note=row.get("note", ""),
                line=line,
            )
        )
    if errors:
        raise ValueError(f"invalid taxonomy rows in {source}:\n  " + "\n  ".join(errors))
    if not rules:
        raise ValueError(f"{source}: no rules found")
    # sorted() is stable, so rules with equal priority keep their order in the file.
    ordered = tuple(sorted(rules, key=lambda r: r.priority))
    return Taxonomy(ordered, version, str(source))


def _row_problems(row: dict[str, str], seen: dict[str, int]) -> list[str]:
    problems: list[str] = []
    rule_id = row.get("rule_id", "")
    if not rule_id:
        problems.append("rule_id is empty")
    elif rule_id in seen:
        problems.append(f"rule_id repeats the one on line {seen[rule_id]}")
    try:
        int(row.get("priority", ""))
    except ValueError:
        problems.append(f"priority {row.get('priority')!r} is not an integer")
    category = row.get("item_category", "")
    drug_class = row.get("drug_class", "")
    if category not in ITEM_CATEGORIES:
        problems.append(
            f"unknown item_category {category!r} (allowed: {', '.join(ITEM_CATEGORIES)})"
        )
    elif category == PHARMACEUTICALS:
        if not drug_class:
            problems.append("a Pharmaceuticals rule needs a drug_class")
        elif drug_class not in DRUG_CLASSES:
            problems.append(
                f"unknown drug_class {drug_class!r} (allowed: {', '.join(DRUG_CLASSES)})"
            )
    elif drug_class:
        problems.append(
            f"drug_class {drug_class!r} set on a {category} rule; drug_class is for Pharmaceuticals only"
        )
    if not row.get("pattern"):
        problems.append("pattern is empty")
    return problems


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    """The packaged rules, read once per process on first use (not at import); their
    patterns are checked by the tests, not compiled whole again here."""
    return load_taxonomy(check_patterns=False)


def packaged_version() -> str:
    return _data.header_version(_data.data_path(TAXONOMY_FILE), VERSION_KEY)


def classify_item(disputed_text: str) -> tuple[str, str | None]:
    """(item_category, drug_class) for a disputed item, by the packaged rules."""
    return default_taxonomy().classify(disputed_text)
