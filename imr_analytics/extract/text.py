"""Plain text and markdown files, in whatever encoding they were saved."""

from __future__ import annotations

import codecs

# C0 control bytes other than tab, line feed, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
# The same as ints: looking for each (``int in bytes`` is a memchr; a one-byte ``bytes`` would
# first fail as an int, raising and clearing a TypeError) costs a fifth of deleting them all
# with translate, which text files, nearly all of them without one, would pay per file.
_CONTROL_EACH = tuple(_CONTROL_BYTES)


def extract_text(data: bytes) -> str:
    """Decode text bytes: a BOM decides, else UTF-8, else Windows-1252.

    Binary content (NUL bytes, or mostly control characters) is refused rather than
    decoded into noise that would then be reported as an unknown layout.
    """
    from . import ExtractionError

    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ExtractionError(
                    f"starts with a {encoding} byte-order mark but does not decode: {exc}"
                ) from None
    sample = data[:8192]
    if b"\x00" in sample:
        raise ExtractionError("binary file, not text (contains NUL bytes)")
    controls = (
        len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if any(c in sample for c in _CONTROL_EACH)
        else 0
    )
    if sample and controls / len(sample) > 0.05:
        raise ExtractionError("binary file, not text (mostly control characters)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
