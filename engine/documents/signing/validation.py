"""What the electronic signature(s) in a PDF someone uploads prove, checked by pyHanko against the trust roots the
installation names (``LINCAH_SIGNING_TRUST_ROOTS``: the office CA's or BSrE's root certificate, PEM or DER).

For each signature: who signed (the certificate's subject), when (the trusted timestamp's time, else the time the
signer's computer claimed), whether the signed bytes are intact and the file was not changed after signing, and
whether the certificate chains to a trust root. The hash comparison on the verification page says whether the file
is the one issued; this says whether its signature holds — a copy re-signed with someone else's certificate has an
intact signature that nobody trusts, a copy with a changed byte has a broken one.

The file comes from anyone, so the check runs bounded (``engine.documents.bounded_call``: a child process with a
time and memory limit, at most ``MAX_SIGNATURES`` signatures read) and fetches nothing: no OCSP or CRL call is made
on a visitor's behalf (revocation is soft-fail; the page's own status says whether the office revoked the permit).
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.utils import CryptographyDeprecationWarning

warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)

from asn1crypto import pem  # noqa: E402
from asn1crypto import x509 as asn1_x509  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

from engine.documents import bounded_call  # noqa: E402
from engine.documents.signing.demo_certificate import ORGANISATION as DEMO_ORGANISATION  # noqa: E402

#: A letter carries one signature; a file with more is read up to this many (each costs a hash of the file).
MAX_SIGNATURES = 5
SECONDS = 10.0
MEMORY_BYTES = 256 * 2**20


@dataclass(frozen=True)
class SignatureFound:
    """One signature of the file, as the verification page states it."""

    signer: str  # the certificate's subject: common name (organisation)
    signed_at: datetime | None  # the timestamp's time when there is one, else what the signer's computer claimed
    timestamped: bool  # ``signed_at`` comes from a valid, trusted timestamp token
    timestamp_authority: str  # who stamped it (the TSA certificate's common name)
    intact: bool  # the signed bytes are unchanged and the signature over them is mathematically valid
    whole_file: bool  # nothing was added to the file after this signature
    trusted: bool  # the signing certificate chains to a trust root
    demo: bool = False  # a certificate ``lincah demo`` made (``demo_certificate``): valid for the demo only


@dataclass
class SignatureCheck:
    """What the signatures of an uploaded PDF prove; ``problem`` says why they could not be checked at all."""

    signatures: list[SignatureFound] = field(default_factory=list)
    problem: str = ""  # "" | unreadable | time | memory
    roots_configured: bool = True
    more_than_shown: bool = False


def trust_roots(paths: str) -> list[bytes]:
    """The DER certificates of the files ``LINCAH_SIGNING_TRUST_ROOTS`` names (comma-separated; a PEM file may hold
    several certificates). ``ValueError`` naming the file when one cannot be read."""
    roots: list[bytes] = []
    for name in filter(None, (part.strip() for part in (paths or "").split(","))):
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise ValueError(f"LINCAH_SIGNING_TRUST_ROOTS: {name} cannot be read ({exc.strerror}).") from exc
        if pem.detect(data):
            found = [der for kind, _headers, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
        else:
            found = [data]
        for der in found:
            try:
                asn1_x509.Certificate.load(der).native  # noqa: B018 - parse it all now, not at the first upload
            except ValueError as exc:
                raise ValueError(f"LINCAH_SIGNING_TRUST_ROOTS: {name} holds no readable certificate.") from exc
        if not found:
            raise ValueError(f"LINCAH_SIGNING_TRUST_ROOTS: {name} holds no certificate.")
        roots.extend(found)
    return roots


def check(pdf: bytes, roots: list[bytes], *, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES
          ) -> SignatureCheck:
    """The signatures of ``pdf`` checked against ``roots`` (DER), in a bounded child process."""
    try:
        found = bounded_call.call(_check_in_child, pdf, roots, seconds=seconds, memory_bytes=memory_bytes)
    except bounded_call.Overrun as overrun:
        found = SignatureCheck(problem=overrun.kind)
    found.roots_configured = bool(roots)
    return found


def _check_in_child(pdf: bytes, roots: list[bytes]) -> SignatureCheck:
    # pyHanko logs every certificate it cannot chain as a warning with a traceback; for a visitor's upload that is
    # the answer, not a server problem, and the child's stderr is the server's log.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    return check_here(pdf, roots)


def check_here(pdf: bytes, roots: list[bytes]) -> SignatureCheck:
    """``check`` in this process (the child runs this; tests and the benchmark may call it directly)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except MemoryError:
        raise  # the bounded child reports it as such, not as an unreadable file
    except Exception:  # noqa: BLE001 - any file may be uploaded; a PDF the reader cannot parse is just unreadable
        return SignatureCheck(problem="unreadable")
    anchors = [asn1_x509.Certificate.load(der) for der in roots]
    result = SignatureCheck(more_than_shown=len(embedded) > MAX_SIGNATURES)
    for signature in embedded[:MAX_SIGNATURES]:
        result.signatures.append(_one(signature, anchors))
    return result


def _one(signature, anchors) -> SignatureFound:
    context = ValidationContext(trust_roots=anchors, allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a signature too damaged to validate is a broken one
        return SignatureFound(signer=_signer_of(signature), signed_at=None, timestamped=False,
                              timestamp_authority="", intact=False, whole_file=False, trusted=False)
    stamp = status.timestamp_validity
    stamped = bool(stamp is not None and stamp.intact and stamp.valid and stamp.trusted)
    return SignatureFound(
        signer=_subject(status.signing_cert),
        signed_at=stamp.timestamp if stamped else status.signer_reported_dt,
        timestamped=stamped,
        timestamp_authority=_subject(stamp.signing_cert) if stamp is not None else "",
        intact=bool(status.intact and status.valid),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        trusted=bool(status.trusted),
        demo=_organisation(status.signing_cert) == DEMO_ORGANISATION)


def _signer_of(signature) -> str:
    try:
        return _subject(signature.signer_cert)
    except Exception:  # noqa: BLE001 - the damaged signature may not even name its certificate
        return ""


def _organisation(cert) -> str:
    organisation = cert.subject.native.get("organization_name", "") if cert is not None else ""
    return ", ".join(organisation) if isinstance(organisation, list) else organisation


def _subject(cert) -> str:
    if cert is None:
        return ""
    names = cert.subject.native
    common, organisation = names.get("common_name", ""), names.get("organization_name", "")
    if isinstance(organisation, list):
        organisation = ", ".join(organisation)
    if common and organisation and organisation != common:
        return f"{common} ({organisation})"
    return common or organisation or cert.subject.human_friendly
