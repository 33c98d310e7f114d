"""The signing port: what every signature adapter promises, and the one error it raises.

An adapter takes the letter's PDF bytes and gives back the same document with a PAdES signature added (an
incremental update: the bytes before it are unchanged, so the letter the signer read is the letter signed). Whatever
goes wrong — a wrong passphrase, an unreachable service, a certificate that cannot be read — comes back as
``SigningFailed`` with a reason the signer can act on; nothing else leaves an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import ProcessError


class SigningFailed(ProcessError):
    """The letter could not be signed; ``reason`` says why and what to do next. The step stays open.

    A ``ProcessError`` so that every transaction boundary (``engine.storage.db.transaction``, the web's savepoint,
    the request's unit of work) keeps what was written before it — the permit number reserved for the letter and
    the audited failure — and a retry signs under the same number. Unlike a failing script it does not flag the
    application: the signing step raises it before the workflow moves."""

    code = "signing_failed"

    def __init__(self, reason: str, element_id: str | None = None):
        super().__init__(reason, element_id=element_id)
        self.reason = reason


@dataclass(frozen=True)
class SignerIdentity:
    """Who signs, as the signature's metadata names them (``reason`` and ``location`` of the PDF signature)."""

    name: str
    position: str = ""
    nip: str = ""
    location: str = ""


@dataclass(frozen=True)
class Credentials:
    """What the signer types at the signing step to unlock a personal certificate (BSrE: NIK and passphrase).

    Held only for the one call; ``repr`` hides the passphrase so a log line or a traceback never shows it."""

    nik: str = ""
    passphrase: str = field(default="", repr=False)

    @property
    def given(self) -> bool:
        return bool(self.nik and self.passphrase)


class DocumentSigner(Protocol):
    #: Whether the signer must type a NIK and passphrase at the signing step.
    needs_credentials: bool

    def sign(self, pdf: bytes, signer: SignerIdentity, credentials: Credentials | None = None) -> bytes:
        """The signed PDF; ``SigningFailed`` when it cannot be signed."""
        ...
