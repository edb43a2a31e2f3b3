"""First-match-by-priority over many regexes, fast enough for the loader's hot path.

Trying ~50 rules one by one costs ~120 µs per item: each rule is a long alternation of drug
and procedure names, and every branch is tried at every position of the text. But almost every
alternative starts at a word boundary with a literal word prefix (``\\bhydrocod\\w*``), so the
alternatives are indexed by their first (up to three) letters, and for each word of the text
only the few alternatives whose prefix it starts with are tried, anchored at that word. The
other alternatives (mid-word or non-literal starts) are scanned per rule, and only while their
rule could still beat the best match found so far.

Whether *some* alternative of a rule matches does not depend on how the alternatives are
grouped, so the result is the same as trying each rule in turn; ``match_index_slow`` is that
plain definition, kept so that tests can check the two agree. A rule whose pattern cannot be
split safely (named groups, backreferences, global inline flags) is scanned whole.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

# Characters that re.IGNORECASE treats as equal to an ASCII letter besides its other case
# (found by brute force over all code points): folded with the ASCII capitals so that the
# lowercase prefixes used as index keys find every word the case-insensitive rule would.
_ASCII_FOLD = str.maketrans(
    {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
    | {chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}
)

_QUANTIFIERS = ("?", "*", "+", "{")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_KEY_LEN = 3
_WORD = re.compile(r"\w+")
_TOKEN_CACHE = 1 << 15


# Characters whose case folding under re.IGNORECASE differs from str.lower() (dotted and
# dotless i, long s, Kelvin sign).
_FOLD_TRAPS = ("\u0130", "\u0131", "\u017f", "\u212a")


def folds_apart(text: str) -> bool:
    """Whether ``text`` holds a character that re.IGNORECASE matches differently from
    ``str.lower()``: then no shortcut that tests lower-cased words (a gate, a plain
    substring search) may stand in for the regex, and the text is searched the plain way."""
    return not text.isascii() and any(c in text for c in _FOLD_TRAPS)


def fold(text: str) -> str:
    """Lower ASCII letters (and the few characters that fold onto them); leave the rest."""
    return text.translate(_ASCII_FOLD)


class Matcher:
    """Finds the index of the first pattern (in the given order) that matches a text.

    Patterns are not all compiled up front: one that is not a valid regular expression
    may raise ``re.error`` only when a text first reaches it. The loaders check every
    pattern of a file they are given (``load_taxonomy``, ``load_lexicons``), and a test
    checks the packaged ones."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = tuple(patterns)
        self._n = len(patterns)
        # word prefix -> [(pattern index, source of the regex matched at a word start)], by
        # pattern index. A source is compiled the first time a word of a text has its prefix:
        # the vocabularies split into about 2,000 of them, and compiling all of them cost each
        # worker process a third of a second before its first letter, while a corpus's words
        # reach a few hundred.
        self._index: dict[str, list[tuple[int, str]] | tuple] = {}
        self._compiled: dict[str, re.Pattern[str]] = {}
        # (pattern index, regex searched anywhere), by pattern index
        self._scans: list[tuple[int, re.Pattern[str]]] = []
        self._key_lengths: list[int] = []
        self._by_token: dict[str, tuple[tuple[int, re.Pattern[str]], ...]] = {}
        try:
            self._build(patterns)
        except (re.error, RecursionError, OverflowError):
            self._scan_whole()

    @functools.cached_property
    def _singles(self) -> list[re.Pattern[str]]:
        """Every pattern compiled whole: for the plain definition and the fallback only, so
        compiled when first needed (compiling the ~240 vocabulary patterns whole cost each
        loader worker about a tenth of a second before its first letter)."""
        return [re.compile(p, re.IGNORECASE) for p in self._patterns]

    def _scan_whole(self) -> None:
        """A pattern the splitting mishandles (found when it is split, or when a piece is
        first compiled) must not break loading: fall back to the plain scan of every pattern,
        which is slower but gives the same results. Matches found through the index before
        are right: each indexed piece matches only where its whole pattern does."""
        # The scans first: a thread matching meanwhile that still sees the index then scans
        # every pattern too, never a partial list.
        self._scans = list(enumerate(self._singles))
        self._index = {}
        self._key_lengths = []
        self._by_token = {}

    def _build(self, patterns: Sequence[str]) -> None:
        for i, pattern in enumerate(patterns):
            if _not_splittable(pattern):
                self._scans.append((i, re.compile(pattern, re.IGNORECASE)))
                continue
            keyed: dict[str, list[str]] = {}
            rest: list[str] = []
            for alt in _expand(pattern):
                key = _word_key(alt)
                if key:
                    keyed.setdefault(key, []).append(alt[2:])  # the boundary is the word start
                else:
                    rest.append(alt)
            for key, alts in keyed.items():
                self._index.setdefault(key, []).append((i, "|".join(alts)))
            if rest:
                self._scans.append((i, re.compile("|".join(rest), re.IGNORECASE)))
        self._key_lengths = sorted({len(k) for k in self._index})
        self._index = {k: tuple(v) for k, v in self._index.items()}  # type: ignore[misc]

    def _candidates(self, token: str) -> tuple[tuple[int, re.Pattern[str]], ...]:
        """Every indexed alternative a word can start: those of each of the word's prefixes. The same few thousand words make up most item texts, so the
        lists are kept (up to a bound) rather than gathered from the index per word."""
        found = self._by_token.get(token)
        if found is None:
            index = self._index
            compiled = self._compiled
            found = ()
            for key in dict.fromkeys(token[:n] for n in self._key_lengths):
                for i, source in index.get(key, ()):
                    rx = compiled.get(source)
                    if rx is None:
                        try:
                            rx = compiled[source] = re.compile(source, re.IGNORECASE)
                        except (re.error, RecursionError, OverflowError):
                            self._scan_whole()
                            return ()
                    found += ((i, rx),)
            if len(self._by_token) >= _TOKEN_CACHE:
                self._by_token.clear()
            self._by_token[token] = found
        return found

    def match_index(self, text: str) -> int | None:
        """Index of the first matching pattern; ``text`` must already be :func:`fold`-ed."""
        best = self._n
        candidates = self._candidates
        for word in _WORD.finditer(text):
            start = word.start()
            # each prefix's alternatives are in rule order, one prefix after another: an
            # alternative is tried only while its rule could still beat the best match
            for i, rx in candidates(word.group()):
                if i < best and rx.match(text, start):
                    best = i
        for i, rx in self._scans:
            if i >= best:
                break
            if rx.search(text):
                best = i
                break
        return best if best < self._n else None

    def match_index_slow(self, text: str) -> int | None:
        """The definition ``match_index`` must agree with: try each pattern in order."""
        for i, rx in enumerate(self._singles):
            if rx.search(text):
                return i
        return None


