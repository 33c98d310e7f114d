"""How long an operator's campus page (``/campus``) takes with many students' files, beside the inbox-like query it
replaces (one indexed SELECT on ``instance.institution_code``).

``--files`` applications of the research permit with the campus step (examples/research_permit_campus.bpmn) are
started for students of one campus (a share of them for a second campus, which the page must leave out), then the
page is fetched ``--runs`` times through the real app; prints the median time per page and the rows it listed.
The page lists 50 files at a time (``engine.reporting.campus_files``), filtered and searched in SQL.

    python bench/campus_page.py [--files 200] [--runs 20]
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

from lxml import html  # noqa: E402

from api import create_app  # noqa: E402
from bench import raw_step  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people import institutions, users  # noqa: E402
from engine.people.access import SYSTEM, Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from tests import samples  # noqa: E402

NOW = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
PASSWORD = "kampus-merdeka-2026"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    reference = raw_step.measure()
    print(reference.line())
    folder = Path(tempfile.mkdtemp(prefix="lincah-campus-"))
    url = f"sqlite:///{folder / 'campus.db'}"
    upgrade(url)
    ctx = EngineContext(settings=Settings(database_url=url, instance_path=folder), clock=FrozenClock(NOW))
    factory = make_session_factory(make_engine(url))
    path = ROOT / "examples" / "research_permit_campus.bpmn"
    with transaction(factory) as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                           definitions.form_source(ctx, path), actor="bench")
        for code in ("unhas", "unm"):
            institutions.create(session, ctx, SYSTEM, code=code, name=f"Universitas {code.upper()}")
        institutions.add_operator(session, ctx, SYSTEM, code="unhas", username="op-unhas", password=PASSWORD)
    for number in range(args.files):
        code = "unm" if number % 5 == 0 else "unhas"
        student = Actor.of(f"s{number}", ["applicant"], institution=code, full_name=f"Mahasiswa {number}")
        with transaction(factory) as session:
            applications.start(session, ctx, service="research_permit", data=samples.research_application(),
                               actor=student, institution=code)
    with transaction(factory) as session:
        assert users.by_username(session, "op-unhas") is not None
    app = create_app({"SECRET_KEY": "bench"}, context=ctx, session_factory=factory)
    client = app.test_client()
    client.get("/signin")
    with client.session_transaction() as cookie:
        csrf = cookie.get("csrf")
    client.post("/signin", data={"username": "op-unhas", "password": PASSWORD, "_csrf": csrf})
    times, rows = [], 0
    for _ in range(args.runs):
        began = time.perf_counter()
        response = client.get("/campus")
        times.append(time.perf_counter() - began)
        assert response.status_code == 200
        rows = len(html.fromstring(response.get_data(as_text=True)).cssselect("li.campus-file"))
    print(f"campus page, {args.files} files ({rows} of this campus listed): median "
          f"{statistics.median(times) * 1000:.1f} ms over {args.runs} runs (SQLite), "
          f"{reference.times(statistics.median(times) * 1000):.1f} × raw step")


if __name__ == "__main__":
    main()
