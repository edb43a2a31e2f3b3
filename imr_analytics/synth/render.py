"""Turn layout blocks into the text an extraction tool would have produced.

Styles imitate what each tool really does to these PDFs (``letter-formats.md`` §1.1, §5,
and the pypdfium2 texts of the real letters):

``pdfium``            CRLF; wrapped lines keep a trailing space; ``\\f`` replaces the line
                      end at a page break; a line ending in a hyphen before a letter is
                      joined to the next line with U+FFFE (``x\\ufffe ray``); header table as
                      ``Priority: Standard Application `` / ``Received: `` / ``11/14/2016``.
``pdftotext_raw``     LF, no trailing spaces, each page ends ``\\n\\f``; header as pdfium.
``pdftotext_default`` as raw, blank line between blocks; header label column first, then the
                      value column, pair by pair.
``pdftotext_layout``  as default; header in aligned columns, ``Application``/``Received:``
                      on two lines.
``seed_double_spaced`` every line followed by an empty line, trailing space on every line,
                      leading space on headings, whitespace-only lines between sections, no
                      header table (dropped as in the seeds), page breaks as extra empty lines.
``markdown``          no hard wraps; ``###`` headings; header as a markdown table with
                      ``<b>`` labels; bold labels and bold item names.
``itextsharp``        CRLF, trailing space on every line, leading space before ``Case
                      Number:``, two spaces after ``UR Denial Date:``, no form feeds.
"""

from __future__ import annotations

import random

STYLES: tuple[str, ...] = (
    "pdfium",
    "pdftotext_raw",
    "pdftotext_default",
    "pdftotext_layout",
    "seed_double_spaced",
    "markdown",
    "itextsharp",
)

END, WRAP, HYPH = 0, 1, 2

# Line tags.
T_MARKER, T_HEADER, T_HEADING, T_BODY, T_BLANK, T_ITEM, T_ITEM_CONT, T_DECISIONS = range(8)

_DECISION_HEADINGS = (
    "IMR ISSUES, DECISIONS AND RATIONALES",
    "IMR DECISION(S) AND RATIONALE(S)",
    "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",
)


# ---------------------------------------------------------------------------------------
# Wrapping
# ---------------------------------------------------------------------------------------


def wrap(
    text: str,
    width: int,
    rng: random.Random | None = None,
    split_words_p: float = 0.0,
    hyphen_breaks: bool = True,
    split_span: tuple[int, int] = (0, 1 << 30),
) -> list[tuple[str, int]]:
    """Greedy hard wrap: [(line, end)], end = END | WRAP (at a space) | HYPH (line ends '-').

    Word processors break after hyphens, so with ``hyphen_breaks`` a hyphenated token may be
    split after one of its hyphens. ``split_words_p`` occasionally splits a long plain word
    with an added hyphen (``Guide-``/``lines``), as real rationales show; only prose uses it,
    because it changes the text a naive join would give back, and only inside
    ``split_span`` (character offsets) so that sentences carrying a truth value (the patient
    sentence, a conclusion the decision is read from) are never split.
    """
    out: list[tuple[str, int]] = []
    n = len(text)
    lo, hi = split_span
    pos = 0
    while pos < n:
        while pos < n and text[pos] == " ":
            pos += 1
        if n - pos <= width:
            if pos < n:
                out.append((text[pos:].rstrip(), END))
            break
        limit = pos + width
        sp = text.rfind(" ", pos, limit + 1)  # break at a space: line = text[pos:sp]
        if hyphen_breaks:
            hy = text.rfind("-", pos + 1, limit)  # break after a hyphen: line = text[pos:hy + 1]
            if hy > sp + 1 and text[hy - 1] != " " and hy + 1 < n and text[hy + 1] not in " -":
                out.append((text[pos : hy + 1], HYPH))
                pos = hy + 1
                continue
        if sp <= pos:  # one token longer than the line: it overflows
            nxt = text.find(" ", pos)
            nxt = n if nxt < 0 else nxt
            out.append((text[pos:nxt], END if nxt >= n else WRAP))
            pos = nxt
            continue
        if split_words_p and rng is not None:
            start = sp + 1
            nxt = text.find(" ", start)
            nxt = n if nxt < 0 else nxt
            lw, room = nxt - start, limit - start
            if (
                lw >= 8
                and room >= 5
                and lo <= start
                and nxt <= hi
                and text[start:nxt].isalpha()
                and rng.random() < split_words_p
            ):
                k = min(room - 1, lw - 3)
                out.append((text[pos : start + k] + "-", HYPH))
                pos = start + k
                continue
        out.append((text[pos:sp].rstrip(), WRAP))
        pos = sp + 1
    if out and out[-1][1] == WRAP and not text[pos:].strip():
        out[-1] = (out[-1][0], END)
    return out


