"""Demo data (``lincah demo``): so a new user opens a living office instead of an empty screen.

One account per role (password ``lincah-demo`` for all, printed by the command), staff in the province office
``sulsel`` and the regency offices ``sinjai`` and ``bone``, both real services deployed and published, and a few
applications waiting at different steps, with real (tiny) PDF documents in the attachment store.

Safe to run again: existing accounts are left alone, deploying identical files is a no-op, and applications are
only created when the demo applicants have none yet.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn.compiler import SourceFile
from engine.casework import use_cases
from engine.demo_fakes import clients as demo_clients
from engine.documents import attachments
from engine.documents.signing import demo_certificate
from engine.people import groups, institutions, offices, profiles
from engine.people import users as user_service
from engine.people.access import SYSTEM, Actor
from engine.services import definitions
from engine.storage.models import Instance, Task

if TYPE_CHECKING:  # the context assembles this package among others: named here for types only
    from engine.context import EngineContext

PASSWORD = "lincah-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    institution: str | None = None  # a campus operator's or a student's campus (CAMPUSES)

    @property
    def actor(self) -> Actor:
        return Actor.of(self.username, self.roles, self.groups, self.jurisdictions, self.full_name, self.institution)


USERS = (
    DemoUser("admin", "Administrator Sistem", ("admin",), (), ("*",)),
    DemoUser("analis", "Analis Layanan", ("analyst",)),
    DemoUser("manajer", "Kepala Bidang Pelayanan", ("manager",), (), ("*",)),
    DemoUser("supervisor", "Supervisor Pelayanan", ("supervisor",), (), ("sulsel", "sinjai", "bone")),
    DemoUser("loket", "Petugas Front Office", ("officer",), ("front_office",), ("sulsel",)),
    DemoUser("verifikator", "Verifikator Berkas", ("officer",), ("verifier",), ("sulsel",)),
    DemoUser("kepala.dinas", "Kepala DPMPTSP", ("officer",), ("head_of_office",), ("sulsel",)),
    DemoUser("penelaah", "Penelaah Teknis Perikanan", ("officer",), ("fisheries_reviewer",), ("sulsel",)),
    DemoUser("petugas.sinjai", "Petugas Perikanan Sinjai", ("officer",), ("regency_fisheries",), ("sinjai",)),
    DemoUser("petugas.bone", "Petugas Perikanan Bone", ("officer",), ("regency_fisheries",), ("bone",)),
    # The province's fisheries coordinator: a regency's step nobody there can work is handed to this queue.
    DemoUser("petugas.provinsi", "Koordinator Perikanan Provinsi", ("officer",), ("regency_fisheries",), ("sulsel",)),
    DemoUser("pemohon", "Andi Pratama", ("applicant",)),
    DemoUser("nelayan", "Daeng Rahman", ("applicant",)),
    DemoUser("operator.unhas", "Operator Universitas Hasanuddin", ("institution",), institution="unhas"),
    DemoUser("operator.unm", "Operator Universitas Negeri Makassar", ("institution",), institution="unm"),
    DemoUser("mahasiswa", "Sitti Rahmawati", ("applicant",), institution="unhas"),
)
# Two of the campuses whose students apply for research permits (engine.people.institutions).
CAMPUSES = (("unhas", "Universitas Hasanuddin", "Jl. Perintis Kemerdekaan Km. 10, Makassar", "humas@unhas.ac.id"),
            ("unm", "Universitas Negeri Makassar", "Jl. A. P. Pettarani, Makassar", "humas@unm.ac.id"))
BY_NAME = {u.username: u for u in USERS}


@dataclass
class DemoReport:
    users_created: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    applications: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)
    signing: str = ""

    def lines(self) -> list[str]:
        out = [f"services: {', '.join(self.services) or '-'}",
               f"accounts (password '{PASSWORD}'; new: {', '.join(self.users_created) or 'none'}):"]
        for user in USERS:
            where = f" in {', '.join(user.jurisdictions)}" if user.jurisdictions else ""
            groups = f" [{', '.join(user.groups)}]" if user.groups else ""
            out.append(f"  {user.username:<15} {'/'.join(user.roles)}{groups}{where}")
        out.append(f"API clients (new: {', '.join(self.clients) or 'none'}): {', '.join(demo_clients.SCOPES)} — "
                   "`lincah fakes` gives them secrets and runs the fake registry and bank")
        if self.signing:
            out.append(self.signing)
        out.append("applications: " + ("; ".join(self.applications) if self.applications else
                                       "already there (demo applicants have applications)"))
        return out


def _pdf(title: str) -> bytes:
    """A one-page PDF that any viewer opens."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _document(session: Session, ctx: EngineContext, owner: Actor, name: str) -> dict:
    stored = attachments.store(session, ctx, name=name, stream=io.BytesIO(_pdf(name)), actor=owner)
    return attachments.reference(stored)


