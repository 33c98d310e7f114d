"""Regenerate the README's bench tables: run the benches and splice their Markdown between the README's markers.

A bench-generated table in README.md sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (NAME is the
script's stem, or ``stem:part`` when a script makes several tables). Each bench listed in ``BENCHES`` takes
``--readme`` and then prints only its tables, each wrapped in the same markers (``marked()``); this script runs the
benches named (default: all), each in a process of its own, and replaces what stands between the README's markers
with what the bench printed — the rest of the README is left as it was, byte for byte. A name ``stem:part`` runs
that bench but replaces only that one of its tables (``make bench NAMES=http_load:beside``): the others keep the
figures of the run that made them.

Quick sizes by default (minutes, for a look at the ratios); ``--full`` or ``BENCH_FULL=1`` runs the sizes the
README quotes (much longer: run them on a quiet machine). ``--check`` runs nothing: it reports markers that no bench
fills and benches whose tables have no marker. ``make bench`` runs this script.

    python bench/readme_tables.py [NAME ...] [--full] [--check] [--readme README.md] [--print]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = re.compile(r"<!-- bench:(?P<name>[\w:.-]+) -->\n(?P<body>.*?)<!-- /bench:(?P=name) -->", re.DOTALL)
TICK_SECONDS = 30
OPENING = re.compile(r"<!-- bench:(?P<name>[\w:.-]+) -->")


@dataclass(frozen=True)
class Bench:
    """A bench script and the tables it prints with ``--readme``; arguments for a quick look and for the README's
    sizes."""

    tables: tuple[str, ...]
    quick: tuple[str, ...] = ()
    full: tuple[str, ...] = ()


BENCHES: dict[str, Bench] = {
    "engine_step": Bench(("engine_step:raw", "engine_step:durable", "engine_step:sandbox"),
                         quick=("--samples", "8"), full=("--runs", "3", "--samples", "64")),
    "timers": Bench(("timers",), quick=("--applications", "40", "--runs", "1"), full=("--applications", "200")),
    "message_correlation": Bench(("message_correlation",), quick=("--waiting", "2000", "--real", "40")),
    "history_growth": Bench(("history_growth",), quick=("--samples", "4"), full=("--samples", "24")),
    "kept_workflows": Bench(("kept_workflows:hits", "kept_workflows:saving")),
    "sla_scan": Bench(("sla_scan",), quick=("--sizes", "2000", "--repeat", "1")),
    # Each row of http_load gets its own pool, which sits in the sulsel verifiers' inbox while the officers read it:
    # enough for 15 s at the quiet machine's best rate (~470/s), not more.
    "http_load": Bench(("http_load:completions", "http_load:inbox", "http_load:beside"),
                       quick=("--open", "2000", "--total", "10000", "--clients", "1,4", "--seconds", "5", "--pool",
                              "300", "--inbox-requests", "30", "--inbox-seconds", "5"),
                       full=("--pool", "8000")),
    "external_tasks": Bench(("external_tasks:round_trips", "external_tasks:latency"),
                            quick=("--waiting", "300", "--total", "2000", "--workers", "1,4", "--seconds", "5",
                                   "--templates", "5", "--latency-requests", "30", "--latency-seconds", "5",
                                   "--raw-steps", "50")),
}


def marked(name: str, table: str) -> str:
    """A table wrapped in its README markers: what a bench prints with ``--readme``."""
    return f"<!-- bench:{name} -->\n{table.strip(chr(10))}\n<!-- /bench:{name} -->"


def blocks(output: str) -> dict[str, str]:
    """The tables in a bench's ``--readme`` output, by name."""
    return {match["name"]: match["body"] for match in MARKER.finditer(output)}


def markers(readme: str) -> list[str]:
    return [match["name"] for match in OPENING.finditer(readme)]


def splice(readme: str, tables: dict[str, str]) -> tuple[str, list[str]]:
    """The README with each table put between its markers (markers kept, every other character untouched), and the
    names of the tables that found no marker (or no closing marker)."""
    found = set()

    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in tables:
            return match[0]
        found.add(name)
        return marked(name, tables[name])

    spliced = MARKER.sub(replace, readme)
    return spliced, [name for name in tables if name not in found]


def check(readme: str) -> tuple[list[str], list[str]]:
    """Markers that no bench fills (or that are never closed), and bench tables with no marker in the README."""
    known = {table for bench in BENCHES.values() for table in bench.tables}
    closed = {name for name in markers(readme) if f"<!-- /bench:{name} -->" in readme}
    orphans = [name for name in markers(readme) if name not in known or name not in closed]
    unplaced = [table for table in sorted(known) if table not in closed]
    return orphans, unplaced


