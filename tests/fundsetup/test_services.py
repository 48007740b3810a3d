"""Fund setup through its services: settings (audited), eligibility, calls, copying a call."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications import services as application_services
from fundops.audit import audit_trail
from fundops.models import Call, Questionnaire
from fundops.questionnaires import services as questionnaires
from fundops.questionnaires.answers import answer_rows
from fundsetup import services
from tests import factories
from tests.applications.helpers import ready_draft

pytestmark = pytest.mark.django_db


# Fund settings ------------------------------------------------------------------------------


def test_fund_settings_change_is_audited_with_what_changed(program_officer):
    fund = factories.FundFactory(max_grant=Decimal("50000"))
    services.fund_update(
        fund=fund, by=program_officer, max_grant="75000", themes="Land justice\n land justice \nCivic space\n\n",
        eligible_regions=["Eastern Africa"], registration_required=True, min_organisation_age_years=2,
        max_annual_budget="500000", required_documents=["budget"],
    )
    fund.refresh_from_db()
    assert fund.max_grant == Decimal("75000")
    assert fund.themes == ["Land justice", "Civic space"]  # one per line, repeats (any case) dropped
    assert fund.theme_choices() == ["Land justice", "Civic space"]
    assert (fund.registration_required, fund.min_organisation_age_years, fund.max_annual_budget) == (
        True, 2, Decimal("500000"))
    [entry] = [e for e in audit_trail(fund) if e.transition == "fund_update"]
    assert entry.actor == program_officer
    assert "max_grant: 50000 → 75000" in entry.note
    assert "themes: [] → [Land justice, Civic space]" in entry.note
    assert "required_documents: [budget, registration] → [budget]" in entry.note


def test_fund_settings_report_every_problem_at_once(program_officer):
    fund = factories.FundFactory()
    with pytest.raises(ValidationError) as error:
        services.fund_update(fund=fund, by=program_officer, name=" ", min_grant="9000", max_grant="100",
                             kind="rapid_response", eligible_regions=["Atlantis"], eligible_countries=["XX"],
                             reviews_required=0)
    assert set(error.value.message_dict) == {
        "name", "max_grant", "decision_target_hours", "eligible_regions", "eligible_countries", "reviews_required",
    }
    assert not [e for e in audit_trail(fund) if e.transition == "fund_update"]


def test_the_base_currency_is_fixed_once_money_has_come_in(program_officer):
    fund = factories.FundFactory(base_currency="USD")
    factories.ContributionFactory(fund=fund)
    with pytest.raises(ValidationError) as error:
        services.fund_update(fund=fund, by=program_officer, base_currency="EUR")
    assert "cannot change" in error.value.message_dict["base_currency"][0]
    empty = factories.FundFactory(base_currency="USD")
    assert services.fund_update(fund=empty, by=program_officer, base_currency="EUR").base_currency == "EUR"


@pytest.mark.parametrize("role", ["applicant", "reviewer", "finance_officer", "donor"])
def test_only_program_officers_set_up_funds(role):
    user = factories.UserFactory(roles=[role])
    fund = factories.FundFactory()
    with pytest.raises(PermissionDenied):
        services.fund_update(fund=fund, by=user, name="Mine now")
    with pytest.raises(PermissionDenied):
        services.call_create(fund=fund, by=user, name="x", opens_at=timezone.now(), is_rolling=True)


# Eligibility on submission --------------------------------------------------------------------


def test_ineligible_organisations_are_told_why(applicant, program_officer):
    fund = factories.FundFactory()
    fund = services.fund_update(fund=fund, by=program_officer, registration_required=True, min_organisation_age_years=3,
                         max_annual_budget="100000")
    organization = applicant.organization
    organization.registration_status = organization.RegistrationStatus.UNREGISTERED
    organization.save()
    draft = ready_draft(applicant, fund=fund)
    problems = application_services.submission_problems(draft)["organization"]
    assert problems == [
        f"{fund.name} funds only organisations registered in their country; your profile says “Unregistered group”.",
        f"{fund.name} funds organisations at least 3 years old: add the year your organisation was founded to its profile.",
        f"{fund.name} funds organisations spending at most USD 100,000.00 a year: add your annual budget to your "
        "organisation's profile.",
    ]
    organization.registration_status = organization.RegistrationStatus.REGISTERED
    organization.founded_year = timezone.localdate().year - 1
    organization.annual_budget, organization.annual_budget_currency = Decimal("250000"), "USD"
    organization.save()
    problems = application_services.submission_problems(draft)["organization"]
    assert problems == [
        f"{fund.name} funds organisations at least 3 years old; yours was founded in {organization.founded_year}.",
        f"{fund.name} funds organisations spending at most USD 100,000.00 a year; your profile says USD 250,000.00.",
    ]
    organization.founded_year, organization.annual_budget = 2010, Decimal("90000")
    organization.save()
    assert "organization" not in application_services.submission_problems(draft)


def test_the_documents_a_fund_asks_for_are_required(applicant, program_officer):
    fund = factories.FundFactory()
    draft = ready_draft(applicant, fund=fund)
    assert application_services.submission_problems(draft) == {}
    draft.fund = services.fund_update(fund=fund, by=program_officer, required_documents=["budget", "other"])
    assert application_services.submission_problems(draft) == {"other": ["Attach the other document this fund asks for."]}
    draft.fund = services.fund_update(fund=fund, by=program_officer, required_documents=[])
    draft.attachments.all().delete()
    assert application_services.submission_problems(draft) == {}


def test_a_fund_with_its_own_themes_accepts_them_and_refuses_others(applicant, program_officer):
    fund = factories.FundFactory()
    fund = services.fund_update(fund=fund, by=program_officer, themes="Building power and systems change\nImpact")
    draft = application_services.application_create_draft(
        organization=applicant.organization, fund=fund, by=applicant, themes=["impact", "Building power and systems change"]
    )
    assert draft.themes == ["Building power and systems change", "Impact"]  # as the fund names them, in its order
    with pytest.raises(ValidationError) as error:
        application_services.application_update_draft(application=draft, by=applicant, themes=["Access to justice"])
    assert error.value.message_dict["themes"] == [f"{fund.name} does not offer these themes: Access to justice."]


# Calls -----------------------------------------------------------------------------------------


def test_calls_are_created_and_changed_with_audit_rows(program_officer):
    fund = factories.FundFactory()
    opens = timezone.now()
    call = services.call_create(fund=fund, by=program_officer, name="Round 1", opens_at=opens,
                                closes_at=opens + datetime.timedelta(days=30), guidance="Core funding.")
    assert (call.slug, call.is_open()) == ("round-1", True)
    with pytest.raises(ValidationError) as error:
        services.call_update(call=call, by=program_officer, closes_at=opens - datetime.timedelta(days=1))
    assert "closes_at" in error.value.message_dict
    services.call_update(call=call, by=program_officer, is_rolling=True)
    call.refresh_from_db()
    assert call.is_rolling and call.closes_at is None
    assert [e.transition for e in audit_trail(call)] == ["call_create", "call_update"]
    second = services.call_create(fund=fund, by=program_officer, name="Round 1", opens_at=opens, is_rolling=True)
    assert second.slug == "round-1-2"


def test_a_calls_own_form_starts_from_the_funds_form(program_officer):
    fund = factories.FundFactory()
    fund_form = services.fund_form_create(fund=fund, by=program_officer)
    questionnaires.question_add(questionnaire=fund_form, by=program_officer, kind="yes_no", label="Registered?")
    call = factories.CallFactory(fund=fund)
    form = services.call_form_create(call=call, by=program_officer)
    assert form.pk != fund_form.pk and form.title == f"Application form — {call.name}"
    assert list(form.questions.values_list("key", flat=True)) == ["registered"]
    assert services.call_form_create(call=call, by=program_officer) == form  # once


# Copying a call -------------------------------------------------------------------------------


def test_copying_a_call_copies_its_form_and_rubric_and_leaves_the_old_one_alone(applicant, program_officer):
    fund = factories.FundFactory(reviews_required=1)
    call = factories.CallFactory(fund=fund, name="Round 1", guidance="Core funding for one year.")
    form = services.call_form_create(call=call, by=program_officer)
    form, _ = questionnaires.question_add(questionnaire=form, by=program_officer, kind="long_text",
                                          label="Strategy", required=True, word_limit=100)
    rubric = None
    if hasattr(factories, "RubricFactory"):
        rubric = factories.RubricFactory(fund=fund, call=call)
        factories.CriterionFactory(rubric=rubric, title="Community rootedness")
    old = ready_draft(applicant, fund=fund, call=call, answers={"strategy": "Paralegals chosen by villages."})
    application_services.application_submit(application=old, by=applicant)

    opens = timezone.now() + datetime.timedelta(days=40)
    new = services.call_copy(call=call, by=program_officer, name="Round 2", opens_at=opens,
                             closes_at=opens + datetime.timedelta(days=60))
    assert (new.name, new.guidance, new.fund_id) == ("Round 2", "Core funding for one year.", fund.pk)
    copy = new.application_form
    assert copy.pk != form.pk and copy.version == 1 and not copy.is_frozen
    assert list(copy.questions.values_list("key", "kind", "word_limit")) == [("strategy", "long_text", 100)]
    if rubric is not None:
        new_rubric = new.rubrics.get()
        assert new_rubric.pk != rubric.pk
        assert list(new_rubric.criteria.values_list("title", flat=True)) == ["Community rootedness"]

    # Changing the new round's form leaves the old round's answers as they were given.
    questionnaires.question_update(question=copy.questions.get(), by=program_officer, label="Your theory of change")
    old.refresh_from_db()
    assert [(r.label, r.display) for r in answer_rows(old.questionnaire, old.answers)] == [
        ("Strategy", "Paralegals chosen by villages."),
    ]
    call.refresh_from_db()
    assert call.application_form_id == form.pk
    assert audit_trail(new).filter(transition="call_copy").exists()


def test_copy_page_makes_the_new_call(client, program_officer):
    call = factories.CallFactory(name="Round 3")
    client.force_login(program_officer)
    from django.urls import reverse

    page = client.get(reverse("fundsetup:call", args=[call.pk])).content.decode()
    assert "Copy this call" in page
    form = client.get(reverse("fundsetup:call_copy", args=[call.pk]))
    assert form.context["form"].initial["name"] == "Round 4"
    opens = timezone.localtime() + datetime.timedelta(days=5)
    response = client.post(reverse("fundsetup:call_copy", args=[call.pk]), {
        "name": "Round 4", "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
    })
    new = Call.objects.get(name="Round 4")
    assert response.status_code == 302 and response.url == reverse("fundsetup:call", args=[new.pk])
    assert Questionnaire.objects.count() == 0  # the old call had no form of its own: nothing to copy
