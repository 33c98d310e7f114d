"""Messages and signals from outside reach the one application waiting for them — by registration number or by its
variables — through an index, never by loading every workflow; a mismatch or an ambiguity changes nothing."""

from __future__ import annotations

import pytest

from engine.casework import applications
from engine.errors import Forbidden, InvalidData
from engine.integration import messages
from engine.integration.clients import Caller
from engine.integration.messages import MismatchingMessageCorrelation
from engine.storage.models import Event, Instance, Task
from engine.storage.waiting_events import WaitingEvent
from tests.engine.conftest import APPLICANT, diagram, fields_form

MESSAGES = ('<bpmn:message id="m_paid" name="payment_received"/><bpmn:message id="m_doc" name="letter_signed"/>'
            '<bpmn:message id="m_stop" name="withdrawn"/><bpmn:message id="m_note" name="reminder"/>'
            '<bpmn:message id="m_notice" name="registry_notice"/><bpmn:signal id="s_rule" name="tariff_changed"/>\n')
OUT = '<bpmn:extensionElements><camunda:inputOutput>{}</camunda:inputOutput></bpmn:extensionElements>'


def outputs(*names: str) -> str:
    return OUT.format("".join(f'<camunda:outputParameter name="{n}" />' for n in names))


START = '<bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="{}"/>'
FORMS = {"apply": fields_form(nik="string", bill="string")}

CATCH = diagram(START.format("paid") + f"""
    <bpmn:intermediateCatchEvent id="paid" name="Lunas dibayar">{outputs("amount")}
      <bpmn:messageEventDefinition messageRef="m_paid"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="paid" targetRef="e"/><bpmn:endEvent id="e" name="Lunas"/>""",
                extra=MESSAGES)
RECEIVE = diagram(START.format("sign"), process_id="q", extra=MESSAGES).replace("</bpmn:process>", f"""
    <bpmn:receiveTask id="sign" name="Tanda tangan" messageRef="m_doc">{outputs("signer")}</bpmn:receiveTask>
    <bpmn:sequenceFlow id="f1" sourceRef="sign" targetRef="e"/><bpmn:endEvent id="e" name="Ditandatangani"/>
  </bpmn:process>""")
BOUNDARY = diagram(START.format("review") + """
    <bpmn:userTask id="review" name="Periksa" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e" name="Selesai"/>
    <bpmn:boundaryEvent id="stop" attachedToRef="review"><bpmn:messageEventDefinition messageRef="m_stop"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="stop" targetRef="gone"/><bpmn:endEvent id="gone" name="Dicabut"/>
    <bpmn:boundaryEvent id="nudge" attachedToRef="review" cancelActivity="false">
      <bpmn:messageEventDefinition messageRef="m_note"/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="nudge" targetRef="call"/>
    <bpmn:userTask id="call" name="Hubungi pemohon" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f4" sourceRef="call" targetRef="e2"/><bpmn:endEvent id="e2"/>""", extra=MESSAGES)
GATEWAY = diagram(START.format("g") + f"""
    <bpmn:eventBasedGateway id="g"/>
    <bpmn:sequenceFlow id="g1" sourceRef="g" targetRef="paid"/>
    <bpmn:sequenceFlow id="g2" sourceRef="g" targetRef="late"/>
    <bpmn:intermediateCatchEvent id="paid">{outputs("amount")}<bpmn:messageEventDefinition messageRef="m_paid"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="h1" sourceRef="paid" targetRef="e"/><bpmn:endEvent id="e" name="Lunas"/>
    <bpmn:sequenceFlow id="h2" sourceRef="late" targetRef="x"/><bpmn:endEvent id="x" name="Kedaluwarsa"/>""",
                  extra=MESSAGES)
MESSAGE_START = diagram(f"""
    <bpmn:startEvent id="s" camunda:formKey="apply"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="check"/>
    <bpmn:startEvent id="notice">{outputs("nik")}<bpmn:messageEventDefinition messageRef="m_notice"/></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="notice" targetRef="check"/>
    <bpmn:userTask id="check" name="Periksa laporan" camunda:candidateGroups="verifier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="e"/><bpmn:endEvent id="e"/>""", process_id="r",
                        extra=MESSAGES)
SIGNALLED = diagram(START.format("rule") + """
    <bpmn:intermediateCatchEvent id="rule"><bpmn:signalEventDefinition signalRef="s_rule"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="rule" targetRef="e"/><bpmn:endEvent id="e" name="Tarif baru"/>""",
                      process_id="t", extra=MESSAGES)

BANK = Caller("bank", frozenset(), frozenset({"payment_received", "letter_signed", "withdrawn", "reminder",
                                              "registry_notice", "tariff_changed"}), frozenset())