def command(stem: str, full: bool) -> list[str]:
    bench = BENCHES[stem]
    return [sys.executable, str(ROOT / "bench" / f"{stem}.py"), "--readme", *(bench.full if full else bench.quick)]


def run(stem: str, full: bool, number: int, total: int) -> dict[str, str] | None:
    """Run one bench, its own progress streaming to stderr; its tables, or None when it failed."""
    argv = command(stem, full)
    print(f"[{number}/{total}] {stem}: python bench/{stem}.py {' '.join(argv[2:])}", file=sys.stderr, flush=True)
    began = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    while True:
        try:
            output, _ = process.communicate(timeout=TICK_SECONDS)
            break
        except subprocess.TimeoutExpired:  # a bench may print nothing for minutes: say it still runs
            print(f"[{number}/{total}] {stem}: running, {time.monotonic() - began:.0f} s", file=sys.stderr,
                  flush=True)
    seconds = time.monotonic() - began
    if process.returncode != 0:
        print(f"[{number}/{total}] {stem}: FAILED (exit {process.returncode}) after {seconds:.0f} s; its tables "
              "are left as they were", file=sys.stderr, flush=True)
        return None
    tables = blocks(output)
    missing = [name for name in BENCHES[stem].tables if name not in tables]
    print(f"[{number}/{total}] {stem}: done in {seconds:.0f} s, {len(tables)} table(s)"
          + (f"; did not print {', '.join(missing)}" if missing else ""), file=sys.stderr, flush=True)
    return tables


def chosen(names: list[str]) -> tuple[list[str], set[str] | None]:
    """The benches to run, in the order first named, and the tables to write (``None``: every table they print).
    A bench named by its stem writes all its tables, one named ``stem:part`` only that table."""
    if not names:
        return list(BENCHES), None
    stems = list(dict.fromkeys(name if name in BENCHES else name.split(":", 1)[0] for name in names))
    wanted = {table for name in names for table in (BENCHES[name].tables if name in BENCHES else (name,))}
    return stems, wanted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"benches to run (default: all): {', '.join(BENCHES)}")
    parser.add_argument("--full", action="store_true", default=os.environ.get("BENCH_FULL", "") not in ("", "0"),
                        help="the sizes the README quotes (also BENCH_FULL=1)")
    parser.add_argument("--check", action="store_true", help="only compare the README's markers with the benches")
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument("--print", action="store_true", help="print the tables instead of writing the README")
    args = parser.parse_args()
    known = set(BENCHES) | {table for bench in BENCHES.values() for table in bench.tables}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"no such bench or table: {', '.join(unknown)} (benches: {', '.join(BENCHES)}; a table: "
                     "stem:part as in the README's markers)")
    readme = args.readme.read_text(encoding="utf-8")
    if args.check:
        orphans, unplaced = check(readme)
        for name in orphans:
            print(f"{args.readme}: marker bench:{name} has no bench that prints it (or no closing marker)")
        for name in unplaced:
            print(f"{args.readme}: bench table {name} has no <!-- bench:{name} --> … <!-- /bench:{name} --> markers")
        if not orphans and not unplaced:
            print(f"{args.readme}: {len(markers(readme))} bench tables, each with its bench")
        return 1 if orphans or unplaced else 0
    names, wanted = chosen(args.names)
    print(f"{len(names)} bench(es), {'full' if args.full else 'quick'} sizes: {', '.join(names)}", file=sys.stderr)
    tables, failed = {}, []
    began = time.monotonic()
    for number, stem in enumerate(names, 1):
        found = run(stem, args.full, number, len(names))
        if found is None:
            failed.append(stem)
        else:
            tables.update((name, table) for name, table in found.items() if wanted is None or name in wanted)
    if args.print:
        print("\n\n".join(marked(name, table) for name, table in tables.items()))
    else:
        # Read again: the benches took minutes, and someone may have edited the README meanwhile.
        spliced, unplaced = splice(args.readme.read_text(encoding="utf-8"), tables)
        args.readme.write_text(spliced, encoding="utf-8")
        for name in unplaced:
            print(f"no <!-- bench:{name} --> markers in {args.readme}: table not written", file=sys.stderr)
        print(f"{args.readme}: {len(tables) - len(unplaced)} table(s) replaced in {time.monotonic() - began:.0f} s"
              + (f"; failed: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
