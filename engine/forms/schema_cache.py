"""What is read off a form's schema alone, worked out once per schema object.

Snapshotted forms are immutable and cached for the life of the process (``engine.services.definitions.form_of``), so
every submission of a form brings the same schema object: which fields it declares, whether it takes its choices
from the step's data, its compiled validator need not be worked out again on every completion (the research
permit's forms: 9–15 µs for the fields, 20–65 µs for the dynamic choices, each step).

A result is kept with the schema it came from and handed out only for that very object (``is``), never for another
dict that happens to reuse its ``id``; a schema must not be changed once it has been asked about — forms never are
(a form with dynamic choices gets a new schema per task, ``engine.forms.dynamic_options.for_task``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

Result = TypeVar("Result")

# Forms are few; a schema made per task (dynamic choices) passes through, and the cache starts over past this.
MOST = 1024


def per_schema(function: Callable[[dict], Result]) -> Callable[[dict], Result]:
    """``function(schema)``, computed once per schema object."""
    kept: dict[int, tuple[dict, Result]] = {}

    @functools.wraps(function)
    def once(schema: dict) -> Result:
        found = kept.get(id(schema))
        if found is not None and found[0] is schema:
            return found[1]
        result = function(schema)
        if len(kept) >= MOST:
            kept.clear()
        kept[id(schema)] = (schema, result)
        return result

    once.cache_clear = kept.clear
    return once
