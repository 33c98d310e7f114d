"""SpiffWorkflow's log line for a task's change of state, built only when its logger would write it.

SpiffWorkflow 3.2 (the pinned version) logs every change of a task's state at INFO on ``spiff.task``, and builds
the line — its text and a dict of nine extras, the state's name looked up twice through a dict made anew for each
lookup — before ``logging`` decides whether anyone listens. Lincah's processes log only warnings from libraries
(``engine.observability.logging_config``), so that work was thrown away on every change of state: 5.5 µs each
(0.4 µs here), six in a verification step — about 30 µs, 1 % of the step (py-spy on the HTTP bench's server, which
found it, put it higher).

Here the same line is built only when ``spiff.task`` is enabled for it: at INFO or DEBUG the records are
SpiffWorkflow's own, field for field (``tests/engine/test_state_log.py`` holds them equal).
"""

from __future__ import annotations

import logging
import time

from SpiffWorkflow import task as _spiff_task
from SpiffWorkflow.util.task import TaskState

_LOG = _spiff_task.logger
LIBRARY_SET_STATE = _spiff_task.Task._set_state  # the library's own, for the tests that compare the two


def _set_state(self, value: int) -> None:
    """SpiffWorkflow's ``Task._set_state``, its log arguments evaluated only for a logger that writes them."""
    if value != self.state:
        elapsed = time.time() - self.last_state_change
        self.last_state_change = time.time()
        self._state = value
        if _LOG.isEnabledFor(logging.INFO):
            _LOG.info(f"State changed to {TaskState.get_name(value)}",
                      extra=self.collect_log_extras({"elapsed": elapsed}))
    elif _LOG.isEnabledFor(logging.DEBUG):
        _LOG.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


_spiff_task.Task._set_state = _set_state
