"""Turns: parallel workers share one job list, each job to exactly one worker."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from pathlib import Path

from search.running.workers import Turns, run_in_turns


def test_turns_hand_each_job_to_whoever_asks_next() -> None:
    jobs = list("abcde")
    turns = Turns()
    first, second = turns.take(jobs), turns.take(jobs)
    # The second worker is free first and takes three in a row: no share is fixed up front.
    assert next(first) == "a"
    assert [next(second) for _ in range(3)] == ["b", "c", "d"]
    assert list(first) == ["e"] and list(second) == []
    # Used up: a worker started late gets nothing.
    assert list(turns.take(jobs)) == []


def _take(jobs: list[int], turns: Turns, out: str) -> None:
    taken = []
    for job in turns.take(jobs):
        time.sleep(0.001 * (job % 3))  # uneven jobs, as runs are
        taken.append(job)
    Path(out).write_text(json.dumps(taken))


def test_processes_share_the_jobs_without_repeating_one(tmp_path: Path) -> None:
    jobs, turns = list(range(60)), Turns()
    context = mp.get_context("spawn")
    outs = [tmp_path / f"worker{i}.json" for i in range(3)]
    processes = [context.Process(target=_take, args=(jobs, turns, str(out))) for out in outs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    taken = [json.loads(out.read_text()) for out in outs]
    assert sorted(job for share in taken for job in share) == jobs
    assert all(share == sorted(share) for share in taken)  # each in the list's order


def _record(folder: str, jobs: list[int], threads: int, turns: Turns) -> None:
    taken = list(turns.take(jobs))
    (Path(folder) / f"{os.getpid()}.json").write_text(json.dumps([threads, taken]))


def test_run_in_turns_starts_no_more_workers_than_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.db'}"
    assert run_in_turns(url, _record, (str(tmp_path),), [], 4, 4) == 0
    assert not list(tmp_path.glob("*.json"))  # nothing to do: no process started
    assert run_in_turns(url, _record, (str(tmp_path),), [7, 8], 4, 4) == 0
    records = [json.loads(f.read_text()) for f in tmp_path.glob("*.json")]
    # Two jobs, so two processes of the four asked for, each with half the threads.
    assert len(records) == 2 and {threads for threads, _ in records} == {2}
    assert sorted(job for _, taken in records for job in taken) == [7, 8]
