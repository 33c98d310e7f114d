"""The web modeler opens a spiff-arena model folder in a real browser (Debian's Chromium, Playwright): the folder
chosen with ``<input webkitdirectory>``, its primary diagram drawn, a problem in another of its files listed under
that file, and the folder deployed as one draft; a folder over the bounds is refused before anything is sent.

Runs on its own SQLite server like test_modeler_browser.py; needs ``make web`` and /usr/bin/chromium.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from engine.services import definitions
from tests.api.test_spiff_model_upload import _model_zip
from tests.engine.test_spiff_models import REKLAME
from tests.web.studio_support import live_server, open_page
from tests.web.test_modeler_browser import element

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@contextmanager
def modeler(tmp_path, browser):
    """A blank modeler for Ana the analyst; script errors in ``page.errors``, the server in ``page.server``."""
    errors: list[str] = []
    with live_server(tmp_path) as server:
        page = open_page(browser, server, "ana", errors)
        page.errors, page.server = errors, server
        page.goto("/analyst/modeler?key=research_permit&version=1")
        expect(page.locator("body[data-modeler-ready=true]")).to_have_count(1)
        yield page


def _folder(tmp_path, **replace: bytes):
    """A copy of the izin_reklame fixture folder, with files replaced, beside a sub-folder and a picture (left out)."""
    folder = tmp_path / "izin_reklame"
    shutil.copytree(REKLAME, folder)
    for name, content in replace.items():
        (folder / name).write_bytes(content)
    (folder / "catatan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "lama").mkdir()
    (folder / "lama" / "usang.bpmn").write_text("<bukan-bpmn/>")
    return folder


def test_a_model_folder_opens_lints_by_file_and_deploys_as_one_draft(tmp_path, database, browser):
    called = (REKLAME / "retribusi_reklame.bpmn").read_bytes().replace(b"max(retribusi, 50000)",
                                                                       b"open('/etc/passwd').read()")
    broken, fixed = _folder(tmp_path / "a", **{"retribusi_reklame.bpmn": called}), _folder(tmp_path / "b")
    with modeler(tmp_path / "server", browser) as page:
        page.set_input_files("#import-folder", broken)
        expect(element(page, "tentukan_tarif")).to_have_count(1)  # the primary diagram is drawn
        expect(element(page, "Task_Verify")).to_have_count(0)
        expect(page.locator("#model-folder-info")).to_contain_text("izin_reklame.bpmn")
        expect(page.locator("#model-folder-info")).to_contain_text("tarif_reklame.dmn")
        problem = page.locator('#problems li.problem-error[data-file="retribusi_reklame.bpmn"]')
        expect(problem).to_have_count(1)
        expect(problem).to_contain_text("retribusi_reklame.bpmn › kalikan")
        expect(page.locator(".lincah-problem-error")).to_have_count(0)  # not marked on the primary diagram

        page.click("#deploy")
        expect(page.locator("#modeler-status.status-error")).to_be_visible()
        expect(page.locator("#deployed-info")).to_have_text("")

        page.set_input_files("#import-folder", fixed)
        expect(page.locator("#modeler-status")).to_contain_text("izin_reklame.bpmn")
        expect(page.locator("#problems li.problem-error")).to_have_count(0)
        page.click("#deploy")
        expect(page.locator("#deployed-info")).to_contain_text("izin_reklame v1")
        assert page.errors == []
    with page.server.transaction() as session:
        (draft,) = definitions.versions(session, "izin_reklame")
        assert draft.status == "draft" and "retribusi_reklame.bpmn" in draft.extra_bpmn


def test_an_edit_of_the_primary_diagram_is_checked_with_the_folder(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        page.set_input_files("#import-folder", _folder(tmp_path))
        expect(element(page, "tentukan_tarif")).to_have_count(1)
        # Drawn, saved by bpmn-js and checked with the folder: still clean (the spiff extensions survive the trip).
        expect(page.locator('#live-lint[data-errors="0"]')).to_have_count(1)
        expect(page.locator("#problems li.problem-error")).to_have_count(0)
        # The table's id removed from the business rule task, as an analyst would in the properties: lint (with
        # the folder's DMN file) locates the problem on the drawn element.
        page.evaluate("""() => {
            const registry = window.lincahModeler.get('elementRegistry');
            const task = registry.get('tentukan_tarif');
            const values = task.businessObject.extensionElements.values;
            window.lincahModeler.get('modeling').updateModdleProperties(task, task.businessObject.extensionElements,
                { values: values.filter((v) => !/calledDecisionId/i.test(v.$type)) });
            window.lincahModeler.get('modeling').updateProperties(task, { name: 'Tarif tanpa tabel' });
        }""")
        expect(page.locator('#problems li.problem-error[data-element-id="tentukan_tarif"]')).not_to_have_count(0)
        expect(page.locator(".lincah-problem-error")).not_to_have_count(0)
        assert page.errors == []


def test_a_folder_over_the_bounds_is_refused_before_it_is_sent(tmp_path, database, browser):
    folder = _folder(tmp_path)
    (folder / "besar-schema.json").write_bytes(b" " * (5 * 1024 * 1024 + 1))
    with modeler(tmp_path, browser) as page:
        sent = []
        page.on("request", lambda request: sent.append(request.url) if "/analyst/models/folder" in request.url
                else None)
        page.set_input_files("#import-folder", folder)
        expect(page.locator("#modeler-status.status-error")).to_contain_text("besar-schema.json")
        expect(element(page, "Task_Verify")).to_have_count(1)  # the diagram that was open stays
        assert sent == [] and page.errors == []


def test_a_zipped_model_folder_opens_and_deploys_with_the_edit_made_in_the_modeler(tmp_path, database, browser):
    with modeler(tmp_path, browser) as page:
        page.set_input_files("#import-folder-zip", files=[{"name": "izin_reklame.zip", "mimeType": "application/zip",
                                                          "buffer": _model_zip()}])
        expect(element(page, "tentukan_tarif")).to_have_count(1)
        expect(page.locator("#model-folder-info")).to_contain_text("retribusi_reklame.bpmn")
        page.evaluate("""() => window.lincahModeler.get('modeling').updateProperties(
            window.lincahModeler.get('elementRegistry').get('tentukan_tarif'), { name: 'Tarif menurut tabel' })""")
        page.click("#deploy")
        expect(page.locator("#deployed-info")).to_contain_text("izin_reklame v1")
        assert page.errors == []
    with page.server.transaction() as session:
        (draft,) = definitions.versions(session, "izin_reklame")
        assert "Tarif menurut tabel" in draft.bpmn and "retribusi_reklame.bpmn" in draft.extra_bpmn
