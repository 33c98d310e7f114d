"""Applications' workflows kept in memory from one step to the next.

Restoring a workflow from its stored text is a third of the engine's work in a step. A step ends by writing the
state; the workflow it ran is exactly what that text restores to, so the process keeps it, and the application's
next step in the same process starts from it instead of restoring the text again.

Correctness does not depend on transactions or revisions: a kept workflow is handed out only when the application's
stored state, as the step has just read it, is *the very text* the workflow was saved as. A step whose transaction
rolled back, a colleague's step in another process, a restored backup — each leaves a different text in the
database, and the workflow is restored from it as without this cache. Handing out removes the entry, so two
concurrent steps never share one workflow object, and a step that fails half-way (a script error) never returns its
half-run workflow: the next step restores the last good state.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from engine.observability import KEPT_WORKFLOWS


class LiveWorkflows:
    """A bounded map instance id → (state text, workflow), least recently kept dropped first. Thread-safe."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: OrderedDict[int, tuple[str, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def take(self, instance_id: int, state: str):
        """The workflow saved as ``state`` for this application, now owned by the caller; ``None`` if not kept."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is None or entry[0] != state:
                self.misses += 1
                KEPT_WORKFLOWS.labels("restored").inc()
                return None
            self.hits += 1
            KEPT_WORKFLOWS.labels("reused").inc()
            return entry[1]

    def keep(self, instance_id: int, state: str, workflow) -> None:
        """Remember ``workflow`` as what ``state`` (just written for the application) restores to."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (state, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
