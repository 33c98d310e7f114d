"""Indonesian texts of the analyst's and manager's pages (web UI part 2), kept apart from part 1's catalog.

Part 1 compiles ``api/translations/id/LC_MESSAGES/messages.mo``; editing it from two places at once would clobber
one side's messages. These pages call ``tr("English text")`` instead: Indonesian (the default language) comes from
``INDONESIAN`` below, English is the message itself. Moving them into the Babel catalog later is a mechanical
change (``tr`` → ``_``, the pairs → ``messages.po``).
"""

from __future__ import annotations

from ..blueprint import bp
from ..i18n import lang

INDONESIAN = {
    # analyst
    "Services and versions": "Layanan dan versi",
    "Service design": "Desain layanan",
    "New service in the modeler": "Layanan baru di pemodel",
    "Start from a template": "Mulai dari templat",
    "Blank service": "Layanan kosong",
    "Verify and approve": "Verifikasi dan persetujuan",
    "Version": "Versi",
    "Status": "Status",
    "Deployed by": "Dipasang oleh",
    "Deployed at": "Dipasang pada",
    "Published at": "Diterbitkan pada",
    "Warnings": "Peringatan",
    "Actions": "Tindakan",
    "Open in the modeler": "Buka di pemodel",
    "Download": "Unduh",
    "Forms": "Formulir",
    "Test run": "Uji coba",
    "Publish": "Terbitkan",
    "draft": "draf",
    "published": "terbit",
    "retired": "ditarik",
    "No service has been deployed yet.": "Belum ada layanan yang dipasang.",
    "Modeler": "Pemodel",
    "Import .bpmn file": "Impor berkas .bpmn",
    "Download .bpmn": "Unduh .bpmn",
    "Download .svg": "Unduh .svg",
    "Deploy as draft": "Pasang sebagai draf",
    "Publish this draft": "Terbitkan draf ini",
    "Problems": "Masalah",
    "Diagram": "Diagram",
    "Properties": "Properti",
    "Error": "Galat",
    "Warning": "Peringatan",
    "line": "baris",
    "Deploying…": "Memasang…",
    "Diagram opened.": "Diagram dibuka.",
    "Opened, with import warnings: ": "Dibuka, dengan peringatan impor: ",
    "This file is not a BPMN diagram this modeler can read: ": "Berkas ini bukan diagram BPMN yang dapat dibaca: ",
    "Not deployed.": "Tidak dipasang.",
    "Not published.": "Tidak diterbitkan.",
    "Lincah (SLA and catalogue)": "Lincah (SLA dan katalog)",
    "SLA target (e.g. PT4H, P5D)": "Target SLA (mis. PT4H, P5D)",
    "SLA pauses here (waiting for the applicant)": "SLA berhenti di sini (menunggu pemohon)",
    "On breach, hand over to group": "Jika terlambat, alihkan ke grup",
    "Calendar (24x7 for plain time)": "Kalender (24x7 untuk waktu biasa)",
    "Service name (Indonesian)": "Nama layanan (Indonesia)",
    "Service name (English)": "Nama layanan (Inggris)",
    "Whole-file SLA (e.g. P5D)": "SLA seluruh berkas (mis. P5D)",
    "Fee (0 = free)": "Biaya (0 = gratis)",
    "Product (Indonesian)": "Produk (Indonesia)",
    "Product (English)": "Produk (Inggris)",
    "Office (code or ${field})": "Kantor (kode atau ${field})",
    "Complaints channel": "Saluran pengaduan",
    "Legal basis": "Dasar hukum",
    "Shown in the public catalogue": "Tampil di katalog publik",
    "Deployed as draft %(key)s version %(version)s. Publish it when the problems are dealt with.":
        "Dipasang sebagai draf %(key)s versi %(version)s. Terbitkan setelah masalahnya ditangani.",
    "Deployed as draft %(key)s version %(version)s: no problems. Publish it when you are ready.":
        "Dipasang sebagai draf %(key)s versi %(version)s tanpa masalah. Terbitkan bila sudah siap.",
    "Unchanged: identical to %(key)s version %(version)s (%(status)s).":
        "Tidak berubah: sama dengan %(key)s versi %(version)s (%(status)s).",
    "Not deployed: %(count)s error(s). Fix the highlighted elements and deploy again.":
        "Tidak dipasang: %(count)s galat. Perbaiki elemen yang ditandai lalu pasang lagi.",
    "Choose a .bpmn file to deploy.": "Pilih berkas .bpmn untuk dipasang.",
    "Published %(key)s version %(version)s: new applications use it from now on.":
        "%(key)s versi %(version)s diterbitkan: permohonan baru memakainya mulai sekarang.",
    "Version %(version)s (deployed by %(who)s) takes no new applications any more; those already on it continue "
    "there.": "Versi %(version)s (dipasang oleh %(who)s) tidak lagi menerima permohonan baru; permohonan yang sudah "
              "berjalan tetap memakainya.",
    "Note: while you edited version %(base)s, %(versions)s was deployed; this draft is made from version %(base)s "
    "and does not contain those changes. Open version %(latest)s in the modeler to compare before you publish.":
        "Perhatian: selama Anda menyunting versi %(base)s, %(versions)s telah dipasang; draf ini dibuat dari versi "
        "%(base)s dan tidak memuat perubahan tersebut. Buka versi %(latest)s di pemodel untuk membandingkan "
        "sebelum menerbitkan.",
    "Form editor": "Penyunting formulir",
    "Forms of %(key)s version %(version)s": "Formulir %(key)s versi %(version)s",
    "Form": "Formulir",
    "Used by": "Dipakai oleh",
    "Edit": "Sunting",
    "Start form": "Formulir permohonan",
    "JSON Schema": "JSON Schema",
    "UI schema (optional)": "Skema UI (opsional)",
    "Preview": "Pratinjau",
    "Check and preview": "Periksa dan pratinjau",
    "Save as a new draft": "Simpan sebagai draf baru",
    "The schema is valid.": "Skema valid.",
    "The preview is drawn by the same renderer the applicants and officers use.":
        "Pratinjau digambar oleh perender yang sama dengan yang dipakai pemohon dan petugas.",
    "Saved as draft %(key)s version %(version)s with the edited form.":
        "Disimpan sebagai draf %(key)s versi %(version)s dengan formulir yang disunting.",
    "The form is unchanged: %(key)s version %(version)s already has it.":
        "Formulir tidak berubah: %(key)s versi %(version)s sudah memakainya.",
    "This version has no forms.": "Versi ini tidak memiliki formulir.",
    "Test run of %(key)s version %(version)s": "Uji coba %(key)s versi %(version)s",
    "Nothing is saved: no application, no registration number, no notification.":
        "Tidak ada yang disimpan: tanpa permohonan, tanpa nomor registrasi, tanpa notifikasi.",
    "Sample data (start form, JSON)": "Data contoh (formulir permohonan, JSON)",
    "Start again with this data": "Mulai ulang dengan data ini",
    "Path so far": "Jalur sejauh ini",
    "Waiting now": "Menunggu sekarang",
    "Data of this step (JSON, optional)": "Data langkah ini (JSON, opsional)",
    "Done": "Selesai",
    "The run ended: %(outcome)s": "Uji coba selesai: %(outcome)s",
    "The run stopped with an error at %(element)s: %(message)s":
        "Uji coba berhenti karena galat di %(element)s: %(message)s",
    "The sample data does not satisfy the start form (the run goes on anyway):":
        "Data contoh tidak memenuhi formulir permohonan (uji coba tetap berjalan):",
    "Nothing is waiting for a person (a timer or message may be pending).":
        "Tidak ada tugas yang menunggu orang (mungkin menunggu pewaktu atau pesan).",
    "Workflow data": "Data alur kerja",
    "Not valid JSON: %(message)s": "Bukan JSON yang valid: %(message)s",
    "Write a JSON object.": "Tulis sebuah objek JSON.",
    "Analyst": "Analis",
    "Service design (analyst)": "Desain layanan",
    # manager
    "SLA dashboard": "Dasbor SLA",
    "Period": "Periode",
    "Show": "Tampilkan",
    "Service": "Layanan",
    "Office": "Kantor",
    "All offices": "Semua kantor",
    "The period “%(month)s” is not a month: choose one in the Period field (as YYYY-MM, e.g. 2026-06).":
        "Periode “%(month)s” bukan bulan: pilih bulan pada isian Periode (dalam bentuk TTTT-BB, misalnya 2026-06).",
    "This month is shown instead.": "Yang ditampilkan bulan ini.",
    "The export could not be made": "Ekspor tidak dapat dibuat",
    "Files completed": "Berkas selesai",
    "Within SLA": "Tepat waktu",
    "Share within SLA": "Persentase tepat waktu",
    "Median": "Median",
    "Target": "Target",
    "Open": "Terbuka",
    "At risk": "Hampir jatuh tempo",
    "Breached": "Terlambat",
    "Step": "Langkah",
    "Steps": "Langkah",
    "Services this month": "Layanan bulan ini",
    "Services in %(period)s": "Layanan pada %(period)s",
    "Trend by week: share of files within SLA": "Tren per minggu: persentase berkas tepat waktu",
    "Steps: median and p90 against the target": "Langkah: median dan p90 dibandingkan target",
    "Per office": "Per kantor",
    "Overdue files": "Berkas terlambat",
    "Satisfaction (IKM)": "Kepuasan (IKM)",
    "Registration number": "Nomor registrasi",
    "Applicant": "Pemohon",
    "Held by": "Dipegang oleh",
    "Waiting in the inbox of": "Menunggu di kotak masuk",
    "Due": "Jatuh tempo",
    "Overdue by": "Terlambat selama",
    "Nothing is overdue.": "Tidak ada yang terlambat.",
    "Export CSV": "Ekspor CSV",
    "Export Excel": "Ekspor Excel",
    "Heatmap": "Peta panas",
    "Each step is coloured by its share within SLA and labelled with its median working time.":
        "Setiap langkah diwarnai menurut persentase tepat waktunya dan diberi label median waktu kerjanya.",
    "90% or more": "90% atau lebih",
    "75% to 90%": "75% sampai 90%",
    "below 75%": "di bawah 75%",
    "no data": "tanpa data",
    "No files completed in this period.": "Tidak ada berkas yang selesai pada periode ini.",
    "Whole file": "Seluruh berkas",
    "week of %(day)s": "minggu %(day)s",
    "share within SLA (%)": "persentase tepat waktu (%)",
    "%(hours)s h": "%(hours)s jam",
    "Working time in hours; shares in percent.": "Waktu kerja dalam jam; persentase dalam persen.",
    "Dashboard": "Dasbor",
    "See the step heatmap": "Lihat peta panas langkah",
    "Total": "Jumlah",
    "All services": "Semua layanan",
    "%(num)s overdue in total.": "%(num)s terlambat seluruhnya.",
}


def tr(text: str, **values) -> str:
    """``text`` in the chosen language (Indonesian from the table; English is the text itself)."""
    chosen = INDONESIAN.get(text, text) if lang() == "id" else text
    return chosen % values if values else chosen


def texts(*messages: str) -> dict[str, str]:
    """Translations for the browser bundle (the modeler's buttons and messages)."""
    return {message: tr(message) for message in messages}


bp.add_app_template_global(tr, "tr")


@bp.app_context_processor
def _studio_navigation():
    """Adds the analyst's and manager's entries to part 1's main menu (``setup._navigation``)."""
    from flask import request

    from engine.people.access import ANALYST, MANAGER

    from ..security import current_actor
    from ..setup import _navigation

    if request.blueprint != "web":
        return {}
    actor = current_actor()
    if actor is None:
        return {}
    items = list(_navigation(actor))
    if actor.has_role(ANALYST):
        items.append(("web.analyst_services", tr("Service design"), "/analyst"))
    if actor.has_role(MANAGER):
        items.append(("web.manager_dashboard", tr("SLA dashboard"), "/manager"))
    return {"navigation": items}
