"""Does the kept-workflow cache earn its place? Its hit rate under the HTTP bench and under an office's day.

A server process keeps the workflow each step saved (``engine.workflow.live_workflows.LiveWorkflows``, 256 per
process by default: ``Settings.live_workflows``) and hands it to the file's next step only when that step runs in the
same process and the file's stored state is still the text it was kept as. Whether that ever happens depends on when
a file's steps come and where they are routed, not on SpiffWorkflow or the database, so this bench replays arrival
patterns of steps through the real class and counts its hits; nothing else is run.

The model. Each server process (a gunicorn worker) has its own ``LiveWorkflows(cache)``; a step goes to a random
process, takes from that process's cache with the file's current state (``"{file}:{revision}"``, one revision per
step) and keeps the new state there. A process keeps a file's old state until newer keeps push it out, as the real
one does when the file's next step ran elsewhere. The rows:

1. **HTTP bench** (``bench/http_load.py``): every file takes exactly one step (its applications are copies of rows,
   never kept by a step): the hit rate must be 0 — a sanity row, and the reason that bench cannot show the cache.
2. **Office day**: ``--files-per-day`` new files each working day, arriving evenly over ``--days`` days; the
   applicant's submission runs a step that keeps the workflow (``applications.start`` saves through
   ``runtime.save``), then ``--officer-steps`` officer steps (verify, technical review, approve, sign), each after an
   exponential delay of mean ``--mean-delay-hours`` working hours. Time counts working hours only (a day is
   ``--hours-per-day`` of them): nothing is kept or pushed out overnight, so a step on the next morning is as far
   from its previous one, in keeps, as the hours between them say. Steps are replayed in time order; the counted
   steps are the officer steps (each takes from the cache), the submissions only keep.
3. **Same office, bigger cache**: ``--big-cache`` entries per process, to show whether size is what is missing; with
   one process and with two (where a step finds its file's workflow only if routed where the previous step ran).
4. **Bursts**: ``--burst-share`` of the steps follow the file's previous step within ``--burst-minutes`` (an officer
   taking two steps of one file in a row, an applicant answering a revision request at once), the rest as in 2.

Arrivals and routing come from separately seeded ``random.Random`` streams, so every row with the same arrivals sees
the very same steps and the output is the same from run to run. A second table turns the hit rates into the step
time they save, from the README's engine_step table (``bench/engine_step.py``: workflow kept vs restored): the
expected saving per step = hit rate × (restored − kept), as a share of a restored step. What a kept workflow costs
in memory is not measured here.

``--readme`` prints only the tables, between their README markers (``bench/readme_tables.py``).

    python bench/kept_workflows.py [--files-per-day 400] [--days 20] [--officer-steps 4] [--mean-delay-hours 4]
                                   [--cache 256] [--big-cache 4096] [--big-cache-processes 1,2]
                                   [--processes 1,2,4] [--burst-share 0.2] [--burst-processes 1,2] [--seed 21]
                                   [--readme]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme_tables import blocks, marked  # noqa: E402
from engine.workflow.live_workflows import LiveWorkflows  # noqa: E402

WORKFLOW = object()  # what a process keeps: the cache never looks inside it
SUBMISSION = 0  # a file's step 0: the applicant's submission keeps the workflow, takes nothing
# The README's kept-vs-restored table (bench/engine_step.py) that says what a hit saves.
STEP_TABLE = "engine_step:raw"


@dataclasses.dataclass(frozen=True)
class Step:
    """One engine step of a file, at ``hours`` working hours since the first file arrived."""

    hours: float
    file: int
    number: int  # SUBMISSION, then 1, 2, … for the officer steps


@dataclasses.dataclass(frozen=True)
class Row:
    scenario: str
    processes: int
    cache: int
    steps: int
    hits: int

    @property
    def rate(self) -> float:
        return self.hits / self.steps if self.steps else 0.0


def replay(steps: list[Step], processes: int, cache: int, seed: int) -> tuple[int, int]:
    """Steps (in time order) through one ``LiveWorkflows(cache)`` per process, each step to a random process:
    (steps that took from a cache, hits). The routing depends on ``seed`` and the steps only, not on the cache size."""
    caches = [LiveWorkflows(cache) for _ in range(processes)]
    route = random.Random(seed)
    taken = hits = 0
    for step in steps:
        live = caches[route.randrange(processes)]
        if step.number != SUBMISSION:
            taken += 1
            hits += live.take(step.file, f"{step.file}:{step.number - 1}") is not None
        live.keep(step.file, f"{step.file}:{step.number}", WORKFLOW)
    return taken, hits


def one_step_files(files: int) -> list[Step]:
    """The HTTP bench: each file's single step, its state never kept before."""
    return [Step(float(file), file, 1) for file in range(files)]


def office(rng: random.Random, *, files_per_day: int, days: int, officer_steps: int, mean_delay_hours: float,
           hours_per_day: float = 8.0, burst_share: float = 0.0, burst_minutes: float = 2.0,
           submission_kept: bool = True) -> list[Step]:
    """An office's files arriving evenly over ``days`` working days, each submitted and then taken through
    ``officer_steps`` steps; each step after an exponential delay or, with chance ``burst_share``, within
    ``burst_minutes`` of the previous one. Sorted by time (a file's steps stay in order)."""
    steps = []
    for file in range(files_per_day * days):
        hours = rng.uniform(0, days * hours_per_day)
        if submission_kept:
            steps.append(Step(hours, file, SUBMISSION))
        for number in range(1, officer_steps + 1):
            if burst_share and rng.random() < burst_share:
                hours += rng.uniform(0, burst_minutes / 60)
            else:
                hours += rng.expovariate(1 / mean_delay_hours)
            steps.append(Step(hours, file, number))
    return sorted(steps, key=lambda step: (step.hours, step.file, step.number))


