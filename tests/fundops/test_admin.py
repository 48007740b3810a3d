"""The Django admin: every model listed and searchable, transitions as actions, money through the service."""
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from applications import services
from applications.models import Application
from fundops.audit import audit_trail
from fundops.models import AuditEntry, Contribution
from tests import factories
from tests.applications.helpers import ready_draft
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = factories.UserFactory(username="ada", is_staff=True, is_superuser=True)
    client.login(username=admin.username, password=PASSWORD)
    client.admin_user = admin
    return client


@pytest.fixture
def world(applicant):
    application = ready_draft(applicant, title="Paralegals in Kisumu")
    services.application_submit(application=application, by=applicant)
    factories.ContributionFactory()
    return application


@pytest.mark.parametrize("model", [
    "fundops/user", "fundops/organization", "fundops/donor", "fundops/fund", "fundops/call",
    "fundops/contribution", "fundops/auditentry", "applications/application",
    "applications/inforequest", "applications/attachment",
])
def test_every_model_has_a_working_list_with_search(admin_client, world, model):
    url = f"/admin/{model}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Kisumu"}).status_code == 200


def test_application_change_page_shows_state_read_only(admin_client, world):
    page = admin_client.get(reverse("admin:applications_application_change", args=[world.pk])).content.decode()
    assert "Submitted" in page and 'name="state"' not in page


def test_screen_in_action_uses_the_service_and_reports_refusals(admin_client, world, applicant):
    draft = factories.ApplicationFactory(organization=applicant.organization, title="Still a draft")
    response = admin_client.post(
        reverse("admin:applications_application_changelist"),
        {"action": "screen_in", ACTION_CHECKBOX_NAME: [world.pk, draft.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Screened in: 1 application." in page
    assert "“Still a draft”: This application is “Draft”: it cannot be screened in now." in page
    world.refresh_from_db()
    assert world.state == "in_review"
    assert audit_trail(world).last().actor == admin_client.admin_user


def test_decline_action_asks_for_a_reason_first(admin_client, world):
    url = reverse("admin:applications_application_changelist")
    response = admin_client.post(url, {"action": "decline", ACTION_CHECKBOX_NAME: [world.pk]})
    assert "Decline these 1 application" in response.content.decode()
    world.refresh_from_db()
    assert world.state == "submitted"
    admin_client.post(url, {"action": "decline", "apply": "1", "reason": "Outside scope.", ACTION_CHECKBOX_NAME: [world.pk]})
    world.refresh_from_db()
    assert world.state == "declined" and world.decline_reason == "Outside scope."


def test_withdraw_action_for_the_organisation(admin_client, world):
    admin_client.post(
        reverse("admin:applications_application_changelist"), {"action": "withdraw", ACTION_CHECKBOX_NAME: [world.pk]}
    )
    world.refresh_from_db()
    assert world.state == "withdrawn"


def test_audit_entries_cannot_be_changed_or_deleted(admin_client, world):
    entry = AuditEntry.objects.first()
    page = admin_client.get(reverse("admin:fundops_auditentry_change", args=[entry.pk])).content.decode()
    assert 'name="note"' not in page
    assert admin_client.get(reverse("admin:fundops_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:fundops_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def contribution_form(fund, donor, **overrides):
    data = {
        "fund": fund.pk, "donor": donor.pk, "amount": "1000", "currency": "EUR", "fx_rate": "1.16",
        "fx_date": "2026-03-01", "status": "received", "received_on": "2026-03-02", "pledged_on": "",
        "reference": "TT-1", "note": "",
    }
    data.update(overrides)
    return data


def test_adding_a_contribution_computes_the_base_amount_through_the_service(admin_client):
    fund, donor = factories.FundFactory(), factories.DonorFactory()
    response = admin_client.post(reverse("admin:fundops_contribution_add"), contribution_form(fund, donor))
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.base_amount == Decimal("1160.00")


def test_service_rules_show_on_the_admin_form(admin_client):
    fund, donor = factories.FundFactory(), factories.DonorFactory()
    response = admin_client.post(
        reverse("admin:fundops_contribution_add"), contribution_form(fund, donor, currency="USD", fx_rate="1.2")
    )
    assert response.status_code == 200
    assert "The rate must be 1 when the currency is the fund" in response.content.decode()
    assert not Contribution.objects.exists()


def test_adding_an_application_in_admin_makes_a_draft_through_the_service(admin_client, applicant):
    fund = factories.FundFactory()
    response = admin_client.post(reverse("admin:applications_application_add"), {
        "organization": applicant.organization.pk, "fund": fund.pk, "call": "", "title": "Paper application",
        "summary": "", "themes": "[]", "countries": [], "requested_amount": "", "requested_currency": "",
        "planned_start": "", "planned_end": "",
        "attachments-TOTAL_FORMS": "0", "attachments-INITIAL_FORMS": "0",
        "info_requests-TOTAL_FORMS": "0", "info_requests-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302
    application = Application.objects.get(title="Paper application")
    assert application.state == "draft" and application.created_by == admin_client.admin_user
    assert application.requested_currency == "USD"


def test_submitted_application_is_read_only_in_admin(admin_client, world):
    page = admin_client.get(reverse("admin:applications_application_change", args=[world.pk])).content.decode()
    assert 'name="title"' not in page and "Paralegals in Kisumu" in page
