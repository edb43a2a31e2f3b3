"""What a load leaves in the process that ran it, and how it reads a folder it has seen under
another path. ``load_paths`` called from Python (a notebook, a script) must leave the
process as it found it; only the CLI, whose process ends with the load, keeps pandas out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from imr_analytics.store import loader
from imr_analytics.store.loader import load_paths
from imr_analytics.synth import generate_corpus

_LIBRARY_LOAD = """
import gc, json, sys
from imr_analytics.store.loader import load_paths
before = (gc.get_threshold(), gc.get_freeze_count(), [repr(f) for f in sys.meta_path])
load_paths([sys.argv[1]], sys.argv[2], workers=1, log=lambda _: None)
after = (gc.get_threshold(), gc.get_freeze_count(), [repr(f) for f in sys.meta_path])
import pandas as pd
import pyarrow as pa
print(json.dumps({"same": before == after, "nulls": pa.array(pd.Series([1.0, None])).null_count}))
"""

_CLI_LOAD = """
import json, sys
from imr_analytics.cli import main
code = main(["load", sys.argv[1], "--db", sys.argv[2]])
print(json.dumps({"code": code, "pandas": "pandas" in sys.modules}))
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    generate_corpus(folder / "c", 4, seed=31)
    return folder / "c"


def _run(code: str, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_load_from_python_leaves_the_collector_imports_and_pyarrow_as_they_were(
    corpus: Path, tmp_path: Path
) -> None:
    """pyarrow remembers a refused pandas import for the rest of the process: a Series'
    missing value would then be read as a float, not a null."""
    result = _run(_LIBRARY_LOAD, corpus, tmp_path / "lib.duckdb")
    assert result == {"same": True, "nulls": 1}


def test_the_cli_load_does_not_import_pandas(corpus: Path, tmp_path: Path) -> None:
    assert _run(_CLI_LOAD, corpus, tmp_path / "cli.duckdb") == {"code": 0, "pandas": False}


def test_a_moved_folder_is_hashed_first_once_its_new_paths_prove_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New paths are read and parsed in one task, but once most of them prove stored
    already (a folder moved or mounted elsewhere) the rest are hashed first, not parsed."""
    generate_corpus(tmp_path / "c", 12, seed=32).rename(tmp_path / "truth.jsonl")
    db = tmp_path / "m.duckdb"
    assert load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None).letters_loaded == 12
    shutil.copytree(tmp_path / "c", tmp_path / "moved")
    monkeypatch.setattr(loader, "BATCH_FILES", 3)
    monkeypatch.setattr(loader, "NEW_PATHS_SAMPLE", 3)
    submitted: list[tuple[str, int]] = []
    submit = loader._submit

    def recording(pool, fn, tasks):
        if tasks:
            submitted.append((fn.__name__, len(tasks)))
        return submit(pool, fn, tasks)

    monkeypatch.setattr(loader, "_submit", recording)
    moved = load_paths([tmp_path / "moved"], db, workers=1, log=lambda _: None)
    assert (moved.letters_loaded, moved.files_skipped) == (0, 12)
    parsed = sum(n for name, n in submitted if name == "load_file")
    hashed = sum(n for name, n in submitted if name == "hash_file")
    # batch 1 in one task; batch 2 was queued before batch 1's results were judged
    assert parsed == 6 and hashed == 6
    assert not any(name == "process_file" for name, _ in submitted)
