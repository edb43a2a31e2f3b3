"""The imr-analytics command's own surface: --version and help text for every option."""

from __future__ import annotations

import argparse

import pytest

import imr_analytics
from imr_analytics.cli import build_parser, main

_SUB = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"imr-analytics {imr_analytics.__version__}"


@pytest.mark.parametrize("command", list(_SUB))
def test_every_option_has_help(command: str):
    missing = [
        a.option_strings or a.dest
        for a in _SUB[command]._actions
        if not a.help and a.help != argparse.SUPPRESS
    ]
    assert not missing, f"{command}: options without help text: {missing}"


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`imr-analytics ... | head` must not print a traceback or an error about our own output."""
    import subprocess
    import sys

    child = subprocess.Popen(
        [sys.executable, "-m", "imr_analytics", "report", "uphold_rates", "--path"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child.stdout.close()  # the reader is gone before the command writes a byte
    stderr = child.stderr.read().decode()
    assert child.wait() == 141, stderr
    assert stderr == ""


_CONSOLE_SCRIPT = """
import atexit, sys, threading
from pathlib import Path
import imr_analytics.cli as cli

def fake_main(argv):
    atexit.register(lambda: Path(sys.argv[-1]).write_text("handler ran"))
    print("printed, not flushed yet", end="")  # stdout is a pipe: block-buffered
    if "thread" in argv:  # a non-daemon thread still working: the ordinary exit waits for it
        threading.Thread(target=lambda: __import__("time").sleep(0.3)).start()
    return 3

cli.main = fake_main
cli.os._exit = lambda code: (print(" fast", end=""), sys.stdout.flush(), sys.exit(code + 10))
sys.argv = ["imr-analytics", *sys.argv[1:]]
cli.console()
"""


@pytest.mark.parametrize(
    ("argv", "fast"),
    [(["report", "uphold_rates"], True), (["load", "x"], False), (["report", "thread"], False)],
)
def test_console_skips_the_interpreter_teardown_only_after_a_report(tmp_path, argv, fast):
    """A report run ends with os._exit (its teardown cost up to a second of CPU), but only
    after the exit handlers ran and stdout was flushed, with main()'s exit status; every other
    command, and a run with a non-daemon thread still going, ends the ordinary way."""
    import subprocess
    import sys

    marker = tmp_path / "atexit.txt"
    done = subprocess.run(
        [sys.executable, "-c", _CONSOLE_SCRIPT, *argv, str(marker)],
        capture_output=True,
        text=True,
    )
    assert done.stderr == ""
    assert marker.read_text() == "handler ran"
    assert done.stdout == "printed, not flushed yet" + (" fast" if fast else "")
    assert done.returncode == (13 if fast else 3)


def test_a_profiled_report_run_exits_the_ordinary_way():
    """`python -m cProfile -m imr_analytics report ...` writes its profile at exit."""
    import sys

    from imr_analytics.cli import _fast_exit_allowed

    assert _fast_exit_allowed(["report", "x"]) is (sys.gettrace() is None)
    sys.setprofile(lambda *a: None)
    try:
        assert not _fast_exit_allowed(["report", "x"])
    finally:
        sys.setprofile(None)


def test_load_sets_one_blas_thread_only_while_it_imports(tmp_path):
    """A load imports NumPy (with pyarrow) under OPENBLAS_NUM_THREADS=1 and takes the variable
    away again, so that the processes started after it (a report, a notebook's kernel) keep
    their own thread count."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from imr_analytics.cli import main\n"
        "seen = []\n"
        "class Finder:\n"
        "    @staticmethod\n"
        "    def find_spec(name, path=None, target=None):\n"
        "        if name == 'numpy':\n"
        "            seen.append(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
        "sys.meta_path.insert(0, Finder)\n"
        f"main(['load', {str(tmp_path / 'none')!r}, '--db', {str(tmp_path / 'x.duckdb')!r}])\n"
        "print(seen, os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if "NUM_THREADS" not in k}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert out.stdout.strip().splitlines()[-1] == "['1'] None", out.stdout + out.stderr
