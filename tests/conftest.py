"""Shared test fixtures: where the real letters in ../shared live, and skips when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

SHARED_MISSING_REASON = (
    f"real letters not found at {SHARED}: these tests need the project's ../shared folder "
    "(seeds/ and letters/), which a user's clone does not have"
)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "letters").is_dir() or not (SHARED / "seeds").is_dir():
        pytest.skip(SHARED_MISSING_REASON)
    return SHARED