def scenario_row(scenario: str, steps: list[Step], processes: int, cache: int, seed: int) -> Row:
    print(f"  {scenario}: {len(steps)} steps, {processes} process(es), cache {cache}", file=sys.stderr)
    taken, hits = replay(steps, processes, cache, seed)
    return Row(scenario, processes, cache, taken, hits)


def run(args) -> list[Row]:
    office_args = dict(files_per_day=args.files_per_day, days=args.days, officer_steps=args.officer_steps,
                       mean_delay_hours=args.mean_delay_hours, hours_per_day=args.hours_per_day)
    day = office(random.Random(args.seed), **office_args)
    bursts = office(random.Random(args.seed), **office_args, burst_share=args.burst_share,
                    burst_minutes=args.burst_minutes)
    route = args.seed + 1  # the routing's own stream: the same for every row
    rows = [scenario_row("HTTP bench (bench/http_load.py)", one_step_files(args.files_per_day * args.days),
                         args.http_processes, args.cache, route)]
    rows += [scenario_row("Office day", day, processes, args.cache, route) for processes in args.processes]
    rows += [scenario_row("Same office, bigger cache", day, processes, args.big_cache, route)
             for processes in args.big_cache_processes]
    burst_name = f"Bursts ({args.burst_share:.0%} of steps within {args.burst_minutes:g} min)"
    rows += [scenario_row(burst_name, bursts, processes, args.cache, route) for processes in args.burst_processes]
    return rows


def hit_table(rows: list[Row]) -> str:
    lines = ["| scenario | processes | cache per process | steps | hits | hit rate |", "|---|---|---|---|---|---|"]
    lines += [f"| {row.scenario} | {row.processes} | {row.cache} | {row.steps:,} | {row.hits:,} | {row.rate:.1%} |"
              for row in rows]
    return "\n".join(lines)


def step_savings(readme: str) -> list[tuple[str, float, float]]:
    """(database and instance, kept ms, restored ms) per row of the README's engine_step table; [] if it is not
    there. Its columns: database | instance | raw | kept | ratio | restored | ratio."""
    found = []
    for line in blocks(readme).get(STEP_TABLE, "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not cells[3].endswith(" ms") or not cells[5].endswith(" ms"):
            continue  # the header and its rule
        found.append((f"{cells[0]}, {cells[1]}", float(cells[3][:-3]), float(cells[5][:-3])))
    return found


def saving_line(savings: list[tuple[str, float, float]]) -> str:
    if not savings:
        return f"What a hit saves: the README's `bench:{STEP_TABLE}` table was not found."
    parts = [f"{name}: {restored:.2f} − {kept:.2f} ms = {restored - kept:+.2f} ms ({(restored - kept) / restored:+.1%} "
             "of a restored step)" for name, kept, restored in savings]
    return ("What a hit saves (the README's engine_step table, `bench/engine_step.py`: workflow restored − kept): "
            + "; ".join(parts) + ". A negative figure means the kept step was not measured faster there.")


def saving_table(rows: list[Row], savings: list[tuple[str, float, float]]) -> str:
    """Expected saving per step = hit rate × (restored − kept) ÷ restored, per README row."""
    lines = ["| scenario | processes | cache per process | hit rate | "
             + " | ".join(f"expected saving per step, {name}" for name, _, _ in savings) + " |",
             "|---|---|---|---|" + "---|" * len(savings)]
    for row in rows:
        cells = [_share(row.rate * (restored - kept) / restored) for _, kept, restored in savings]
        lines.append(f"| {row.scenario} | {row.processes} | {row.cache} | {row.rate:.1%} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _share(value: float) -> str:
    return "0%" if round(value, 3) == 0 else f"{value:+.1%}"


def _counts(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files-per-day", type=int, default=400)
    parser.add_argument("--days", type=int, default=20, help="working days of arrivals")
    parser.add_argument("--officer-steps", type=int, default=4, help="verify, technical review, approve, sign")
    parser.add_argument("--mean-delay-hours", type=float, default=4.0, help="mean working hours before a next step")
    parser.add_argument("--hours-per-day", type=float, default=8.0)
    parser.add_argument("--cache", type=int, default=256, help="workflows kept per process (Settings.live_workflows)")
    parser.add_argument("--big-cache", type=int, default=4096)
    parser.add_argument("--big-cache-processes", type=_counts, default=[1, 2])
    parser.add_argument("--processes", type=_counts, default=[1, 2, 4])
    parser.add_argument("--http-processes", type=int, default=2, help="http_load.py's gunicorn --workers")
    parser.add_argument("--burst-share", type=float, default=0.2)
    parser.add_argument("--burst-minutes", type=float, default=2.0)
    parser.add_argument("--burst-processes", type=_counts, default=[1, 2])
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--readme-path", type=Path, default=ROOT / "README.md", help="where the step figures are")
    parser.add_argument("--readme", action="store_true", help="print only the tables, between README markers")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    rows = run(args)
    savings = step_savings(args.readme_path.read_text(encoding="utf-8")) if args.readme_path.exists() else []
    hits, saved = hit_table(rows), saving_table(rows, savings) if savings else ""
    if args.readme:
        print(marked("kept_workflows:hits", hits))
        if saved:
            print(marked("kept_workflows:saving", saved))
        return
    print(hits)
    print()
    print(saving_line(savings))
    if saved:
        print()
        print(saved)


if __name__ == "__main__":
    main()
