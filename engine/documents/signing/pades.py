"""PAdES signatures with pyHanko: the office's certificate from a PKCS#12 file, a trusted timestamp where configured.

``sign_with`` is the one place a key signs a letter — the office's own key here, and the same call a signature
service makes on its side (the tests' fake BSrE server uses it), so both adapters produce the same kind of
signature: PAdES baseline (``ETSI.CAdES.detached``, SHA-256), added as an incremental update.
"""

from __future__ import annotations

import functools
import io
import logging
import warnings
from pathlib import Path

from cryptography.utils import CryptographyDeprecationWarning

# pyHanko imports cryptography's DSA key class (for DSA signatures, which nobody here makes); cryptography warns about
# DSA at that import, which would print on every command's stderr.
warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.misc import PdfError  # noqa: E402
from pyhanko.sign import fields, signers, timestamps  # noqa: E402
from pyhanko.sign.general import SigningError  # noqa: E402

from engine.documents.signing.port import Credentials, SignerIdentity, SigningFailed  # noqa: E402
from engine.texts import N_, Text  # noqa: E402

log = logging.getLogger("lincah.signing")

FIELD_NAME = "TandaTanganElektronik"


def sign_with(key: signers.Signer, pdf: bytes, signer: SignerIdentity, *, tsa_url: str = "") -> bytes:
    """``pdf`` signed by ``key``; ``SigningFailed`` when the PDF cannot be read or the timestamp authority fails."""
    reason = ", ".join(part for part in (signer.position, signer.name) if part) or "Penandatangan"
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"Ditandatangani secara elektronik oleh {reason}", location=signer.location or None,
        name=signer.name or None)
    timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, meta, signer=key, timestamper=timestamper)
    except (PdfError, ValueError) as exc:
        raise SigningFailed(Text(N_("The letter's PDF could not be signed (%(error)s); render the draft again and "
                                    "retry."), {"error": str(exc)[:200]})) from exc
    except (SigningError, timestamps.TimestampRequestError, OSError) as exc:
        log.warning("signing failed: %s", type(exc).__name__)
        if tsa_url:
            raise SigningFailed(Text(N_("The signature could not be made: the timestamp authority %(url)s did not "
                                        "answer as expected (%(error)s); try again, or ask the administrator to check "
                                        "it."), {"url": tsa_url, "error": type(exc).__name__})) from exc
        raise SigningFailed(Text(N_("The signature could not be made: the signing key did not work (%(error)s); "
                                    "ask the administrator to check the office certificate."),
                                 {"error": type(exc).__name__})) from exc
    return out.getvalue()


@functools.lru_cache(maxsize=4)
def _opened(pkcs12: bytes, passphrase: bytes | None) -> signers.SimpleSigner:
    """The key and certificate of a PKCS#12 file, opened once per process: decrypting it (PBKDF2) costs about half a
    second, the signature itself a few milliseconds. A changed file or passphrase is another entry."""
    return signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=passphrase)


class PadesSigner:
    """Signs with the office's certificate; the signer types nothing (the key is the office's, not a person's)."""

    needs_credentials = False

    def __init__(self, pkcs12: bytes, passphrase: str | None, *, tsa_url: str = ""):
        self._pkcs12 = pkcs12
        self._passphrase = passphrase.encode() if passphrase else None
        self.tsa_url = tsa_url

    @classmethod
    def from_file(cls, path: Path | str, passphrase: str | None, *, tsa_url: str = "") -> PadesSigner:
        """``SigningFailed`` naming the setting when the file cannot be read."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SigningFailed(Text(N_("The office certificate %(path)s (LINCAH_SIGNING_PKCS12) cannot be read "
                                        "(%(error)s); ask the administrator to install it."),
                                     {"path": str(path), "error": exc.strerror or type(exc).__name__})) from exc
        return cls(data, passphrase, tsa_url=tsa_url)

    def _key(self) -> signers.SimpleSigner:
        try:
            return _opened(self._pkcs12, self._passphrase)
        except ValueError as exc:
            raise SigningFailed(Text(N_("The office certificate (LINCAH_SIGNING_PKCS12) could not be opened: its "
                                        "passphrase (the secret LINCAH_SIGNING_PASSPHRASE_SECRET names) is wrong or "
                                        "the file is not PKCS#12; ask the administrator to check both."))) from exc

    def sign(self, pdf: bytes, signer: SignerIdentity, credentials: Credentials | None = None) -> bytes:
        return sign_with(self._key(), pdf, signer, tsa_url=self.tsa_url)
