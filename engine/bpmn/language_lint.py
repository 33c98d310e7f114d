"""Lint of the texts a service shows in both languages: its description and the names of its outcomes.

An English page shows ``description.en`` and an end event's ``name.en``; where one is missing it falls back to the
Indonesian (marked as such), which is legal but probably an oversight — so it is an info, not a warning, and only
for a diagram whose analyst writes English at all (the process has ``name.en``) or gave one half of a pair.
"""

from __future__ import annotations

from engine.bpmn.names import camunda_properties, label, xpath
from engine.bpmn.problems import ProblemList
from engine.texts import N_


def check_languages(process, process_settings: dict, problems: ProblemList, filename: str) -> None:
    properties = process_settings.get("properties") or {}
    description = {code: (properties.get(f"description.{code}") or "").strip() for code in ("id", "en")}
    for missing, given in (("en", "id"), ("id", "en")):
        if description[given] and not description[missing]:
            problems.info("description_language_missing",
                          N_("The service's description has %(given)s but no %(missing)s, so pages in that language "
                             "show the other one. Add the process property %(missing)s."),
                          node=process, file=filename,
                          params={"given": f"description.{given}", "missing": f"description.{missing}"})
    if not (properties.get("name.en") or "").strip():
        return
    for end in xpath(process, "./bpmn:endEvent"):
        if not (dict(camunda_properties(end)).get("name.en") or "").strip():
            problems.info("outcome_english_missing",
                          N_("End event %(name)s has no English name, so English pages and notices show the "
                             "Indonesian one. Add the property name.en to it."),
                          node=end, file=filename, params={"name": label(end)})
