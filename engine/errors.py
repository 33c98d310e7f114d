"""The engine's one error hierarchy.

Every error a person can see is a ``LincahError``: it carries a stable ``code`` (for clients), a message that says
what is wrong and what to do next, and optional ``details`` (problem lists, per-field errors). The HTTP layer maps
these classes to statuses in exactly one place; the CLI prints them. Nothing else should leak out of the engine.
"""

from __future__ import annotations

from typing import Any

from engine.texts import localized


class LincahError(Exception):
    """Base class: a failure the caller can understand and act on.

    ``message`` — and each value of a ``details`` dict — may be an ``engine.texts.Text`` (a catalogue id with
    parameters): it reads as its English everywhere, and :meth:`localized` says it in a page's language with the
    same specifics.
    """

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details

    def localized(self, locale: str) -> str:
        """The message in ``locale`` (English when it was written without the catalogue)."""
        return localized(self.message, locale)

    def localized_details(self, locale: str) -> Any:
        """``details`` with each message in ``locale``."""
        if isinstance(self.details, dict):
            return {key: localized(value, locale) for key, value in self.details.items()}
        return self.details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.details is not None:
            body["details"] = self.localized_details("en") if isinstance(self.details, dict) else self.details
        return body


class NotFound(LincahError):
    code = "not_found"


class Forbidden(LincahError):
    code = "forbidden"


class Conflict(LincahError):
    """A lost race or a state that no longer allows the operation (already completed, claimed by another)."""

    code = "conflict"


class InvalidDefinition(LincahError):
    """A BPMN upload that cannot be deployed. ``details`` is the list of lint problems (dicts)."""

    code = "invalid_definition"

    @property
    def problems(self) -> list[dict]:
        return list(self.details or [])


class InvalidData(LincahError):
    """Form data that does not satisfy its schema. ``details`` maps field paths to messages."""

    code = "invalid_data"


class InvalidInput(LincahError):
    """A request that is malformed in some other way (unknown decision, bad parameter)."""

    code = "invalid_input"


class RecordedRefusal(LincahError):
    """A refusal the office must still see afterwards (a bank's payment for a closed file, a wrong amount): what was
    recorded before raising it — an audit event on the application — is committed, as for a ``ProcessError``,
    while the caller gets the refusal. Mixed into the refusal's own class, which decides the status."""

    code = "recorded_refusal"


class TooLarge(LincahError):
    code = "too_large"


class SandboxViolation(LincahError):
    """A BPMN expression or script tried something the sandbox forbids, or exceeded its time/size budget."""

    code = "sandbox_violation"


class ProcessError(LincahError):
    """A script or condition failed while the engine ran an application; the application is flagged ``error``."""

    code = "process_error"

    def __init__(self, message: str, element_id: str | None = None, details: Any = None):
        super().__init__(message, details)
        self.element_id = element_id
