"""Lint every BPMN file of the real-world corpus and count: deployed, rejected with located problems, crashed.

Each file is compiled on its own (with the other files of its folder available to call activities), exactly as
``lincah lint`` does. "Crashed" means an exception escaped the linter — the target is zero. For comparison the
script also counts the files plain SpiffWorkflow's ``CamundaParser`` accepts (isExecutable forced on), the
baseline of the corpus README.

    python bench/corpus_lint.py [CORPUS_DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bpmn.compiler import SourceFile  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.context import EngineContext  # noqa: E402
from engine.services import definitions  # noqa: E402


def stock_accepts(path: Path) -> bool:
    """Plain SpiffWorkflow: CamundaParser on the file alone, executable forced on, no XSD."""
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        root = etree.parse(str(path), parser).getroot()
        for process in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}process"):
            process.set("isExecutable", "true")
        camunda = CamundaParser()
        camunda.add_bpmn_xml(root, filename=path.name)
        ids = camunda.get_process_ids()
        if not ids:
            return False
        for process_id in ids:
            camunda.get_spec(process_id)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not accepted"
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain SpiffWorkflow comparison")
    args = parser.parse_args()
    ctx = EngineContext(settings=Settings(database_url="sqlite://"))
    files = sorted(Path(args.corpus).rglob("*.bpmn"))
    outcome: Counter = Counter()
    codes: Counter = Counter()
    crashed: list[tuple[Path, str]] = []
    unlocated = 0
    baseline = 0
    started = time.perf_counter()
    for index, path in enumerate(files, 1):
        siblings = [SourceFile(str(p), p.read_bytes()) for p in sorted(path.parent.glob("*.bpmn")) if p != path]
        try:
            compiled = definitions.lint(ctx, SourceFile(str(path), path.read_bytes()), siblings,
                                        definitions.form_source(ctx, path))
        except Exception:  # noqa: BLE001 - counted, printed, and the run goes on
            crashed.append((path, traceback.format_exc(limit=3)))
            outcome["crashed"] += 1
            continue
        if compiled.ok:
            outcome["deployed"] += 1
        else:
            outcome["rejected"] += 1
            for problem in compiled.problems.errors:
                codes[problem.code] += 1
                if not (problem.element_id or problem.line):
                    unlocated += 1
        if not args.no_baseline:
            baseline += stock_accepts(path)
        if sys.stderr.isatty():
            print(f"\r{index}/{len(files)} files", end="", file=sys.stderr)
    elapsed = time.perf_counter() - started
    if sys.stderr.isatty():
        print(file=sys.stderr)
    total = len(files)
    print("| corpus files | deployed | rejected with located problems | crashed | plain CamundaParser accepts |")
    print("|---|---|---|---|---|")
    base = f"{baseline} ({baseline / total:.0%})" if not args.no_baseline else "-"
    print(f"| {total} | {outcome['deployed']} ({outcome['deployed'] / total:.0%}) | {outcome['rejected']} "
          f"| {outcome['crashed']} | {base} |")
    print(f"\nerror problems without element id or line: {unlocated}; time {elapsed:.1f} s")
    print("most common error codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common(12)))
    for path, trace in crashed:
        print(f"\nCRASHED {path}\n{trace}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