@pytest.fixture
def apply(db, ctx):
    def _apply(service="p", **data):
        with db.transaction() as session:
            instance = applications.start(session, ctx, service=service, data={"nik": "7371", **data},
                                          actor=APPLICANT)
            return instance.id, instance.registration_no
    return _apply


def _instance(db, instance_id) -> Instance:
    with db.transaction() as session:
        instance = session.get(Instance, instance_id)
        session.expunge(instance)
        return instance


def _correlate(db, ctx, name="payment_received", caller=BANK, **options):
    with db.transaction() as session:
        return [(r.result_type, r.instance.id, r.variables) for r in
                messages.correlate(session, ctx, caller, name, **options)]


def _typed(**values) -> dict:
    return {name: {"value": value} for name, value in values.items()}


def test_a_message_by_registration_number_moves_that_application_and_no_other(db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    first, number = apply()
    other, _ = apply()
    with db.transaction() as session:
        (row,) = session.query(WaitingEvent).filter_by(instance_id=first).all()
        assert (row.kind, row.name, row.business_key, row.element_id, row.element_kind) == (
            "message", "payment_received", number, "paid", "catch")
    ((kind, instance_id, data),) = _correlate(db, ctx, business_key=number,
                                              process_variables=_typed(amount=150000))
    assert (kind, instance_id, data["amount"]) == ("Execution", first, 150000)
    assert (_instance(db, first).status, _instance(db, first).outcome) == ("completed", "Lunas")
    assert _instance(db, other).status == "running"
    with db.transaction() as session:
        assert session.query(WaitingEvent).filter_by(instance_id=first).count() == 0
        (event,) = session.query(Event).filter_by(kind="message_correlated").all()
        assert (event.actor, event.instance_id, event.data["data"]) == ("client:bank", first, {"amount": 150000})


def test_a_message_by_correlation_keys_finds_the_application_with_those_variables(db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    apply(bill="B-1")
    second, _ = apply(bill="B-2")
    ((_, instance_id, _),) = _correlate(db, ctx, correlation_keys=_typed(bill="B-2"))
    assert instance_id == second and _instance(db, second).status == "completed"


def test_no_match_and_two_matches_are_refused_and_change_nothing(db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    first, _ = apply()
    second, _ = apply()
    with pytest.raises(MismatchingMessageCorrelation, match="No process definition or execution matches"):
        _correlate(db, ctx, business_key="nobody/0")
    with pytest.raises(MismatchingMessageCorrelation, match="2 executions match"):
        _correlate(db, ctx)
    assert {_instance(db, first).status, _instance(db, second).status} == {"running"}
    assert len(_correlate(db, ctx, correlate_all=True)) == 2
    assert {_instance(db, first).status, _instance(db, second).status} == {"completed"}


def test_undeclared_variables_are_refused_by_name_and_nothing_moves(db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    first, number = apply()
    with pytest.raises(InvalidData) as refused:
        _correlate(db, ctx, business_key=number, process_variables=_typed(amount=1, approved=True))
    assert list(refused.value.details) == ["approved"]
    assert _instance(db, first).status == "running"


def test_a_client_may_correlate_only_its_messages_and_in_its_offices(db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    first, number = apply()
    stranger = Caller("other", frozenset(), frozenset({"letter_signed"}), frozenset())
    with pytest.raises(Forbidden):
        _correlate(db, ctx, caller=stranger, business_key=number)
    elsewhere = Caller("bone-bank", frozenset(), frozenset({"payment_received"}), frozenset({"bone"}))
    with pytest.raises(MismatchingMessageCorrelation):
        _correlate(db, ctx, caller=elsewhere, business_key=number)
    assert _instance(db, first).status == "running"


def test_a_receive_task_takes_the_message(db, ctx, deploy, apply):
    deploy(RECEIVE, FORMS)
    first, number = apply(service="q")
    ((_, _, data),) = _correlate(db, ctx, "letter_signed", business_key=number,
                                 process_variables=_typed(signer="Kadis"))
    assert data["signer"] == "Kadis" and _instance(db, first).outcome == "Ditandatangani"


def test_an_interrupting_boundary_message_takes_the_file_off_its_task(db, ctx, deploy, apply):
    deploy(BOUNDARY, FORMS)
    first, number = apply()
    _correlate(db, ctx, "withdrawn", business_key=number)
    assert _instance(db, first).outcome == "Dicabut"
    with db.transaction() as session:
        assert {t.element_id: t.state for t in session.query(Task).filter_by(instance_id=first)} == {
            "review": "cancelled"}
        assert session.query(WaitingEvent).filter_by(instance_id=first).count() == 0


def test_a_non_interrupting_boundary_message_adds_a_task_and_keeps_the_first(db, ctx, deploy, apply):
    deploy(BOUNDARY, FORMS)
    first, number = apply()
    _correlate(db, ctx, "reminder", business_key=number)
    with db.transaction() as session:
        assert {t.element_id: t.state for t in session.query(Task).filter_by(instance_id=first)} == {
            "review": "ready", "call": "ready"}
        # The interrupting one still waits.
        assert [r.name for r in session.query(WaitingEvent).filter_by(instance_id=first)] == ["withdrawn"]
    assert _instance(db, first).status == "running"


def test_an_event_gateways_message_branch_beats_its_timer(db, ctx, deploy, apply):
    deploy(GATEWAY, FORMS)
    first, number = apply()
    assert _instance(db, first).next_timer_at is not None
    with db.transaction() as session:
        (row,) = session.query(WaitingEvent).filter_by(instance_id=first).all()
        assert (row.element_id, row.element_kind) == ("paid", "gateway")
    _correlate(db, ctx, business_key=number, process_variables=_typed(amount=5))
    instance = _instance(db, first)
    assert (instance.outcome, instance.next_timer_at) == ("Lunas", None)


def test_a_message_start_event_starts_an_application_in_the_services_office(db, ctx, deploy):
    deploy(MESSAGE_START, FORMS)
    ((kind, instance_id, data),) = _correlate(db, ctx, "registry_notice", process_variables=_typed(nik="7371"))
    assert kind == "ProcessDefinition" and data["nik"] == "7371"
    instance = _instance(db, instance_id)
    assert (instance.status, instance.jurisdiction, instance.applicant) == (
        "running", ctx.settings.default_jurisdiction, "client:bank")
    with db.transaction() as session:
        assert [t.element_id for t in session.query(Task).filter_by(instance_id=instance_id)] == ["check"]


def test_a_signal_reaches_every_waiting_application(db, ctx, deploy, apply):
    deploy(SIGNALLED, FORMS)
    first, _ = apply(service="t")
    second, _ = apply(service="t")
    with db.transaction() as session:
        reached = messages.signal(session, ctx, BANK, "tariff_changed")
    assert {r.instance.id for r in reached} == {first, second}
    assert {_instance(db, first).outcome, _instance(db, second).outcome} == {"Tarif baru"}


SENDER = diagram("""
    <bpmn:startEvent id="s" camunda:formKey="pay"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="send"/>
    <bpmn:sendTask id="send" name="Kirim bukti bayar" messageRef="m_paid"/>
    <bpmn:sequenceFlow id="f1" sourceRef="send" targetRef="e"/><bpmn:endEvent id="e" name="Terkirim"/>""",
                 process_id="sender", extra=MESSAGES)


def test_a_message_one_application_throws_reaches_the_application_it_names_in_the_same_transaction(
        db, ctx, deploy, apply):
    deploy(CATCH, FORMS)
    deploy(SENDER, {"pay": fields_form(businessKey="string", amount="integer")}, name="sender.bpmn")
    receiver, number = apply()
    apply()  # another application waits for the same message: the business key chooses
    with db.transaction() as session:
        sender = applications.start(session, ctx, service="sender", data={"businessKey": number, "amount": 7},
                                    actor=APPLICANT)
        assert sender.status == "completed"
    instance = _instance(db, receiver)
    assert (instance.status, instance.outcome) == ("completed", "Lunas")
    with db.transaction() as session:
        (event,) = session.query(Event).filter_by(kind="message_received").all()
        assert event.data["data"] == {"amount": 7}  # what the receiver declares, not the sender's whole data


def test_a_thrown_message_nobody_waits_for_flags_the_sender(db, ctx, deploy):
    deploy(SENDER, {"pay": fields_form(businessKey="string", amount="integer")}, name="sender.bpmn")
    with db.transaction() as session:
        sender = applications.start(session, ctx, service="sender", data={"businessKey": "x", "amount": 7},
                                    actor=APPLICANT)
        assert (sender.status, sender.error_element) == ("error", "send")  # the throw, located
        assert "No application waits for the message 'payment_received'" in sender.error_message


def test_lint_tells_the_analyst_which_messages_and_signals_a_diagram_waits_for(ctx):
    from engine.bpmn.compiler import SourceFile
    from engine.forms.schemas import FormSource
    from engine.services import definitions
    from tests.engine.conftest import form_uploads

    compiled = definitions.lint(ctx, SourceFile("b.bpmn", BOUNDARY.encode()), [], FormSource(form_uploads(FORMS), []))
    notes = [p for p in compiled.problems if p.severity == "info"]
    assert [(p.element_id, p.code) for p in notes] == [("nudge", "waits_for_message"), ("stop", "waits_for_message")]
    assert "--message reminder" in notes[0].message and compiled.ok
