"""The applicant portal over HTTP: lists, drafts, submitting with problems, answering, withdrawing."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import Application
from fundops.audit import audit_trail
from tests import factories
from tests.applications.helpers import pdf, ready_draft
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, applicant):
    client.login(username=applicant.username, password=PASSWORD)
    return client


def draft_post(**overrides):
    data = {
        "title": "Paralegals for land rights",
        "summary": "We train twenty paralegals.",
        "themes": ["Access to justice"],
        "countries": ["KE"],
        "requested_amount": "15000",
        "requested_currency": "USD",
        "planned_start": "2027-01-01",
        "planned_end": "2027-12-31",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_list_shows_own_applications_with_state_only(signed_in, applicant):
    mine = factories.ApplicationFactory(organization=applicant.organization, title="Our land clinic")
    factories.ApplicationFactory(title="Somebody else's plan")
    page = signed_in.get(reverse("applications:list")).content.decode()
    assert "Our land clinic" in page and "Somebody else" not in page
    assert f'<span class="badge {mine.state}">Draft</span>' in page


def test_create_then_edit_saves_an_incomplete_draft(signed_in, applicant):
    fund = factories.FundFactory(name="Legal Empowerment Fund")
    call = factories.CallFactory(fund=fund, name="Open call 2026")
    page = signed_in.get(reverse("applications:create")).content.decode()
    assert "Legal Empowerment Fund — Open call 2026" in page
    response = signed_in.post(reverse("applications:create"), {"choice": f"{fund.pk}:{call.pk}"})
    application = Application.objects.get(organization=applicant.organization)
    assert response["Location"] == reverse("applications:edit", args=[application.pk])
    assert application.call == call and application.state == "draft"
    response = signed_in.post(reverse("applications:edit", args=[application.pk]), {"title": "Half done", "save": ""})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.title == "Half done" and application.summary == ""
    assert "Draft saved" in signed_in.get(response["Location"]).content.decode()


def test_closed_fund_is_not_offered(signed_in):
    today = datetime.date.today()
    factories.FundFactory(name="Closed Fund", opens_on=today - datetime.timedelta(days=60), closes_on=today - datetime.timedelta(days=1))
    assert "Closed Fund" not in signed_in.get(reverse("applications:create")).content.decode()


def test_submit_with_problems_shows_summary_and_each_message_by_its_field(signed_in, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization, title="")
    response = signed_in.post(
        reverse("applications:submit", args=[application.pk]), draft_post(title="", themes=None)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your draft is saved, but it cannot be submitted yet" in page
    assert '<a href="#field-title">Title</a>: Give the application a title.' in page
    # next to the field, inside its own block:
    title_block = page.split('id="field-title"')[1].split('id="field-summary"')[0]
    assert "Give the application a title." in title_block
    themes_block = page.split('id="field-themes"')[1].split('id="field-countries"')[0]
    assert "Choose at least one theme." in themes_block
    assert "Attach your budget." in page.split('id="field-budget"')[1]
    # nothing lost: what was typed is still in the form and saved in the draft
    assert "We train twenty paralegals." in page
    application.refresh_from_db()
    assert application.state == "draft" and application.summary == "We train twenty paralegals."


def test_submit_with_documents_succeeds(signed_in, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    data = draft_post(budget=pdf("budget.pdf"), registration=pdf("certificate.pdf"))
    response = signed_in.post(reverse("applications:submit", args=[application.pk]), data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "submitted"
    page = signed_in.get(response["Location"]).content.decode()
    assert "Application submitted" in page and '<span class="badge big submitted">Submitted</span>' in page


def test_invalid_upload_keeps_the_typed_text_and_stores_nothing(signed_in, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization, title="Before")
    exe = SimpleUploadedFile("budget.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    response = signed_in.post(
        reverse("applications:edit", args=[application.pk]), draft_post(title="After", budget=exe)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not contain what its name says (PDF)" in page.split('id="field-budget"')[1]
    assert 'value="After"' in page
    application.refresh_from_db()
    assert application.title == "Before" and not application.attachments.exists()


def test_another_organisations_application_is_not_found(signed_in):
    other = factories.ApplicationFactory()
    for name in ("detail", "edit", "withdraw", "answer"):
        assert signed_in.get(reverse(f"applications:{name}", args=[other.pk])).status_code == 404
    assert signed_in.post(reverse("applications:submit", args=[other.pk]), draft_post()).status_code == 404


@pytest.mark.parametrize("role", ["reviewer", "donor", "finance_officer", "program_officer"])
def test_other_roles_cannot_reach_the_portal(client, role):
    user = factories.UserFactory(roles=[role])
    client.login(username=user.username, password=PASSWORD)
    assert client.get(reverse("applications:list")).status_code == 403
    assert client.get(reverse("applications:organization")).status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("applications:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_answer_an_info_request(signed_in, applicant, program_officer):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    services.application_screen_in(application=application, by=program_officer)
    services.application_request_info(application=application, by=program_officer, question="Who signs the budget?")
    detail = signed_in.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Who signs the budget?" in detail and "Answer this question" in detail
    draft = factories.ApplicationFactory(organization=applicant.organization)
    response = signed_in.get(reverse("applications:answer", args=[draft.pk]), follow=True)
    assert "There is no question waiting for an answer" in response.content.decode()
    response = signed_in.post(reverse("applications:answer", args=[application.pk]), {"answer": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = signed_in.post(
        reverse("applications:answer", args=[application.pk]),
        {"answer": "Our treasurer.", "document": pdf("signatures.pdf")},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "in_review"
    assert application.attachments.filter(original_name="signatures.pdf").exists()


def test_withdraw_from_the_portal(signed_in, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    assert "Withdraw this application?" in signed_in.get(reverse("applications:withdraw", args=[application.pk])).content.decode()
    signed_in.post(reverse("applications:withdraw", args=[application.pk]), {"note": "Funded elsewhere"})
    application.refresh_from_db()
    assert application.state == "withdrawn"
    page = signed_in.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Withdrawn" in page and "Funded elsewhere" in page


def test_timeline_hides_officer_identity_and_internal_notes(signed_in, applicant, program_officer):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    services.application_screen_in(application=application, by=program_officer, note="Strong org, fast-track")
    services.application_decline(application=application, by=program_officer, reason="Outside the fund's focus.")
    page = signed_in.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Screened in for review" in page and "Fund team" in page
    assert "Outside the fund&#x27;s focus." in page
    assert program_officer.last_name not in page
    assert "fast-track" not in page
    assert [row.transition for row in audit_trail(application)] == ["submit", "screen_in", "decline"]


def test_organisation_profile_view_and_edit(signed_in, applicant):
    page = signed_in.get(reverse("applications:organization")).content.decode()
    assert applicant.organization.org_id in page and "Edit profile" in page
    form = signed_in.get(reverse("applications:organization") + "?edit=1").content.decode()
    assert 'name="contact_email"' in form and 'name="at_risk"' not in form
    data = {
        "name": "Kituo cha Haki", "country": "KE", "city": "Kisumu", "registration_status": "registered",
        "registration_number": "CPR/2014/1", "contact_name": "Amina", "contact_email": "not-an-email",
        "contact_phone": "", "website": "",
    }
    response = signed_in.post(reverse("applications:organization"), data)
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    data["contact_email"] = "amina@example.org"
    response = signed_in.post(reverse("applications:organization"), data)
    assert response.status_code == 302
    applicant.organization.refresh_from_db()
    assert (applicant.organization.city, applicant.organization.name) == ("Kisumu", "Kituo cha Haki")
    assert "Organisation profile saved." in signed_in.get(response["Location"]).content.decode()


def test_saving_an_untouched_draft_again_keeps_its_amount(signed_in, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    form = signed_in.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert 'value="15000.00"' in form
    response = signed_in.post(reverse("applications:edit", args=[application.pk]), draft_post(requested_amount="15000.00"))
    assert response.status_code == 302
