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
