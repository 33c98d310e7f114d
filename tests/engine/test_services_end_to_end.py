"""Both real services driven end to end through the engine, every branch, on every database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.casework import applications, tasks
from engine.context import EngineContext
from engine.errors import Forbidden, InvalidData, NotFound
from engine.storage.models import Event
from engine.workflow.live_workflows import LiveWorkflows
from tests import samples
from tests.engine.conftest import (
    APPLICANT,
    BONE_FISHERIES,
    HEAD,
    REVIEWER,
    SINJAI_FISHERIES,
    VERIFIER,
    open_task_rows,
)


class _CheckedLiveWorkflows(LiveWorkflows):
    """Every workflow handed to a step still writes exactly the text it was kept for: nothing changed it after
    its step saved it, so reusing it is the same as restoring that text."""

    def __init__(self, codec):
        super().__init__()
        self.codec = codec

    def take(self, instance_id, state):
        workflow = super().take(instance_id, state)
        assert workflow is None or self.codec.dump_state(workflow) == state
        return workflow


@pytest.fixture
def ctx(settings, clock):
    """Every branch of both services runs on workflows kept between steps (engine/workflow/live_workflows.py),
    checked."""
    ctx = EngineContext(settings=settings, clock=clock)
    ctx.live = _CheckedLiveWorkflows(ctx.codec)
    yield ctx
    assert ctx.live.hits > 0 or ctx.live.misses == 0, "steps ran, but none on a kept workflow"


def _start(db, ctx, service: str, data: dict):
    with db.transaction() as session:
        instance = applications.start(session, ctx, service=service, data=data, actor=APPLICANT)
        return instance.id


def _open(db, instance_id):
    with db.transaction() as session:
        return [(t.id, t.element_id, t.jurisdiction, t.assignee) for t in open_task_rows(session, instance_id)]


def _step(db, ctx, instance_id, element_id, actor, data=None, decision=None):
    """Complete the open task ``element_id`` of the application; return the elements now open."""
    (task_id,) = [t[0] for t in _open(db, instance_id) if t[1] == element_id]
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data or {}, decision=decision)
    return [t[1] for t in _open(db, instance_id)]


def _instance(db, instance_id):
    with db.transaction() as session:
        instance = session.get(applications.Instance, instance_id)
        return instance.status, instance.outcome


def _data(db, ctx, instance_id):
    with db.transaction() as session:
        return applications.current_data(ctx, session.get(applications.Instance, instance_id))


class TestResearchPermit:
    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("research_permit")

    def test_approved_without_revision_issues_a_numbered_permit(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        assert [t[1:] for t in _open(db, iid)] == [("Task_Verify", "sulsel", None)]
        verified = {**samples.VERIFIED, "note": "Lengkap"}
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, verified, "Setujui") == ["Task_Sign"]
        assert _step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN) == []
        assert _instance(db, iid) == ("completed", "Izin penelitian terbit")
        data = _data(db, ctx, iid)
        assert data["permit_number"] == "503/00001/IP/DPM-PTSP/2026"
        assert data["issued"] is True

    def test_returned_for_revision_loops_back_to_the_applicant_then_verification(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "KTP buram"},
                     "Kembalikan untuk perbaikan") == ["Task_Revise"]
        (revise,) = _open(db, iid)
        assert revise[3] == APPLICANT.username  # the applicant's own task
        assert _step(db, ctx, iid, "Task_Revise", APPLICANT, samples.REVISION) == ["Task_Verify"]
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"},
                     "Kembalikan untuk perbaikan") == ["Task_Revise"]
        assert _step(db, ctx, iid, "Task_Revise", APPLICANT, samples.REVISION) == ["Task_Verify"]
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui") == ["Task_Sign"]
        assert _step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN) == []
        assert _instance(db, iid) == ("completed", "Izin penelitian terbit")

    def test_rejected_ends_without_a_permit(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Bukan wewenang"}, "Tolak") == []
        status, outcome = _instance(db, iid)
        assert status == "completed" and outcome == "Permohonan ditolak"
        assert "permit_number" not in _data(db, ctx, iid)

    def test_rejected_after_a_revision(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        _step(db, ctx, iid, "Task_Revise", APPLICANT, samples.REVISION)
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Tolak") == []
        assert _instance(db, iid)[1] == "Permohonan ditolak"

    @pytest.mark.parametrize("decision", ["Kembalikan untuk perbaikan", "Tolak"])
    def test_returning_or_rejecting_needs_the_note_the_applicant_will_read(self, db, ctx, decision):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        (verify,) = _open(db, iid)
        for data in ({}, {"note": ""}):
            with pytest.raises(InvalidData) as refused, db.transaction() as session:
                tasks.complete(session, ctx, verify[0], VERIFIER, data, decision)
            assert list(refused.value.details) == ["note"]
        assert _open(db, iid) == [verify] and _instance(db, iid) == ("running", None)
        after = {"Kembalikan untuk perbaikan": ["Task_Revise"], "Tolak": []}[decision]
        assert _step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "KTP buram"}, decision) == after

    def test_research_that_ends_before_it_starts_is_refused_on_the_end_date(self, db, ctx):
        data = samples.research_application(start_date="2027-01-10", end_date="2026-01-01")
        with pytest.raises(InvalidData) as refused, db.transaction() as session:
            applications.start(session, ctx, service="research_permit", data=data, actor=APPLICANT)
        assert refused.value.details == {"end_date": "Must not be before start_date (2027-01-10)."}

    def test_every_step_is_in_the_audit_log_with_actor_and_data(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        _step(db, ctx, iid, "Task_Verify", VERIFIER, {**samples.VERIFIED, "note": "Lengkap"}, "Setujui")
        with db.transaction() as session:
            events = session.query(Event).filter(Event.instance_id == iid).order_by(Event.id).all()
            kinds = [(e.kind, e.actor) for e in events]
            completed = next(e for e in events if e.kind == "task_completed")
        assert kinds == [("started", "andi"), ("task_completed", "vera"), ("decision", "vera")]
        assert completed.data["data"]["note"] == "Lengkap" and completed.data["decision"] == "Setujui"

    def test_only_the_offered_decisions_are_accepted(self, db, ctx):
        iid = _start(db, ctx, "research_permit", samples.research_application())
        (task_id,) = [t[0] for t in _open(db, iid)]
        with db.transaction() as session, pytest.raises(InvalidData) as missing:
            tasks.complete(session, ctx, task_id, VERIFIER, {})
        assert "decision" in missing.value.details
        with db.transaction() as session, pytest.raises(InvalidData) as wrong:
            tasks.complete(session, ctx, task_id, VERIFIER, {}, decision="Terima saja")
        assert "Setujui" in wrong.value.details["decision"]
        assert [t[1] for t in _open(db, iid)] == ["Task_Verify"]


class TestFishingVesselPermit:
    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("fishing_vessel_permit")

    def _to_review(self, db, ctx, regency="sinjai"):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application(regency))
        assert _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan") == ["Task_Inspect"]
        assert _step(db, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, samples.INSPECTION, "Layak") == ["Task_Review"]
        return iid

    def test_routed_to_the_vessels_home_regency_then_the_province(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        assert [t[1:3] for t in _open(db, iid)] == [("Task_Recommend", "sinjai")]
        _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
        _step(db, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, samples.INSPECTION, "Layak")
        assert [t[1:3] for t in _open(db, iid)] == [("Task_Review", "sulsel")]
        assert _step(db, ctx, iid, "Task_Review", REVIEWER, {}, "Setujui") == ["Task_Sign"]
        assert [t[2] for t in _open(db, iid)] == ["sulsel"]
        assert _step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN) == []
        assert _instance(db, iid) == ("completed", "SIPI terbit")
        assert _data(db, ctx, iid)["permit_number"].startswith("503/00001/SIPI/")

    def test_officer_of_another_regency_can_neither_see_nor_complete_the_task(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        (task_id,) = [t[0] for t in _open(db, iid)]
        with db.transaction() as session, pytest.raises(NotFound):
            tasks.complete(session, ctx, task_id, BONE_FISHERIES, {}, decision="Rekomendasikan")
        with db.transaction() as session, pytest.raises(NotFound):
            tasks.claim(session, ctx, task_id, BONE_FISHERIES)
        with db.transaction() as session, pytest.raises(NotFound):
            applications.get(session, iid, BONE_FISHERIES)

    def test_province_reviewer_cannot_do_the_regency_recommendation(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        (task_id,) = [t[0] for t in _open(db, iid)]
        with db.transaction() as session, pytest.raises(NotFound):
            tasks.complete(session, ctx, task_id, REVIEWER, {}, decision="Rekomendasikan")
        provincial_reviewer_in_sinjai = REVIEWER.__class__.of("rudi", ["officer"], ["fisheries_reviewer"], ["sinjai"])
        with db.transaction() as session, pytest.raises(Forbidden):
            tasks.complete(session, ctx, task_id, provincial_reviewer_in_sinjai, {}, decision="Rekomendasikan")

    def test_revision_answered_in_time_goes_back_to_recommendation(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        assert _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"note": "Surat ukur kurang"},
                     "Kembalikan untuk perbaikan") == ["Task_Complete"]
        assert _step(db, ctx, iid, "Task_Complete", APPLICANT, samples.REVISION) == ["Task_Recommend"]
        assert _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan") == ["Task_Inspect"]

    def test_revision_not_answered_within_14_days_closes_the_file(self, db, ctx, clock):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        with db.transaction() as session:
            due = session.get(applications.Instance, iid).next_timer_at
        assert due == clock.now() + timedelta(days=14)
        clock.advance(timedelta(days=13))
        with db.transaction() as session:
            tasks.fire_due_timers(session, ctx, iid)
        assert [t[1] for t in _open(db, iid)] == ["Task_Complete"]
        clock.advance(timedelta(days=1, seconds=1))
        with db.transaction() as session:
            tasks.fire_due_timers(session, ctx, iid)
        assert _open(db, iid) == []
        assert _instance(db, iid) == ("completed", "Berkas ditutup (tidak dilengkapi)")
        with db.transaction() as session:
            states = {t.element_id: t.state for t in session.query(applications.Task).filter_by(instance_id=iid)}
        assert states["Task_Complete"] == "cancelled"

    def test_regency_rejection(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        assert _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"note": "Lengkapi dokumen"}, "Tolak") == []
        assert _instance(db, iid) == ("completed", "Permohonan ditolak kabupaten")

    def test_vessel_not_seaworthy(self, db, ctx):
        iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
        assert _step(db, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, samples.INSPECTION, "Tidak layak") == []
        assert _instance(db, iid) == ("completed", "Kapal tidak layak")
        assert "permit_number" not in _data(db, ctx, iid)

    def test_province_rejection(self, db, ctx):
        iid = self._to_review(db, ctx)
        assert _step(db, ctx, iid, "Task_Review", REVIEWER, {"note": "Lengkapi dokumen"}, "Tolak") == []
        assert _instance(db, iid) == ("completed", "Permohonan ditolak provinsi")
        assert "permit_number" not in _data(db, ctx, iid)


def test_province_reviewer_sees_a_regency_file_once_its_review_step_is_in_the_province(db, ctx, deploy_service):
    deploy_service("fishing_vessel_permit")
    iid = _start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
    with db.transaction() as session, pytest.raises(NotFound):
        applications.get(session, iid, REVIEWER)  # nothing of this file is in sulsel yet
    _step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
    _step(db, ctx, iid, "Task_Inspect", SINJAI_FISHERIES, samples.INSPECTION, "Layak")
    with db.transaction() as session:
        assert applications.get(session, iid, REVIEWER).jurisdiction == "sinjai"
    with db.transaction() as session, pytest.raises(NotFound):
        applications.get(session, iid, BONE_FISHERIES)
