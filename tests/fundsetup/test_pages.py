"""The fund setup pages through HTTP: settings, calls, the form editor, copying a call."""
from decimal import Decimal

import pytest
from django.urls import reverse

from fundops.models import AuditEntry
from fundops.questionnaires import services as questionnaires
from fundsetup import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, program_officer):
    client.force_login(program_officer)
    return client


def settings_post(fund, **changes):
    data = {
        "name": fund.name, "description": fund.description, "kind": fund.kind, "base_currency": fund.base_currency,
        "min_grant": "1000", "max_grant": "50000", "decision_target_hours": "", "opens_on": fund.opens_on.isoformat(),
        "closes_on": "", "reviews_required": "2", "required_documents": ["budget", "registration"], "themes": "",
        "max_annual_budget": "", "min_organisation_age_years": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_every_setup_page_renders(officer_client, program_officer):
    fund = factories.FundFactory()
    call = factories.CallFactory(fund=fund)
    form = services.call_form_create(call=call, by=program_officer)
    questionnaires.question_add(questionnaire=form, by=program_officer, kind="yes_no", label="Registered?", required=True)
    questionnaires.question_add(questionnaire=form, by=program_officer, kind="long_text", label="Why not?",
                                show_if_key="registered", show_if_value="no", word_limit=100)
    for url in (
        reverse("fundsetup:funds"), reverse("fundsetup:fund", args=[fund.slug]),
        reverse("fundsetup:call_create", args=[fund.slug]), reverse("fundsetup:call", args=[call.pk]),
        reverse("fundsetup:call_copy", args=[call.pk]), reverse("fundsetup:questionnaire_edit", args=[form.pk]),
        reverse("fundsetup:questionnaire_edit", args=[form.pk]) + f"?edit={form.questions.first().pk}",
    ):
        response = officer_client.get(url)
        assert response.status_code == 200, url
    page = officer_client.get(reverse("fundsetup:questionnaire_edit", args=[form.pk])).content.decode()
    assert "Only if “Registered?” is “No”." in page


def test_the_settings_page_saves_and_shows_every_problem(officer_client, program_officer):
    fund = factories.FundFactory(name="Legal Empowerment Fund")
    url = reverse("fundsetup:fund", args=[fund.slug])
    response = officer_client.post(url, settings_post(fund, max_grant="500", themes="Impact\nCivic space"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The largest grant must not be below the smallest." in page
    assert "Impact\nCivic space" in page  # what was typed stays
    response = officer_client.post(url, settings_post(
        fund, themes="Impact\nCivic space", eligible_regions=["Eastern Africa", "Western Africa"],
        registration_required="on", min_organisation_age_years="2", max_annual_budget="250000",
    ))
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.themes == ["Impact", "Civic space"] and fund.eligible_regions == ["Eastern Africa", "Western Africa"]
    assert fund.registration_required and fund.max_annual_budget == Decimal("250000")
    page = officer_client.get(url).content.decode()
    assert "Recent changes" in page and "eligible_regions: [] → [Eastern Africa, Western Africa]" in page
    assert AuditEntry.objects.filter(transition="fund_update", actor=program_officer).count() == 1


def test_the_editor_adds_edits_moves_and_removes_questions(officer_client, program_officer):
    call = factories.CallFactory()
    form = services.call_form_create(call=call, by=program_officer)
    url = reverse("fundsetup:questionnaire_edit", args=[form.pk])
    new = {"action": "add", "new-kind": "single_choice", "new-label": "Size", "new-choices": "Small"}
    response = officer_client.post(url, new)
    assert response.status_code == 400 and "Give at least two choices, one per line." in response.content.decode()
    assert officer_client.post(url, {**new, "new-choices": "Small\nLarge"}).status_code == 302
    officer_client.post(url, {"action": "add", "new-kind": "long_text", "new-label": "Why", "new-word_limit": "50",
                              "new-required": "on", "new-show_if_key": "size", "new-show_if_value": "large"})
    size, why = form.questions.order_by("order")
    assert (why.show_if_key, why.show_if_value, why.word_limit, why.required) == ("size", "Large", 50, True)
    officer_client.post(url, {"action": "up", "question": why.pk})
    assert list(form.questions.order_by("order").values_list("key", flat=True)) == ["why", "size"]
    officer_client.post(url, {"action": "update", "question": size.pk, "edit-kind": "single_choice",
                              "edit-label": "Team size", "edit-choices": "Small\nLarge"})
    assert form.questions.get(key="size").label == "Team size"
    response = officer_client.post(url, {"action": "remove", "question": size.pk}, follow=True)
    assert "“Why” is shown only depending on this question" in response.content.decode()
    officer_client.post(url, {"action": "remove", "question": why.pk})
    officer_client.post(url, {"action": "remove", "question": size.pk})
    assert not form.questions.exists()


def test_editing_an_answered_form_makes_a_new_version_and_says_so(officer_client, program_officer):
    call = factories.CallFactory()
    form = services.call_form_create(call=call, by=program_officer)
    questionnaires.question_add(questionnaire=form, by=program_officer, kind="short_text", label="Motto")
    questionnaires.questionnaire_freeze(questionnaire=form)
    url = reverse("fundsetup:questionnaire_edit", args=[form.pk])
    assert "Applications already submitted keep the version they answered." in officer_client.get(url).content.decode()
    response = officer_client.post(url, {"action": "add", "new-kind": "yes_no", "new-label": "Registered?"}, follow=True)
    call.refresh_from_db()
    assert call.application_form_id != form.pk and call.application_form.version == 2
    assert response.redirect_chain[-1][0].startswith(reverse("fundsetup:questionnaire_edit", args=[call.application_form_id]))
    page = response.content.decode()
    assert "Saved as version 2 of the form, because version 1 has been answered." in page
    assert list(form.questions.values_list("key", flat=True)) == ["motto"]
    old_page = officer_client.get(url).content.decode()
    assert "This is an older version of the form; version 2 is newer." in old_page
