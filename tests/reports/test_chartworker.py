"""The chart worker draws what the kernel would draw, and says so when it cannot."""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pytest

from imr_analytics.analytics.charts import to_svg, vegalite_spec
from imr_analytics.reports.chartworker import ChartWorker, ChartWorkerError


def _chart(title: str = "Uphold rate by treatment category") -> alt.Chart:
    values = [{"category": "Pharmaceuticals", "rate": 0.83}, {"category": "Imaging", "rate": 0.5}]
    return (
        alt.Chart(alt.Data(values=values))
        .mark_bar()
        .encode(y=alt.Y("category:N"), x=alt.X("rate:Q"))
        .properties(title=title, width=300)
    )


def test_worker_draws_the_same_svg_as_the_kernel_in_any_order() -> None:
    chart = _chart()
    worker = ChartWorker()
    try:
        worker.submit("a", *vegalite_spec(chart))
        worker.submit("b", *vegalite_spec(_chart("Second")))
        second = worker.result("b")
        first = worker.result("a")
    finally:
        worker.close()
    assert first == to_svg(chart)
    assert "Second" in second and second != first
    assert worker._proc.returncode == 0  # reaped


def test_worker_reports_a_chart_it_cannot_draw_and_goes_on() -> None:
    worker = ChartWorker()
    try:
        remote = {"data": {"url": "https://example.org/x.json"}, "mark": "bar"}
        worker.submit("remote", remote, None)
        with pytest.raises(ChartWorkerError):
            worker.result("remote")
        worker.submit("ok", *vegalite_spec(_chart()))
        assert worker.result("ok").startswith("<svg")
    finally:
        worker.close()


def test_a_stopped_worker_is_an_error_not_a_hang() -> None:
    worker = ChartWorker()
    worker._proc.kill()
    worker.submit("late", *vegalite_spec(_chart()))
    with pytest.raises(ChartWorkerError, match="stopped"):
        worker.result("late")
    worker.close()


def test_a_worker_started_ahead_is_taken_over_once_and_an_unused_one_ends() -> None:
    from imr_analytics.reports import chartworker

    chartworker.start_spare()
    spare = chartworker._spare
    assert spare is not None
    chartworker.start_spare()  # one at a time
    assert chartworker._spare is spare
    worker = ChartWorker()
    try:
        assert worker._proc is spare and chartworker._spare is None
        worker.submit("a", *vegalite_spec(_chart()))
        assert worker.result("a") == to_svg(_chart())
        other = ChartWorker()  # the next worker starts its own
        other.close()
        assert other._proc is not spare
    finally:
        worker.close()
    chartworker.start_spare()
    unused = chartworker._spare
    chartworker.drop_spare()
    assert unused is not None and unused.returncode == 0 and chartworker._spare is None
    chartworker.drop_spare()  # nothing to drop: nothing happens


def test_the_cli_starts_the_worker_only_for_a_report_it_will_run_here() -> None:
    from imr_analytics.reports import chartworker
    from imr_analytics.reports.cli import start_chart_worker_early

    for argv in (
        ["report"],  # the catalogue
        ["report", "uphold_rates", "--path"],
        ["report", "uphold_rates", "--help"],
        ["report", "uphold_rates", "--kernel", "python3"],
        ["report", "uphold_rates", "--kernel=python3"],
    ):
        assert not start_chart_worker_early(argv), argv
        assert chartworker._spare is None
    try:
        assert start_chart_worker_early(["report", "uphold_rates", "--db", "x.duckdb"])
        assert chartworker._spare is not None
    finally:
        chartworker.drop_spare(now=True)
    assert chartworker._spare is None


def test_the_cli_asks_the_runner_s_question_about_the_engine(monkeypatch) -> None:
    """IMR_REPORT_ENGINE=kernel (or a name that is not an engine, which the runner then
    refuses) starts no chart worker ahead: the kernel would draw its own charts."""
    from imr_analytics.reports import chartworker
    from imr_analytics.reports.cli import start_chart_worker_early
    from imr_analytics.reports.engine import ENGINE_ENV

    for engine in ("kernel", "Kernel ", "kernl"):
        monkeypatch.setenv(ENGINE_ENV, engine)
        assert not start_chart_worker_early(["report", "uphold_rates", "--db", "x.duckdb"])
        assert chartworker._spare is None


def test_a_refused_run_ends_the_worker_the_cli_started_at_once(
    tmp_path: Path, small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import signal

    from imr_analytics.cli import main
    from imr_analytics.reports import chartworker

    started: list[object] = []
    real_spawn = chartworker._spawn

    def spawn() -> object:
        proc = real_spawn()
        started.append(proc)
        return proc

    chartworker._spawn = spawn  # type: ignore[assignment]
    try:
        argv = ["report", "uphold_rates", "--db", str(small_db), "--out", str(tmp_path)]
        assert main([*argv, "-p", "categories", "Pharmaceutical"]) == 2
    finally:
        chartworker._spawn = real_spawn  # type: ignore[assignment]
    assert "categories value 'Pharmaceutical' does not" in capsys.readouterr().err
    # started before anything else, and killed (not left to warm up for a second) once refused
    assert len(started) == 1 and started[0].returncode == -signal.SIGKILL  # type: ignore[attr-defined]
    assert chartworker._spare is None and not any(tmp_path.iterdir())
