"""Answers read off immutable objects, worked out once per object.

Two kinds of object come back unchanged on every step and are asked the same questions each time:

- **a form's schema** (``per_schema``): snapshotted forms are immutable and cached for the life of the process
  (``engine.services.definitions.form_of``), so every submission of a form brings the same schema object — which
  fields it declares, whether it takes choices from the step's data, its compiled validator (the research permit's
  forms: 9–15 µs for the fields and 20–65 µs for the choices, each completion);
- **a diagram's specs** (``per_diagram``): a definition's specs are restored once and shared by every workflow of it
  (``engine.workflow.serialization``), so whether anything in the diagram waits for a message or is done by a
  worker outside — a walk over every task spec, two or three times a step — is a fact of those spec objects.

An answer is kept with the very objects it came from and handed out only for them (``is``), never for another that
happens to reuse an ``id``. The objects must not change once asked about: forms and specs never do (a form with
dynamic choices gets a new schema per task, ``engine.forms.dynamic_options.for_task``).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

# Forms are few and small; schemas made per task pass through, and the cache starts over past this many.
MOST = 1024
# A diagram's answers hold on to its specs: no more of them than the codec keeps restored (StateCodec's cache_size).
MOST_DIAGRAMS = 256


def once_per(objects_of: Callable[[Any], tuple], most: int = MOST):
    """A decorator: ``function(arg)`` worked out once per identity of ``objects_of(arg)`` (a non-empty tuple),
    for at most ``most`` objects before the cache starts over."""

    def decorate(function):
        kept: dict[int, tuple[tuple, Any]] = {}

        @functools.wraps(function)
        def once(arg):
            objects = objects_of(arg)
            found = kept.get(id(objects[0]))
            if found is not None and len(found[0]) == len(objects) and all(map(operator.is_, found[0], objects)):
                return found[1]
            result = function(arg)
            if len(kept) >= most:
                kept.clear()
            kept[id(objects[0])] = (objects, result)
            return result

        return once

    return decorate


per_schema = once_per(lambda schema: (schema,))
per_diagram = once_per(lambda workflow: (workflow.spec, *workflow.subprocess_specs.values()), MOST_DIAGRAMS)
