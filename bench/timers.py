"""How fast one scheduler fires due BPMN timers, as a ratio to one ordinary step measured in the same run.

``--applications`` files of a small service (a review step, then a one-hour intermediate timer, then a decision
step) are started; each one's review is completed by an officer — the *ordinary step*, timed one transaction at a
time, commit included. The clock then moves past the hour and ``scheduler.jobs.fire_timers`` drains every due timer
(the timer job of one scheduler process; each firing restores the workflow, lets the timer fire, runs to the
decision step, saves it and audits ``timer_fired``). Prints, per database, the timers fired per second, the mean
time per firing and its ratio to the median ordinary step: on a machine busy with other work the absolute figures
move, the ratio much less. The last column divides the firing by the raw SpiffWorkflow step (``bench/raw_step.py``)
measured at the start of the same run; ``--readme`` prints only the README's table, between its markers.

``--kept`` lets the firings reuse the workflows the review steps kept in memory (a scheduler rarely has them:
its own process did not run the review); by default every firing restores the stored text, as in production.

PostgreSQL runs in a database of its own (``lincah_bench_timers``: its public schema is dropped and migrated),
never the test database.

    python bench/timers.py [--applications 300] [--runs 3] [--postgres URL] [--no-postgres] [--kept] [--readme]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from bench import raw_step  # noqa: E402
from bench.raw_step import RawStep  # noqa: E402
from bench.readme_tables import marked  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, tasks  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.forms.schemas import FormSource  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Event, Instance, Task  # noqa: E402
from engine.workflow.live_workflows import LiveWorkflows  # noqa: E402
from scheduler import jobs  # noqa: E402

NOW = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)  # Wednesday 09:00 WITA
APPLICANT = Actor.of("andi", ["applicant"])
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_timers"

SERVICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://lincah.bench">
  <bpmn:process id="timed_review" name="Telaah berjeda" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="Tunggu satu jam">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="decide"/>
    <bpmn:userTask id="decide" name="Putuskan" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>
  </bpmn:process>
</bpmn:definitions>
"""


def database(url: str | None, folder: Path) -> str:
    if url is None:
        url = f"sqlite:///{folder / 'timers.db'}"
    else:
        name = url.rsplit("/", 1)[1]
        if name.split("?")[0] == "test":
            raise SystemExit("--postgres must not be the test database")
        server = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def run(url: str, count: int, kept: bool) -> dict:
    """One run on a fresh database: the median ordinary step and the timer job's rate."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FrozenClock(NOW)
    settings = Settings(database_url=url)
    ctx = EngineContext(settings=settings, clock=clock, live=LiveWorkflows(2 * count if kept else 0))
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile("timed_review.bpmn", SERVICE.encode()), [],
                           FormSource({}, []), actor="bench")
    ids = []
    for _ in range(count):
        with transaction(factory) as session:
            ids.append(applications.start(session, ctx, service="timed_review", data={}, actor=APPLICANT).id)
    with transaction(factory) as session:
        reviews = dict(session.execute(select(Task.instance_id, Task.id).where(Task.element_id == "review")).all())
    steps = []
    for instance_id in ids:
        began = time.perf_counter()
        with transaction(factory) as session:
            tasks.complete(session, ctx, reviews[instance_id], VERIFIER, {})
        steps.append(time.perf_counter() - began)
    clock.advance(timedelta(hours=1, minutes=1))
    fired, began = 0, time.perf_counter()
    while True:
        report = jobs.fire_timers(factory, ctx)
        fired += report.instances
        if report.instances == 0:
            break
    elapsed = time.perf_counter() - began
    with transaction(factory) as session:
        events = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "timer_fired"))
        waiting = session.scalar(select(func.count()).select_from(Instance).where(Instance.next_timer_at.is_not(None)))
        decisions = session.scalar(select(func.count()).select_from(Task).where(Task.element_id == "decide"))
    engine.dispose()
    if not fired == events == decisions == count or waiting:
        raise SystemExit(f"timers fired {fired}, audited {events}, decision steps {decisions}, still waiting "
                         f"{waiting}: expected each of {count} exactly once")
    return {"step": statistics.median(steps), "firing": elapsed / fired, "rate": fired / elapsed}


HEADER = ("| database | applications | ordinary step | per timer firing | timers/s | firing ÷ step "
          "| firing ÷ raw SpiffWorkflow step |\n|---|---|---|---|---|---|---|")


def row(name: str, applications: int, results: list[dict], reference: RawStep) -> str:
    """One database's line: medians over the runs, the firing ÷ step ratio with its range, and the firing as a
    multiple of the raw step measured in the same bench run."""
    step = statistics.median(r["step"] for r in results)
    firing = statistics.median(r["firing"] for r in results)
    ratios = sorted(r["firing"] / r["step"] for r in results)
    return (f"| {name} | {applications} | {step * 1000:.1f} ms | {firing * 1000:.1f} ms | "
            f"{statistics.median(r['rate'] for r in results):.0f} | {statistics.median(ratios):.2f} "
            f"({ratios[0]:.2f}–{ratios[-1]:.2f}) | {reference.times(firing * 1000):.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3, help="fresh databases per backend; medians are printed")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--kept", action="store_true", help="firings may reuse workflows kept by the review steps")
    parser.add_argument("--readme", action="store_true", help="print only the README's table, with its markers")
    args = parser.parse_args()
    backends = [("SQLite", None)] + ([] if args.no_postgres else [("PostgreSQL", args.postgres)])
    reference = raw_step.measure()
    rows = []
    if not args.readme:
        print(reference.line() + "\n\n" + HEADER)
    for name, target in backends:
        results = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as folder:
                results.append(run(database(target, Path(folder)), args.applications, args.kept))
        rows.append(row(name, args.applications, results, reference))
        if not args.readme:
            print(rows[-1], flush=True)
    if args.readme:
        print(marked("timers", "\n".join([reference.line(), "", HEADER, *rows])))


if __name__ == "__main__":
    main()
