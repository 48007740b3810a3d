"""In a real browser, at a phone's width and a desk's: an organisation registers from the sign-in page
(a mistake first, nothing typed lost), then a program officer verifies it from the pending list."""
import os
from pathlib import Path

import pytest

from fundops.models import Organization
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "kettle-mango-harbour-17"
SHOTS = Path(os.environ.get("FUNDOPS_SCREENSHOTS", "/tmp/e"))


def no_horizontal_overflow(page):
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide in a {width[1]} px window"


def look(page, name):
    """Check both widths for overflow and keep a screenshot of each for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        no_horizontal_overflow(page)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_an_organisation_registers_from_a_phone_and_an_officer_verifies_it(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Register your organisation").click()
    page.fill("#id_organization_name", "Justicia Comunitaria")
    page.select_option("#id_country", "GT")
    page.fill("#id_contact_email", "info@justicia.example")
    page.fill("#id_name", "Ana López")
    page.fill("#id_email", "ana@justicia.example")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD + "x")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_text("The two passwords differ").first.is_visible()
    assert page.input_value("#id_organization_name") == "Justicia Comunitaria"
    look(page, "register-error")

    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading", name="Registration received").is_visible()
    look(page, "register-done")
    assert Organization.objects.get(name="Justicia Comunitaria").verification_status == "pending"

    sign_in(page, officer)
    page.goto("/accounts/organisations/pending/")
    assert page.get_by_role("heading", name="Justicia Comunitaria").is_visible()
    look(page, "pending-list")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_text("No organisation is waiting for verification.").is_visible()
    assert Organization.objects.get(name="Justicia Comunitaria").verification_status == "verified"


def test_the_empty_registration_page_fits_a_phone(page):
    page.goto("/accounts/register/")
    look(page, "register")


def test_documents_on_file_and_invitations_fit_a_phone(page, sign_in):
    from fundops.organization_documents import organization_document_add
    from tests.applications.helpers import pdf

    applicant = factories.UserFactory(roles=["applicant"])
    organization_document_add(organization=applicant.organization, kind="registration",
                              uploaded_file=pdf("registration-certificate-2019.pdf"), by=applicant)
    application = factories.ApplicationFactory(organization=applicant.organization, created_by=applicant,
                                               fund=factories.FundFactory(required_documents=["budget", "registration"]))
    sign_in(page, applicant)
    page.goto("/applications/organisation/")
    assert page.get_by_role("heading", name="Documents on file").is_visible()
    look(page, "organisation-profile")
    page.goto(f"/applications/{application.pk}/edit/")
    assert page.get_by_text("On file: registration-certificate-2019.pdf").is_visible()
    look(page, "application-edit")
    page.goto("/accounts/invite/")
    page.fill("#id_name", "Kofi Mensah")
    page.fill("#id_email", "kofi@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    assert page.get_by_text("Invitation sent to kofi@example.org").is_visible()
    look(page, "invite")
