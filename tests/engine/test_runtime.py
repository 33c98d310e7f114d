"""Running applications: decisions, conditions, timers, script errors, races and registration numbers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from engine.casework import applications, tasks
from engine.errors import Conflict, InvalidData, ProcessError
from engine.storage.models import Event, Instance, Task
from tests.engine.conftest import (
    APPLICANT,
    REVIEW_FORMS,
    REVIEW_THEN_DIVIDE,
    SUPERVISOR,
    VERIFIER,
    diagram,
    fields_form,
    open_task_rows,
)


def _start(db, ctx, service="p", data=None, actor=APPLICANT):
    with db.transaction() as session:
        return applications.start(session, ctx, service=service, data=data or {}, actor=actor).id


def _open(db, instance_id):
    with db.transaction() as session:
        return [(t.id, t.element_id) for t in open_task_rows(session, instance_id)]


def _complete(db, ctx, instance_id, element_id, data=None, decision=None, actor=VERIFIER):
    (task_id,) = [t for t, e in _open(db, instance_id) if e == element_id]
    with db.transaction() as session:
        tasks.complete(session, ctx, task_id, actor, data or {}, decision=decision)


def _outcome(db, instance_id):
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        return instance.status, instance.outcome


DECISION = diagram("""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" default="other"/>
    <bpmn:sequenceFlow id="yes" name="Setujui" sourceRef="gw" targetRef="approved"/>
    <bpmn:sequenceFlow id="no" name="Tolak" sourceRef="gw" targetRef="rejected"/>
    <bpmn:sequenceFlow id="other" name="Tunda" sourceRef="gw" targetRef="postponed"/>
    <bpmn:endEvent id="approved" name="Disetujui"/><bpmn:endEvent id="rejected" name="Ditolak"/>
    <bpmn:endEvent id="postponed" name="Ditunda"/>""")


class TestHumanDecisions:
    def test_flow_names_become_the_choices_of_the_task(self, db, ctx, deploy):
        definition = deploy(DECISION)
        assert definition.meta["tasks"]["review"]["decisions"] == ["Setujui", "Tolak", "Tunda"]
        iid = _start(db, ctx)
        with db.transaction() as session:
            (task,) = open_task_rows(session, iid)
            assert task.decision_choices == ["Setujui", "Tolak", "Tunda"]

    @pytest.mark.parametrize("choice, end", [("Setujui", "Disetujui"), ("Tolak", "Ditolak"), ("Tunda", "Ditunda")])
    def test_completing_with_a_choice_takes_that_flow(self, db, ctx, deploy, choice, end):
        deploy(DECISION)
        iid = _start(db, ctx)
        _complete(db, ctx, iid, "review", decision=choice)
        assert _outcome(db, iid) == ("completed", end)
        with db.transaction() as session:
            (row,) = session.query(Task).filter_by(instance_id=iid).all()
            assert (row.state, row.decision, row.completed_by) == ("completed", choice, "vera")

    def test_conditions_keep_working_beside_decisions(self, db, ctx, deploy):
        deploy(diagram("""
        <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
        <bpmn:exclusiveGateway id="gw" default="small"/>
        <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="bigEnd">
          <bpmn:conditionExpression>${amount &gt; 1000 &amp;&amp; applicant_type == 'company'}
          </bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="smallEnd"/>
        <bpmn:endEvent id="bigEnd" name="Besar"/><bpmn:endEvent id="smallEnd" name="Kecil"/>"""),
               {"apply": fields_form(amount="number", applicant_type="string")})
        big = _start(db, ctx, data={"amount": 5000, "applicant_type": "company"})
        small = _start(db, ctx, data={"amount": 5000, "applicant_type": "student"})
        assert _outcome(db, big) == ("completed", "Besar")
        assert _outcome(db, small) == ("completed", "Kecil")


    def test_overlapping_conditions_are_tried_in_the_files_order_not_the_drawings(self, db, ctx, deploy):
        """As in Camunda: the first listed flow whose condition holds wins, wherever its target is drawn (the
        library alone would try the highest-drawn target first: 'Sedang' here)."""
        shapes = "".join(
            f'<bpmndi:BPMNShape id="{end}_di" bpmnElement="{end}"><dc:Bounds x="400" y="{y}" width="36" height="36"/>'
            "</bpmndi:BPMNShape>" for end, y in (("bigEnd", 300), ("mediumEnd", 40), ("smallEnd", 500)))
        layout = ('<bpmndi:BPMNDiagram id="d" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
                  'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><bpmndi:BPMNPlane id="pl" bpmnElement="p">'
                  f"{shapes}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n")
        deploy(diagram("""
        <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
        <bpmn:exclusiveGateway id="gw" default="small"/>
        <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="bigEnd">
          <bpmn:conditionExpression>amount &gt; 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="medium" sourceRef="gw" targetRef="mediumEnd">
          <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="smallEnd"/>
        <bpmn:endEvent id="bigEnd" name="Besar"/><bpmn:endEvent id="mediumEnd" name="Sedang"/>
        <bpmn:endEvent id="smallEnd" name="Kecil"/>""", extra=layout), {"apply": fields_form(amount="number")})
        outcomes = [_outcome(db, _start(db, ctx, data={"amount": amount}))[1] for amount in (5000, 500, 5)]
        assert outcomes == ["Besar", "Sedang", "Kecil"]


def _timer_process(value: str, kind: str = "timeDuration", start_form: str = "") -> str:
    form = f' camunda:formKey="{start_form}"' if start_form else ""
    return diagram(f"""
    <bpmn:startEvent id="s"{form}/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="Tunggu">
      <bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>""")


class TestTimers:
    def test_bare_iso_duration_as_typed_in_camunda_modeler(self, db, ctx, deploy, clock):
        deploy(_timer_process("PT4H"))
        iid = _start(db, ctx)
        with db.transaction() as session:
            assert session.get(Instance, iid).next_timer_at == clock.now() + timedelta(hours=4)
        clock.advance(timedelta(hours=3, minutes=59))
        with db.transaction() as session:
            tasks.fire_due_timers(session, ctx, iid)
        assert _outcome(db, iid) == ("running", None)
        clock.advance(timedelta(minutes=2))
        with db.transaction() as session:
            tasks.fire_due_timers(session, ctx, iid)
        assert _outcome(db, iid) == ("completed", "Selesai")

    def test_date_without_offset_is_office_time(self, db, ctx, deploy):
        deploy(_timer_process("2026-07-01T09:00:00", "timeDate"))
        iid = _start(db, ctx)
        with db.transaction() as session:
            due = session.get(Instance, iid).next_timer_at
        assert due == datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 WITA

    def test_expression_timers_still_work(self, db, ctx, deploy, clock):
        deploy(_timer_process("wait_for", start_form="apply"), {"apply": fields_form(wait_for="string")})
        iid = _start(db, ctx, data={"wait_for": "P2D"})
        with db.transaction() as session:
            assert session.get(Instance, iid).next_timer_at == clock.now() + timedelta(days=2)

    def test_cycle_timer_value_is_accepted(self, db, ctx, deploy):
        definition = deploy(_timer_process("R3/PT1H", "timeCycle"))
        assert definition.version == 1


SCRIPT_AFTER_TASK = REVIEW_THEN_DIVIDE


class TestScriptErrors:
    def test_script_error_leaves_the_stored_instance_unchanged_and_flags_it(self, db, ctx, deploy):
        deploy(SCRIPT_AFTER_TASK, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        with db.transaction() as session:
            before = session.get(Instance, iid)
            state, revision = before.state, before.revision
        with pytest.raises(ProcessError) as failure:
            _complete(db, ctx, iid, "review", {"divisor": 0})
        assert failure.value.element_id == "compute"
        with db.transaction() as session:
            after = session.get(Instance, iid)
            assert (after.state, after.revision) == (state, revision)
            assert after.status == "error" and after.error_element == "compute"
            assert "division by zero" in after.error_message
            (row,) = session.query(Task).filter_by(instance_id=iid).all()
            assert row.state == "ready"  # the officer's step did not happen
            error = session.query(Event).filter_by(instance_id=iid, kind="error").one()
            assert error.element_id == "compute" and error.actor == "vera"

    def test_a_flagged_application_accepts_no_further_steps(self, db, ctx, deploy):
        deploy(SCRIPT_AFTER_TASK, REVIEW_FORMS)
        iid = _start(db, ctx, data={"base_fee": 100})
        with pytest.raises(ProcessError):
            _complete(db, ctx, iid, "review", {"divisor": 0})
        with pytest.raises(Conflict):
            _complete(db, ctx, iid, "review", {"divisor": 4})

    def test_condition_refused_by_the_sandbox_at_run_time_is_reported_with_the_reason(self, db, ctx, deploy):
        deploy(diagram("""
        <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
        <bpmn:exclusiveGateway id="gw" default="b"/>
        <bpmn:sequenceFlow id="a" sourceRef="gw" targetRef="e1">
          <bpmn:conditionExpression>len('a' * n) &gt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="e2"/><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>"""),
               {"apply": fields_form(n="integer")})
        iid = _start(db, ctx, data={"n": 10**9})
        with db.transaction() as session:
            instance = session.get(Instance, iid)
            assert (instance.status, instance.error_element) == ("error", "gw")
            assert "limit is 1,000,000" in instance.error_message

    def test_error_at_start_keeps_the_application_and_flags_it(self, db, ctx, deploy):
        deploy(diagram("""
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="compute"/>
        <bpmn:scriptTask id="compute" scriptFormat="python"><bpmn:script>x = undefined_name + 1</bpmn:script>
        </bpmn:scriptTask><bpmn:sequenceFlow id="f1" sourceRef="compute" targetRef="e"/><bpmn:endEvent id="e"/>"""))
        iid = _start(db, ctx)
        with db.transaction() as session:
            instance = session.get(Instance, iid)
            assert (instance.status, instance.error_element) == ("error", "compute")
            assert "undefined_name" in instance.error_message


class TestConcurrency:
    def test_two_officers_completing_the_same_task_at_once_one_wins(self, db, ctx, deploy):
        deploy(DECISION)
        iid = _start(db, ctx)
        ((task_id, _),) = _open(db, iid)
        barrier = threading.Barrier(2)
        outcomes = []

        def officer(actor, decision):
            try:
                with db.transaction() as session:
                    barrier.wait(timeout=10)
                    tasks.complete(session, ctx, task_id, actor, {}, decision=decision)
                outcomes.append(("won", decision))
            except Conflict:
                outcomes.append(("conflict", decision))

        threads = [threading.Thread(target=officer, args=(VERIFIER, "Setujui")),
                   threading.Thread(target=officer, args=(SUPERVISOR, "Tolak"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(kind for kind, _ in outcomes) == ["conflict", "won"]
        (winner,) = [decision for kind, decision in outcomes if kind == "won"]
        with db.transaction() as session:
            instance = session.get(Instance, iid)
            (row,) = session.query(Task).filter_by(instance_id=iid).all()
            completions = session.query(Event).filter_by(instance_id=iid, kind="task_completed").count()
        assert instance.revision == 2 and instance.outcome == {"Setujui": "Disetujui", "Tolak": "Ditolak"}[winner]
        assert (row.state, row.decision, completions) == ("completed", winner, 1)

    def test_second_completion_after_the_first_is_a_conflict(self, db, ctx, deploy):
        deploy(DECISION)
        iid = _start(db, ctx)
        ((task_id, _),) = _open(db, iid)
        with db.transaction() as session:
            tasks.complete(session, ctx, task_id, VERIFIER, {}, decision="Setujui")
        with db.transaction() as session, pytest.raises(Conflict, match="already completed"):
            tasks.complete(session, ctx, task_id, VERIFIER, {}, decision="Tolak")

    def test_stale_revision_is_a_conflict(self, db, ctx, deploy):
        deploy(DECISION)
        iid = _start(db, ctx)
        ((task_id, _),) = _open(db, iid)
        with db.transaction() as session, pytest.raises(Conflict, match="changed since"):
            tasks.complete(session, ctx, task_id, VERIFIER, {}, decision="Setujui", expected_revision=7)

    def test_claim_by_another_officer_is_a_conflict(self, db, ctx, deploy):
        deploy(DECISION)
        iid = _start(db, ctx)
        ((task_id, _),) = _open(db, iid)
        other = VERIFIER.__class__.of("vivi", ["officer"], ["verifier"], ["sulsel"])
        with db.transaction() as session:
            tasks.claim(session, ctx, task_id, VERIFIER)
        with db.transaction() as session, pytest.raises(Conflict, match="claimed by vera"):
            tasks.claim(session, ctx, task_id, other)
        with db.transaction() as session, pytest.raises(Conflict, match="claimed by vera"):
            tasks.complete(session, ctx, task_id, other, {}, decision="Setujui")

    def test_registration_numbers_are_unique_under_concurrent_starts(self, db, ctx, deploy):
        deploy(DECISION)
        numbers, errors = [], []
        barrier = threading.Barrier(8)

        def apply():
            try:
                barrier.wait(timeout=10)
                for _ in range(5):
                    with db.transaction() as session:
                        numbers.append(applications.start(session, ctx, service="p", data={},
                                                          actor=APPLICANT).registration_no)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=apply) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert len(numbers) == 40 and len(set(numbers)) == 40
        assert sorted(int(n.rsplit("/", 1)[1]) for n in numbers) == list(range(1, 41))
        assert all(n.startswith("DPMPTSP-SULSEL/p/2026/") for n in numbers)


def test_start_form_errors_come_back_per_field(db, ctx, deploy):
    form = {"type": "object", "required": ["name", "age"],
            "properties": {"name": {"type": "string", "minLength": 2}, "age": {"type": "integer", "minimum": 17},
                           "address": {"type": "object", "properties": {"city": {"type": "string"}}}}}
    deploy(diagram("""<bpmn:startEvent id="s" camunda:formKey="p/apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="e"/><bpmn:endEvent id="e"/>"""), {"p/apply": form})
    with db.transaction() as session, pytest.raises(InvalidData) as invalid:
        applications.start(session, ctx, service="p", data={"age": 12, "address": {"city": 5}}, actor=APPLICANT)
    assert invalid.value.details == {
        "name": "This field is required.",
        "age": "12 is less than the minimum of 17.",
        "address.city": "5 is not of type 'string'.",
    }
    with db.transaction() as session:
        assert session.query(Instance).count() == 0


