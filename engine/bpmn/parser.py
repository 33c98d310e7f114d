"""SpiffWorkflow's Camunda parser, taught the Camunda attributes it drops.

``camunda:candidateGroups`` and ``camunda:assignee`` are not kept by ``CamundaParser``; they go into the task spec's
``extensions`` here (which survive serialization), so a spec is self-describing.

A gateway's outgoing flows are tried in the order the file lists them, as Camunda does, not from the top of the
drawing down (SpiffWorkflow sorts them by the height of their targets on the diagram): when two conditions hold,
the one listed first wins, and moving a box in the modeler never changes where an application goes.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateThrowEvent, SendTask, ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.bpmn import dmn, external, multi_instance
from engine.bpmn.names import CAMUNDA_NS
from engine.decisions.task import DecisionTask


class LincahUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        for attribute in ("candidateGroups", "assignee", "formKey"):
            value = self.node.get(f"{{{CAMUNDA_NS}}}{attribute}")
            if value:
                extensions[f"camunda:{attribute}"] = value
        return extensions


class LincahParser(CamundaParser):
    # Every element's parser, so that each reads multi-instance in both notations (engine.bpmn.multi_instance).
    OVERRIDE_PARSER_CLASSES = multi_instance.everywhere({
        **BpmnParser.PARSER_CLASSES,
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (LincahUserTaskParser, UserTask),
        # camunda:type="external": a worker outside does it (engine/bpmn/external.py)
        full_tag("serviceTask"): (external.ServiceTaskParser, ServiceTask),
        full_tag("sendTask"): (external.SendTaskParser, SendTask),
        full_tag("intermediateThrowEvent"): (external.IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("endEvent"): (external.EndEventParser, EndEvent),
        # camunda:decisionRef: a table deployed with the diagram, evaluated by engine.decisions
        full_tag("businessRuleTask"): (dmn.BusinessRuleTaskParser, DecisionTask),
    })

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = {}

    def add_decisions(self, decisions: dict) -> None:
        """The decision tables (by id) business rule tasks may name; read by ``engine.bpmn.dmn``."""
        self.decisions.update(decisions)

    def get_document_positions(self, root):
        # The library reads the positions only to sort outgoing flows by their target's height; without them its
        # (stable) sort keeps the file's order.
        return {}
