"""Electronic signatures on permit letters: one port (``DocumentSigner``), two adapters.

``pades`` signs with the office's own certificate (a PKCS#12 file named in the settings), ``bsre`` asks the national
signature service (BSrE, BSSN) to sign with the signer's personal certificate, unlocked by the NIK and passphrase the
signer types at the signing step. ``configured`` picks the adapter an installation's settings name.
"""
