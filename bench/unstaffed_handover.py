"""How long the scheduler's handover pass (``engine.casework.handover.hand_over``) takes when a regency with no
officer has many waiting steps, beside a pass with nothing to move.

``--files`` fishing-permit applications are started for Barru (no regency officer; the province has one), the
clock moves past the handover time, then one pass moves them all; a second pass, with nothing left, shows the
cost of the every-five-minutes look when all is well. Prints both times.

    python bench/unstaffed_handover.py [--files 500] [--database sqlite|postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import raw_step  # noqa: E402
from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.casework import applications, handover  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.people import users  # noqa: E402
from engine.people.access import Actor  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402
from tests import samples  # noqa: E402

START = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 WITA on a Tuesday


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    reference = raw_step.measure()
    print(reference.line())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db" if args.database == "sqlite" else args.database
        upgrade(url)
        clock = FrozenClock(START)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)), clock=clock)
        factory = make_session_factory(make_engine(url))
        path = ROOT / "processes" / "fishing_vessel_permit.bpmn"
        applicant = Actor.of("nelayan", ["applicant"], full_name="Daeng Rahman")
        with transaction(factory) as session:
            definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), [],
                               definitions.form_source(ctx, path), actor="bench")
            users.create(session, username="prova", password="rahasia-provinsi-1", roles=["officer"],
                         groups=["regency_fisheries"], jurisdictions=["sulsel"], at=START)
            for _ in range(args.files):
                applications.start(session, ctx, service="fishing_vessel_permit", actor=applicant,
                                   data=samples.vessel_application("barru"))
        clock.set(START + timedelta(hours=4, minutes=1))
        for label in ("moving every stranded step", "nothing left to move"):
            began = time.perf_counter()
            with transaction(factory) as session:
                moved = handover.hand_over(session, ctx)
            took = (time.perf_counter() - began) * 1000
            print(f"{label}: {moved} step(s) in {took:.0f} ms ({reference.times(took):.1f} × raw step)")


if __name__ == "__main__":
    main()
