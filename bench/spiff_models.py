"""Deploy the corpus's spiff-arena models as spiff-arena keeps them — model folders — and count what Lincah read.

Every folder of the corpus holding a diagram with ``spiffworkflow:`` extensions is deployed through the real deploy
into a fresh database: as one unit when it is a model folder (``engine.services.model_folder.is_model_folder``),
else each spiff diagram on its own with the other files of its folder (and its JSON files as form uploads). Printed:
units, deployed, rejected with located problems, crashed (the target is zero); and, over the deployed units, how
many of the spiff-arena extensions found in their diagrams were carried into the definition: forms named by
``formJsonSchemaFilename`` (snapshotted), business rule tasks naming ``calledDecisionId``, pre-/post-scripts
(attached to the spec), ``instructionsForEndUser`` (kept for the task page), ``serviceTaskOperator`` (external
tasks of the operator's topic).

    python bench/spiff_models.py [CORPUS_DIR] [--database-url URL]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.bpmn.spiff_flavour import SPIFF_NS  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.errors import InvalidDefinition  # noqa: E402
from engine.forms.schemas import FormSource  # noqa: E402
from engine.services import definitions, model_folder  # noqa: E402
from engine.storage.db import make_engine, make_session_factory, transaction, upgrade  # noqa: E402

_FORM_FILE = re.compile(r'name="formJsonSchemaFilename"\s+value="([^"]+)"')
FEATURES = ("forms", "decisions", "scripts", "instructions", "connectors")


def units(corpus: Path) -> list[tuple[Path, object]]:
    """(where, model folder or (main, supporting, forms)) for every spiff-arena model of the corpus."""
    found = []
    for folder in sorted({p.parent for p in corpus.rglob("*.bpmn")}):
        diagrams = sorted(p for p in folder.glob("*.bpmn") if p.is_file())
        if not any(SPIFF_NS.encode() in p.read_bytes() for p in diagrams):
            continue
        if model_folder.is_model_folder(folder):
            found.append((folder, "folder"))
            continue
        for path in diagrams:
            if SPIFF_NS.encode() in path.read_bytes():
                found.append((path, "file"))
    return found


def sources(where: Path, kind: str):
    if kind == "folder":
        model = model_folder.from_directory(where)
        return model.main, model.supporting, model.forms
    others = [SourceFile(p.name, p.read_bytes()) for p in sorted(where.parent.iterdir())
              if p.suffix in (".bpmn", ".dmn") and p != where]
    forms = FormSource({p.name: p.read_bytes() for p in where.parent.glob("*.json")}, [])
    return SourceFile(where.name, where.read_bytes()), others, forms


def found_in(texts: list[bytes]) -> Counter:
    """The spiff-arena extensions written in the diagrams, by feature."""
    counted: Counter = Counter()
    for text in texts:
        counted["forms"] += text.count(b'name="formJsonSchemaFilename"')
        counted["decisions"] += text.count(b"calledDecisionId>") // 2
        counted["scripts"] += (text.count(b"preScript>") + text.count(b"postScript>")) // 2
        counted["instructions"] += text.count(b"instructionsForEndUser>") // 2
        counted["connectors"] += text.count(b"<spiffworkflow:serviceTaskOperator ")
    return counted


def carried(compiled) -> Counter:
    """What the compiled definition holds of them."""
    named = [key for text in compiled.texts.values() for key in _FORM_FILE.findall(text)]
    return Counter(forms=sum(1 for key in named if key in compiled.forms),
                   decisions=sum(1 for spec in _task_specs(compiled) if type(spec).__name__ == "DecisionTask"),
                   scripts=sum(len(s) for s in compiled.spiff.scripts.values()),
                   instructions=len((compiled.meta or {}).get("instructions") or {}),
                   connectors=sum(1 for spec in _task_specs(compiled)
                                  if (getattr(spec, "extensions", None) or {}).get("camunda:type") == "external"))


def _task_specs(compiled):
    for spec in [compiled.spec, *compiled.subprocess_specs.values()]:
        if spec is not None:
            yield from spec.task_specs.values()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--database-url", help="an empty database to deploy into (default: a new SQLite file)")
    args = parser.parse_args()
    corpus = Path(args.corpus).resolve()
    if not corpus.is_dir():
        parser.error(f"no corpus at {corpus}: give its folder")
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'spiff.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        ctx = EngineContext(settings=Settings(database_url=url, instance_path=Path(folder)))
        outcome: Counter = Counter()
        written: Counter = Counter()
        kept: Counter = Counter()
        codes: Counter = Counter()
        crashed, files, started = [], 0, time.perf_counter()
        found = units(corpus)
        for where, kind in found:
            try:
                main_file, supporting, forms = sources(where, kind)
                compiled = definitions.lint(ctx, main_file, supporting, forms)
                with transaction(factory) as session:
                    definitions.deploy(session, ctx, main_file, supporting, forms, actor="bench")
                outcome[f"deployed_{kind}"] += 1
                files += 1 + len(compiled.texts) - 1
                written.update(found_in([t.encode() for t in compiled.texts.values()]))
                kept.update(carried(compiled))
            except InvalidDefinition as refused:
                outcome["rejected"] += 1
                codes.update(p["code"] for p in refused.problems if p["severity"] == "error")
            except Exception:  # noqa: BLE001 - counted, printed, and the run goes on
                outcome["crashed"] += 1
                crashed.append((where, traceback.format_exc(limit=6)))
        elapsed = time.perf_counter() - started
        engine.dispose()
    folders = sum(1 for _, kind in found if kind == "folder")
    deployed = outcome["deployed_folder"] + outcome["deployed_file"]
    print("| spiff-arena models (model folders + single diagrams) | deployed | rejected with located problems "
          "| crashed | diagrams in deployed models |")
    print("|---|---|---|---|---|")
    print(f"| {len(found)} ({folders} + {len(found) - folders}) | {deployed} ({outcome['deployed_folder']} folders) "
          f"| {outcome['rejected']} | {outcome['crashed']} | {files} |")
    print("\nspiff-arena extensions in the deployed models, carried into the definition / written:")
    for feature in FEATURES:
        print(f"  {feature}: {kept[feature]} / {written[feature]}")
    print("most common error codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common(10)))
    print(f"time {elapsed:.1f} s ({url.split(':')[0]})")
    for where, trace in crashed:
        print(f"\nCRASHED {where}\n{trace}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
