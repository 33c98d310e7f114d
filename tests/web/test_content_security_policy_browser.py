"""The pages work under their Content-Security-Policy in a real browser (Debian's Chromium, Playwright): the public
diagram, the manager's chart and heatmap, the analyst's modeler and the API's Swagger UI draw, and the browser
reports no violation of the policy on any of them — no inline script, no inline style the page depends on.

Runs on its own SQLite server like the other browser tests; needs ``make web`` and /usr/bin/chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.studio_support import live_server, open_page, seed_history

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

# Chromium reports each blocked script, style, image or frame on the console with this phrase.
VIOLATION = "Content Security Policy"
REPORTED = "() => window.cspViolations"
LISTEN = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
    (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""


def _watch(page, problems: list[str]) -> None:
    page.context.add_init_script(LISTEN)
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}")
            if VIOLATION in message.text else None)


def _visit(page, path: str, ready: str, problems: list[str]) -> None:
    response = page.goto(path)
    policy = response.headers.get("content-security-policy") or ""
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
    expect(page.locator(ready).first).to_be_visible()
    problems += [f"{path}: {violation}" for violation in page.evaluate(REPORTED)]


def test_the_main_pages_run_under_their_policy_without_a_violation(tmp_path, database, browser):
    errors: list[str] = []
    problems: list[str] = []
    with live_server(tmp_path) as server:
        seed_history(server, server.ctx, server.clock)
        manager = open_page(browser, server, "mira", errors)
        _watch(manager, problems)
        _visit(manager, "/services/research_permit", ".diagram-canvas[data-rendered=true]", problems)
        _visit(manager, "/manager", "body[data-chart-ready=true]", problems)
        _visit(manager, "/manager/services/research_permit", "body[data-heatmap-ready=true]", problems)
        expect(manager.locator('g.djs-element.heat-poor[data-element-id="Task_Verify"]')).to_have_count(1)
        _visit(manager, "/api/v1/docs", ".swagger-ui .info .title", problems)
        expect(manager.locator(".swagger-ui .opblock").first).to_be_visible()

        analyst = open_page(browser, server, "ana", errors)
        _watch(analyst, problems)
        _visit(analyst, "/analyst/modeler?key=research_permit&version=1", "body[data-modeler-ready=true]",
               problems)
        task = analyst.locator('g.djs-element[data-element-id="Task_Verify"]')
        task.click()  # the context pad and the properties panel open
        expect(analyst.locator(".djs-context-pad")).to_be_visible()
        task.dblclick()  # the label editor, drawn by diagram-js over the canvas
        expect(analyst.locator(".djs-direct-editing-parent")).to_be_visible()
        analyst.keyboard.press("Escape")
        problems += [f"modeler: {violation}" for violation in analyst.evaluate(REPORTED)]
    assert problems == [], "\n".join(problems)
    assert errors == []
