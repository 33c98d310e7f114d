"""Lint problems: what is wrong, where (file, line, element id) and how bad (error blocks deploy, warning not).

A problem is written once, as an English catalogue id with ``%(name)s`` parameters (``engine.texts``): ``message``
is its English (what the API and ``lincah lint`` say), ``message_id`` the same message, with the same specifics, in
Bahasa Indonesia for the analyst's pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from ..texts import INDONESIAN, render

ERROR = "error"
WARNING = "warning"
INFO = "info"  # what the analyst should know (e.g. the messages a diagram waits for); never blocks, never warns


@dataclass
class Problem:
    severity: str
    code: str
    message: str
    file: str = ""
    line: int | None = None
    element_id: str | None = None
    # The same message in Bahasa Indonesia, ready for the UI.
    message_id: str = ""
    extra: dict = field(default_factory=dict)
    # The catalogue id and its parameters both messages were rendered from ("" for a problem written the old way).
    text: str = field(default="", repr=False)
    params: dict = field(default_factory=dict, repr=False)

    def as_line(self) -> str:
        """``file:line: element_id: severity: message`` — the format of ``lincah lint`` (and of compilers, which
        editors jump from); a problem of the whole file, with no line, is ``file: element_id: …``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.element_id or '-'}: {self.severity}: {self.message}"

    def to_dict(self) -> dict:
        body = asdict(self)
        del body["text"], body["params"]
        if not body["extra"]:
            body.pop("extra")
        return body


class ProblemList(list):
    """A list of problems with helpers; errors first when sorted."""

    def add(self, severity: str, code: str, message: str, *, node=None, element_id: str | None = None,
            file: str = "", line: int | None = None, message_id: str = "", params: Mapping | None = None,
            **extra) -> Problem:
        """A problem whose ``message`` is a catalogue id (``N_("…%(name)s…")``) filled in with ``params`` in English
        and in Bahasa Indonesia; with ``message_id`` given instead, both texts as they are."""
        text = ""
        if not message_id:
            text, params = message, dict(params or {})
            message, message_id = render(text, params), render(text, params, INDONESIAN)
        if node is not None:
            element_id = element_id or node.get("id")
            line = line or getattr(node, "sourceline", None)
        problem = Problem(severity, code, message, file=file, line=line, element_id=element_id,
                          message_id=message_id, extra=extra, text=text, params=params or {})
        self.append(problem)
        return problem

    def error(self, code: str, message: str, **kwargs) -> Problem:
        return self.add(ERROR, code, message, **kwargs)

    def warning(self, code: str, message: str, **kwargs) -> Problem:
        return self.add(WARNING, code, message, **kwargs)

    def info(self, code: str, message: str, **kwargs) -> Problem:
        return self.add(INFO, code, message, **kwargs)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity == WARNING]

    def sorted(self) -> list[Problem]:
        return sorted(self, key=lambda p: (p.file, p.line or 0, p.severity != ERROR))
