"""spiff-arena's dynamic enums (``"anyOf": ["options_from_task_data_var:name"]``): the choices a script put into the
task's data are the field's choices on the task page and the only values the step accepts; a marker naming no
variable is refused at deploy, located."""

from __future__ import annotations

import pytest

from engine.casework import applications, use_cases
from engine.errors import InvalidData
from engine.forms import dynamic_options
from engine.forms.schemas import FormFiles, check_form, field_errors
from engine.people.access import Actor
from engine.services import definitions, model_folder
from tests.engine.conftest import open_task_rows
from tests.engine.test_spiff_models import MODELS
from tests.web.conftest import page

pytestmark = pytest.mark.usefixtures("people")
ANDI = Actor.of("andi", ["applicant"], full_name="Andi Pratama")
FOLDER = MODELS / "pilih_warna"


@pytest.fixture
def choice_task(db, ctx) -> str:
    """The applicant's step "Pilih warna", after the script that set ``pilihan_warna``."""
    folder = model_folder.from_directory(FOLDER)
    with db.transaction() as session:
        definitions.deploy(session, ctx, folder.main, folder.supporting, folder.forms, actor="analis")
        instance = applications.start(session, ctx, service="pilih_warna", data={}, actor=ANDI)
        (task,) = open_task_rows(session, instance.id)
    return task.id


def test_the_task_page_offers_the_choices_of_the_task_data(visitor, choice_task):
    response = visitor("andi").get(f"/tasks/{choice_task}")
    assert response.status_code == 200
    (field,) = page(response).cssselect("select[name=warna]")
    options = [(o.get("value"), o.text_content().strip()) for o in field.cssselect("option") if o.get("value")]
    assert options == [("biru", "Biru laut"), ("hijau", "Hijau daun")]


def test_only_a_choice_present_in_the_task_data_is_accepted(db, ctx, choice_task):
    with db.transaction() as session, pytest.raises(InvalidData) as refused:
        use_cases.complete_task(session, ctx, choice_task, ANDI, data={"warna": "merah"})
    assert set(refused.value.details) == {"warna"}
    with db.transaction() as session:
        instance, open_tasks = use_cases.complete_task(session, ctx, choice_task, ANDI, data={"warna": "hijau"})
        assert (instance.status, open_tasks) == ("completed", [])
        assert applications.current_data(ctx, instance)["warna"] == "hijau"


def test_the_choices_follow_the_data_at_that_moment():
    schema, where = dynamic_options.declared({"type": "object", "properties": {
        "warna": {"type": "string", "oneOf": ["options_from_task_data_var:pilihan"]}}})
    assert where is None and schema["properties"]["warna"] == {"type": "string", dynamic_options.KEYWORD: "pilihan"}
    now = dynamic_options.resolved(schema, {"pilihan": ["merah", {"value": 2, "label": "Dua"}, {"label": "tanpa"}]})
    assert now["properties"]["warna"]["oneOf"] == [{"const": "merah", "title": "merah"}, {"const": 2, "title": "Dua"}]
    # No choices in the data (yet): nothing is accepted, rather than anything, and the refusal says why.
    empty = dynamic_options.resolved(schema, {})
    assert empty["properties"]["warna"]["enum"] == []
    (message,) = field_errors(empty, {"warna": "merah"}).values()
    assert "'pilihan' in the step's data, which holds none" in str(message)


def test_a_marker_naming_no_variable_is_refused_where_it_is():
    text = '{"type": "object", "properties": {"warna": {"anyOf": ["options_from_task_data_var: 1 2"]}}}'
    form, problems = check_form(FormFiles("warna", text, None, "upload:warna-schema.json"))
    assert form is None
    (problem,) = [str(p) for p in problems]
    assert "/properties/warna/anyOf" in problem and "upload:warna-schema.json" in problem
