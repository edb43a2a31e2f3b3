"""A naming rule that raises costs the item its naming, not the letter, and says so."""

from __future__ import annotations

import pytest

from imr_analytics.parse import naming as N


def test_a_failing_rule_gives_an_empty_naming_that_names_the_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object) -> None:
        raise ValueError("rule exploded")

    monkeypatch.setattr(N, "_base", broken)
    got = N.name_item("Norco 10/325mg #60", "Pharmaceuticals")
    assert (got.ingredients, got.body_regions, got.treatment) == ((), (), None)
    assert got.failure == "naming failed: ValueError: rule exploded"


def test_a_naming_that_works_has_no_failure() -> None:
    got = N.name_item("Norco 10/325mg #60", "Pharmaceuticals")
    assert got.treatment and got.failure is None
