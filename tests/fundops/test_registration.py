"""A member organisation registers itself and its first user, waits "pending" (it may draft, not
submit), and staff verify or reject it — through the service and over HTTP."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from applications import services as application_services
from fundops import registration
from fundops.audit import audit_trail
from fundops.models import Notification, Organization, User
from fundops.navigation import todos_for
from tests import factories
from tests.applications.helpers import ready_draft

pytestmark = pytest.mark.django_db

PASSWORD = "kettle-mango-harbour-17"
Status = Organization.VerificationStatus


def form(**overrides):
    data = {
        "organization_name": "Justicia Comunitaria", "country": "GT", "contact_email": "info@justicia.example",
        "name": "Ana López", "email": "Ana@Justicia.example", "password": PASSWORD, "password_again": PASSWORD,
    }
    data.update(overrides)
    return data


def register(**overrides):
    data = form(**overrides)
    return registration.organization_register(
        organization_name=data["organization_name"], country=data["country"], contact_email=data["contact_email"],
        name=data["name"], email=data["email"], password=data["password"],
    )


def test_the_sign_in_page_links_to_registration():
    page = Client().get(reverse("login")).content.decode()
    assert f'href="{reverse("register")}"' in page and "Register your organisation" in page


def test_registering_creates_a_pending_organisation_and_an_applicant_who_signs_in_with_their_email():
    officer = factories.UserFactory(roles=["program_officer"])
    response = Client().post(reverse("register"), form())
    assert response.status_code == 200 and "Registration received" in response.content.decode()
    organization = Organization.objects.get(name="Justicia Comunitaria")
    assert organization.verification_status == Status.PENDING and organization.country.code == "GT"
    user = User.objects.get(organization=organization)
    assert user.email == "Ana@Justicia.example" and user.username == "ana@justicia.example"
    assert user.groups.filter(name="applicant").exists() and user.get_full_name() == "Ana López"
    assert [e.transition for e in audit_trail(organization)] == ["register"]
    told = Notification.objects.get(recipient=officer)
    assert told.kind == "organisation_registered" and told.url == reverse("organizations_pending")
    browser = Client()
    signed_in = browser.post(reverse("login"), {"username": "ana@justicia.example", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert browser.get(reverse("applications:list")).status_code == 200


def test_existing_organisations_stay_verified():
    assert factories.OrganizationFactory().verification_status == Status.VERIFIED


def test_a_form_with_any_error_creates_nothing_and_reports_every_problem_at_once():
    factories.UserFactory(email="taken@example.org")
    response = Client().post(reverse("register"), form(
        organization_name="", email="TAKEN@example.org", password="123", password_again="123",
    ))
    assert response.status_code == 400
    page = response.content.decode()
    assert "This field is required." in page.split('id="field-organization_name"')[1]
    assert "Someone already signs in with this e-mail address" in page.split('id="field-email"')[1]
    assert "too short" in page.split('id="field-password"')[1]
    assert 'value="Ana López"' in page  # nothing typed is lost
    assert not Organization.objects.filter(name="Justicia Comunitaria").exists()
    assert not User.objects.filter(first_name="Ana López").exists()


def test_the_service_refuses_a_taken_email_whatever_its_case_and_creates_nothing():
    register()
    count = Organization.objects.count()
    with pytest.raises(ValidationError) as refused:
        register(organization_name="Another group", email="ANA@justicia.EXAMPLE")
    assert "email" in refused.value.message_dict
    assert Organization.objects.count() == count


def test_a_password_like_the_persons_name_is_refused():
    with pytest.raises(ValidationError) as refused:
        register(name="Ana Lopezsmith", password="anajusticiaexample")
    assert "password" in refused.value.message_dict


def test_pending_organisation_can_draft_but_not_submit_until_verified():
    organization, user = register()
    fund = factories.FundFactory(required_documents=[])
    application = ready_draft(user, fund=fund)
    with pytest.raises(ValidationError) as refused:
        application_services.application_submit(application=application, by=user)
    assert any("waiting for the fund's staff to verify it" in m for m in refused.value.message_dict["organization"])

    officer = factories.UserFactory(roles=["program_officer"])
    registration.organization_verify(organization=organization, by=officer)
    organization.refresh_from_db()
    assert organization.verification_status == Status.VERIFIED and organization.verified_by == officer
    assert organization.verified_at is not None
    told = Notification.objects.get(recipient=user, kind="organisation_verified")
    assert told.email_state == Notification.EmailState.PENDING  # mandatory: always e-mailed
    application.refresh_from_db()
    application_services.application_submit(application=application, by=user)
    application.refresh_from_db()
    assert application.state == "submitted"


def test_rejecting_needs_a_reason_tells_the_registrant_and_blocks_submitting():
    organization, user = register()
    officer = factories.UserFactory(roles=["program_officer"])
    with pytest.raises(ValidationError):
        registration.organization_reject(organization=organization, by=officer, reason="  ")
    registration.organization_reject(organization=organization, by=officer, reason="Not a member of the network.")
    organization.refresh_from_db()
    assert organization.verification_status == Status.REJECTED
    assert audit_trail(organization).last().note == "Not a member of the network."
    told = Notification.objects.get(recipient=user, kind="organisation_rejected")
    assert told.context["reason"] == "Not a member of the network."
    application = ready_draft(user, fund=factories.FundFactory(required_documents=[]))
    problems = application_services.submission_problems(application)
    assert any("did not accept your organisation's registration" in m for m in problems["organization"])
    with pytest.raises(ValidationError):  # decided once: not again
        registration.organization_verify(organization=organization, by=officer)


def test_only_staff_verify_or_reject():
    organization, user = register()
    for person in (user, factories.UserFactory(roles=["finance_officer"]), factories.UserFactory(roles=["reviewer"])):
        with pytest.raises(PermissionDenied):
            registration.organization_verify(organization=organization, by=person)
        with pytest.raises(PermissionDenied):
            registration.organization_reject(organization=organization, by=person, reason="No.")
    organization.refresh_from_db()
    assert organization.verification_status == Status.PENDING


def test_staff_see_pending_organisations_as_a_todo_and_verify_them_from_the_list(client):
    organization, user = register()
    factories.OrganizationFactory(name="Long verified group")
    officer = factories.UserFactory(roles=["program_officer"])
    sections = todos_for(officer)
    todo = next(t for s in sections for t in s["todos"] if t.label == "Organisations to verify")
    assert todo.count == 1 and todo.items[0].label == "Justicia Comunitaria"

    client.force_login(officer)
    page = client.get(reverse("organizations_pending")).content.decode()
    assert "Justicia Comunitaria" in page and "ana@justicia.example".lower() in page.lower()
    assert "Long verified group" not in page
    response = client.post(reverse("organization_verify", args=[organization.pk]))
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.verification_status == Status.VERIFIED
    assert "No organisation is waiting" in client.get(reverse("organizations_pending")).content.decode()


def test_rejecting_from_the_list_without_a_reason_changes_nothing(client):
    organization, _user = register()
    client.force_login(factories.UserFactory(roles=["program_officer"]))
    response = client.post(reverse("organization_reject", args=[organization.pk]), {"reason": ""}, follow=True)
    assert "Say why the registration is rejected" in response.content.decode()
    organization.refresh_from_db()
    assert organization.verification_status == Status.PENDING


def test_a_signed_in_person_is_sent_home_from_the_registration_page(client):
    client.force_login(factories.UserFactory(roles=["applicant"]))
    assert client.get(reverse("register"))["Location"] == reverse("home")


def test_the_to_do_appears_only_while_an_organisation_waits():
    officer = factories.UserFactory(roles=["program_officer"])
    labels = lambda: [t.label for s in todos_for(officer) for t in s["todos"]]  # noqa: E731
    assert "Organisations to verify" not in labels()
    register()
    assert "Organisations to verify" in labels()