def _word_key(alt: str) -> str:
    """The index key of an alternative: its literal prefix (up to 3 chars) after a leading \\b.

    Empty when the alternative does not start at a word boundary with a literal letter/digit
    (such alternatives are scanned instead).
    """
    if not alt.startswith(r"\b"):
        return ""
    key = []
    body = alt[2:]
    for pos, c in enumerate(body):
        lower = c.lower()
        if lower not in _KEY_CHARS or not c.isascii():
            break
        nxt = body[pos + 1 : pos + 2]
        if nxt in ("?", "*", "{"):
            break  # this character may be absent
        key.append(lower)
        if nxt == "+" or len(key) == _KEY_LEN:
            break
    return "".join(key)


def _not_splittable(pattern: str) -> bool:
    """Patterns whose pieces cannot be copied into a bigger regex without changing meaning."""
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not in_class and (nxt.isdigit() or nxt == "g"):
                return True  # backreference
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif c == "(":
            after = pattern[i + 1 : i + 4]
            if not after.startswith("?") or after.startswith("?P"):
                return True  # capturing group, named group or named backreference
            if after[1:2].isalpha() and ":" not in pattern[i : pattern.find(")", i) + 1]:
                return True  # global inline flags such as (?x)
        i += 1
    return False


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Yield (index, char, depth) for each character of ``pattern`` from ``start`` that is
    regex structure: outside escapes and character classes. ``depth`` is the group depth
    after the character (a ``(`` counts in, a ``)`` counts out)."""
    depth = 0
    in_class = False
    i = start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        else:
            depth += (c == "(") - (c == ")")
            yield i, c, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """Split a regex on its top-level ``|`` (outside groups and character classes)."""
    cuts = [i for i, c, depth in _structure(pattern) if c == "|" and depth == 0]
    bounds = [-1, *cuts, len(pattern)]
    return [pattern[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _closing(pattern: str, open_at: int) -> int:
    """Index of the ``)`` closing the group opened at ``open_at``, or -1."""
    return next((i for i, c, depth in _structure(pattern, open_at) if c == ")" and depth == 0), -1)


def _expand(pattern: str, depth: int = 0) -> list[str]:
    """Top-level alternatives, with a leading non-capturing group distributed.

    ``\\b(?:lumbar|back)\\s+brace`` becomes ``\\blumbar\\s+brace`` and ``\\bback\\s+brace`` so
    that each gets a first letter; a group followed by a quantifier is left whole.
    """
    out: list[str] = []
    for alt in _split_top(pattern):
        boundary = r"\b" if alt.startswith(r"\b") else ""
        rest = alt[len(boundary) :]
        if depth < 4 and rest.startswith("(?:"):
            end = _closing(rest, 0)
            after = rest[end + 1 : end + 2] if end > 0 else "?"
            if end > 0 and after not in _QUANTIFIERS:
                inner, suffix = rest[3:end], rest[end + 1 :]
                for piece in _split_top(inner):
                    # \b\b is \b: drop the outer one so the piece keeps a literal first letter
                    lead = "" if piece.startswith(r"\b") else boundary
                    out.extend(_expand(lead + piece + suffix, depth + 1))
                continue
        out.append(alt)
    return out
