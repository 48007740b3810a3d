"""The admin's Import button stores the file and runs the same engine as `manage.py import_data`
as a background job; the job's page shows its progress, then the result or every problem."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fundops.models import ImportJob, Organization
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "org_id,name,country,city,registration_status,registration_number,at_risk,member_since,contact_email"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


def upload(client, data, name="members.csv", *, dry_run=True, url="/admin/fundops/organization/import/",
           run=None):
    """Upload through the admin; `run` (django_capture_on_commit_callbacks) lets the worker run it."""
    form = {"import_file": SimpleUploadedFile(name, data)}
    if dry_run:
        form["dry_run"] = "on"
    if run is None:
        return client.post(url, form)
    with run(execute=True):
        return client.post(url, form)


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_good_file_is_checked_in_the_background_then_imported_on_confirmation(
        admin_client, django_capture_on_commit_callbacks):
    data = f"{HEADER}\nSN-1,Association des Juristes Sénégalaises,SN,Dakar,registered,,false,,\n".encode("latin-1")
    response = upload(admin_client, data, run=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/fundops/importjob/{job.pk}/change/"
    assert job.state == ImportJob.State.CHECKED and job.created_by.is_superuser
    assert Organization.objects.count() == 0  # the check is a dry run

    page = text(admin_client.get(response["Location"]))
    assert "1 would be created" in page and "Import this file now" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops refreshing

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = admin_client.post(f"/admin/fundops/importjob/{job.pk}/import/")
    assert confirmed.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE and job.counts == {"created": 1, "updated": 0, "skipped": 0}
    assert Organization.objects.get(org_id="SN-1").name == "Association des Juristes Sénégalaises"
    assert not job.file  # the uploaded file is not kept once imported


def test_a_queued_job_shows_its_progress_and_refreshes_itself(admin_client):
    response = upload(admin_client, f"{HEADER}\nKE-1,Good,KE,,registered,,false,,\n".encode())  # no worker ran
    page = text(admin_client.get(response["Location"]))
    assert ImportJob.objects.get().state == ImportJob.State.QUEUED
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for the background worker" in page
    assert "<script" not in page.split("</head>")[1]  # no inline script: works under a strict CSP

    ImportJob.objects.update(state=ImportJob.State.RUNNING, stage="checking", rows_checked=600, rows_total=1000)
    page = text(admin_client.get(response["Location"]))
    assert "Rows checked: 600 of 1000" in page and '<progress id="import-progress" max="1000" value="600">' in page


def test_a_broken_file_lists_every_row_and_column_and_offers_no_import(admin_client, django_capture_on_commit_callbacks):
    data = f"{HEADER}\nKE-1,Good,KE,,registered,,false,,\nKE-2,Bad,XX,,registered,,perhaps,,\n".encode()
    response = upload(admin_client, data, dry_run=False, run=django_capture_on_commit_callbacks)
    page = text(admin_client.get(response["Location"]))
    assert "row 3, column country: “XX” is not an ISO 3166-1 alpha-2 country code" in page
    assert "row 3, column at_risk: “perhaps” must be true or false." in page
    assert "Import this file now" not in page
    assert ImportJob.objects.get().state == ImportJob.State.REFUSED
    assert Organization.objects.count() == 0


def test_an_empty_file_says_so(admin_client, django_capture_on_commit_callbacks):
    assert "The submitted file is empty." in upload(admin_client, b"").content.decode()  # Django's upload check
    response = upload(admin_client, f"{HEADER}\n".encode(), run=django_capture_on_commit_callbacks)
    assert "The file has a header row but no data rows." in admin_client.get(response["Location"]).content.decode()


def test_a_file_over_the_size_limit_is_refused_at_upload_and_never_stored(admin_client, settings):
    settings.FUNDOPS_IMPORT_MAX_BYTES = 100
    data = (HEADER + "\n" + "KE-1,Good,KE,,registered,,false,,\n" * 10).encode()
    response = upload(admin_client, data)
    assert response.status_code == 200
    assert "files of at most 100" in text(response)
    assert ImportJob.objects.count() == 0


def test_only_the_uploader_or_an_administrator_sees_a_job(client, django_capture_on_commit_callbacks):
    officer = factories.UserFactory(is_staff=True, roles=["program_officer"])
    job = ImportJob.objects.create(kind="organizations", filename="members.csv", created_by=officer,
                                   state=ImportJob.State.REFUSED, problems=["row 2: secret"])
    other = factories.UserFactory(is_staff=True, roles=["program_officer"])
    client.force_login(other)
    assert client.get(f"/admin/fundops/importjob/{job.pk}/change/").status_code == 404
    assert client.post(f"/admin/fundops/importjob/{job.pk}/import/").status_code == 404


def test_export_writes_the_import_columns(admin_client):
    factories.OrganizationFactory(org_id="KE-9", name="Kituo", at_risk=False)
    response = admin_client.post("/admin/fundops/organization/export/", {"format": "0", "resource": "0",
                                  **{f"organizationresource_{name}": "on" for name in HEADER.split(",")}})
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert lines[1].startswith("KE-9,Kituo,KE,")
