"""Deploy every BPMN file of the real-world corpus into a fresh database and count what became of each.

The sibling of ``bench/corpus_lint.py``, through the real deploy (``engine.services.definitions.deploy``: lint, the
spec stored and restored, the definition and its forms written, one transaction per file): *deployed* is a version
in the database, *rejected* an ``InvalidDefinition`` whose every error names its element or line, *crashed* any
other exception (the target is zero). Each file is deployed on its own, with the other files of its folder
available to call activities, as ``lincah lint`` reads it. The lint-clean count is printed beside it: the two must
be equal, file by file.

    python bench/corpus_deploy.py [CORPUS_DIR] [--database-url URL]

Without ``--database-url`` the database is a new SQLite file in a temporary folder, migrated to the head revision.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.errors import InvalidDefinition  # noqa: E402
from engine.services import definitions  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402


def forms_of(ctx: EngineContext, path: Path):
    """The forms a file names: in a ``forms/`` folder beside it, or (spiff-arena's layout) the JSON files beside it."""
    return definitions.form_source(ctx, path, uploads={p.name: p.read_bytes() for p in path.parent.glob("*.json")})


def deploy_file(ctx: EngineContext, factory, path: Path, corpus: Path) -> tuple[str, object]:
    """``(outcome, detail)``: ``("deployed", definition key)``, ``("rejected", problems)`` or ``("crashed",
    traceback)``."""
    name = str(path.relative_to(corpus))
    siblings = [SourceFile(str(p.relative_to(corpus)), p.read_bytes())
                for p in sorted(path.parent.glob("*.bpmn")) if p != path]
    try:
        with transaction(factory) as session:
            result = definitions.deploy(session, ctx, SourceFile(name, path.read_bytes()), siblings,
                                        forms_of(ctx, path), actor="corpus")
            return "deployed", result.definition.key
    except InvalidDefinition as refused:
        return "rejected", refused.problems
    except Exception:  # noqa: BLE001 - counted, printed, and the run goes on
        return "crashed", traceback.format_exc(limit=6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--database-url", help="an empty database to deploy into (default: a new SQLite file)")
    args = parser.parse_args()
    corpus = Path(args.corpus).resolve()
    files = sorted(corpus.rglob("*.bpmn"))
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'corpus.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)))
        outcome: Counter = Counter()
        codes: Counter = Counter()
        crashed: list[tuple[Path, str]] = []
        unlocated, lint_clean, disagree = 0, 0, []
        started = time.perf_counter()
        for index, path in enumerate(files, 1):
            siblings = [SourceFile(str(p.relative_to(corpus)), p.read_bytes())
                        for p in sorted(path.parent.glob("*.bpmn")) if p != path]
            clean = definitions.lint(ctx, SourceFile(str(path.relative_to(corpus)), path.read_bytes()), siblings,
                                     forms_of(ctx, path)).ok
            lint_clean += clean
            kind, detail = deploy_file(ctx, factory, path, corpus)
            outcome[kind] += 1
            if kind == "crashed":
                crashed.append((path, detail))
            elif kind == "rejected":
                errors = [p for p in detail if p["severity"] == "error"]
                codes.update(p["code"] for p in errors)
                unlocated += sum(1 for p in errors if not (p.get("element_id") or p.get("line")))
            if clean != (kind == "deployed"):
                disagree.append(path)
            print(f"\r{index}/{len(files)} files: {outcome['deployed']} deployed, {outcome['rejected']} rejected, "
                  f"{outcome['crashed']} crashed", end="", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - started
        engine.dispose()
    print(file=sys.stderr)
    total = len(files)
    print("| corpus files | deployed | rejected with located problems | crashed | lint-clean |")
    print("|---|---|---|---|---|")
    print(f"| {total} | {outcome['deployed']} ({outcome['deployed'] / total:.0%}) | {outcome['rejected']} "
          f"| {outcome['crashed']} | {lint_clean} |")
    print(f"\nerror problems without element id or line: {unlocated}; files where lint and deploy disagree: "
          f"{len(disagree)}; time {elapsed:.1f} s ({url.split(':')[0]})")
    print("most common error codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common(12)))
    for path in disagree:
        print(f"DISAGREE {path}")
    for path, trace in crashed:
        print(f"\nCRASHED {path}\n{trace}")
    return 1 if crashed or disagree or unlocated else 0


if __name__ == "__main__":
    sys.exit(main())
