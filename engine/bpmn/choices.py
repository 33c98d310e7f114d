"""What an officer's choice means: which of a step's choices approves the file.

The SLA pass takes that choice on a breached step when the service declares an automatic decision (*fiktif
positif*), and lint refuses such a diagram when it cannot tell which choice it is — both read it here, so they never
disagree. A diagram names it with the ``sla.approve`` property (on the step or the process); without it, the
choice's own words tell (Indonesian and English), refusing any that also read as a refusal or a return.
"""

from __future__ import annotations

_APPROVING = ("setuju", "approve", "rekomendasi", "layak", "terima", "accept", "lanjut", "sesuai", "lengkap")
_NOT_APPROVING = ("tidak", "tolak", "reject", "not ", "kembali", "return", "batal", "revis", "perbaik")


def approving_choice(choices: list[str], settings: dict, process: dict) -> str | None:
    """The choice that approves: ``sla.approve`` when the diagram names it, else the one that reads as approval."""
    for properties in (settings.get("properties") or {}, process.get("properties") or {}):
        named = (properties.get("sla.approve") or "").strip()
        if named in choices:
            return named
    for choice in choices:
        text = choice.lower()
        if not any(word in text for word in _NOT_APPROVING) and any(word in text for word in _APPROVING):
            return choice
    return None