# ---------------------------------------------------------------------------------------
# Header table per style
# ---------------------------------------------------------------------------------------


def _hdr_values(spec) -> dict[str, str]:
    return {
        "cn": spec.case_number,
        "as": f"{spec.date_assigned:%m/%d/%Y}",
        "inj": f"{spec.injury_date:%m/%d/%Y}",
        "dd": f"{spec.decision_date:%m/%d/%Y}",
        "ur": f"{spec.ur_denial_date:%m/%d/%Y}",
        "rc": f"{spec.application_received:%m/%d/%Y}",
        "pr": spec.priority.capitalize(),
    }


def header_lines(spec, style: str, c_layout: bool) -> list[str]:
    v = _hdr_values(spec)
    ur_sp = "  " if c_layout or style == "itextsharp" else " "
    if style == "pdfium":
        return [
            f"Case Number: {v['cn']}",
            f"Date Assigned: {v['as']} Date of Injury: {v['inj']}",
            f"Decision Date: {v['dd']} UR Denial Date:{ur_sp}{v['ur']}",
            f"Priority: {v['pr']} Application ",
            "Received: ",
            v["rc"],
        ]
    if style == "pdftotext_raw":
        return [
            f"Case Number: {v['cn']}",
            f"Date Assigned: {v['as']} Date of Injury: {v['inj']}",
            f"Decision Date: {v['dd']} UR Denial Date:{ur_sp}{v['ur']}",
            f"Priority: {v['pr']} Application",
            "Received:",
            v["rc"],
        ]
    if style == "itextsharp":
        return [
            f" Case Number: {v['cn']}",
            f"Date Assigned: {v['as']} Date of Injury: {v['inj']}",
            f"Decision Date: {v['dd']} UR Denial Date:  {v['ur']}",
            f"Priority: {v['pr']} Application Received: {v['rc']}",
        ]
    if style == "pdftotext_default":
        return [
            "Case Number:",
            "Date Assigned:",
            "Decision Date:",
            "Priority:",
            "",
            v["cn"],
            v["as"],
            v["dd"],
            v["pr"],
            "",
            "Date of Injury:",
            "UR Denial Date:",
            "Application",
            "Received:",
            "",
            v["inj"],
            v["ur"],
            v["rc"],
        ]
    if style == "pdf":  # table rows for pdf.py: cells split by tabs
        return [
            f"Case Number:\t{v['cn']}",
            f"Date Assigned:\t{v['as']}\tDate of Injury:\t{v['inj']}",
            f"Decision Date:\t{v['dd']}\tUR Denial Date:\t{v['ur']}",
            f"Priority:\t{v['pr']}\tApplication\nReceived:\t{v['rc']}",
        ]
    if style == "pdftotext_layout":
        c1, c2, c3 = 18, 14, 24
        return [
            f"{'Case Number:':<{c1}}{v['cn']}",
            f"{'Date Assigned:':<{c1}}{v['as']:<{c2}}{'Date of Injury:':<{c3}}{v['inj']}",
            f"{'Decision Date:':<{c1}}{v['dd']:<{c2}}{'UR Denial Date:':<{c3}}{v['ur']}",
            f"{'Priority:':<{c1}}{v['pr']:<{c2}}{'Application':<{c3}}{v['rc']}",
            f"{'':<{c1 + c2}}Received:",
        ]
    raise ValueError(style)


