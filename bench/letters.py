"""Permit letters: what rendering and storing one costs (WeasyPrint, bundled fonts, QR code), its size, and the
verification page's byte-for-byte check, on SQLite.

Both bundled services are deployed with their templates and one application of each is issued through the engine;
then the letter is issued ``--letters`` times (the stored row set aside and the transaction rolled back each time,
so every round renders from scratch) and the p50/p95 are printed with the PDF's size.

    python bench/letters.py [--letters 20]
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

from bench import raw_step  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, tasks  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.documents import issued_letters, verification  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import Task  # noqa: E402

NOW = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
APPLICANT = Actor.of("andi", ["applicant"], full_name="Andi Pratama")
VERIFIER = Actor.of("vera", ["officer"], ["verifier"], ["sulsel"])
HEAD = Actor.of("kadis", ["officer"], ["head_of_office"], ["sulsel"])
ATTACHMENT = {"id": "att-1", "name": "dokumen.pdf", "size": 20480, "content_type": "application/pdf"}
RESEARCH = {
    "applicant_name": "Andi Pratama", "nik": "7371010101010001", "email": "andi@example.ac.id",
    "phone": "081234567890", "applicant_category": "student", "student_id": "H071201001",
    "institution": "Universitas Hasanuddin", "research_title": "Kajian mangrove pesisir Sinjai",
    "research_purpose": "Penyusunan skripsi sarjana " * 40, "location_regency": "sinjai",
    "location_detail": "Kecamatan Sinjai Timur", "start_date": "2026-07-01", "end_date": "2026-08-31",
    "research_method": "Survei lapangan dan wawancara", "declaration": True,
    **{name: ATTACHMENT for name in ("application_letter", "campus_recommendation", "proposal", "ktp",
                                     "statement_letter")},
}
CHECKLIST = ["application_letter", "campus_recommendation", "proposal", "ktp", "ktm", "statement_letter"]


def _complete(session, ctx, instance_id: int, element_id: str, actor: Actor, data: dict, decision=None) -> None:
    task = session.query(Task).filter(Task.instance_id == instance_id, Task.element_id == element_id,
                                      Task.state.in_(("ready", "claimed"))).one()
    if decision is None and task.decision_choices:
        decision = task.decision_choices[0]
    tasks.complete(session, ctx, task.id, actor, data, decision=decision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=20)
    args = parser.parse_args()
    reference = raw_step.measure()
    print(reference.line())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)), clock=FrozenClock(NOW))
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            path = ROOT / "processes" / "research_permit.bpmn"
            definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                               definitions.form_source(ctx, path), actor="bench")
            iid = applications.start(session, ctx, service="research_permit", data=RESEARCH, actor=APPLICANT).id
            _complete(session, ctx, iid, "Task_Verify", VERIFIER, {"checklist": CHECKLIST}, "Setujui")
            _complete(session, ctx, iid, "Task_Sign", HEAD, {"note": "Sesuai"})
        seconds, size = [], 0
        for _round in range(args.letters):
            with factory() as session:
                instance = session.get(applications.Instance, iid)
                data = applications.current_data(ctx, instance)
                session.delete(issued_letters.of(session, iid))
                session.flush()
                started = time.perf_counter()
                letter = issued_letters.issue(session, ctx, instance, data, actor="kadis")
                seconds.append(time.perf_counter() - started)
                pdf = issued_letters.pdf_of(session, letter)
                size = len(pdf)
                checked = time.perf_counter()
                assert verification.matches(letter, pdf)
                check_ms = (time.perf_counter() - checked) * 1000
                session.rollback()
        engine.dispose()
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))]
    print(f"letters rendered and stored: {len(seconds)}; p50 {statistics.median(seconds) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms ({reference.times(statistics.median(seconds) * 1000):.0f} / "
          f"{reference.times(p95 * 1000):.0f} × raw step); PDF {size / 1024:.0f} KB; hash check {check_ms:.2f} ms")


if __name__ == "__main__":
    main()
