"""The main menu is built in one place (``api.web.setup._navigation``): each person sees the entries of their roles,
once, in the chosen language, on every page that has the menu — a page of no route too."""

from __future__ import annotations

import pytest

from tests.web.conftest import page
from tests.web.studio_support import studio_people  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("studio_people")


def _menu(response) -> list[str]:
    return [" ".join(a.text_content().split()) for a in page(response).cssselect("nav.main-nav ul a")]


def test_the_analyst_finds_service_design_once_in_the_menu(visitor):
    menu = _menu(visitor("ana").get("/services"))
    assert menu.count("Desain layanan") == 1 and "Dasbor SLA" not in menu


def test_the_manager_finds_the_sla_dashboard_once_in_the_menu_in_english_too(visitor):
    manager = visitor("mira")
    assert _menu(manager.get("/services")).count("Dasbor SLA") == 1
    menu = _menu(manager.english().get("/services"))
    assert menu.count("SLA dashboard") == 1 and "Service design" not in menu


def test_an_officer_sees_neither_studio_entry(visitor):
    menu = _menu(visitor("vera").get("/services"))
    assert "Desain layanan" not in menu and "Dasbor SLA" not in menu and "Kotak masuk" in menu


def test_the_page_of_an_unknown_address_has_the_same_menu(visitor):
    response = visitor("ana").get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert _menu(response).count("Desain layanan") == 1


def test_the_heatmap_legend_shows_percent_signs_as_written(visitor, deployed):
    text = page(visitor("mira").get("/manager/services/research_permit")).text_content()
    assert "90% atau lebih" in text and "75% sampai 90%" in text and "%%" not in text
