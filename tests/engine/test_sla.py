"""SLA clocks in working time: transitions, met/missed, pauses, holidays, and what a breach sets off.

T0 is Tuesday 2 June 2026, 09:00 WITA; the office is open 08:00–16:00 Monday to Friday.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.bpmn.compiler import SourceFile
from engine.casework import applications, tasks
from engine.context import EngineContext
from engine.errors import Forbidden
from engine.people import users
from engine.services import definitions
from engine.sla import risk
from engine.sla.clocks import SlaPolicy
from engine.storage.models import TaskCandidate
from tests import samples
from tests.conftest import PROJECT_ROOT
from tests.drive import (
    create_staff,
    events,
    instance,
    notifications,
    open_rows,
    row,
    sla_pass,
    start,
    step,
    wita,
)
from tests.engine.conftest import APPLICANT, HEAD, SINJAI_FISHERIES, VERIFIER, diagram

H = 3600


def _verify_row(db, iid):
    return row(db, iid, "Task_Verify")


class TestStepTransitions:
    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("research_permit")

    def test_deadlines_are_set_in_working_time_when_the_step_opens(self, db, ctx):
        iid = start(db, ctx, "research_permit", samples.research_application())
        verify = _verify_row(db, iid)
        assert (verify.sla, verify.sla_target_seconds, verify.sla_state) == ("PT4H", 4 * H, "on_track")
        assert verify.at_risk_at == wita(2026, 6, 2, 12, 0)  # 75 % of four hours
        assert verify.due_at == verify.breached_at == wita(2026, 6, 2, 13, 0)

    def test_on_track_then_at_risk_at_75_percent_then_breached_after_the_deadline(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.set(wita(2026, 6, 2, 11, 59))
        assert risk.of_task(_verify_row(db, iid), ctx.now()) == "on_track"
        clock.set(wita(2026, 6, 2, 12, 0))  # at risk the moment its instant comes, without any pass
        assert risk.of_task(_verify_row(db, iid), ctx.now()) == "at_risk"
        assert sla_pass(db, ctx).breached == 0
        assert _verify_row(db, iid).sla_state == "on_track"  # stored as it was: at risk is read, not written
        clock.set(wita(2026, 6, 2, 13, 0))  # due "by 13:00": not late at 13:00 itself
        assert sla_pass(db, ctx).breached == 0
        clock.set(wita(2026, 6, 2, 13, 0, 1))
        assert sla_pass(db, ctx).breached == 1
        assert _verify_row(db, iid).sla_state == "breached"
        assert sla_pass(db, ctx).breached == 0
        (breach,) = events(db, iid, "sla_breached")
        assert (breach.actor, breach.element_id, breach.data["sla"]) == ("system", "Task_Verify", "PT4H")

    def test_completed_in_time_is_met_with_the_working_time_taken(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.advance(timedelta(hours=1, minutes=30))
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        verify = _verify_row(db, iid)
        assert (verify.sla_state, verify.working_seconds) == ("met", 1.5 * H)

    def test_completed_late_is_missed(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.set(wita(2026, 6, 2, 13, 0, 1))
        sla_pass(db, ctx)
        clock.set(wita(2026, 6, 2, 14, 0))
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        verify = _verify_row(db, iid)
        assert (verify.state, verify.sla_state, verify.working_seconds) == ("completed", "missed", 5 * H)

    def test_a_weekend_does_not_count(self, db, ctx, clock):
        clock.set(wita(2026, 6, 5, 15, 0))  # Friday afternoon
        iid = start(db, ctx, "research_permit", samples.research_application())
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        sign = row(db, iid, "Task_Sign")
        assert sign.due_at == wita(2026, 6, 8, 9, 0)  # one hour on Friday, one on Monday
        clock.set(wita(2026, 6, 8, 8, 30))
        assert sla_pass(db, ctx).breached == 0
        step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
        assert (row(db, iid, "Task_Sign").sla_state, row(db, iid, "Task_Sign").working_seconds) == ("met", 1.5 * H)

    def test_the_at_risk_share_is_configurable(self, db, settings, clock):
        ctx = EngineContext(settings=settings, clock=clock, sla_policy=SlaPolicy(at_risk_share=0.5))
        iid = start(db, ctx, "research_permit", samples.research_application())
        assert _verify_row(db, iid).at_risk_at == wita(2026, 6, 2, 11, 0)
        clock.set(wita(2026, 6, 2, 10, 59))
        assert risk.of_task(_verify_row(db, iid), ctx.now()) == "on_track"
        clock.set(wita(2026, 6, 2, 11, 0))
        assert risk.of_task(_verify_row(db, iid), ctx.now()) == "at_risk"


class TestClosingTime:
    """A step due at closing time is late only once the office opens again: after-hours work costs no time."""

    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("fishing_vessel_permit")

    def _opened_at_eight(self, db, ctx, clock):
        clock.set(wita(2026, 6, 2, 8, 0))
        iid = start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
        recommend = row(db, iid, "Task_Recommend")
        assert recommend.due_at == wita(2026, 6, 2, 16, 0)  # P1D: one working day of eight hours
        assert recommend.breached_at == wita(2026, 6, 3, 8, 0)
        return iid

    def test_finished_after_hours_on_the_due_day_is_met(self, db, ctx, clock):
        iid = self._opened_at_eight(db, ctx, clock)
        clock.set(wita(2026, 6, 2, 17, 30))
        assert sla_pass(db, ctx).breached == 0
        step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
        recommend = row(db, iid, "Task_Recommend")
        assert (recommend.sla_state, recommend.working_seconds) == ("met", 8 * H)

    def test_breached_the_moment_the_office_opens_next_day(self, db, ctx, clock):
        iid = self._opened_at_eight(db, ctx, clock)
        clock.set(wita(2026, 6, 3, 8, 0))
        assert sla_pass(db, ctx).breached == 0
        clock.set(wita(2026, 6, 3, 8, 0, 1))
        assert sla_pass(db, ctx).breached == 1
        step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
        recommend = row(db, iid, "Task_Recommend")
        assert (recommend.sla_state, recommend.working_seconds) == ("missed", 8 * H + 1)


def test_a_national_holiday_does_not_count(db, ctx, clock, deploy_service):
    deploy_service("fishing_vessel_permit")
    clock.set(wita(2026, 6, 15, 9, 0))  # Monday; Tuesday 16 June is Islamic New Year (1 Muharram)
    iid = start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
    recommend = row(db, iid, "Task_Recommend")
    assert recommend.due_at == wita(2026, 6, 17, 9, 0)
    clock.set(wita(2026, 6, 16, 15, 0))
    assert sla_pass(db, ctx).breached == 0
    assert risk.of_task(row(db, iid, "Task_Recommend"), ctx.now()) == "at_risk"
    clock.set(wita(2026, 6, 17, 9, 0, 1))
    assert sla_pass(db, ctx).breached == 1


class TestPause:
    """The clock stops while the file waits for the applicant (sla.pause), for the steps and the whole file."""

    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("research_permit")

    def test_revision_time_does_not_count_against_the_office(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        file = instance(db, iid)
        assert (file.sla, file.sla_target_seconds) == ("P1D", 8 * H)
        assert file.sla_due_at == wita(2026, 6, 3, 9, 0)
        clock.set(wita(2026, 6, 2, 10, 0))
        returned = step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        assert returned == ["Task_Revise"]
        assert instance(db, iid).paused_since == wita(2026, 6, 2, 10, 0)

        clock.set(wita(2026, 6, 3, 10, 0))  # an hour past the original deadline, still waiting for the applicant
        assert sla_pass(db, ctx).files_breached == 0
        assert risk.of_file(instance(db, iid), ctx.now()) == "on_track"

        clock.set(wita(2026, 6, 4, 10, 0))  # the applicant answers on Thursday
        step(db, ctx, iid, "Task_Revise", APPLICANT, samples.REVISION)
        file = instance(db, iid)
        assert file.paused_since is None
        assert file.paused_seconds == 16 * H  # Tue 10–16, all of Wednesday, Thu 08–10
        assert file.sla_due_at == wita(2026, 6, 5, 9, 0)
        revise = row(db, iid, "Task_Revise")
        assert (revise.working_seconds, revise.sla_state) == (16 * H, None)

        clock.set(wita(2026, 6, 4, 11, 0))
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        clock.set(wita(2026, 6, 4, 12, 0))
        step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
        file = instance(db, iid)
        assert (file.status, file.sla_state, file.working_seconds) == ("completed", "met", 3 * H)

    def test_an_office_step_open_beside_the_applicant_stands_still(self, db, ctx, clock, deploy):
        deploy(diagram("""
            <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="fork"/>
            <bpmn:parallelGateway id="fork"/>
            <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="check"/>
            <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="supply"/>
            <bpmn:userTask id="check" name="Periksa lapangan" camunda:candidateGroups="verifier">
              <bpmn:extensionElements><camunda:properties>
                <camunda:property name="sla" value="PT4H"/></camunda:properties></bpmn:extensionElements>
            </bpmn:userTask>
            <bpmn:userTask id="supply" name="Lengkapi dokumen" camunda:assignee="${applicant}">
              <bpmn:extensionElements><camunda:properties>
                <camunda:property name="sla.pause" value="true"/></camunda:properties></bpmn:extensionElements>
            </bpmn:userTask>
            <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="join"/>
            <bpmn:sequenceFlow id="f4" sourceRef="supply" targetRef="join"/>
            <bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="f5" sourceRef="join" targetRef="e"/>
            <bpmn:endEvent id="e" name="Selesai"/>"""))
        iid = start(db, ctx, "p")
        assert row(db, iid, "check").paused_since == wita(2026, 6, 2, 9, 0)
        clock.set(wita(2026, 6, 2, 13, 30))  # past the four hours, but the clock stood still
        assert sla_pass(db, ctx).breached == 0
        clock.set(wita(2026, 6, 2, 11, 0))
        step(db, ctx, iid, "supply", APPLICANT)
        check = row(db, iid, "check")
        assert (check.paused_since, check.paused_seconds) == (None, 2 * H)
        assert (check.at_risk_at, check.due_at) == (wita(2026, 6, 2, 14, 0), wita(2026, 6, 2, 15, 0))
        clock.set(wita(2026, 6, 2, 14, 30))
        assert sla_pass(db, ctx).breached == 0
        assert risk.of_task(row(db, iid, "check"), ctx.now()) == "at_risk"
        clock.set(wita(2026, 6, 2, 15, 0))
        step(db, ctx, iid, "check", VERIFIER)
        check = row(db, iid, "check")
        assert (check.sla_state, check.working_seconds) == ("met", 4 * H)


class TestWholeFile:
    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("research_permit")

    def test_file_turns_at_risk_then_breached_and_supervisors_hear_of_it_once(self, db, ctx, clock):
        create_staff(db, ctx)
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.set(wita(2026, 6, 2, 15, 0))  # six of eight working hours
        assert risk.of_file(instance(db, iid), ctx.now()) == "at_risk"
        clock.set(wita(2026, 6, 3, 9, 0, 1))
        assert sla_pass(db, ctx).files_breached == 1
        assert sla_pass(db, ctx).files_breached == 0
        assert instance(db, iid).sla_state == "breached"
        assert len(events(db, iid, "sla_file_breached")) == 1
        assert [n.recipient for n in notifications(db, "sla_file_breached")] == ["supri"]

    def test_completed_file_is_missed_when_late(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.set(wita(2026, 6, 3, 10, 0))
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
        file = instance(db, iid)
        assert (file.sla_state, file.working_seconds) == ("missed", 9 * H)

    def test_cancelled_application_stops_every_clock(self, db, ctx, clock):
        iid = start(db, ctx, "research_permit", samples.research_application())
        clock.advance(timedelta(hours=2))
        with db.transaction() as session:
            applications.cancel(session, ctx, iid, APPLICANT, reason="Salah isi")
        file, verify = instance(db, iid), _verify_row(db, iid)
        assert (file.status, file.working_seconds, file.sla_state) == ("cancelled", 2 * H, None)
        assert (verify.state, verify.working_seconds, verify.sla_state) == ("cancelled", 2 * H, None)


def test_a_step_taken_away_by_a_timer_keeps_its_working_time(db, ctx, clock, deploy_service):
    deploy_service("fishing_vessel_permit")
    iid = start(db, ctx, "fishing_vessel_permit", samples.vessel_application())
    step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
    clock.advance(timedelta(days=14, seconds=1))
    with db.transaction() as session:
        tasks.fire_due_timers(session, ctx, iid)
    revise = row(db, iid, "Task_Complete")
    file = instance(db, iid)
    # Tue 2 June 09:00 to Tue 16 June (1 Muharram, a holiday): 7 h, then nine full working days.
    assert revise.state == "cancelled" and revise.working_seconds == 7 * H + 9 * 8 * H
    assert file.status == "completed" and file.paused_since is None
    assert file.paused_seconds == revise.working_seconds and file.working_seconds == 0


# --- breach actions -------------------------------------------------------------------------------------------------


def _review_process(*, task_properties: str = "", process_properties: str = "", choices=("Setujui", "Tolak"),
                    after: str = "") -> str:
    flows = ""
    for i, name in enumerate(choices):
        target = "next" if i == 0 and after else f"end{i}"
        flows += f'<bpmn:sequenceFlow id="c{i}" name="{name}" sourceRef="gw" targetRef="{target}"/>'
        if target != "next":
            flows += f'<bpmn:endEvent id="{target}" name="{name}: selesai"/>'
    return diagram(f"""
        <bpmn:extensionElements><camunda:properties>{process_properties}</camunda:properties></bpmn:extensionElements>
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
        <bpmn:userTask id="review" name="Telaah" camunda:candidateGroups="verifier">
          <bpmn:extensionElements><camunda:properties>{task_properties}</camunda:properties></bpmn:extensionElements>
        </bpmn:userTask>
        <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/><bpmn:exclusiveGateway id="gw"/>
        {flows}{after}""")


SIGN_AFTER = """
    <bpmn:userTask id="next" name="Tanda tangan" camunda:candidateGroups="head_of_office"/>
    <bpmn:sequenceFlow id="f9" sourceRef="next" targetRef="issued"/><bpmn:endEvent id="issued" name="Izin terbit"/>"""


def prop(name: str, value: str) -> str:
    return f'<camunda:property name="{name}" value="{value}"/>'


class TestBreachActions:
    @pytest.fixture(autouse=True)
    def _staff(self, db, ctx):
        create_staff(db, ctx)

    def test_group_holder_and_supervisor_are_notified_once(self, db, ctx, clock, deploy_service):
        deploy_service("research_permit")
        iid = start(db, ctx, "research_permit", samples.research_application())
        (verify,) = open_rows(db, iid)
        with db.transaction() as session:
            tasks.claim(session, ctx, verify.id, VERIFIER)
        clock.set(wita(2026, 6, 2, 13, 0, 1))
        sla_pass(db, ctx)
        clock.advance(timedelta(minutes=5))
        sla_pass(db, ctx)
        sent = notifications(db, "sla_breached")
        # vera holds it and is in the group; vivi is in the group; supri supervises; bona is a verifier in Bone.
        assert sorted(n.recipient for n in sent) == ["supri", "vera", "vivi"]
        assert all(n.email == f"{n.recipient}@dpmptsp.test" and n.email_status == "pending" for n in sent)
        registration_no = instance(db, iid).registration_no
        assert all(registration_no in n.subject and "Verifikasi berkas" in n.body and "13:00 WITA" in n.body
                   for n in sent)

    def test_escalation_hands_the_step_to_another_group(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H") + prop("sla.escalate", "kabid")))
        iid = start(db, ctx, "p")
        (review,) = open_rows(db, iid)
        with db.transaction() as session:
            tasks.claim(session, ctx, review.id, VERIFIER)
        clock.advance(timedelta(hours=1, seconds=1))
        assert sla_pass(db, ctx).escalated == 1
        (review,) = open_rows(db, iid)
        assert (review.state, review.assignee, review.candidate_groups) == ("ready", None, ["kabid"])
        with db.transaction() as session:
            assert [c.group_name for c in session.query(TaskCandidate).filter_by(task_id=review.id)] == ["kabid"]
        (escalated,) = events(db, iid, "task_escalated")
        assert escalated.data["previous_assignee"] == "vera" and escalated.data["to_group"] == "kabid"
        assert [n.recipient for n in notifications(db, "task_escalated")] == ["kabid"]
        with db.transaction() as session, pytest.raises(Forbidden):
            tasks.complete(session, ctx, review.id, VERIFIER, {}, decision="Setujui")
        kabid = VERIFIER.__class__.of("kabid", ["officer"], ["kabid"], ["sulsel"])
        assert step(db, ctx, iid, "review", kabid, {}, "Setujui") == []

    def test_a_burst_of_overdue_steps_escalates_each_once(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H") + prop("sla.escalate", "kabid")))
        started = [start(db, ctx, "p") for _ in range(3)]
        step(db, ctx, started[2], "review", VERIFIER, {}, "Setujui")  # closed in time: nothing to escalate
        clock.advance(timedelta(hours=1, seconds=1))
        assert sla_pass(db, ctx).escalated == 2
        assert sla_pass(db, ctx).escalated == 0
        for iid in started[:2]:
            (review,) = open_rows(db, iid)
            assert (review.candidate_groups, len(events(db, iid, "task_escalated"))) == (["kabid"], 1)
        assert sorted(n.task_id for n in notifications(db, "task_escalated")) == sorted(
            r.id for iid in started[:2] for r in open_rows(db, iid))
        assert row(db, started[2], "review").candidate_groups == ["verifier"]

    def test_fiktif_positif_takes_the_approving_decision_and_records_it(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H"),
                               process_properties=prop("sla.on_breach", "approve")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=1, seconds=1))
        assert sla_pass(db, ctx).approved == 1
        file = instance(db, iid)
        assert (file.status, file.outcome) == ("completed", "Setujui: selesai")
        review = row(db, iid, "review")
        assert (review.completed_by, review.decision, review.sla_state, review.working_seconds) == (
            "system", "Setujui", "missed", H + 1)
        kinds = [(e.kind, e.actor) for e in events(db, iid) if e.kind != "started"]
        assert kinds == [("sla_breached", "system"), ("fiktif_positif", "system"), ("task_completed", "system"),
                         ("decision", "system"), ("completed", "system")]
        (deemed,) = events(db, iid, "fiktif_positif")
        assert deemed.data["legal_basis"] == "PP 28/2025" and deemed.data["decision"] == "Setujui"
        assert events(db, iid, "task_completed")[0].data["fiktif_positif"] is True
        assert [n.recipient for n in notifications(db, "fiktif_positif")] == ["supri"]
        assert [n.recipient for n in notifications(db, "application_approved")] == ["andi"]

    def test_the_diagram_can_name_the_approving_choice(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H") + prop("sla.on_breach", "approve")
                               + prop("sla.approve", "Terbitkan"), choices=("Tolak", "Terbitkan")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=2))
        sla_pass(db, ctx)
        assert row(db, iid, "review").decision == "Terbitkan"
        assert instance(db, iid).outcome == "Terbitkan: selesai"

    def test_no_approving_choice_leaves_the_step_breached_and_says_why(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H"), process_properties=prop("sla.on_breach", "approve"),
                               choices=("Tunda", "Tolak")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=2))
        assert sla_pass(db, ctx).approved == 0
        (review,) = open_rows(db, iid)
        assert (review.sla_state, review.sla_action) == ("breached", "failed")
        (failed,) = events(db, iid, "fiktif_positif_failed")
        assert "sla.approve" in failed.data["reason"]
        clock.advance(timedelta(hours=1))
        sla_pass(db, ctx)
        assert len(events(db, iid, "fiktif_positif_failed")) == 1  # said once, not every minute

    def test_breached_file_is_approved_step_by_step_to_the_end(self, db, ctx, clock, deploy):
        deploy(_review_process(process_properties=prop("sla", "PT2H") + prop("sla.on_breach", "approve"),
                               after=SIGN_AFTER))
        iid = start(db, ctx, "p")
        step_rows = open_rows(db, iid)
        assert [r.sla_state for r in step_rows] == [None]  # the steps have no target of their own
        clock.advance(timedelta(hours=2, seconds=1))
        result = sla_pass(db, ctx)
        assert (result.files_breached, result.approved) == (1, 2)
        file = instance(db, iid)
        assert (file.status, file.outcome, file.sla_state, file.sla_action) == ("completed", "Izin terbit", "missed",
                                                                                None)
        assert [e.element_id for e in events(db, iid, "fiktif_positif")] == ["review", "next"]

    def test_without_on_breach_nothing_is_decided(self, db, ctx, clock, deploy):
        deploy(_review_process(task_properties=prop("sla", "PT1H")))
        iid = start(db, ctx, "p")
        clock.advance(timedelta(hours=2))
        assert sla_pass(db, ctx).approved == 0
        assert [r.sla_state for r in open_rows(db, iid)] == ["breached"]


class TestOfficeCalendars:
    """Each office's clock runs on its own calendar (instance/calendars.toml): local days off, hours, time zone."""

    CALENDARS = """
        [office.sinjai]
        days_off = {2026-06-03 = "Hari Jadi Kabupaten Sinjai"}

        [office.sulsel.office_hours]
        mon = "08:00-16:00"
        tue = "08:00-16:00"
        wed = "08:00-16:00"
        thu = "08:00-16:00"
        fri = "08:00-11:30"

        [office.jayawijaya]
        timezone = "Asia/Jayapura"
        """

    @pytest.fixture
    def ctx(self, settings, clock):
        settings.calendars_path.parent.mkdir(parents=True, exist_ok=True)
        settings.calendars_path.write_text(self.CALENDARS, encoding="utf-8")
        return EngineContext(settings=settings, clock=clock)

    def test_a_regency_holiday_moves_that_regencys_deadline_a_working_day_later(self, db, ctx, deploy_service):
        deploy_service("fishing_vessel_permit")
        sinjai = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        bone = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("bone"))
        # Tuesday 09:00 + one working day: Wednesday 09:00 in Bone; Sinjai is closed on Wednesday (hari jadi).
        assert row(db, bone, "Task_Recommend").due_at == wita(2026, 6, 3, 9, 0)
        assert row(db, sinjai, "Task_Recommend").due_at == wita(2026, 6, 4, 9, 0)
        assert row(db, sinjai, "Task_Recommend").jurisdiction == "sinjai"
        # The whole file (P5D) is the regency's too: Tuesday 9 June in Bone, Wednesday 10 June in Sinjai.
        assert instance(db, bone).sla_due_at == wita(2026, 6, 9, 9, 0)
        assert instance(db, sinjai).sla_due_at == wita(2026, 6, 10, 9, 0)

    def test_the_local_day_off_also_counts_when_the_step_closes(self, db, ctx, clock, deploy_service):
        deploy_service("fishing_vessel_permit")
        iid = start(db, ctx, "fishing_vessel_permit", samples.vessel_application("sinjai"))
        clock.set(wita(2026, 6, 4, 8, 30))  # Thursday: Wednesday did not count
        assert sla_pass(db, ctx).breached == 0
        step(db, ctx, iid, "Task_Recommend", SINJAI_FISHERIES, {}, "Rekomendasikan")
        recommend = row(db, iid, "Task_Recommend")
        assert (recommend.sla_state, recommend.working_seconds) == ("met", 7.5 * H)

    def test_an_office_with_a_short_friday_counts_its_own_hours(self, db, ctx, clock, deploy_service):
        deploy_service("research_permit")
        clock.set(wita(2026, 6, 5, 10, 0))  # Friday; the province office closes at 11:30 on Fridays
        iid = start(db, ctx, "research_permit", samples.research_application())
        verify = _verify_row(db, iid)
        assert verify.jurisdiction == "sulsel"
        # PT4H: 1.5 h on Friday, 2.5 h on Monday (with 08:00-16:00 it would have been Friday 14:00).
        assert verify.due_at == wita(2026, 6, 8, 10, 30)
        assert verify.at_risk_at == wita(2026, 6, 8, 9, 30)  # 75 %: 3 h
        clock.set(wita(2026, 6, 8, 10, 30, 1))
        assert sla_pass(db, ctx).breached == 1

    def test_an_office_in_papua_counts_in_wit_and_says_so(self, db, ctx, clock, deploy_service):
        deploy_service("research_permit")
        _deploy_research_permit_of(db, ctx, "jayawijaya")
        with db.transaction() as session:
            users.create(session, username="yakob", password="rahasia-123", roles=["officer"], groups=["verifier"],
                         jurisdictions=["jayawijaya"], email="yakob@dpmptsp.test", at=ctx.now())
        clock.set(wita(2026, 6, 2, 15, 30))  # 16:30 in Wamena: that office has closed for the day
        with db.transaction() as session:
            papua = applications.start(session, ctx, service="research_permit_jayawijaya",
                                       data=samples.research_application(), actor=APPLICANT).id
        makassar = start(db, ctx, "research_permit", samples.research_application())
        wit = ZoneInfo("Asia/Jayapura")
        # PT4H from Wednesday's opening, 08:00 WIT (07:00 WITA); the Makassar office still had half an hour.
        assert _verify_row(db, papua).due_at == datetime(2026, 6, 3, 12, 0, tzinfo=wit)
        assert _verify_row(db, makassar).due_at == wita(2026, 6, 3, 11, 30)
        assert instance(db, papua).sla_due_at == datetime(2026, 6, 3, 16, 0, tzinfo=wit)  # P1D
        clock.set(datetime(2026, 6, 3, 12, 0, 1, tzinfo=wit))
        assert sla_pass(db, ctx).breached == 1
        (sent,) = notifications(db, "sla_breached")
        assert sent.recipient == "yakob" and "03-06-2026 12:00 WIT" in sent.body


