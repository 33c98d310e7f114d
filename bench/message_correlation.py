"""Message correlation by business key with 100,000 applications waiting, on SQLite and PostgreSQL.

``POST /engine-rest/message`` with a ``businessKey`` finds its application by one indexed lookup in
``waiting_event`` and advances it in one step (load, catch, run, save, reconcile, audit). Here ``--waiting``
applications wait for the message ``payment_received``: ``--real`` of them started through the engine, the rest
copied in bulk (instance rows and their waiting rows). Each correlation targets a different real application, in a
transaction of its own, as a request would; the p95 is printed for the lookup alone and for the whole correlation.

PostgreSQL runs in a database of its own (``lincah_bench_messages``, dropped and created through the admin URL).

    python bench/message_correlation.py [--waiting 100000] [--real 300] [--databases sqlite postgresql]
                                        [--postgres-admin URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, waiting  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.forms.schemas import FormSource  # noqa: E402
from engine.integration import messages  # noqa: E402
from engine.integration.clients import Caller  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Instance  # noqa: E402
from engine.storage.waiting_events import MESSAGE, WaitingEvent  # noqa: E402

NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)
BENCH_DB = "lincah_bench_messages"
BANK = Caller("bank", frozenset(), frozenset({"payment_received"}), frozenset())
APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi")
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://lincah.bench">
  <bpmn:process id="pay" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="paid"/>
    <bpmn:intermediateCatchEvent id="paid" name="Lunas">
      <bpmn:extensionElements><camunda:inputOutput><camunda:outputParameter name="amount"/>
      </camunda:inputOutput></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>
  </bpmn:process>
  <bpmn:message id="m" name="payment_received"/>
</bpmn:definitions>
"""


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000


def _fill(factory, ctx: EngineContext, waiting_count: int, real: int) -> list[str]:
    """Deploy, start ``real`` applications, copy the rest in bulk; return the real ones' registration numbers."""
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile("pay.bpmn", DIAGRAM.encode()), [], FormSource({}, []),
                           actor="bench")
    numbers = []
    for _ in range(real):
        with transaction(factory) as session:
            numbers.append(applications.start(session, ctx, service="pay", data={}, actor=APPLICANT).registration_no)
    with transaction(factory) as session:
        model = session.scalars(select(Instance).limit(1)).one()
        row = {c.key: getattr(model, c.key) for c in Instance.__table__.columns if c.key != "id"}
        template = session.scalars(select(WaitingEvent).limit(1)).one()
        wait = {c.key: getattr(template, c.key) for c in WaitingEvent.__table__.columns if c.key != "id"}
    copies = waiting_count - real
    chunk = 5_000
    for start in range(0, copies, chunk):
        with transaction(factory) as session:
            count = min(chunk, copies - start)
            first_id = session.execute(
                insert(Instance).returning(Instance.id),
                [{**row, "registration_no": f"bulk/pay/2026/{start + i:06d}"} for i in range(count)]).scalars().all()
            session.execute(insert(WaitingEvent), [
                {**wait, "instance_id": instance_id, "business_key": f"bulk/pay/2026/{start + i:06d}",
                 "task_id": f"bulk-{start + i}"} for i, instance_id in enumerate(first_id)])
    return numbers


def _measure(url: str, waiting_count: int, real: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with tempfile.TemporaryDirectory() as folder:
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)), clock=FrozenClock(NOW))
        numbers = _fill(factory, ctx, waiting_count, real)
        if url.startswith("postgresql"):
            with engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        lookups, correlations = [], []
        for number in numbers:
            started = time.perf_counter()
            with transaction(factory) as session:
                waiting.candidates(session, MESSAGE, "payment_received", business_key=number)
            lookups.append(time.perf_counter() - started)
            started = time.perf_counter()
            with transaction(factory) as session:
                (result,) = messages.correlate(session, ctx, BANK, "payment_received", business_key=number,
                                               process_variables={"amount": {"value": 150000}})
            correlations.append(time.perf_counter() - started)
            assert result.instance.status == "running"  # now at the review, past the message
        with transaction(factory) as session:
            rows = session.scalar(select(text("count(*)")).select_from(WaitingEvent))
    engine.dispose()
    return {"rows": rows, "lookup_p95": _p95(lookups), "correlation_p95": _p95(correlations),
            "correlation_median": statistics.median(correlations) * 1000}


def _postgres_url(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")  # no statement timeout: DROP DATABASE may wait
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--waiting", type=int, default=100_000)
    parser.add_argument("--real", type=int, default=300)
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print("| database | waiting rows | lookup p95 (ms) | correlation median (ms) | correlation p95 (ms) |")
    print("|---|---|---|---|---|")
    for database in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db" if database == "sqlite" else _postgres_url(args.postgres_admin)
            found = _measure(url, args.waiting, args.real)
        print(f"| {database} | {found['rows']:,} | {found['lookup_p95']:.2f} | {found['correlation_median']:.2f} | "
              f"{found['correlation_p95']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
