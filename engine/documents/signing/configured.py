"""The signer an installation's settings name: BSrE when its URL is set, else the office's PKCS#12 certificate,
else the demo's certificate when ``lincah demo`` made one (``demo_certificate``), else none (a letter is issued
unsigned: a test installation)."""

from __future__ import annotations

from engine.config import Settings
from engine.documents.signing import demo_certificate
from engine.documents.signing.bsre import BsreSigner
from engine.documents.signing.pades import PadesSigner
from engine.documents.signing.port import DocumentSigner, SigningFailed
from engine.texts import N_, Text


def signer_from_settings(settings: Settings) -> DocumentSigner | None:
    """``SigningFailed`` naming the setting when the configured certificate cannot be read."""
    if settings.bsre_url:
        return BsreSigner(settings.bsre_url, user=settings.bsre_user, password=settings.bsre_password)
    if settings.signing_pkcs12:
        name = settings.signing_passphrase_secret
        passphrase = settings.connector_secret_values.get(name) if name else None
        if name and passphrase is None:
            raise SigningFailed(Text(N_("LINCAH_SIGNING_PASSPHRASE_SECRET names %(name)s, but LINCAH_SECRET_%(name)s "
                                        "is not set; ask the administrator to set it."), {"name": name}))
        return PadesSigner.from_file(settings.signing_pkcs12, passphrase, tsa_url=settings.signing_tsa_url)
    demo = demo_certificate.in_use(settings)
    if demo is not None:  # `lincah demo` made a demo CA: its letters are signed for real, with a DEMO certificate
        return PadesSigner.from_file(demo.pkcs12, demo.passphrase, tsa_url=settings.signing_tsa_url)
    return None
