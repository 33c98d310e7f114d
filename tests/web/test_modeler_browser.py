"""The analyst's web modeler in a real browser (Debian's Chromium, Playwright), on the defects exploratory testing
found: imports that fail or lack a layout, deploys that must not hang, unsaved edits, the heading after a deploy,
the page's CSS inside bpmn-js, the Indonesian interface and a quiet console.

Runs on its own SQLite server like test_analyst_browser.py; needs ``make web`` and /usr/bin/chromium.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.web.studio_support import live_server, open_page

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

RESEARCH_V1 = "/analyst/modeler?key=research_permit&version=1"

# Valid BPMN without BPMNDI: a start event, a user task and an end event, as a tool or a person writes it.
WITHOUT_LAYOUT = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             id="Definitions_p" targetNamespace="http://lincah.example/bpmn">
  <process id="p" name="Tanpa tata letak" isExecutable="true">
    <startEvent id="Start_p" name="Mulai"><outgoing>Flow_1</outgoing></startEvent>
    <userTask id="Task_Check" name="Periksa berkas" camunda:candidateGroups="verifier">
      <incoming>Flow_1</incoming><outgoing>Flow_2</outgoing></userTask>
    <endEvent id="End_p" name="Selesai"><incoming>Flow_2</incoming></endEvent>
    <sequenceFlow id="Flow_1" sourceRef="Start_p" targetRef="Task_Check"/>
    <sequenceFlow id="Flow_2" sourceRef="Task_Check" targetRef="End_p"/>
  </process>
</definitions>
"""

# A BPMNDiagram without its plane: bpmn-js clears the canvas, then finds nothing to draw ("no diagram to display").
EMPTY_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
             id="Definitions_e" targetNamespace="http://lincah.example/bpmn">
  <process id="e" isExecutable="true"><startEvent id="Start_e"/><userTask id="Task_e"/></process>
  <bpmndi:BPMNDiagram id="Diagram_e"/>
</definitions>
"""

# Not BPMN at all: the first bytes of a PNG picture.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa" * 8


@contextmanager
def modeler(tmp_path, browser, path: str = RESEARCH_V1):
    """The modeler open on ``path`` for Ana the analyst; the page's script errors collected in ``page.errors``."""
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.errors = errors
        page.goto(path)
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        yield page


def element(page, element_id: str):
    return page.locator(f'g.djs-element[data-element-id="{element_id}"]')


def import_file(page, name: str, content: bytes, mime: str = "application/xml") -> None:
    page.set_input_files("#import-file", files=[{"name": name, "mimeType": mime, "buffer": content}])


def rename(page, element_id: str, name: str) -> None:
    """An edit through the canvas, as an analyst makes it: double-click the element and type its new name."""
    element(page, element_id).dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(name)
    page.locator("#canvas svg").first.click(position={"x": 5, "y": 5})
    page.wait_for_function(f"""() => window.lincahModeler.get('elementRegistry').get('{element_id}')
        .businessObject.name === {name!r}""")