class TestApplicantHearsOfEveryStage:
    @pytest.fixture(autouse=True)
    def _deployed(self, deploy_service):
        deploy_service("research_permit")

    def _kinds(self, db):
        return [(n.kind, n.recipient, n.email) for n in notifications(db)]

    def test_received_returned_and_approved_with_the_permit_number(self, db, ctx):
        iid = start(db, ctx, "research_permit", samples.research_application())
        step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        step(db, ctx, iid, "Task_Revise", APPLICANT, samples.REVISION)
        step(db, ctx, iid, "Task_Verify", VERIFIER, samples.VERIFIED, "Setujui")
        step(db, ctx, iid, "Task_Sign", HEAD, samples.SIGNATURE, samples.SIGN)
        email = "andi@example.ac.id"  # typed in the form; andi has no account e-mail here
        assert self._kinds(db) == [("application_received", "andi", email), ("returned_for_revision", "andi", email),
                                   ("application_approved", "andi", email)]
        approved = notifications(db, "application_approved")[0]
        assert "503/00001/IP/DPM-PTSP/2026" in approved.body and "Izin penelitian terbit" in approved.body
        assert "survei kepuasan" in approved.body and "satisfaction survey" in approved.body
        returned = notifications(db, "returned_for_revision")[0]
        assert "Perbaiki permohonan" in returned.body

    def test_rejected(self, db, ctx):
        iid = start(db, ctx, "research_permit", samples.research_application())
        step(db, ctx, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi dokumen"}, "Tolak")
        assert [k for k, *_ in self._kinds(db)] == ["application_received", "application_rejected"]
        assert "Permohonan ditolak" in notifications(db, "application_rejected")[0].body
        assert "survei kepuasan" in notifications(db, "application_rejected")[0].body

    def test_a_running_clock_still_tells_each_new_applicant_step_once(self, db, settings):
        ticking = EngineContext(settings=settings, clock=_TickingClock(wita(2026, 6, 2, 9, 0)))
        iid = start(db, ticking, "research_permit", samples.research_application())
        step(db, ticking, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        step(db, ticking, iid, "Task_Revise", APPLICANT, samples.REVISION)
        step(db, ticking, iid, "Task_Verify", VERIFIER, {"note": "Lengkapi"}, "Kembalikan untuk perbaikan")
        assert [k for k, *_ in self._kinds(db)] == ["application_received", "returned_for_revision",
                                                    "returned_for_revision"]

    def test_account_address_is_preferred(self, db, ctx):
        create_staff(db, ctx, ["andi"])
        start(db, ctx, "research_permit", samples.research_application())
        assert [n.email for n in notifications(db)] == ["andi@dpmptsp.test"]


class _TickingClock:
    """Every reading is a millisecond later than the one before, as on a real server."""

    def __init__(self, start):
        self._now = start

    def now(self):
        self._now += timedelta(milliseconds=1)
        return self._now


def _deploy_research_permit_of(db, ctx, office: str) -> None:
    """The research permit as a service of another office (``research_permit_<office>``): the office of a file
    is the service's rule, so an office of its own takes a service of its own."""
    path = PROJECT_ROOT / "processes" / "research_permit.bpmn"
    text = path.read_text(encoding="utf-8")
    text = text.replace('"research_permit"', f'"research_permit_{office}"').replace(
        '<camunda:property name="jurisdiction" value="sulsel" />',
        f'<camunda:property name="jurisdiction" value="{office}" />', 1)
    with db.transaction() as session:
        definitions.deploy(session, ctx, SourceFile(path.name, text.encode()), [],
                           definitions.form_source(ctx, path), actor="analyst")
