"""The web pages' session cookie: its name and flags, from the installation's public URL.

- Always ``HttpOnly`` (no script reads it, so an injected script cannot carry the session away) and
  ``SameSite=Lax`` (another site's form or script does not send it; a link followed from a mail still does, so the
  applicant arrives signed in).
- When the public URL (``LINCAH_PUBLIC_URL``) is https, it is ``__Host-lincah_session`` with ``Secure``,
  ``Path=/`` and no ``Domain``: the browser sends it only over https and accepts it only from this very host with
  exactly those attributes, so neither a plain-http page nor a sibling subdomain can plant or overwrite it.
- Otherwise (plain http, as ``lincah serve`` on a laptop) it is ``lincah_session`` without ``Secure``, which a
  browser would not send over http.
- ``LINCAH_SECURE_COOKIES=1`` (older installations' switch) still adds ``Secure`` behind an https proxy whose public
  URL is not configured; set ``LINCAH_PUBLIC_URL`` instead, which also turns on the ``__Host-`` name and HSTS.

Changing the public URL to https renames the cookie: people sign in once more.
"""

from __future__ import annotations

from flask import Flask

from engine.config import Settings

NAME = "lincah_session"
HOST_ONLY_NAME = "__Host-lincah_session"


def configure(app: Flask, settings: Settings) -> None:
    """Set Flask's session cookie options for this installation (replacing Flask's defaults, which are unsafe)."""
    https = settings.https
    app.config.update(SESSION_COOKIE_NAME=HOST_ONLY_NAME if https else NAME, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None,
                      SESSION_COOKIE_SECURE=https or settings.secure_cookies)
