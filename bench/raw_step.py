"""The raw SpiffWorkflow step, measured in the run of any bench: the yardstick its figures are divided by.

On a machine shared with other work, milliseconds move from one hour to the next (the raw step took 0.9 ms one day
and 2.8 ms another); a figure divided by a reference measured in the same run holds much better. The reference is
the step ``bench/engine_step.py`` calls "raw": an application without persistence of its own deserializes the
workflow with SpiffWorkflow's stock serializer (spec included), completes the ready task, runs to the next wait and
serializes it again — here the research permit's verification, "return for revision", on an application that waits
there after one submission.

``measure()`` builds that state once (a scratch SQLite database, the research permit deployed, one application
started through Lincah, its workflow written with the stock serializer), then repeats the stateless step for a few
hundred milliseconds and returns the medians of wall-clock and CPU time. A bench prints ``reference.line()`` and
divides its own figures with ``reference.times(ms)``.

    python bench/raw_step.py [--seconds 0.3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Instance, Task  # noqa: E402
from engine.workflow import runtime  # noqa: E402
from tests import samples  # noqa: E402

APPLICANT = Actor.of("andi", ["applicant"])
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
RETURN = "Kembalikan untuk perbaikan"
VERIFY_DATA = {"note": "Mohon lengkapi dokumen"}
RESEARCH_PERMIT = ROOT / "processes" / "research_permit.bpmn"

STOCK = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))


def deploy_research_permit(factory, ctx) -> None:
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile(RESEARCH_PERMIT.name, RESEARCH_PERMIT.read_bytes()), [],
                           definitions.form_source(ctx, RESEARCH_PERMIT), actor="bench")


def open_task(factory, instance_id: int) -> str:
    with transaction(factory) as session:
        return session.query(Task.id).filter(Task.instance_id == instance_id,
                                             Task.state.in_(("ready", "claimed"))).scalar()


def prepare(factory, ctx, loops: int, count: int) -> list[int]:
    """``count`` applications that went through ``loops`` revision loops and wait at verification again."""
    ids = []
    for _ in range(count):
        with transaction(factory) as session:
            instance_id = applications.start(session, ctx, service="research_permit",
                                             data=samples.research_application(), actor=APPLICANT).id
        for _ in range(loops):
            with transaction(factory) as session:
                tasks.complete(session, ctx, open_task(factory, instance_id), VERIFIER, VERIFY_DATA, RETURN)
            with transaction(factory) as session:
                tasks.complete(session, ctx, open_task(factory, instance_id), APPLICANT, samples.REVISION)
        ids.append(instance_id)
    return ids


def stock_states(factory, ctx, instance_ids: list[int]) -> dict[int, str]:
    """Each instance's state as SpiffWorkflow's own serializer writes it (spec included), waiting at verification:
    taken before any timed step, so that every column times the same step."""
    with transaction(factory) as session:
        return {instance_id: STOCK.serialize_json(runtime.load(ctx, session.get(Instance, instance_id)))
                for instance_id in instance_ids}


def raw_step(state: str) -> str:
    """Deserialize → complete the verification with "return for revision" → run → serialize, all stock."""
    workflow = STOCK.deserialize_json(state)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.data.update(VERIFY_DATA | {"decision": RETURN})
    task.run()
    workflow.do_engine_steps()
    return STOCK.serialize_json(workflow)


def compression_like_lincah(table: str) -> str:
    """PostgreSQL: a statement giving ``table.state`` the TOAST compression of Lincah's ``instance.state`` (lz4
    since migration 0005 where the server has it), so that a raw baseline that writes its state compresses it as
    Lincah's column does — the same compression on both sides of a comparison. No-op where Lincah's is the
    default; run it after CREATE TABLE, in the database that holds Lincah's schema."""
    return (f"DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN "
            f"IF (SELECT attcompression FROM pg_attribute WHERE attrelid = 'instance'::regclass "
            f"AND attname = 'state') = 'l' THEN ALTER TABLE {table} ALTER COLUMN state SET COMPRESSION lz4; "
            f"END IF; END IF; END $$")


@dataclass(frozen=True)
class RawStep:
    """Medians of the raw step in this run: wall clock and this process's CPU, in milliseconds."""

    ms: float
    cpu_ms: float
    samples: int

    def times(self, ms: float) -> float:
        """A figure in milliseconds as a multiple of the raw step's wall-clock time."""
        return ms / self.ms

    def cpu_times(self, cpu_ms: float) -> float:
        """A CPU figure in milliseconds as a multiple of the raw step's CPU time."""
        return cpu_ms / self.cpu_ms

    def line(self) -> str:
        return (f"Raw SpiffWorkflow step in this run (bench/raw_step.py, median of {self.samples}): "
                f"{self.ms:.2f} ms ({self.cpu_ms:.2f} ms CPU); ratios below are figures ÷ this step.")


def research_state(folder: Path) -> str:
    """The stock state of a research-permit application waiting at verification after one submission."""
    url = f"sqlite:///{folder / 'raw_step.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    ctx = EngineContext(settings=Settings(database_url=url, instance_path=folder))
    try:
        deploy_research_permit(factory, ctx)
        (instance_id,) = prepare(factory, ctx, 0, 1)
        return stock_states(factory, ctx, [instance_id])[instance_id]
    finally:
        engine.dispose()


def time_raw_step(state: str, seconds: float = 0.3, at_least: int = 15) -> RawStep:
    """Repeat the stateless step on ``state`` for about ``seconds`` (at least ``at_least`` times); the first,
    cold step is left out."""
    raw_step(state)
    walls, cpus = [], []
    deadline = time.perf_counter() + seconds
    while len(walls) < at_least or time.perf_counter() < deadline:
        wall, cpu = time.perf_counter(), time.process_time()
        raw_step(state)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return RawStep(statistics.median(walls) * 1000, statistics.median(cpus) * 1000, len(walls))


def measure(seconds: float = 0.3) -> RawStep:
    """The raw step on this machine now (about a second with the scratch database's setup)."""
    with tempfile.TemporaryDirectory() as folder:
        state = research_state(Path(folder))
    return time_raw_step(state, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.3, help="how long to repeat the step")
    print(measure(parser.parse_args().seconds).line())


if __name__ == "__main__":
    main()
