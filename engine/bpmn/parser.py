"""SpiffWorkflow's Camunda parser, taught the Camunda attributes it drops.

``camunda:candidateGroups`` and ``camunda:assignee`` are not kept by ``CamundaParser``; they go into the task spec's
``extensions`` here (which survive serialization), so a spec is self-describing.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from .names import CAMUNDA_NS


class LincahUserTaskParser(UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        for attribute in ("candidateGroups", "assignee", "formKey"):
            value = self.node.get(f"{{{CAMUNDA_NS}}}{attribute}")
            if value:
                extensions[f"camunda:{attribute}"] = value
        return extensions


class LincahParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (LincahUserTaskParser, UserTask),
    }
