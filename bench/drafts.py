"""Form drafts: what an autosave costs, and the expiry pass, with many drafts stored, on SQLite and PostgreSQL.

An applicant's page saves the form every few seconds while they type (``POST /drafts`` → ``engine.casework.drafts
.save``: one upsert of the inputs, the uploads it refers to re-listed). Here ``--drafts`` drafts of other accounts
are stored first (bulk); then ``--saves`` saves of a 20-field form with 6 document references, each in a
transaction of its own as a request would be, for accounts of their own; the p50/p95 are printed. Then the
scheduler's pass (notice to the drafts that go within the notice days, deletion of the expired ones) runs once
with a tenth of the drafts due.

PostgreSQL runs in a database of its own (``lincah_bench_drafts``, dropped and created through the admin URL).

    python bench/drafts.py [--drafts 20000] [--saves 300] [--databases sqlite postgresql] [--postgres-admin URL]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bench import raw_step  # noqa: E402
from engine.casework import drafts  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.documents import attachments  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from engine.storage.models import FormDraft  # noqa: E402

NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)
BENCH_DB = "lincah_bench_drafts"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _form(references: list[str]) -> list[tuple[str, str]]:
    pairs = [(f"field_{i}", f"isian nomor {i} " * 8) for i in range(20)]
    for number, reference in enumerate(references):
        pairs += [(f"doc_{number}.__id", reference), (f"doc_{number}.__name", f"dokumen-{number}.pdf")]
    return pairs


def _postgres_url(admin_url: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"


def run(url: str, folder: str, stored: int, saves: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)), clock=FrozenClock(NOW))
    life = timedelta(days=ctx.settings.draft_lifetime_days)
    rows = [{"owner": f"other{i}", "scope": "start:research_permit", "fields": _form([]), "size": 4000,
             "created_at": NOW, "updated_at": NOW,
             # a tenth due for a notice, a tenth expired, the rest far off
             "expires_at": NOW + (timedelta(days=1) if i % 10 == 0 else -timedelta(hours=1) if i % 10 == 1 else life),
             "expiry_notified_at": None} for i in range(stored)]
    with transaction(factory) as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(FormDraft), rows[start:start + 2000])
    timings = []
    for number in range(saves):
        actor = Actor.of(f"applicant{number}", ["applicant"])
        with transaction(factory) as session:
            references = [attachments.store(session, ctx, name=f"d{k}.pdf", stream=io.BytesIO(PDF), actor=actor).id
                          for k in range(6)]
        pairs = _form(references)
        started = time.perf_counter()
        with transaction(factory) as session:
            drafts.save(session, ctx, actor, "start:research_permit", pairs)
        timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    with transaction(factory) as session:
        warned = drafts.warn_expiring(session, ctx)
    with transaction(factory) as session:
        expired = drafts.purge_expired(session, ctx)
    pass_ms = (time.perf_counter() - started) * 1000
    engine.dispose()
    timings.sort()
    return {"p50": statistics.median(timings), "p95": timings[int(len(timings) * 0.95) - 1], "warned": warned,
            "expired": expired, "pass_ms": pass_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=20000)
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres-admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    reference = raw_step.measure()
    print(reference.line())
    for database in args.databases:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db" if database == "sqlite" else _postgres_url(args.postgres_admin)
            result = run(url, folder, args.drafts, args.saves)
        print(f"{database:10} {args.drafts} drafts stored: save p50 {result['p50']:.1f} ms, "
              f"p95 {result['p95']:.1f} ms ({reference.times(result['p50']):.1f} / "
              f"{reference.times(result['p95']):.1f} × raw step); expiry pass {result['pass_ms']:.0f} ms "
              f"({reference.times(result['pass_ms']):.0f} × raw step; {result['warned']} told, "
              f"{result['expired']} deleted)")


if __name__ == "__main__":
    main()
