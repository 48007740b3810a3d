"""Organisation documents are uploaded once, on the profile, and every application of that
organisation reuses them; another organisation's document never counts."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from fundops.models import OrganizationDocument
from fundops.organization_documents import organization_document_add
from tests import factories
from tests.applications.helpers import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered_applicant(db):
    organization = factories.OrganizationFactory(registration_status="registered")
    return factories.UserFactory(roles=["applicant"], organization=organization)


def complete_draft(applicant, fund):
    application = factories.ApplicationFactory(organization=applicant.organization, fund=fund, created_by=applicant)
    services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    return application


def test_a_registration_certificate_on_file_satisfies_the_funds_requirement(registered_applicant):
    fund = factories.FundFactory(required_documents=["budget", "registration"])
    application = complete_draft(registered_applicant, fund)
    assert "registration" in services.submission_problems(application)
    organization_document_add(organization=registered_applicant.organization, kind="registration",
                              uploaded_file=pdf("certificate.pdf"), by=registered_applicant)
    assert "registration" not in services.submission_problems(application)
    services.application_submit(application=application, by=registered_applicant)
    application.refresh_from_db()
    assert application.state == "submitted"
    # and a second application of the same organisation needs no upload either
    second = complete_draft(registered_applicant, fund)
    assert "registration" not in services.submission_problems(second)


def test_another_organisations_document_never_counts(registered_applicant):
    fund = factories.FundFactory(required_documents=["budget", "registration"])
    other = factories.UserFactory(roles=["applicant"], organization=factories.OrganizationFactory(registration_status="registered"))
    organization_document_add(organization=other.organization, kind="registration",
                              uploaded_file=pdf("theirs.pdf"), by=other)
    application = complete_draft(registered_applicant, fund)
    assert "registration" in services.submission_problems(application)


def test_a_document_of_another_kind_does_not_count(registered_applicant):
    fund = factories.FundFactory(required_documents=["budget", "registration"])
    organization_document_add(organization=registered_applicant.organization, kind="statutes",
                              uploaded_file=pdf("statutes.pdf"), by=registered_applicant)
    assert "registration" in services.submission_problems(complete_draft(registered_applicant, fund))


def test_only_the_organisations_own_people_add_documents_and_uploads_are_checked(registered_applicant):
    stranger = factories.UserFactory(roles=["applicant"])
    with pytest.raises(PermissionDenied):
        organization_document_add(organization=registered_applicant.organization, kind="registration",
                                  uploaded_file=pdf(), by=stranger)
    renamed = SimpleUploadedFile("certificate.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(ValidationError) as refused:
        organization_document_add(organization=registered_applicant.organization, kind="registration",
                                  uploaded_file=renamed, by=registered_applicant)
    assert "does not contain what its name says" in refused.value.message_dict["file"][0]
    assert not OrganizationDocument.objects.exists()


def test_uploaded_on_the_profile_then_shown_on_file_on_the_application(client, registered_applicant):
    client.force_login(registered_applicant)
    response = client.post(reverse("applications:organization"),
                           {"document_kind_upload": "1", "kind": "registration", "file": pdf("certificate.pdf")})
    assert response.status_code == 302
    document = OrganizationDocument.objects.get(organization=registered_applicant.organization)
    profile = client.get(reverse("applications:organization")).content.decode()
    assert "certificate.pdf" in profile and reverse("organization_document", args=[document.pk]) in profile

    fund = factories.FundFactory(required_documents=["budget", "registration"])
    application = complete_draft(registered_applicant, fund)
    on_file = f"On file: certificate.pdf, uploaded {document.uploaded_at:%-d %b %Y}"
    assert on_file in client.get(reverse("applications:edit", args=[application.pk])).content.decode()
    assert on_file in client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    download = client.get(reverse("organization_document", args=[document.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_a_refused_upload_on_the_profile_says_why_and_keeps_nothing(client, registered_applicant):
    client.force_login(registered_applicant)
    response = client.post(reverse("applications:organization"), {"document_kind_upload": "1", "kind": "registration"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert not OrganizationDocument.objects.exists()


def test_another_organisation_cannot_download_the_document(client, registered_applicant):
    document = organization_document_add(organization=registered_applicant.organization, kind="registration",
                                         uploaded_file=pdf("certificate.pdf"), by=registered_applicant)
    client.force_login(factories.UserFactory(roles=["applicant"]))
    assert client.get(reverse("organization_document", args=[document.pk])).status_code == 404
