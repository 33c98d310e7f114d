"""The third bundled service on the pages: its catalogue page publishes the six components with the fee rule, a
fisher applies from the form, and the file shows it is waiting for the population registry — not for a person —
until the NIK check answers; then the officer of the business's regency has it in the inbox."""

from __future__ import annotations

from engine.bpmn.compiler import SourceFile
from engine.integration import external_tasks
from engine.integration.clients import Caller
from engine.integration.external_tasks import TopicRequest
from engine.integration.variables import typed_all
from engine.services import definitions
from tests.conftest import PROJECT_ROOT
from tests.web.conftest import apply, text_of

SERVICE = "fishery_business_permit"
REGISTRY = Caller("dukcapil", frozenset({"nik-check"}), frozenset(), frozenset())


def _deploy(db, ctx) -> None:
    path = PROJECT_ROOT / "processes" / f"{SERVICE}.bpmn"
    tables = [SourceFile(p.name, p.read_bytes()) for p in sorted(path.parent.glob("*.dmn"))]
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), tables,
                           definitions.form_source(ctx, path), actor="analis")


def _form(**overrides) -> dict:
    return {"applicant_name": "Daeng Rahman", "nik": "7307010101010002", "phone": "081298765432",
            "business_name": "UD Laut Sinjai", "nib": "1234567890123", "activity": "capture",
            "business_scale": "kecil", "fleet_gt": "12", "home_regency": "sinjai",
            "business_address": "Jl. Pelabuhan 1, Sinjai", "declaration": "true", **overrides}


def test_the_catalogue_page_publishes_the_fee_rule_and_the_requirements(db, ctx, visitor):
    _deploy(db, ctx)
    page = text_of(visitor().get(f"/services/{SERVICE}"))
    assert "Izin Usaha Perikanan (IUP)" in page
    assert "Retribusi daerah menurut skala usaha" in page
    assert "NIK diperiksa ke Dukcapil" in page


def test_a_fisher_applies_and_the_file_waits_for_the_registry_then_for_the_regency(db, ctx, visitor, people):
    _deploy(db, ctx)
    fisher = visitor("andi")
    form = text_of(fisher.get(f"/services/{SERVICE}/apply"))
    assert "Skala usaha" in form and "Jumlah tonase armada (GT)" in form
    apply(fisher, SERVICE, _form())
    sinta = visitor("sinta")
    assert "Verifikasi permohonan" not in sinta.get("/inbox").get_data(as_text=True)  # the registry answers first
    with db.transaction() as session:
        (locked,) = external_tasks.fetch_and_lock(session, ctx, REGISTRY, "w1", 1, [TopicRequest("nik-check", 60_000)])
    with db.transaction() as session:
        external_tasks.complete(session, ctx, REGISTRY, locked.row.id, "w1",
                                typed_all({"nik_verified": True, "registry_name": "Daeng Rahman"}))
    inbox = sinta.get("/inbox").get_data(as_text=True)
    assert "Verifikasi permohonan" in inbox
    assert "Verifikasi permohonan" not in visitor("bona").get("/inbox").get_data(as_text=True)
