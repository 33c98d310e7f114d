"""What the sandbox's hard limits add to a step (part of bench/engine_step.py; also runs alone).

Since issue 14, code that can loop or call runs in a worker process killed from outside at its budget
(engine/sandbox/pool.py); code whose text bounds its cost — comparisons, literal formats: the gateways and the
issuance script of both services — stays in the server's thread (engine/sandbox/bounded.py). Two research-permit
steps are timed with the guards alone ("never", the engine as it was before the hard limits), with the default
engine ("auto"), and with every evaluation sent to a worker ("always": what a diagram whose scripts loop or call
functions pays):

* verify → return for revision: the gateway's conditions;
* sign → the issuance script (``"…%05d…" % (…)``) and the end.

Both kinds of engine take turns in blocks of steps, so the machine's ups and downs fall on both alike; the ratio
is the figure to read. One more line gives the cost of one evaluation each way, in microseconds.

    python bench/sandbox_cost.py [--samples 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, tasks  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.sandbox import create_script_engine  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Task  # noqa: E402
from engine.workflow.live_workflows import LiveWorkflows  # noqa: E402
from tests import samples  # noqa: E402

APPLICANT = Actor.of("andi", ["applicant"])
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
HEAD = Actor.of("kadis", ["officer"], ["head_of_office"], ["sulsel"])
MODES = ("never", "auto", "always")
BLOCK = 8


def _open_task(factory, instance_id: int) -> str:
    with transaction(factory) as session:
        return session.scalar(select(Task.id).where(Task.instance_id == instance_id,
                                                    Task.state.in_(("ready", "claimed"))))


def _prepare(factory, ctx, count: int, *, at_signing: bool) -> list[int]:
    ids = []
    for _ in range(count):
        with transaction(factory) as session:
            instance_id = applications.start(session, ctx, service="research_permit",
                                             data=samples.research_application(), actor=APPLICANT).id
        if at_signing:
            with transaction(factory) as session:
                tasks.complete(session, ctx, _open_task(factory, instance_id), VERIFIER,
                               {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
        ids.append(instance_id)
    return ids


def _step(factory, ctx, instance_id: int, at_signing: bool) -> float:
    task_id = _open_task(factory, instance_id)
    started = time.perf_counter()
    with transaction(factory) as session:
        if at_signing:
            tasks.complete(session, ctx, task_id, HEAD, samples.SIGNATURE, samples.SIGN)
        else:
            tasks.complete(session, ctx, task_id, VERIFIER, {"note": "Mohon lengkapi"}, "Kembalikan untuk perbaikan")
    return time.perf_counter() - started


def _evaluation_us(environment, expression: str, data: dict, count: int = 400) -> float:
    environment.evaluate(expression, data)  # a worker started, a code compiled: not what is measured
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        environment.evaluate(expression, data)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def measure(url: str, samples_count: int) -> dict:
    """{step: {mode: median ms}} for the two steps and the two engines, plus per-evaluation µs."""
    factory = make_session_factory(make_engine(url))
    settings = Settings(database_url=url)
    base = EngineContext(settings=settings, live=LiveWorkflows(0))
    contexts = {mode: EngineContext(settings=settings, codec=base.codec, live=LiveWorkflows(4 * samples_count),
                                    script_engine=create_script_engine(isolation=mode))
                for mode in MODES}
    path = ROOT / "processes" / "research_permit.bpmn"
    with transaction(factory) as session:
        definitions.deploy(session, base, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(base, path), actor="bench")
    results = {}
    for step, at_signing in (("verify", False), ("sign", True)):
        ids = {mode: _prepare(factory, contexts[mode], samples_count, at_signing=at_signing) for mode in MODES}
        durations = {mode: [] for mode in MODES}
        for start in range(0, samples_count, BLOCK):
            for mode in MODES:
                for instance_id in ids[mode][start:start + BLOCK]:
                    durations[mode].append(_step(factory, contexts[mode], instance_id, at_signing))
        results[step] = {mode: statistics.median(values) * 1000 for mode, values in durations.items()}
    environment = contexts["auto"].script_engine.environment  # a bounded condition stays, a call goes out
    results["evaluation_us"] = {
        "in the server (decision == 'x')": _evaluation_us(environment, "decision == 'approve'", {"decision": "x"}),
        "in a worker (len(note) > 0)": _evaluation_us(environment, "len(note) > 0",
                                                       {"note": "Mohon lengkapi", **samples.research_application()}),
    }
    factory.kw["bind"].dispose()
    return results


def table(by_backend: dict[str, dict]) -> str:
    """The Markdown table: each step with the guards alone, the default and every evaluation in a worker."""
    rows = ["| database | step | guards only (before) | hard limits (default) | ratio "
            "| every evaluation in a worker | ratio |", "|---|---|---|---|---|---|---|"]
    labels = {"verify": "verify → return for revision", "sign": "sign → issuance script"}
    for name, results in by_backend.items():
        for step, label in labels.items():
            before, auto, always = (results[step][mode] for mode in MODES)
            rows.append(f"| {name} | {label} | {before:.2f} ms | {auto:.2f} ms | {auto / before:.2f} "
                        f"| {always:.2f} ms | {always / before:.2f} |")
    return "\n".join(rows)


def print_table(by_backend: dict[str, dict]) -> None:
    print(table(by_backend))
    for name, results in by_backend.items():
        figures = ", ".join(f"{where} {us:.0f} µs" for where, us in results["evaluation_us"].items())
        print(f"\n{name}: one evaluation, median: {figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sandbox.db'}"
        upgrade(url)
        print_table({"SQLite": measure(url, args.samples)})


if __name__ == "__main__":
    main()
