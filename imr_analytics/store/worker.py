"""What the worker processes run: extract, parse and classify one document.

Kept apart from the loader so that a worker imports only the parser, the extractors and
the vocabularies, not pyarrow or DuckDB: on a 2-core machine with a 1 GiB budget every
worker's resident size counts. Functions here never raise; a broken file becomes a
result that the loader records in ``load_errors``.
"""

from __future__ import annotations

from ..extract import ExtractionError, extract_document
from ..parse import ParseFailure, parse_letter
from .rows import letter_rows

# Parse failures that mean "this is not a letter we know" rather than "a letter we
# could not read": they are reported at the detect stage.
DETECT_REASONS = {"empty_text", "not_an_imr_letter", "unknown_layout"}


def process_file(task: tuple[str, bytes, str]) -> tuple:
    """Extract, parse and classify one file. Runs in a worker; never raises."""
    path, data, sha = task
    try:
        extracted = extract_document(path, data)
    except ExtractionError as exc:
        return ("error", path, sha, "extract", str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the load
        return ("error", path, sha, "extract", f"extractor failed: {type(exc).__name__}: {exc}")
    text = extracted.text.replace("\x00", "")
    doc = (
        sha,
        path,
        extracted.source_format,
        extracted.extractor,
        len(data),
        extracted.page_count,
        text,
    )
    return parse_document(path, sha, text, doc)


def parse_document(path: str, sha: str, text: str, doc: tuple | None) -> tuple:
    result = parse_letter(text)
    if isinstance(result, ParseFailure):
        stage = "detect" if result.reason in DETECT_REASONS else "parse"
        return ("failed", doc, path, sha, stage, f"{result.reason}: {result.detail}")
    try:
        rows = letter_rows(result, source_path=path, content_sha256=sha)
    except Exception as exc:  # noqa: BLE001
        return (
            "failed",
            doc,
            path,
            sha,
            "parse",
            f"could not build rows: {type(exc).__name__}: {exc}",
        )
    return ("ok", doc, path, sha, result.layout, rows)


def reparse_task(task: tuple[str, str, str]) -> tuple:
    sha, path, text = task
    return parse_document(path, sha, text, None)