def test_data_with_the_serializers_reserved_key_is_refused_and_the_application_stays_readable(db, ctx, deploy):
    """SpiffWorkflow's serializer takes any object with a ``typename`` key for one of its own: such data would be
    saved, and the application could never be opened again."""
    deploy(diagram("""<bpmn:startEvent id="s" camunda:formKey="apply"/>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>"""),
           {"apply": fields_form(vessel="object")})
    with db.transaction() as session, pytest.raises(InvalidData) as at_start:
        applications.start(session, ctx, service="p", data={"vessel": {"typename": "Task"}}, actor=APPLICANT)
    assert "vessel.typename" in at_start.value.details
    iid = _start(db, ctx, data={"vessel": {"name": "KM Bahari"}})
    with pytest.raises(InvalidData) as at_step:
        _complete(db, ctx, iid, "review", {"typename": "datetime"})
    assert "typename" in at_step.value.details
    assert [e for _, e in _open(db, iid)] == ["review"]
    ctx.live.size = 0  # read the stored text, as another server process would
    with db.transaction() as session:
        assert applications.current_data(ctx, session.get(Instance, iid))["vessel"] == {"name": "KM Bahari"}


class TestSandboxAfterPersistence:
    def test_a_loaded_application_runs_its_expressions_in_the_sandbox(self, db, ctx, deploy, tmp_path):
        """The stored state carries no script engine: every load through the engine must re-attach the sandbox."""
        from engine.errors import SandboxViolation
        from engine.workflow import runtime

        deploy(DECISION)
        iid = _start(db, ctx)
        marker = tmp_path / "escaped"
        with db.transaction() as session:
            workflow = runtime.load(ctx, session.get(Instance, iid))
        assert workflow.script_engine is ctx.script_engine
        (task,) = workflow.get_tasks(state=runtime.TaskState.READY, manual=True)
        with pytest.raises(Exception) as refused:
            workflow.script_engine.evaluate(task, f"__import__('os').system('touch {marker}')")
        assert isinstance(refused.value, SandboxViolation) or isinstance(refused.value.__context__, SandboxViolation)
        assert not marker.exists()
        # ... and ordinary conditions still evaluate on the loaded instance.
        task.data["amount"] = 5
        assert workflow.script_engine.evaluate(task, "amount > 1 and applicant == 'andi'") is True


