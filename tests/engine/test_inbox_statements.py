"""The inbox's statements are built once per shape (engine.casework.inbox._statements) and every request binds its
own values: officers alike in shape but of other groups, and the same officer with other filter values, never see
each other's answers."""

from __future__ import annotations

from engine.casework import applications, inbox
from tests.engine.conftest import APPLICANT, REVIEWER, VERIFIER, diagram


def _service(process_id: str, group: str) -> str:
    return diagram(f"""
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:userTask id="review" name="Periksa {process_id}" camunda:candidateGroups="{group}"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>""", process_id=process_id)


def test_officers_of_one_shape_share_the_statements_and_see_only_their_own_tasks(db, ctx, deploy):
    deploy(_service("alpha", "verifier"), name="alpha.bpmn")
    deploy(_service("beta", "fisheries_reviewer"), name="beta.bpmn")
    with db.transaction() as session:
        for service in ("alpha", "alpha", "beta"):
            applications.start(session, ctx, service=service, data={}, actor=APPLICANT)
    # Both officers: one group besides their own, one office, no filter: the same shape.
    assert inbox._shape(VERIFIER, inbox.InboxQuery()) == inbox._shape(REVIEWER, inbox.InboxQuery())
    inbox._statements.cache_clear()

    def services(actor, **filters) -> list[str]:
        with db.transaction() as session:
            page = inbox.search(session, actor, inbox.InboxQuery(**filters), now=ctx.now())
        assert page.total == len(page.items)
        return [row.task.service_key for row in page.items]

    for _ in range(2):  # alternating, so a statement holding the last caller's values would show here
        assert services(VERIFIER) == ["alpha", "alpha"]
        assert services(REVIEWER) == ["beta"]
    assert inbox._statements.cache_info().misses == 1

    # Other values of the same filters: one more shape each, and the values decide the answer.
    assert services(VERIFIER, service="alpha") == ["alpha", "alpha"]
    assert services(VERIFIER, service="beta") == []
    assert services(VERIFIER, q="periksa alpha") == ["alpha", "alpha"]
    assert services(VERIFIER, q="periksa beta") == []
    assert inbox._statements.cache_info().misses == 3
