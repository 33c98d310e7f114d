"""Two app hosts on one PostgreSQL, one killed with SIGKILL mid-load: what is kept, and what the survivor serves.

Builds the setting of ``tests/two_hosts.py`` (network namespaces ``lincah-a``/``lincah-b`` on this machine, each with
``lincah serve`` on gunicorn and ``lincah scheduler``; PostgreSQL reached over veth links), starts ``--applications``
files waiting at a verification step, and drives ``--clients`` officers completing them over HTTP on both hosts
while an applicant uploads documents on host A. After ``--before-kill`` seconds every process of host A gets SIGKILL;
the load goes on against host B for ``--after-kill`` seconds. Each completed step starts a 2-second BPMN timer fired
by whichever scheduler gets it first. Then the database is read and one Markdown table printed:

- completions/s with both hosts, and with the survivor alone (and their ratio), measured in the same run;
- acknowledged completions (HTTP 200) missing from the database, and steps completed twice: both must be 0;
- requests in flight to host A when it died (no answer: the client does not know; the step was stored or not);
- timers due / fired exactly once / twice / never; documents uploaded on A and downloaded from B.

Needs root (``ip netns``). The database (default ``lincah_bench_two_hosts``) is created when missing and its public
schema dropped and migrated at the start: never point ``--postgres`` at a database you use.

    python bench/two_hosts.py [--applications 3000] [--clients 8] [--before-kill 15] [--after-kill 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_load import check_local, reset_database  # noqa: E402

from tests import two_hosts  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/lincah_bench_two_hosts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per host")
    parser.add_argument("--before-kill", type=float, default=15.0)
    parser.add_argument("--after-kill", type=float, default=15.0)
    parser.add_argument("--postgres", default=os.environ.get("LINCAH_BENCH_TWO_HOSTS_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    reason = two_hosts.unavailable()
    if reason:
        raise SystemExit(f"cannot run: this machine {reason}")
    check_local(args.postgres)
    reset_database(args.postgres)
    with tempfile.TemporaryDirectory(prefix="lincah-two-hosts-") as folder:
        began = time.monotonic()
        print(f"preparing {args.applications} applications …", file=sys.stderr, flush=True)
        with two_hosts.cluster(args.postgres, Path(folder), args.applications, args.threads) as (installation, hosts):
            print(f"ready in {time.monotonic() - began:.0f} s; load for {args.before_kill + args.after_kill:.0f} s, "
                  f"host A killed at {args.before_kill:.0f} s …", file=sys.stderr, flush=True)
            report = two_hosts.run_load(installation, hosts, before_kill=args.before_kill,
                                        after_kill=args.after_kill, clients=args.clients)
    ratio = report.rate_survivor / report.rate_both if report.rate_both else 0.0
    rows = [
        ("clients (officers) / gunicorn threads per host", f"{args.clients} / {args.threads}"),
        ("completions/s, both hosts", f"{report.rate_both:.1f}"),
        ("completions/s, host B alone after the kill", f"{report.rate_survivor:.1f} ({ratio:.2f} of both)"),
        ("acknowledged completions (HTTP 200)", f"{report.acknowledged}"),
        ("acknowledged but not stored", f"{report.acknowledged_not_stored}"),
        ("steps completed twice", f"{report.completed_twice}"),
        ("requests in flight to host A at the kill (no answer)", f"{report.lost_in_flight}"),
        ("other answers", ", ".join(f"{status}: {n}" for status, n in sorted(report.refused.items())) or "none"),
        ("timers due / fired once / twice / never",
         f"{report.timers_due} / {report.timers_fired_once} / {report.timers_fired_twice} / {report.timers_not_fired}"),
        ("seconds after the load until every timer had fired", f"{report.timer_drain_seconds:.0f}"),
        ("documents uploaded (A, then B) / downloaded from B", f"{report.uploads} / {report.uploads_served_by_b}"),
    ]
    print("| two hosts, host A killed with SIGKILL mid-load | |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    kept = (report.acknowledged_not_stored == report.completed_twice == report.timers_fired_twice
            == report.timers_not_fired == 0 and report.uploads == report.uploads_served_by_b)
    print(f"\nnothing lost, nothing repeated: {'yes' if kept else 'NO'}")


if __name__ == "__main__":
    main()
