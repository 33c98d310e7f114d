"""``bench/kept_workflows.py``: its replays through the real ``LiveWorkflows`` count what the cache's rules imply.

"More processes never raise the hit rate" is not asserted: it is not certain. Each process's cache fills with half
the traffic, so a file kept in a process that few others use can survive where one shared cache would have pushed it
out (two files stepping in turn, cache 1: one process never hits, two processes hit whenever each file's steps land
where its previous one ran). What is certain, and asserted: with room for every file, one process hits on every
step but a file's first, and more processes only lose (a step finds its workflow only where its previous step ran);
and for the same steps and routing a bigger cache never hits less (a process's cache holds the files it kept most
recently, so a bigger one holds those of a smaller one and more).
"""

from __future__ import annotations

import random

import pytest

from bench import kept_workflows as bench

SMALL = dict(files_per_day=40, days=5, officer_steps=4, mean_delay_hours=4.0)
FILES = SMALL["files_per_day"] * SMALL["days"]


def _office(seed: int = 7, **overrides) -> list[bench.Step]:
    return bench.office(random.Random(seed), **{**SMALL, **overrides})


@pytest.mark.parametrize("processes, cache", [(1, 256), (2, 256), (1, 10_000), (4, 1)])
def test_one_step_per_file_never_hits(processes, cache):
    steps, hits = bench.replay(bench.one_step_files(500), processes, cache, seed=1)
    assert (steps, hits) == (500, 0)


def test_next_steps_at_once_in_one_process_hit_all_but_a_files_first_step():
    """Each file's steps one right after the other (arrivals hours apart, steps nanoseconds apart): even a cache of
    one file hits on every step after the first; the submission's keep makes the first hit too."""
    at_once = dict(mean_delay_hours=1e-9)
    steps, hits = bench.replay(_office(**at_once, submission_kept=False), 1, cache=1, seed=1)
    assert steps == FILES * SMALL["officer_steps"]
    assert hits / steps == (steps - FILES) / steps
    steps, hits = bench.replay(_office(**at_once), 1, cache=1, seed=1)
    assert hits == steps


def test_with_room_for_every_file_more_processes_only_lose():
    office = _office(submission_kept=False)
    one = bench.replay(office, 1, cache=FILES, seed=3)
    assert one == (FILES * SMALL["officer_steps"], FILES * (SMALL["officer_steps"] - 1))
    for processes in (2, 4):
        steps, hits = bench.replay(office, processes, cache=FILES, seed=3)
        assert steps == one[0] and hits <= one[1]
    # Routed at random, about one step in two lands where the file's previous step ran: not all in one process.
    steps, hits = bench.replay(_office(), 2, cache=FILES, seed=3)
    assert 0.4 < hits / steps < 0.6


@pytest.mark.parametrize("processes", [1, 2, 4])
def test_a_bigger_cache_never_hits_less(processes):
    office = _office(burst_share=0.2)
    hits = [bench.replay(office, processes, cache, seed=5)[1] for cache in (0, 1, 8, 32, 128, FILES)]
    assert hits[0] == 0
    assert hits == sorted(hits)
    assert hits[-1] > hits[1]


def test_a_files_steps_stay_in_order_and_in_time_order():
    office = _office(burst_share=0.5)
    assert [step.hours for step in office] == sorted(step.hours for step in office)
    numbers: dict[int, list[int]] = {}
    for step in office:
        numbers.setdefault(step.file, []).append(step.number)
    assert all(seen == [0, 1, 2, 3, 4] for seen in numbers.values()) and len(numbers) == FILES


README = """text
<!-- bench:engine_step:raw -->
| database | instance | raw SpiffWorkflow step (stock serializer, no database) | Lincah, workflow kept from the previous step | ratio | Lincah, workflow restored from the database | ratio |
|---|---|---|---|---|---|---|
| SQLite | after 1 revision loop | 1.18 ms | 1.93 ms | 1.59–1.66 | 2.13 ms | 1.73–1.88 |
| PostgreSQL | after 1 revision loop | 1.20 ms | 3.40 ms | 2.43–2.93 | 3.32 ms | 2.41–3.07 |
<!-- /bench:engine_step:raw -->
"""  # noqa: E501 (the README's table as it is)


def test_the_saving_is_read_from_the_readmes_step_table():
    assert bench.step_savings(README) == [("SQLite, after 1 revision loop", 1.93, 2.13),
                                          ("PostgreSQL, after 1 revision loop", 3.40, 3.32)]
    assert bench.step_savings("no table here") == []


def test_the_bench_prints_its_rows(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    bench.main(["--files-per-day", "20", "--days", "2", "--readme-path", str(readme)])
    out = capsys.readouterr().out
    hit_table, saving, saving_table = out.strip().split("\n\n")
    hit_rows = hit_table.splitlines()
    assert len(hit_rows) == 2 + 8  # header, rule; HTTP, office × 3, bigger cache × 2, bursts × 2
    assert len(saving_table.splitlines()) == 2 + 8
    assert hit_rows[2].startswith("| HTTP bench (bench/http_load.py) | 2 | 256 | 40 | 0 | 0.0% |")
    assert "2.13 − 1.93 ms = +0.20 ms" in saving
    assert "expected saving per step, PostgreSQL, after 1 revision loop" in saving_table
