"""Reading the vocabulary CSVs shipped in ``vocab/data``.

The CSVs carry their version in a ``# <name>_version: <value>`` comment so that the version
travels with the file an analyst copies and extends, instead of living in code that can drift
from the data it describes.
"""

from __future__ import annotations

import csv
import hashlib
import re
from importlib import resources
from pathlib import Path

_VERSION_LINE = re.compile(r"^#\s*([a-z_]+_version)\s*:\s*(\S.*?)\s*$")


def data_path(name: str) -> Path:
    """Path of a packaged data file (works for editable and wheel installs alike)."""
    return Path(str(resources.files("imr_analytics.vocab") / "data" / name))


def read_text(path: str | Path) -> str:
    # utf-8-sig: a CSV saved from a spreadsheet program often starts with a BOM.
    return Path(path).read_text(encoding="utf-8-sig")


def versions(text: str) -> dict[str, str]:
    """The ``*_version`` values declared in the leading comment lines."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _VERSION_LINE.match(line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def header_version(path: str | Path, key: str) -> str:
    """Read only the version of a file, so importing the package does not parse all rules."""
    text = read_text(path)
    return versions(text).get(key) or unversioned(text)


def unversioned(text: str) -> str:
    """A stable stand-in version for a file that declares none, so loads stay traceable."""
    return "unversioned-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """CSV rows as dicts with their 1-based line number in the file, comment lines skipped.

    Line numbers are kept so that validation errors can point an analyst at the exact line.
    """
    kept = [
        (i + 1, line)
        for i, line in enumerate(text.splitlines())
        if line.strip() and not line.startswith("#")
    ]
    reader = csv.reader(line for _, line in kept)
    header: list[str] | None = None
    out: list[tuple[int, dict[str, str]]] = []
    start = 0
    for record in reader:
        lineno = kept[start][0]
        start = reader.line_num
        if header is None:
            header = [h.strip() for h in record]
            continue
        values = [v.strip() for v in record]
        values += [""] * (len(header) - len(values))
        out.append((lineno, dict(zip(header, values, strict=False))))
    return out


def columns(text: str) -> list[str]:
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            return [h.strip() for h in next(csv.reader([line]))]
    return []


def pattern_problem(pattern: str) -> str | None:
    """Why a rule's pattern is not a valid regular expression (compiled case-insensitively,
    as the matchers use it), or None. One wording for every vocabulary file."""
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"pattern is not a valid regular expression ({exc})"
    return None