def markdown_header(spec) -> list[str]:
    v = _hdr_values(spec)
    rows = [
        ("<b>Case Number:</b>", v["cn"], "", ""),
        ("<b>Date Assigned:</b>", v["as"], "<b>Date of Injury:</b>", v["inj"]),
        ("<b>Decision Date:</b>", v["dd"], "<b>UR Denial Date:</b>", v["ur"]),
        ("<b>Priority:</b>", v["pr"], "<b>Application Received:</b>", v["rc"]),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["| " + " | ".join(" " * w for w in widths) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    return lines


# ---------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------


def render_markdown(blocks: list[tuple], c_layout: bool) -> str:
    out: list[str] = []
    for b in blocks:
        kind = b[0]
        if kind == "blank":
            continue
        if kind == "marker":
            out.append(b[1])
        elif kind == "header":
            out.append("\n".join(markdown_header(b[1])))
        elif kind == "heading":
            out.append("### " + " ".join(b[1].split("\n")))
        elif kind == "title" or kind in ("line", "para", "prose_para", "itemline"):
            out.append(b[1])
        elif kind == "lines":
            lines = b[1]
            out.append("  \n ".join(lines))
        elif kind in ("cite", "prose"):
            out.append(f"**{b[1]}** {b[2]}")
        elif kind == "label":
            out.append(f"**{b[1]}**")
        elif kind == "item":
            out.append(f"**{b[1]}:** {b[2]}")
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
    return "\n\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# Plain-text styles
# ---------------------------------------------------------------------------------------


def _logical_lines(
    blocks: list[tuple], style: str, rng: random.Random, width: int, c_layout: bool
) -> list[tuple[str, int, int]]:
    """[(text, end, tag)] for every text line, before pages and line ends are applied."""
    gaps = style in ("pdftotext_default", "pdftotext_layout")
    seed = style == "seed_double_spaced"
    lines: list[tuple[str, int, int]] = []
    first = True
    for b in blocks:
        kind = b[0]
        if kind == "blank":
            if seed:
                lines.append(("", END, T_BLANK))
            continue
        if kind == "header" and seed:
            continue  # the seeds' extraction dropped the header table
        if gaps and not first:
            lines.append(("", END, T_BLANK))
        first = False
        if kind in ("marker", "title"):
            lines.append((b[1], END, T_MARKER if kind == "marker" else T_HEADING))
        elif kind == "header":
            lines.extend((h, END, T_HEADER) for h in header_lines(b[1], style, c_layout))
        elif kind == "heading":
            tag = T_DECISIONS if b[1] in _DECISION_HEADINGS else T_HEADING
            lines.extend((h, END, tag) for h in b[1].split("\n"))
        elif kind == "label":
            lines.append((b[1], END, T_HEADING))
        elif kind == "line":
            lines.extend((t, e, T_BODY) for t, e in wrap(b[1], width, hyphen_breaks=False))
        elif kind == "lines":
            for text in b[1]:
                lines.extend((t, e, T_BODY) for t, e in wrap(text, width, hyphen_breaks=False))
        elif kind == "para":
            lines.extend((t, e, T_BODY) for t, e in wrap(b[1], width))
        elif kind == "prose_para":
            lines.extend(
                (t, e, T_BODY) for t, e in wrap(b[1], width, rng, 0.02, split_span=(b[2], b[3]))
            )
        elif kind == "itemline":
            lines.extend(
                (t, e, T_BODY) for t, e in wrap(b[1], width, hyphen_breaks=rng.random() < 0.5)
            )
        elif kind == "cite":
            lines.extend((t, e, T_BODY) for t, e in wrap(f"{b[1]} {b[2]}", width))
        elif kind == "prose":
            base = len(b[1]) + 1
            span = (base + b[3], base + b[4])
            lines.extend(
                (t, e, T_BODY) for t, e in wrap(f"{b[1]} {b[2]}", width, rng, 0.02, split_span=span)
            )
        elif kind == "item":
            lines.extend(_item_lines(rng, b[1], b[2], width))
        else:  # pragma: no cover - programming error
            raise ValueError(kind)
    return lines


def _item_lines(
    rng: random.Random, text: str, outcome: str, width: int
) -> list[tuple[str, int, int]]:
    """An item heading with the traps of letter-formats.md §1.4."""
    sep = "  " if rng.random() < 0.04 else " "  # "IMPLANT:  Upheld"
    hy = rng.random() < 0.5
    if rng.random() < 0.03:
        # Outcome alone on the next line even though it would have fitted.
        wrapped = wrap(text + ":", width, hyphen_breaks=hy)
        wrapped[-1] = (wrapped[-1][0], WRAP)
        wrapped.append((outcome, END))
    else:
        wrapped = wrap(f"{text}:{sep}{outcome}", width, hyphen_breaks=hy)
    return [(t, e, T_ITEM if i == 0 else T_ITEM_CONT) for i, (t, e) in enumerate(wrapped)]


def _page_breaks(rng: random.Random, lines: list[tuple[str, int, int]]) -> list[int]:
    """Indices i where a new page starts before line i (45-55 lines a page, with snapping).

    A break is pulled, now and then, to just before the decisions heading (that section
    often starts a new page) or into a multi-line item heading (seen 4 times in the real
    letters, and the trap that matters most).
    """
    n = len(lines)
    breaks: list[int] = []
    pos = 0
    while True:
        target = pos + rng.randint(45, 55)
        if target >= n - 2:
            break
        r = rng.random()
        if r < 0.25:
            cands = [
                i
                for i in range(max(pos + 20, target - 10), min(n - 1, target + 10))
                if lines[i][2] == T_DECISIONS
            ]
            if cands:
                target = cands[0]
        elif r < 0.55:
            cands = [
                i
                for i in range(max(pos + 20, target - 8), min(n - 1, target + 8))
                if lines[i][2] == T_ITEM_CONT
            ]
            if cands:
                target = rng.choice(cands)
        breaks.append(target)
        pos = target
    return breaks


def page_lines(
    blocks: list[tuple], style: str, rng: random.Random, width: int, c_layout: bool
) -> list[list[tuple[str, int, int]]]:
    """Logical lines cut into pages: [[(text, end, tag), ...], ...]."""
    lines = _logical_lines(blocks, style, rng, width, c_layout)
    breaks = _page_breaks(rng, lines)
    pages: list[list[tuple[str, int, int]]] = []
    start = 0
    for b in [*breaks, len(lines)]:
        pages.append(lines[start:b])
        start = b
    return pages


def render_text(
    blocks: list[tuple], style: str, rng: random.Random, width: int, c_layout: bool
) -> str:
    pages = page_lines(blocks, style, rng, width, c_layout)
    if style == "pdfium":
        return "\f".join(_join_pdfium(rng, p) for p in pages)
    if style == "itextsharp":
        return "\r\n".join(_join_itext(p) for p in pages) + "\r\n"
    if style == "seed_double_spaced":
        return "\n\n\n\n".join(_join_seed(p) for p in pages) + "\n\n"
    if style in ("pdftotext_raw", "pdftotext_default", "pdftotext_layout"):
        return "".join("\n".join(t for t, _, _ in p) + "\n\f" for p in pages)
    raise ValueError(style)


def _join_pdfium(rng: random.Random, page: list[tuple[str, int, int]]) -> str:
    parts: list[str] = []
    n = len(page)
    for i, (t, e, _tag) in enumerate(page):
        if e == HYPH and i + 1 < n and page[i + 1][0][:1].isalpha():
            parts.append(t[:-1] + "\ufffe")  # pdfium's mark for a line-end hyphenation
            continue
        if e == WRAP and rng.random() < 0.97:
            t += " "
        parts.append(t)
        if i + 1 < n:
            parts.append("\r\n")
    return "".join(parts)


def _join_itext(page: list[tuple[str, int, int]]) -> str:
    return "\r\n".join(t if tag == T_MARKER else t + " " for t, _, tag in page)


def _join_seed(page: list[tuple[str, int, int]]) -> str:
    out = []
    for t, _, tag in page:
        if tag in (T_HEADING, T_DECISIONS):
            out.append(f" {t} ")
        elif tag == T_MARKER:
            out.append(t)
        else:
            out.append(t + " ")
    return "\n\n".join(out)


def render(
    blocks: list[tuple], style: str, rng: random.Random, width: int, c_layout: bool = False
) -> str:
    if style == "markdown":
        return render_markdown(blocks, c_layout)
    return render_text(blocks, style, rng, width, c_layout)
