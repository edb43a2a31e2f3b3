"""Fixtures for the vocabulary tests: the labelled items in ../shared, and a place to report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def labelled_items(shared_dir: Path) -> list[dict]:
    """Every hand-labelled item of the 74 letters and the 5 seeds, with where it came from."""
    items: list[dict] = []
    with (shared_dir / "letters" / "expected.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                letter = json.loads(line)
                items += [{**it, "source": letter["file"]} for it in letter["items"]]
    seeds = json.loads((shared_dir / "seeds" / "expected.json").read_text(encoding="utf-8"))
    for letter in seeds["letters"]:
        items += [{**it, "source": letter["file"]} for it in letter["items"]]
    return items


@pytest.fixture(scope="session")
def labelled_letters(shared_dir: Path) -> list[dict]:
    letters = [
        json.loads(line)
        for line in (shared_dir / "letters" / "expected.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    seeds = json.loads((shared_dir / "seeds" / "expected.json").read_text(encoding="utf-8"))
    return letters + seeds["letters"]


@pytest.fixture
def vocab_report(request: pytest.FixtureRequest):
    """Append a line to the summary printed at the end of the run (numbers worth seeing, not
    asserting, such as the Other rate)."""
    lines = request.config.stash.setdefault(_REPORT, [])
    return lines.append


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = config.stash.get(_REPORT, [])
    if lines:
        terminalreporter.section("vocabulary report")
        for line in lines:
            terminalreporter.write_line(line)