def research_data(session: Session, ctx: EngineContext, owner: Actor, title: str) -> dict:
    doc = lambda name: _document(session, ctx, owner, name)  # noqa: E731
    return {
        "applicant_name": owner.full_name, "nik": "7371010101010001", "email": "andi@example.ac.id",
        "phone": "081234567890", "applicant_category": "student", "student_id": "H071201001",
        "institution": "Universitas Hasanuddin", "research_title": title,
        "research_purpose": "Penyusunan skripsi sarjana", "location_regency": "sinjai",
        "location_detail": "Kecamatan Sinjai Timur", "start_date": "2026-07-01", "end_date": "2026-08-31",
        "research_method": "Survei lapangan dan wawancara", "application_letter": doc("surat-permohonan.pdf"),
        "campus_recommendation": doc("rekomendasi-kampus.pdf"), "proposal": doc("proposal.pdf"),
        "ktp": doc("ktp.pdf"), "statement_letter": doc("surat-pernyataan.pdf"), "declaration": True,
    }


def vessel_data(session: Session, ctx: EngineContext, owner: Actor, vessel: str, regency: str) -> dict:
    doc = lambda name: _document(session, ctx, owner, name)  # noqa: E731
    return {
        "owner_type": "individual", "owner_name": owner.full_name, "nik": "7307010101010002",
        "nib": "1234567890123", "owner_address": f"Jl. Pelabuhan 1, {regency.title()}", "phone": "081298765432",
        "vessel_name": vessel, "gross_tonnage": 12, "home_regency": regency, "port_base": "PPI Lappa",
        "fishing_gear": "handline", "crew_count": 6, "measurement_letter": doc("surat-ukur.pdf"),
        "crew_list": doc("daftar-abk.pdf"), "nib_document": doc("nib.pdf"), "ktp": doc("ktp.pdf"),
        "declaration": True,
    }


GROUP_TITLES = {"front_office": "Petugas loket", "verifier": "Verifikator berkas", "head_of_office": "Kepala dinas",
                "fisheries_reviewer": "Penelaah teknis perikanan", "regency_fisheries": "Dinas perikanan kabupaten"}


def _users(session: Session, ctx: EngineContext, report: DemoReport) -> None:
    # The demo's groups go on the managed list first: accounts are given groups only from it (engine.people.groups).
    groups.ensure(session, ctx, [name for user in USERS for name in user.groups], actor="demo", titles=GROUP_TITLES)
    for code, name, address, email in CAMPUSES:
        if institutions.get(session, code) is None:
            institutions.create(session, ctx, SYSTEM, code=code, name=name, address=address, email=email)
    for user in USERS:
        if user_service.by_username(session, user.username) is None:
            user_service.create(session, username=user.username, password=PASSWORD, roles=user.roles,
                                groups=user.groups, jurisdictions=user.jurisdictions, full_name=user.full_name,
                                actor="demo", at=ctx.now(), institution_code=user.institution)
            report.users_created.append(user.username)


def emblem_png(size: int = 96) -> bytes:
    """A plain round emblem (green disc, gold ring) for the demo office: a placeholder, not the province's arms."""
    rows = []
    centre = (size - 1) / 2
    for y in range(size):
        row = bytearray(b"\0")
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            row += (bytes((0, 110, 60, 255)) if distance < size * 0.38 else bytes((212, 160, 23, 255))
                    if distance < size * 0.48 else bytes(4))
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


def _office(session: Session, ctx: EngineContext) -> None:
    """The province office's letterhead and the head of office's signature block, unless an admin set them."""
    if offices.get(session, "sulsel").address:
        return
    offices.save(session, "sulsel", actor="demo", at=ctx.now(),
                 name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Provinsi Sulawesi Selatan",
                 address="Jl. Bougenville No. 5, Makassar 90222 — Telp. (0411) 441077", place="Makassar",
                 public_url="https://izin.sulselprov.go.id", emblem=emblem_png(),
                 letter_numbers={"research_permit": "503/{seq:05d}/IP/DPM-PTSP/{year}",
                                 "fishing_vessel_permit": "503/{seq:05d}/SIPI/DPM-PTSP/{year}",
                                 "fishery_business_permit": "503/{seq:05d}/IUP/DPM-PTSP/{year}"})
    profiles.save(session, "kepala.dinas", actor="demo", at=ctx.now(), position="Kepala Dinas",
                  rank="Pembina Utama Muda (IV/c)", nip="197003121995031002")


def _services(session: Session, ctx: EngineContext, report: DemoReport) -> None:
    for path in sorted(ctx.settings.processes_dir.glob("*.bpmn")):
        tables = [SourceFile(p.name, p.read_bytes()) for p in sorted(path.parent.glob("*.dmn"))]  # as lincah deploy
        result = definitions.deploy(session, ctx, SourceFile(path.name, path.read_bytes()), tables,
                                    definitions.form_source(ctx, path), actor="demo", publish=True)
        report.services.append(f"{result.definition.key} v{result.definition.version}")


