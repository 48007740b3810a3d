"""Holes closed in the applicant's draft form: a tampered Remove button, a refused upload that
left its accepted twin on disk, amounts typed as exponents or in Arabic-Indic digits, huge text."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import services
from applications.models import SUMMARY_MAX_LENGTH, Application, Attachment
from tests import factories
from tests.applications.helpers import pdf
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, applicant):
    client.login(username=applicant.username, password=PASSWORD)
    return client


@pytest.fixture
def draft(applicant):
    return factories.ApplicationFactory(
        organization=applicant.organization, created_by=applicant, title="Before", requested_amount=None
    )


def _stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(path.name for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_a_remove_button_with_a_bad_id_says_so_and_saves_nothing(signed_in, draft, settings):
    url = reverse("applications:edit", args=[draft.pk])
    for bad in ["abc", "99999", "99999999999999999999999", "١"]:
        response = signed_in.post(url, {"title": "After", "remove_attachment": bad})
        assert response.status_code == 400
        assert "no longer attached to this draft" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Before"


def test_the_remove_button_still_removes_a_document(signed_in, draft, applicant):
    attachment = services.attachment_add(application=draft, kind="budget", uploaded_file=pdf(), by=applicant)
    response = signed_in.post(reverse("applications:edit", args=[draft.pk]),
                              {"title": "After", "remove_attachment": str(attachment.pk)})
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    draft.refresh_from_db()
    assert draft.title == "After"


def test_a_refused_upload_is_not_stored_but_the_one_that_passed_is_kept(signed_in, draft, settings):
    renamed_program = SimpleUploadedFile("certificate.pdf", b"MZ\x90\x00not a pdf at all")
    response = signed_in.post(reverse("applications:edit", args=[draft.pk]), {
        "title": "After", "budget": pdf("budget.pdf"), "registration": renamed_program,
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "does not contain what its name says" in page
    # Nothing typed is lost: the title stays in the form, and the budget (which passed) is kept with the draft.
    assert 'value="After"' in page and "budget.pdf" in page
    assert list(Attachment.objects.values_list("kind", "original_name")) == [("budget", "budget.pdf")]
    assert len(_stored_files(settings)) == 1
    draft.refresh_from_db()
    assert draft.title == "Before"  # the draft's fields are saved only when every one can be


def test_the_service_checks_every_file_before_writing_any(draft, applicant, settings):
    with pytest.raises(ValidationError) as refused:
        services.attachments_add(application=draft, by=applicant, uploads=[
            ("budget", pdf()), ("registration", SimpleUploadedFile("x.pdf", b"")),
        ])
    assert "registration" in refused.value.message_dict
    assert _stored_files(settings) == [] and not Attachment.objects.exists()


def test_a_failed_write_removes_the_files_already_written(draft, applicant, settings, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with pytest.raises(RuntimeError):
        services.attachments_add(application=draft, by=applicant, uploads=[("budget", pdf()), ("other", pdf("b.pdf"))])
    assert _stored_files(settings) == []


@pytest.mark.parametrize("typed, message", [
    ("1e9", "without an exponent"),
    ("15,000", "without thousands separators"),
    ("١5000", "one set of digits"),
])
def test_the_requested_amount_refuses_exponents_separators_and_mixed_digits(signed_in, draft, typed, message):
    response = signed_in.post(reverse("applications:edit", args=[draft.pk]), {"title": "After", "requested_amount": typed})
    assert response.status_code == 400 and message in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Before" and draft.requested_amount is None


def test_an_amount_in_arabic_indic_digits_is_the_number_the_applicant_sees(signed_in, draft):
    page = signed_in.get(reverse("applications:edit", args=[draft.pk])).content.decode()
    assert 'name="requested_amount"' in page and 'inputmode="decimal"' in page
    signed_in.post(reverse("applications:edit", args=[draft.pk]), {"requested_amount": "١٥٠٠٠٫٥٠"})
    draft.refresh_from_db()
    assert draft.requested_amount == Decimal("15000.50")


def test_a_two_megabyte_summary_is_refused_with_a_clear_message(signed_in, draft):
    url = reverse("applications:edit", args=[draft.pk])
    assert f'maxlength="{SUMMARY_MAX_LENGTH}"' in signed_in.get(url).content.decode()
    response = signed_in.post(url, {"title": "After", "summary": "x" * 2_000_000})
    assert response.status_code == 400
    assert f"at most {SUMMARY_MAX_LENGTH}" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == "Before"
    signed_in.post(url, {"summary": "y" * SUMMARY_MAX_LENGTH})
    draft.refresh_from_db()
    assert len(draft.summary) == SUMMARY_MAX_LENGTH


def test_the_draft_service_refuses_a_summary_over_the_limit_for_every_door(draft, applicant):
    with pytest.raises(ValidationError) as refused:
        services.application_update_draft(application=draft, by=applicant, summary="z" * (SUMMARY_MAX_LENGTH + 1))
    assert "summary" in refused.value.message_dict
    assert Application.objects.get(pk=draft.pk).summary != "z" * (SUMMARY_MAX_LENGTH + 1)


@pytest.mark.parametrize("url_name, field", [("applications:answer", "answer"), ("applications:withdraw", "note")])
def test_other_long_text_fields_have_a_limit(signed_in, applicant, url_name, field):
    application = factories.ApplicationFactory(organization=applicant.organization, state="info_requested")
    response = signed_in.post(reverse(url_name, args=[application.pk]), {field: "x" * 2_000_000})
    assert "at most" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "info_requested"