def test_a_start_and_a_step_without_a_form_take_no_fields_so_nobody_slips_process_variables_in(db, ctx, deploy):
    """Submitted data becomes process data; where there is no form, a field could only set what scripts and later
    steps decide (``issued``, ``permit_number`` …)."""
    deploy(DECISION)
    with db.transaction() as session, pytest.raises(InvalidData) as at_start:
        applications.start(session, ctx, service="p", data={"issued": True}, actor=APPLICANT)
    assert set(at_start.value.details) == {"issued"} and "no form" in at_start.value.details["issued"]
    iid = _start(db, ctx)
    with pytest.raises(InvalidData) as at_step:
        _complete(db, ctx, iid, "review", {"permit_number": "503/99999/IP/PALSU"}, decision="Setujui")
    assert set(at_step.value.details) == {"permit_number"}
    assert [e for _, e in _open(db, iid)] == ["review"]
    _complete(db, ctx, iid, "review", decision="Setujui")  # the choice itself is the step's one input
    assert _outcome(db, iid) == ("completed", "Disetujui")


def test_a_completion_that_raced_a_colleagues_claim_is_a_conflict_and_the_claim_stays(db, ctx, deploy):
    """Vera's request read the task free; Vivi's claim landed before Vera's completion was written."""
    from sqlalchemy.orm.attributes import set_committed_value

    from engine.people.access import Actor

    deploy(DECISION)
    iid = _start(db, ctx)
    ((task_id, _),) = _open(db, iid)
    with db.transaction() as session:
        tasks.claim(session, ctx, task_id, Actor.of("vivi", ["officer"], ["verifier"], ["sulsel"]))
        revision = session.get(Instance, iid).revision
    with pytest.raises(Conflict, match="claimed or completed by someone else"), db.transaction() as session:
        task, _ = tasks.get(session, task_id, VERIFIER)
        set_committed_value(task, "assignee", None)  # as Vera's request read it a moment before
        set_committed_value(task, "state", "ready")
        tasks.complete(session, ctx, task_id, VERIFIER, {}, decision="Setujui")
    with db.transaction() as session:
        row = session.get(Task, task_id)
        assert (row.state, row.assignee, row.decision) == ("claimed", "vivi", None)
        assert (session.get(Instance, iid).status, session.get(Instance, iid).revision) == ("running", revision)
    _complete(db, ctx, iid, "review", decision="Tolak", actor=Actor.of("vivi", ["officer"], ["verifier"], ["sulsel"]))
    assert _outcome(db, iid) == ("completed", "Ditolak")
