"""The real-world corpus: every diagram deploys or is diagnosed with located problems; nothing crashes."""

from __future__ import annotations

from engine.bpmn.compiler import SourceFile
from engine.services import definitions


def test_every_corpus_file_is_deployed_or_diagnosed_with_located_problems(ctx, corpus):
    files = sorted(corpus.rglob("*.bpmn"))
    assert len(files) > 700, f"the corpus at {corpus} is incomplete"
    deployed = 0
    for path in files:
        siblings = [SourceFile(str(p), p.read_bytes()) for p in sorted(path.parent.glob("*.bpmn")) if p != path]
        compiled = definitions.lint(ctx, SourceFile(str(path), path.read_bytes()), siblings,
                                    definitions.form_source(ctx, path))
        unlocated = [p.message for p in compiled.problems.errors if not (p.element_id or p.line)]
        assert unlocated == [], path
        assert compiled.ok == (not compiled.problems.errors), path
        deployed += compiled.ok
    # Plain SpiffWorkflow's CamundaParser accepts 44% of these files (bench/corpus_lint.py prints both).
    assert deployed / len(files) > 0.5
