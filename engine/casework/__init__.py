"""Applications and their tasks: apply, claim, complete, escalate — every path that advances a workflow."""
