"""normalize_text as it was first defined: regex passes only, no fast paths.

Two test modules hold ``normalize_text`` and its shortcuts to this reference, so it is written
once. ``_SPACES`` is spelled out here, not taken from the module under test, so that a change
to the module's whitespace class shows up as a difference.
"""

from __future__ import annotations

import re

from imr_analytics.parse import normalize as N

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u3000]+")


def normalize_reference(raw: str) -> str:
    text = N._INVISIBLE_RE.sub("", raw).replace("\ufffe", "-").replace("\r\n", "\n")
    text = N._BREAKS_RE.sub("\n", text)
    text = N._MD_EMPHASIS.sub("", N._HTML_BOLD.sub("", text))
    lines = _SPACES.sub(" ", text).split("\n")
    if "|" in text or "#" in text or "\\" in text:
        lines = [N._markdown_line(line) for line in lines]
    out = [line for line in map(str.strip, lines) if line]
    if out and out[0].startswith(N.SYNTHETIC_MARKER):
        out.pop(0)
    return "\n".join(out)
