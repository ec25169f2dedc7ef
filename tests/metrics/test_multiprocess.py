"""The directory `sonic serve --workers N` keeps for its workers' metric files, and the
exposition reading it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sonic_cms.metrics.exposition import exposition
from sonic_cms.metrics.multiprocess import DIRECTORY_VARIABLE, forget_process, worker_directory


@pytest.fixture(autouse=True)
def _no_inherited_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DIRECTORY_VARIABLE, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))


@pytest.mark.parametrize(("enabled", "workers"), [(False, 4), (True, 1)])
def test_one_process_or_metrics_off_need_no_directory(enabled: bool, workers: int) -> None:
    with worker_directory(enabled, workers) as directory:
        assert directory is None
        assert DIRECTORY_VARIABLE not in os.environ


def test_several_workers_get_a_fresh_directory_removed_after(tmp_path: Path) -> None:
    with worker_directory(True, 2) as first:
        assert first is not None and Path(first).is_dir() and not any(Path(first).iterdir())
        assert os.environ[DIRECTORY_VARIABLE] == first
        (Path(first) / "counter_1.db").write_bytes(b"left by a worker")
    assert not Path(first).exists()
    assert DIRECTORY_VARIABLE not in os.environ
    with worker_directory(True, 2) as second:
        assert second != first and not any(Path(str(second)).iterdir())


def test_an_operators_variable_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DIRECTORY_VARIABLE, "/srv/theirs")
    with worker_directory(True, 3) as directory:
        assert os.environ[DIRECTORY_VARIABLE] == directory != "/srv/theirs"
    assert os.environ[DIRECTORY_VARIABLE] == "/srv/theirs"


def test_the_exposition_reads_the_workers_files_in_multiprocess_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert b"sonic_http_request_duration_seconds" in exposition()  # this process's registry
    empty = tmp_path / "no-workers-yet"
    empty.mkdir()
    monkeypatch.setenv(DIRECTORY_VARIABLE, str(empty))
    assert exposition() == b""  # no worker wrote a file: nothing to sum


def test_a_stopped_workers_live_gauges_leave_the_sums_and_its_counters_stay(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    directory = tmp_path / "workers"
    directory.mkdir()
    for name in ("gauge_livesum_4242.db", "counter_4242.db", "gauge_livesum_4343.db"):
        (directory / name).write_bytes(b"")
    monkeypatch.setenv(DIRECTORY_VARIABLE, str(directory))
    forget_process(4242)
    assert sorted(p.name for p in directory.iterdir()) == [
        "counter_4242.db",
        "gauge_livesum_4343.db",
    ]
