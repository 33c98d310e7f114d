"""Signing a permit letter: what a PAdES signature with the office's PKCS#12 certificate costs, and a signature
through BSrE's API (a fake BSrE on 127.0.0.1 that signs for real with a test CA: the HTTP round trip and the
multipart upload on top of the same pyHanko signature, not the real service's latency), with pyHanko's validation,
and the verification page's check of an uploaded PDF in the process and in its bounded child process.

    python bench/signing.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import raw_step  # noqa: E402
from engine.documents import permit_letter  # noqa: E402
from engine.documents.signing.bsre import BsreSigner  # noqa: E402
from engine.documents.signing.pades import PadesSigner  # noqa: E402
from engine.documents.signing.port import Credentials, SignerIdentity  # noqa: E402
from engine.documents.signing.validation import check, check_here  # noqa: E402
from tests.signing_fixtures import FakeBsre, SigningCA  # noqa: E402

NIK, PASSPHRASE = "7371010101800001", "bench-passphrase"


def _letter() -> bytes:
    facts = permit_letter.PermitFacts(
        office="DPMPTSP-SULSEL", title="Surat Izin Penelitian", permit_number="503/00001/IP/DPM-PTSP/2026",
        registration_no="DPMPTSP-SULSEL/IP/2026/00001", holder="Andi Pratama", issued_on="2 Juni 2026",
        signed_by="Kepala Dinas", legal_basis="Permendagri No. 3 Tahun 2018",
        details=[("Judul penelitian", "Kajian mangrove pesisir Sinjai")] * 8)
    return permit_letter.render(facts, check_url="https://izin.sulselprov.go.id/verify/abc")


def _timed(rounds: int, work) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return times


def _line(name: str, times: list[float], reference: raw_step.RawStep) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    median = statistics.median(times) * 1000
    return f"| {name} | {len(times)} | {median:.0f} ms | {p95 * 1000:.0f} ms | {reference.times(median):.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    reference = raw_step.measure()
    print(reference.line())
    ca = SigningCA.create()
    pdf = _letter()
    who = SignerIdentity(name="Kepala Dinas", position="Kepala Dinas", location="Makassar")
    office = PadesSigner(ca.pkcs12("DPMPTSP Sulawesi Selatan", b"x"), "x")
    bsre = FakeBsre(ca)
    bsre.enrol(NIK, PASSPHRASE, "Kepala Dinas")
    bsre.start()
    try:
        national = BsreSigner(bsre.url)
        signed = office.sign(pdf, who)
        assert ca.validate(signed).bottom_line and ca.validate(national.sign(pdf, who, Credentials(NIK, PASSPHRASE)))
        print(f"letter {len(pdf) / 1024:.1f} KB, signed {len(signed) / 1024:.1f} KB (RSA 2048, SHA-256)")
        print("| what | rounds | median | p95 | median ÷ raw step |\n|---|---|---|---|---|")
        print(_line("PAdES with the office's PKCS#12 (key opened once per process)",
                    _timed(rounds, lambda: office.sign(pdf, who)), reference))
        print(_line("BSrE API round trip (fake server, real signature)",
                    _timed(rounds, lambda: national.sign(pdf, who, Credentials(NIK, PASSPHRASE))), reference))
        print(_line("pyHanko validation against the CA", _timed(rounds, lambda: ca.validate(signed)), reference))
        root = [ca.cert.public_bytes(Encoding.DER)]
        print(_line("verification page's check of an upload, in this process",
                    _timed(rounds, lambda: check_here(signed, root)), reference))
        check(signed, root)  # the fork server starts once per process (imports WeasyPrint and pyHanko)
        print(_line("verification page's check of an upload, bounded child (as served)",
                    _timed(rounds, lambda: check(signed, root)), reference))
    finally:
        bsre.stop()


if __name__ == "__main__":
    main()
