"""The admin's Import and Export buttons run the same engine as `manage.py import_data`."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fundops.models import Organization
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "org_id,name,country,city,registration_status,registration_number,at_risk,member_since,contact_email"
CSV_FORMAT = "0"  # fundops.resources.IMPORT_FORMATS: CSV first, then XLSX


@pytest.fixture
def admin_client(client):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def upload(client, data, name="members.csv"):
    return client.post(
        "/admin/fundops/organization/import/",
        {"import_file": SimpleUploadedFile(name, data), "format": CSV_FORMAT},
    )


def test_a_good_file_is_previewed_then_imported_on_confirmation(admin_client):
    data = f"{HEADER}\nSN-1,Association des Juristes Sénégalaises,SN,Dakar,registered,,false,,\n".encode("latin-1")
    preview = upload(admin_client, data)
    assert preview.status_code == 200
    assert "Association des Juristes Sénégalaises" in preview.content.decode()
    assert Organization.objects.count() == 0  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = admin_client.post("/admin/fundops/organization/process_import/", confirm.initial)
    assert response.status_code == 302
    assert Organization.objects.get(org_id="SN-1").name == "Association des Juristes Sénégalaises"


def test_a_broken_file_lists_every_row_and_column_and_offers_no_confirmation(admin_client):
    data = f"{HEADER}\nKE-1,Good,KE,,registered,,false,,\nKE-2,Bad,XX,,registered,,perhaps,,\n".encode()
    response = upload(admin_client, data)
    page = re.sub(r"\s+", " ", response.content.decode())
    assert "“XX” is not an ISO 3166-1 alpha-2 country code" in page
    assert "“perhaps” must be true or false." in page
    assert response.context.get("confirm_form") is None
    assert Organization.objects.count() == 0


def test_an_empty_file_says_so(admin_client):
    assert "The submitted file is empty." in upload(admin_client, b"").content.decode()  # Django's upload check
    response = upload(admin_client, f"{HEADER}\n".encode())
    assert "The file has a header row but no data rows." in response.content.decode()


def test_export_writes_the_import_columns(admin_client):
    factories.OrganizationFactory(org_id="KE-9", name="Kituo", at_risk=False)
    response = admin_client.post("/admin/fundops/organization/export/", {"format": "0", "resource": "0",
                                  **{f"organizationresource_{name}": "on" for name in HEADER.split(",")}})
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER
    assert lines[1].startswith("KE-9,Kituo,KE,")
