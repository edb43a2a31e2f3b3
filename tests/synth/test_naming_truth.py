"""The generator's naming truth (ingredients, body regions, treatment) parses back through the loader."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from imr_analytics.store.loader import load_paths
from imr_analytics.synth import generate_corpus

FIELDS = ("ingredients", "body_regions", "treatment")


def test_generated_items_name_back_to_their_truth(tmp_path: Path) -> None:
    corpus = tmp_path / "synthetic"
    truth_file = generate_corpus(corpus, 500, seed=17)
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    truth_file.unlink()
    db = tmp_path / "s.duckdb"
    summary = load_paths([corpus], db, workers=2, log=lambda _: None)
    assert summary.files_quarantined == 0, summary.quarantined[:5]
    assert summary.items_unknown_drug == 0
    con = duckdb.connect(str(db), read_only=True)
    bad, checked, misspelt, brands, compounds = [], 0, 0, 0, 0
    for t in truth:
        rows = con.execute(
            f"SELECT i.disputed_text, {', '.join('i.' + f for f in FIELDS)} FROM items i "
            "JOIN letters l USING (letter_id) WHERE l.source_path LIKE '%/' || ? ORDER BY i.item_no",
            [t["file"]],
        ).fetchall()
        assert len(rows) == len(t["items"]), t["file"]
        for got, want in zip(rows, t["items"], strict=True):
            assert all(want[f] is not None for f in FIELDS), want
            checked += 1
            values = dict(zip(FIELDS, got[1:], strict=True))
            values["ingredients"] = values["ingredients"] or []
            values["body_regions"] = values["body_regions"] or []
            for f in FIELDS:
                if values[f] != want[f]:
                    bad.append((t["file"], got[0], f, values[f], want[f]))
            text = want["disputed_text"].lower()
            misspelt += any(w in text for w in ("tramadal", "naproxyn", "ibuprofin", "ibuprofan"))
            brands += any(
                w in text for w in ("norco", "flexeril", "lidoderm", "ultram", "prilosec")
            )
            compounds += len(want["ingredients"]) >= 3
    con.close()
    assert checked > 1000
    assert misspelt > 0 and brands > 5 and compounds > 5
    assert not bad, "\n".join(map(str, bad[:30]))