def _step(session: Session, ctx: EngineContext, instance: Instance, element_id: str, who: str, data: dict,
          decision: str | None = None) -> None:
    task_id = session.scalar(select(Task.id).where(Task.instance_id == instance.id, Task.element_id == element_id,
                                                   Task.state.in_(("ready", "claimed"))))
    use_cases.complete_task(session, ctx, task_id, BY_NAME[who].actor, data=data, decision=decision)


def _applications(session: Session, ctx: EngineContext, report: DemoReport) -> None:
    applicants = [BY_NAME["pemohon"].username, BY_NAME["nelayan"].username]
    if session.scalar(select(func.count(Instance.id)).where(Instance.applicant.in_(applicants))):
        return
    andi, daeng = BY_NAME["pemohon"].actor, BY_NAME["nelayan"].actor

    def research(title: str) -> Instance:
        return use_cases.start_application(session, ctx, andi, service="research_permit",
                                          data=research_data(session, ctx, andi, title))

    def vessel(name: str, regency: str) -> Instance:
        return use_cases.start_application(session, ctx, daeng, service="fishing_vessel_permit",
                                          data=vessel_data(session, ctx, daeng, name, regency))

    waiting = research("Kajian mangrove pesisir Sinjai")
    returned = research("Pola migrasi ikan terbang di Teluk Bone")
    _step(session, ctx, returned, "Task_Verify", "verifikator",
          {"note": "Surat rekomendasi kampus belum ditandatangani dekan."}, "Kembalikan untuk perbaikan")
    # approving needs the whole checklist ticked (x-required-for in forms/research_permit/verify.json)
    checked = {"checklist": ["application_letter", "campus_recommendation", "proposal", "ktp", "ktm",
                             "statement_letter"], "note": "Lengkap"}
    to_sign = research("Ekonomi rumah tangga nelayan Sinjai Utara")
    _step(session, ctx, to_sign, "Task_Verify", "verifikator", checked, "Setujui")
    issued = research("Sejarah pelabuhan rakyat Lappa")
    _step(session, ctx, issued, "Task_Verify", "verifikator", checked, "Setujui")
    _step(session, ctx, issued, "Task_Sign", "kepala.dinas", {}, "Tandatangani")

    sinjai = vessel("KM Bintang Laut", "sinjai")
    bone = vessel("KM Harapan Bone", "bone")
    _step(session, ctx, bone, "Task_Recommend", "petugas.bone", {"note": "Dokumen sesuai"}, "Rekomendasikan")
    review = vessel("KM Cahaya Sinjai", "sinjai")
    _step(session, ctx, review, "Task_Recommend", "petugas.sinjai", {}, "Rekomendasikan")
    _step(session, ctx, review, "Task_Inspect", "petugas.sinjai",
          {"inspection_date": "2026-06-03", "measured_gt": 12, "findings": "Kapal sesuai dokumen"}, "Layak")
    for instance, stage in ((waiting, "waiting for verification"), (returned, "returned to the applicant"),
                            (to_sign, "waiting for the head's signature"), (issued, "permit issued"),
                            (sinjai, "Sinjai recommendation"), (bone, "Bone inspection"),
                            (review, "provincial review")):
        report.applications.append(f"{instance.registration_no} ({stage})")


def install(session: Session, ctx: EngineContext) -> DemoReport:
    report = DemoReport()
    _users(session, ctx, report)
    _office(session, ctx)
    _services(session, ctx, report)
    # the NIK worker and the bank's callback of the fishery business permit; `lincah fakes` gives them secrets
    report.clients = demo_clients.ensure(session, ctx)
    report.signing = _signing(ctx)
    session.flush()
    _applications(session, ctx, report)
    return report


def _signing(ctx: EngineContext) -> str:
    """A DEMO certificate authority and office certificate (once, in the instance folder), so the letters the demo
    issues carry a real PAdES signature the verification page validates (engine.documents.signing.demo_certificate)."""
    demo = demo_certificate.ensure(ctx.settings)
    if demo_certificate.in_use(ctx.settings) is None:
        return f"signing: the settings name their own signer; the DEMO certificate in {demo.pkcs12.parent} is unused"
    trusted = ("trusted by the verification page" if not ctx.settings.signing_trust_roots else
               "NOT trusted: LINCAH_SIGNING_TRUST_ROOTS names other roots; add " + str(demo.root))
    return (f"signing: letters are signed with a DEMO certificate ({'made' if demo.created else 'kept'} in "
            f"{demo.pkcs12.parent}; its root {demo.root.name} is {trusted})")
