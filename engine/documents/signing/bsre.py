"""The national signature service (BSrE eSign, BSSN): the signer's own certificate, unlocked by NIK + passphrase.

The call follows BSrE's API: ``POST {base}/api/sign/pdf`` as ``multipart/form-data`` with ``file`` (the PDF),
``nik``, ``passphrase`` and ``tampilan=invisible`` (no visible stamp: the letter prints its own e-signature
footer), the application's account in HTTP Basic auth. A signed PDF comes back as the body; a refusal is JSON with
``error`` (the service's words, e.g. *Passphrase anda salah*) and ``status_code``. The NIK and passphrase pass
through this call only: never stored, never logged, never put in an error message.
"""

from __future__ import annotations

import json
import logging
import re

import urllib3

from engine.documents.signing.port import Credentials, SignerIdentity, SigningFailed
from engine.texts import N_, Text

log = logging.getLogger("lincah.signing")

_NIK = re.compile(r"\d{16}")
# BSrE's status codes for a person's own mistakes (their words are shown as they come).
_WRONG_CREDENTIALS = {2011, 2021, 2031, 2032}


class BsreSigner:
    needs_credentials = True

    def __init__(self, base_url: str, *, user: str = "", password: str = "", timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self._auth = urllib3.make_headers(basic_auth=f"{user}:{password}") if user else {}
        self.timeout = timeout
        self._pool = urllib3.PoolManager(retries=False)

    def sign(self, pdf: bytes, signer: SignerIdentity, credentials: Credentials | None = None) -> bytes:
        if credentials is None or not credentials.given:
            raise SigningFailed(Text(N_("Type your NIK and your BSrE passphrase to sign.")))
        if not _NIK.fullmatch(credentials.nik):
            raise SigningFailed(Text(N_("NIK: type the 16 digits of your NIK as registered with BSrE.")))
        try:
            response = self._pool.request(
                "POST", f"{self.base_url}/api/sign/pdf", headers=self._auth,
                fields={"file": ("surat.pdf", pdf, "application/pdf"), "nik": credentials.nik,
                        "passphrase": credentials.passphrase, "tampilan": "invisible"},
                timeout=urllib3.Timeout(total=self.timeout))
        except urllib3.exceptions.HTTPError as exc:
            log.warning("BSrE unreachable: %s", type(exc).__name__)
            raise SigningFailed(Text(N_("The signature service BSrE (%(url)s) did not answer; the letter is not "
                                        "signed. Try again in a few minutes."), {"url": self.base_url})) from exc
        body = response.data
        if response.status == 200 and body.startswith(b"%PDF"):
            return body
        error, code = _refusal(body)
        log.info("BSrE refused to sign: HTTP %s, status_code %s", response.status, code)
        if code in _WRONG_CREDENTIALS or response.status in (400, 401, 403) and error:
            raise SigningFailed(Text(N_("BSrE refused to sign: %(error)s. Check your NIK and passphrase and try "
                                        "again."), {"error": error or "NIK/passphrase"}))
        raise SigningFailed(Text(N_("BSrE could not sign the letter (HTTP %(status)s: %(error)s); the letter is not "
                                    "signed. Try again later."), {"status": response.status, "error": error or "-"}))


def _refusal(body: bytes) -> tuple[str, int | None]:
    try:
        answer = json.loads(body)
    except ValueError:
        return "", None
    if not isinstance(answer, dict):
        return "", None
    code = answer.get("status_code")
    return str(answer.get("error") or answer.get("message") or "")[:300], code if isinstance(code, int) else None
