"""The real-world corpus through the real deploy: every diagram is deployed or refused with located problems, on
both databases; none makes the deploy fail otherwise (``bench/corpus_deploy.py`` prints the counts)."""

from __future__ import annotations

from engine.bpmn.compiler import SourceFile
from engine.errors import InvalidDefinition
from engine.services import definitions
from engine.storage.models import ServiceDefinition


def test_every_corpus_file_deploys_or_is_refused_with_located_problems(db, ctx, corpus):
    files = sorted(corpus.rglob("*.bpmn"))
    assert len(files) > 700, f"the corpus at {corpus} is incomplete"
    deployed, refused = 0, 0
    for path in files:
        name = str(path.relative_to(corpus))
        siblings = [SourceFile(str(p.relative_to(corpus)), p.read_bytes())
                    for p in sorted(path.parent.glob("*.bpmn")) if p != path]
        try:
            with db.transaction() as session:
                # spiff-arena's layout: the JSON forms a diagram names sit beside it
                forms = definitions.form_source(ctx, path, uploads={p.name: p.read_bytes()
                                                                    for p in path.parent.glob("*.json")})
                definitions.deploy(session, ctx, SourceFile(name, path.read_bytes()), siblings, forms,
                                   actor="corpus")
            deployed += 1
        except InvalidDefinition as error:
            refused += 1
            errors = [p for p in error.problems if p["severity"] == "error"]
            assert errors, name
            assert [p["message"] for p in errors if not (p.get("element_id") or p.get("line"))] == [], name
    with db.transaction() as session:
        stored = session.query(ServiceDefinition).count()
    # Identical content deploys once; every other deploy is a version of its own.
    assert 0 < stored <= deployed and deployed + refused == len(files)
    assert deployed / len(files) > 0.55
