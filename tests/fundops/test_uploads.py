"""Uploads: only documents and images, recognised by content, at most 10 MB, served only to those allowed."""
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import Attachment
from fundops.uploads import check_upload
from tests import factories
from tests.applications.helpers import docx, opendocument, pdf, png, xlsx
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "make, kind",
    [
        (lambda: pdf("budget.pdf"), "pdf"),
        (lambda: docx("plan.docx"), "docx"),
        (lambda: xlsx("budget.xlsx"), "xlsx"),
        (lambda: opendocument("plan.odt", "application/vnd.oasis.opendocument.text"), "odt"),
        (lambda: opendocument("budget.ods", "application/vnd.oasis.opendocument.spreadsheet"), "ods"),
        (lambda: png("photo.png"), "png"),
        (lambda: png("photo.JPG", "JPEG"), "jpeg"),
        (lambda: png("photo.gif", "GIF"), "gif"),
        (lambda: png("photo.webp", "WEBP"), "webp"),
    ],
)
def test_allowed_types_are_accepted(make, kind):
    assert check_upload(make()).kind == kind


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("budget.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100), "does not contain what its name says (PDF)"),
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 100), "is not a file type we accept"),
        (SimpleUploadedFile("photo.png", b"%PDF-1.4 not an image"), "does not contain what its name says (PNG)"),
        (SimpleUploadedFile("report.docx", b"PK\x03\x04garbage-not-a-zip"), "does not contain what its name says (DOCX)"),
        (SimpleUploadedFile("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50), "does not contain what its name says (PNG)"),
        (SimpleUploadedFile("empty.pdf", b""), "is empty"),
    ],
)
def test_wrong_content_is_refused(upload, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        check_upload(upload)


def test_a_spreadsheet_renamed_as_a_word_document_is_refused():
    with pytest.raises(ValidationError, match="DOCX"):
        check_upload(xlsx("plan.docx"))


def test_a_zip_that_is_no_office_document_is_refused():
    from tests.applications.helpers import office_zip

    with pytest.raises(ValidationError):
        check_upload(office_zip("plan.docx", {"payload.exe": "MZ"}))


def test_eleven_megabytes_is_refused_and_nothing_stored(applicant, settings):
    application = factories.ApplicationFactory(organization=applicant.organization)
    big = SimpleUploadedFile("budget.pdf", b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024))
    with pytest.raises(ValidationError) as error:
        services.attachment_add(application=application, kind="budget", uploaded_file=big, by=applicant)
    assert "“budget.pdf” is 11.0 MB; files may be at most 10 MB." in error.value.message_dict["budget"][0]
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_renamed_executable_is_refused_over_http_and_nothing_stored(client, applicant, settings):
    application = factories.ApplicationFactory(organization=applicant.organization)
    client.login(username=applicant.username, password=PASSWORD)
    exe = SimpleUploadedFile("budget.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500)
    response = client.post(reverse("applications:edit", args=[application.pk]), {"title": "x", "budget": exe})
    assert response.status_code == 400
    assert "does not contain what its name says" in response.content.decode()
    assert not Attachment.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_stored_under_a_random_name_and_served_as_a_download(client, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    attachment = services.attachment_add(
        application=application, kind="budget", uploaded_file=pdf("Budget 2026 Kibera.pdf"), by=applicant
    )
    assert "Kibera" not in attachment.file.name and attachment.file.name.startswith("attachments/")
    client.login(username=applicant.username, password=PASSWORD)
    response = client.get(reverse("applications:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Budget 2026 Kibera.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("role, allowed", [
    ("program_officer", True), ("finance_officer", True), ("reviewer", False), ("donor", False), ("applicant", False),
])
def test_who_may_download(client, applicant, role, allowed):
    application = factories.ApplicationFactory(organization=applicant.organization)
    attachment = services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    user = factories.UserFactory(roles=[role])  # an applicant here belongs to another organisation
    client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("applications:attachment", args=[attachment.pk]))
    assert response.status_code == (200 if allowed else 404)


def test_signed_out_download_goes_to_sign_in(client, applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    attachment = services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    response = client.get(reverse("applications:attachment", args=[attachment.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
