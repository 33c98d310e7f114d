"""Multi-instance specs whose item stays in its instance, as Camunda 7's element variable does.

SpiffWorkflow merges all of an instance's data back into the process when the instance has no output item to
collect — the item variable included. The next instance of a sequential loop then finds the item already set and
stops with "Multiinstance input item … already exists", and so does a parallel one the second time a file passes
(a revision loop). Here the item is left out of what goes back; everything else an instance sets reaches the process
as before, and a loop that collects outputs (``loopDataOutputRef`` / ``outputDataItem``) works as the library's.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.deep_merge import DeepMerge


class _ItemStaysInItsInstance(MultiInstanceTask):
    def merge_child(self, workflow, child):
        if self.data_output is not None and self.output_item is not None:
            return super().merge_child(workflow, child)
        my_task = child.parent
        item = self.input_item.bpmn_id if self.input_item is not None else None
        DeepMerge.merge(my_task.data, {key: value for key, value in child.data.items() if key != item})
        my_task.internal_data["merged"].append(str(child.id))


class LincahParallelMultiInstanceTask(ParallelMultiInstanceTask, _ItemStaysInItsInstance):
    pass


class LincahSequentialMultiInstanceTask(SequentialMultiInstanceTask, _ItemStaysInItsInstance):
    pass