def test_a_diagram_without_layout_is_laid_out_and_deploys(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        import_file(page, "tanpa_tata_letak.bpmn", WITHOUT_LAYOUT.encode())
        expect(element(page, "Task_Check")).to_have_count(1)
        expect(element(page, "Task_Verify")).to_have_count(0)
        expect(page.locator("#modeler-status")).to_contain_text("tata letak")
        expect(page.locator("#modeler-status")).not_to_contain_text("bukan diagram")
        assert page.evaluate("""() => window.lincahModeler.get('elementRegistry').get('Task_Check')
            .businessObject.get('camunda:candidateGroups')""") == "verifier"

        page.click("#deploy")
        expect(page.locator("#modeler-status")).not_to_have_text("Memasang…")
        expect(page.locator("#deployed-info")).to_contain_text("p v1")
        expect(page.locator("#deploy")).to_be_enabled()
        assert page.errors == []


def test_a_file_that_cannot_be_opened_keeps_the_diagram_and_its_edits_and_deploy_still_works(tmp_path, database,
                                                                                             browser):
    with modeler(tmp_path, browser) as page:
        rename(page, "Task_Verify", "Verifikasi dokumen")
        import_file(page, "rusak.bpmn", EMPTY_DIAGRAM.encode())
        expect(page.locator("#modeler-status.status-error")).to_be_visible()
        expect(element(page, "Task_Verify")).to_have_count(1)
        assert page.evaluate("""() => window.lincahModeler.get('elementRegistry').get('Task_Verify')
            .businessObject.name""") == "Verifikasi dokumen"

        page.click("#deploy")
        expect(page.locator("#modeler-status.status-success, #modeler-status.status-warning")).to_contain_text(
            "research_permit versi 2")
        expect(page.locator("#deploy")).to_be_enabled()
        assert page.errors == []


def test_a_deploy_that_fails_says_so_and_gives_the_button_back(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        page.route("**/analyst/deploy", lambda route: route.abort())
        page.click("#deploy")
        expect(page.locator("#modeler-status.status-error")).to_contain_text("Tidak dipasang.")
        expect(page.locator("#deploy")).to_be_enabled()


def leaving_is_questioned(page) -> bool:
    """Close the tab as a person would (running beforeunload): True when the page asked before leaving."""
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.close(run_before_unload=True)
    try:
        page.wait_for_event("close", timeout=1500)
    except PlaywrightError:  # stayed open (the question was dismissed), or closed before the wait began
        pass
    return asked == ["beforeunload"]


def test_leaving_the_modeler_with_edits_not_deployed_asks_first(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        rename(page, "Task_Verify", "Verifikasi dokumen")
        expect(page.locator("body[data-unsaved-changes=true]")).to_have_count(1)
        assert leaving_is_questioned(page)
        assert not page.is_closed(), "staying on the page keeps the edits"


def test_after_a_deploy_the_modeler_lets_go_without_asking(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        rename(page, "Task_Verify", "Verifikasi dokumen")
        page.click("#deploy")
        expect(page.locator("#deployed-info")).to_contain_text("research_permit v2")
        expect(page.locator("body[data-unsaved-changes=false]")).to_have_count(1)
        assert not leaving_is_questioned(page)
        assert page.is_closed()


def test_after_a_deploy_the_heading_title_and_address_name_the_new_version(tmp_path, database, browser):
    with modeler(tmp_path, browser, "/analyst/modeler?key=research_permit&version=1") as page:
        expect(page.locator("h1")).to_have_text("Pemodel: research_permit v1")
        rename(page, "Task_Verify", "Verifikasi dokumen")
        page.click("#deploy")
        expect(page.locator("#deployed-info")).to_contain_text("research_permit v2")
        expect(page.locator("h1")).to_have_text("Pemodel: research_permit v2")
        assert page.title().startswith("Pemodel: research_permit v2")
        assert page.url.endswith("/analyst/modeler?key=research_permit&version=2")

        page.reload()
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        expect(page.locator("h1")).to_have_text("Pemodel: research_permit v2")
        assert page.evaluate("""() => window.lincahModeler.get('elementRegistry').get('Task_Verify')
            .businessObject.name""") == "Verifikasi dokumen"


def test_importing_a_picture_says_plainly_that_it_is_not_bpmn_and_keeps_the_diagram(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        import_file(page, "foto-ktp.png", PNG, "image/png")
        status = page.locator("#modeler-status.status-error")
        expect(status).to_contain_text("“foto-ktp.png” bukan berkas BPMN XML")
        expect(status).to_contain_text("Pilih berkas .bpmn")
        message = status.text_content()
        assert "PNG" not in message and "\ufffd" not in message, message
        assert not any(ord(c) < 32 for c in message), message
        expect(element(page, "Task_Verify")).to_have_count(1)


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def test_the_palette_and_the_context_pad_fit_inside_the_canvas(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        canvas = box(page, "#canvas")
        palette = box(page, ".djs-palette")
        assert canvas["y"] <= palette["y"] and palette["y"] + palette["height"] <= canvas["y"] + canvas["height"], \
            (palette, canvas)
        assert page.evaluate("""() => getComputedStyle(document.querySelector('.djs-palette .group'))
            .borderTopStyle""") == "none", "the page's form groups do not style the palette's groups"

        element(page, "Task_Verify").click()
        pad = box(page, ".djs-context-pad.open")
        delete = box(page, '.djs-context-pad.open .entry[data-action="delete"]')
        change = box(page, '.djs-context-pad.open .entry[data-action="replace"]')
        bottom = canvas["y"] + canvas["height"]
        assert pad["y"] + pad["height"] <= bottom and delete["y"] + delete["height"] <= bottom, (pad, canvas)
        assert change["y"] + change["height"] <= bottom
        assert pad["height"] < 200, f"the pad's entries sit close together, not in boxes: {pad}"


def test_the_palette_menus_and_properties_of_a_user_task_speak_indonesian(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        palette = page.locator(".djs-palette")
        for title in ("Buat tugas", "Buat gateway (percabangan)", "Buat peristiwa awal", "Buat pool/peserta",
                      "Alat tangan: geser kanvas"):
            expect(palette.locator(f'.entry[aria-label="{title}"]')).to_have_count(1)
        palette.locator(".entry.bpmn-icon-user-task, .entry.bpmn-icon-task").first.hover()
        expect(page.locator(".djs-palette-tooltip-label")).to_have_text("Buat tugas")

        element(page, "Task_Verify").click()
        pad = page.locator(".djs-context-pad.open")
        expect(pad.locator('.entry[data-action="replace"]')).to_have_attribute("title", "Ubah elemen")
        expect(pad.locator('.entry[data-action="delete"]')).to_have_attribute("title", "Hapus")
        expect(pad.locator('.entry[data-action="append.gateway"]')).to_have_attribute("title", "Sambung gateway")

        panel = page.locator("#properties")
        expect(panel.locator(".bio-properties-panel-header-type")).to_have_text(re.compile("Tugas pengguna", re.I))
        headers = panel.locator(".bio-properties-panel-group-header-title")
        for group in ("Umum", "Penugasan (siapa yang mengerjakan)", "Formulir (Forms)", "Lincah (SLA dan katalog)"):
            expect(headers.filter(has_text=group)).to_have_count(1)
        panel.locator(".bio-properties-panel-group-header", has_text="Umum").click()
        expect(panel.locator('label[for="bio-properties-panel-name"]')).to_have_text("Nama")
        expect(panel.locator('label[for="bio-properties-panel-id"]')).to_have_text("ID")
        panel.locator(".bio-properties-panel-group-header", has_text="Penugasan").click()
        expect(panel.locator('label[for="bio-properties-panel-assignee"]')).to_have_text(
            "Petugas yang ditunjuk (assignee)")
        expect(panel.locator('label[for="bio-properties-panel-candidateGroups"]')).to_have_text(
            "Grup kandidat (candidate groups)")
        panel.locator(".bio-properties-panel-group-header", has_text="Formulir").click()
        expect(panel.locator("#bio-properties-panel-formType option[value=formKey]")).to_have_text(
            "Formulir Lincah / eksternal (form key)")
        expect(panel.locator('label[for="bio-properties-panel-formKey"]')).to_have_text("Form key")

        pad.locator('.entry[data-action="replace"]').click()
        menu = page.locator(".djs-popup")
        expect(menu.locator(".djs-popup-title")).to_have_text("Ubah elemen")
        for label in ("Tugas layanan (otomatis)", "Tugas manual", "Subproses (tertutup)"):
            expect(menu.locator(".entry", has_text=label)).to_have_count(1)
        for english in ("Service task", "Change element", "Sub-process"):
            expect(menu).not_to_contain_text(english)


def test_in_english_the_modeler_keeps_bpmn_js_english(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        page.goto("/lang/en")
        page.goto(RESEARCH_V1)
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        expect(page.locator('.djs-palette .entry[aria-label="Create task"]')).to_have_count(1)


def test_the_console_stays_quiet_and_keyboard_shortcuts_work_on_the_canvas(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        noise: list[str] = []
        page.on("console", lambda message: noise.append(f"{message.type}: {message.text}")
                if message.type in ("error", "warning") else None)
        page.goto(RESEARCH_V1)
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)

        element(page, "Task_Verify").click()
        page.locator('.djs-context-pad.open .entry[data-action="replace"]').click()
        pad = box(page, ".djs-context-pad.open")
        menu = box(page, ".djs-popup")
        assert abs(menu["x"] - pad["x"]) < 2 and 0 <= menu["y"] - (pad["y"] + pad["height"]) < 10, \
            f"the change-element menu opens below the pad: {menu}, {pad}"
        page.keyboard.press("Escape")
        element(page, "Task_Sign").click(modifiers=["Shift"])
        page.locator('.djs-context-pad.open .entry[data-action="align-elements"]').click()
        expect(page.locator('[data-popup="align-elements"] .djs-popup')).to_be_visible()
        page.keyboard.press("Escape")

        element(page, "Task_Verify").click()
        page.keyboard.press("Delete")
        expect(element(page, "Task_Verify")).to_have_count(0)
        page.keyboard.press("Control+z")
        expect(element(page, "Task_Verify")).to_have_count(1)
        assert noise == [] and errors == []


PANEL_ENGLISH = ("The due date as", "The follow up date as", "Section contains edits", "Toggle section",
                 "Create new list item", "List contains", "Toggle list item", "Delete item", "<empty>",
                 "Participant ID", "This maps to the process definition key", "Start initiator", "Candidate starter",
                 "History cleanup", "Before", "After")


def panel_words(page) -> set[str]:
    """Every text, title and option of the properties panel, with all its groups opened."""
    page.evaluate("""() => document.querySelectorAll('#properties .bio-properties-panel-group-header:not(.open)')
        .forEach((header) => header.click())""")
    expect(page.locator("#properties .bio-properties-panel-group-entries.open").first).to_be_visible()
    return set(page.evaluate("""() => {
        const root = document.querySelector('#properties'), out = [];
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) out.push(node.textContent.trim());
        root.querySelectorAll('[title]').forEach((e) => out.push(e.getAttribute('title')));
        return out.filter(Boolean);
    }"""))


def test_the_properties_of_a_task_a_pool_and_a_start_event_leave_no_english_behind(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        english = {}
        for element_id in ("Task_Verify", "Participant_ResearchPermit", "StartEvent_Submitted"):
            page.evaluate(f"""() => window.lincahModeler.get('selection').select(
                window.lincahModeler.get('elementRegistry').get('{element_id}'))""")
            expect(page.locator(".bio-properties-panel-header-label")).not_to_have_count(0)
            words = panel_words(page)
            english[element_id] = sorted(w for w in words if any(w.startswith(e) for e in PANEL_ENGLISH))
            if element_id == "Participant_ResearchPermit":
                assert "Ini menjadi kunci layanan (service key) di Lincah." in words
        assert english == {"Task_Verify": [], "Participant_ResearchPermit": [], "StartEvent_Submitted": []}


def test_a_step_gets_its_own_office_in_the_lincah_group(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        element(page, "Task_Sign").click()
        page.locator("#properties .bio-properties-panel-group-header", has_text="Lincah").click()
        field = page.locator("#bio-properties-panel-lincah-task-jurisdiction")
        expect(page.locator('label[for="bio-properties-panel-lincah-task-jurisdiction"]')).to_have_text(
            "Kantor (kode atau ${field})")
        field.fill("${location_regency}")
        field.press("Tab")
        page.wait_for_function("""() => (window.lincahModeler.get('elementRegistry').get('Task_Sign').businessObject
            .extensionElements.values[0].values || []).some((p) => p.name === 'jurisdiction'
            && p.value === '${location_regency}')""")
        page.click("#deploy")
        expect(page.locator("#deployed-info")).to_contain_text("research_permit v2")
        deployed = page.request.get("/analyst/services/research_permit/2/diagram.bpmn").text()
        start = deployed.index('id="Task_Sign"')
        sign = deployed[start:deployed.index("</bpmn:userTask>", start)]
        assert '<camunda:property name="jurisdiction" value="${location_regency}" />' in sign


def test_two_modelers_on_one_version_the_later_deploy_names_the_colleagues_version(tmp_path, database, browser):
    errors: list[str] = []
    with live_server(tmp_path) as server:
        first, second = (open_page(browser, server, "ana", errors) for _ in range(2))
        for page in (first, second):
            page.goto(RESEARCH_V1)
            expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        rename(first, "Task_Verify", "Verifikasi dokumen")
        first.click("#deploy")
        expect(first.locator("#modeler-status.status-success")).to_contain_text("research_permit versi 2")

        rename(second, "Task_Sign", "Tanda tangan")
        second.click("#deploy")
        status = second.locator("#modeler-status.status-warning")
        expect(status).to_contain_text("research_permit versi 3")
        expect(status).to_contain_text("selama Anda menyunting versi 1, v2 (ana) telah dipasang")

        rename(first, "Task_Verify", "Verifikasi berkas lengkap")
        first.click("#deploy")
        expect(first.locator("#modeler-status.status-warning")).to_contain_text(
            "selama Anda menyunting versi 2, v3 (ana) telah dipasang")
        rename(first, "Task_Verify", "Verifikasi berkas")
        first.click("#deploy")
        expect(first.locator("#modeler-status.status-success")).to_contain_text("research_permit versi 5")
        assert errors == []
