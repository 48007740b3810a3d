"""Importing organisations, donors and contributions: broken files are refused whole, with every
bad row named; good files are written once, however often they are imported."""
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from fundops.data_exchange import ImportRefused, run_import
from fundops.models import Contribution, Donor, Organization
from tests import factories

pytestmark = pytest.mark.django_db

ORG_HEADER = "org_id,name,country,city,registration_status,registration_number,at_risk,member_since,contact_email"


def csv_bytes(*lines, encoding="utf-8"):
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def messages(refused):
    return [str(problem) for problem in refused.value.problems]


def test_organisations_are_created_then_left_alone_on_a_second_import():
    data = csv_bytes(
        ORG_HEADER,
        "KE-RCO-1,Kituo Cha Sheria,KE,Nairobi,registered,R/1,false,2019-05-01,info@kituo.org",
        "GT-ASO-2,Asociación Maya,gt,,unregistered,,true,,",
    )
    first = run_import("organizations", data)
    assert (first.created, first.updated, first.skipped) == (2, 0, 0)
    maya = Organization.objects.get(org_id="GT-ASO-2")
    assert maya.country.code == "GT" and maya.at_risk is True
    assert Organization.objects.get(org_id="KE-RCO-1").member_since == datetime.date(2019, 5, 1)

    second = run_import("organizations", data)
    assert (second.created, second.updated, second.skipped) == (0, 0, 2)
    assert Organization.objects.count() == 2


def test_a_changed_row_updates_the_organisation_with_that_org_id():
    factories.OrganizationFactory(org_id="KE-RCO-1", name="Old name", country="KE")
    report = run_import("organizations", csv_bytes(ORG_HEADER, "KE-RCO-1,New name,KE,Kisumu,registered,,false,,"))
    assert (report.created, report.updated) == (0, 1)
    assert Organization.objects.get(org_id="KE-RCO-1").name == "New name"


def test_every_bad_row_is_listed_with_its_row_and_column_and_nothing_is_written():
    data = csv_bytes(
        ORG_HEADER,
        "KE-RCO-1,Good row,KE,,registered,,false,,",
        "XX-1,Bad country,XX,,registered,,false,,",
        "KE-RCO-1,Twice,KE,,registred,,maybe,15/04/2020,not-an-email",
    )
    with pytest.raises(ImportRefused) as refused:
        run_import("organizations", data)
    assert messages(refused) == [
        "row 3, column country: “XX” is not an ISO 3166-1 alpha-2 country code (e.g. KE, GT, NP).",
        "row 4, column org_id: “KE-RCO-1” appears again (first on row 2); each must be unique in the file.",
        "row 4, column registration_status: “registred” is not one of: registered, unregistered, fiscally_sponsored.",
        "row 4, column at_risk: “maybe” must be true or false.",
        "row 4, column member_since: “15/04/2020” is not a date: write it as YYYY-MM-DD (ISO 8601).",
        "row 4, column contact_email: “not-an-email” is not an email address.",
    ]
    assert Organization.objects.count() == 0


@pytest.mark.parametrize(
    "header, expected",
    [
        ("org_id,name,country", "row 1, column city, registration_status, registration_number, at_risk, member_since, contact_email: Missing columns."),
        (ORG_HEADER + ",notes", "row 1, column notes: Unknown column: this file takes only"),
        (ORG_HEADER.replace("country", "countri"), "row 1, column country: Missing column."),
    ],
)
def test_wrong_or_missing_headers_are_named(header, expected):
    with pytest.raises(ImportRefused) as refused:
        run_import("organizations", csv_bytes(header, "KE-1,A,KE,,registered,,false,,,"))
    assert any(message.startswith(expected) for message in messages(refused)), messages(refused)
    assert Organization.objects.count() == 0


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_an_empty_file_says_so(data):
    with pytest.raises(ImportRefused) as refused:
        run_import("organizations", data)
    assert messages(refused)[0].startswith("row 1: The file is empty: it needs a header row")


def test_a_header_without_rows_says_so():
    with pytest.raises(ImportRefused) as refused:
        run_import("organizations", csv_bytes(ORG_HEADER))
    assert messages(refused) == ["row 2: The file has a header row but no data rows."]


def test_a_utf8_bom_and_latin1_text_both_import_with_their_accents():
    bom = "\ufeff" + ORG_HEADER + "\nKE-1,Fundación Tierra,BO,La Paz,registered,,false,,\n"
    report = run_import("organizations", bom.encode("utf-8"))
    assert report.encoding == "UTF-8 with BOM"
    assert Organization.objects.get(org_id="KE-1").name == "Fundación Tierra"

    latin = csv_bytes(ORG_HEADER, "SN-2,Association des Juristes Sénégalaises,SN,Dakar,registered,,false,,",
                      encoding="latin-1")
    report = run_import("organizations", latin)
    assert report.encoding.startswith("Latin-1")
    assert Organization.objects.get(org_id="SN-2").name == "Association des Juristes Sénégalaises"


def test_xlsx_numbers_and_dates_arrive_as_text_and_dates():
    data = xlsx_bytes([
        ORG_HEADER.split(","),
        ["NP-123", "Nepal Paralegals", "NP", "Kathmandu", "registered", 4512.0, False, datetime.datetime(2018, 3, 1), None],
    ])
    run_import("organizations", data, filename="members.xlsx")
    nepal = Organization.objects.get(org_id="NP-123")
    assert nepal.registration_number == "4512"  # not "4512.0"
    assert nepal.member_since == datetime.date(2018, 3, 1)


def test_dry_run_counts_but_writes_nothing():
    report = run_import("organizations", csv_bytes(ORG_HEADER, "KE-1,A,KE,,registered,,false,,"), dry_run=True)
    assert report.created == 1 and report.dry_run
    assert Organization.objects.count() == 0


def test_donors_import_by_donor_id():
    data = csv_bytes("kind,donor_id,name,country", "foundation,nordic-rights,Nordic Rights Trust,SE",
                     "government,dutch-mfa,Netherlands MFA,")
    assert run_import("donors", data).created == 2
    assert Donor.objects.get(slug="dutch-mfa").country == ""
    assert run_import("donors", data).skipped == 2
    with pytest.raises(ImportRefused) as refused:
        run_import("donors", csv_bytes("donor_id,name,kind,country", "bad id!,X,charity,ZZ"))
    assert messages(refused) == [
        "row 2, column donor_id: “bad id!” may contain only letters, numbers, hyphens and underscores.",
        "row 2, column kind: “charity” is not one of: foundation, government, multilateral, corporate, individual.",
        "row 2, column country: “ZZ” is not an ISO 3166-1 alpha-2 country code (e.g. KE, GT, NP).",
    ]


CONTRIBUTION_HEADER = "fund,donor_id,amount,currency,fx_rate,received_on,status"


@pytest.fixture
def fund_and_donor():
    return factories.FundFactory(slug="lef", base_currency="USD"), factories.DonorFactory(slug="nordic")


def test_contributions_store_the_rate_used_and_import_once(fund_and_donor):
    data = csv_bytes(CONTRIBUTION_HEADER, "lef,nordic,2820000,SEK,0.1063829787,2020-05-04,received",
                     "lef,nordic,500000,USD,1,,pledged")
    assert run_import("contributions", data).created == 2
    sek = Contribution.objects.get(currency="SEK")
    assert sek.base_amount == Decimal("300000.00")  # 2,820,000 × 0.1063829787 = 299,999.9999…, to the cent
    assert run_import("contributions", data).skipped == 2
    assert Contribution.objects.count() == 2


def test_broken_contribution_rows_are_each_named(fund_and_donor):
    data = csv_bytes(
        CONTRIBUTION_HEADER,
        "nofund,nordic,100,USD,1,2020-01-01,received",
        "lef,nobody,-5,USD,1,2020-01-01,received",
        "lef,nordic,\"1,250.50\",USD,1,2020-01-01,received",
        "lef,nordic,12.345,USD,1,2020-01-01,received",
        "lef,nordic,100,USD,0.9,2020-01-01,received",
        "lef,nordic,100,USD,1,,received",
        "lef,nordic,100,XYZ,1,2020-01-01,given",
    )
    with pytest.raises(ImportRefused) as refused:
        run_import("contributions", data)
    assert messages(refused) == [
        "row 2, column fund: No fund has the slug “nofund”.",
        "row 3, column donor_id: No donor has the donor_id “nobody”: import donors first.",
        "row 3, column amount: “-5” must be more than zero.",
        "row 4, column amount: “1,250.50” is not a number: use digits with a '.' decimal point, no thousands separators.",
        "row 5, column amount: “12.345” has more decimal places than USD has (2); amounts are imported exactly, never rounded.",
        "row 6, column fx_rate: The rate must be 1: USD is the fund's base currency.",
        "row 7, column received_on: This is required.",
        "row 8, column currency: “XYZ” is not a currency fundops handles (ISO 4217 code such as USD, EUR, KES).",
        "row 8, column status: “given” is not one of: pledged, received.",
    ]
    assert Contribution.objects.count() == 0


def test_xlsx_float_amounts_import_exactly(fund_and_donor):
    data = xlsx_bytes([
        CONTRIBUTION_HEADER.split(","),
        ["lef", "nordic", 1234567.89, "EUR", 1.16, datetime.datetime(2021, 11, 15), "received"],
        ["lef", "nordic", 0.1, "EUR", 1.16, datetime.datetime(2021, 11, 16), "received"],
    ])
    run_import("contributions", data, filename="money.xlsx")
    amounts = sorted(Contribution.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("0.1"), Decimal("1234567.89")]
    assert Contribution.objects.get(amount=Decimal("1234567.89")).base_amount == Decimal("1432098.75")


def test_duplicate_contribution_rows_in_one_file_are_refused(fund_and_donor):
    line = "lef,nordic,100,USD,1,2020-01-01,received"
    with pytest.raises(ImportRefused) as refused:
        run_import("contributions", csv_bytes(CONTRIBUTION_HEADER, line, line))
    assert messages(refused)[0].startswith("row 3, column amount: The same fund, donor, date, amount and currency appear on row 2")
    assert Contribution.objects.count() == 0


def test_the_command_prints_a_summary_or_every_problem_and_fails(tmp_path, fund_and_donor):
    good = tmp_path / "donors.csv"
    good.write_bytes(csv_bytes("donor_id,name,kind,country", "swiss,Swiss Agency,government,CH"))
    out = io.StringIO()
    call_command("import_data", "donors", str(good), "--dry-run", stdout=out)
    assert "1 would be created" in out.getvalue()
    assert not Donor.objects.filter(slug="swiss").exists()
    call_command("import_data", "donors", str(good), stdout=out)
    assert Donor.objects.filter(slug="swiss").exists()

    bad = tmp_path / "contributions.csv"
    bad.write_bytes(csv_bytes(CONTRIBUTION_HEADER, "lef,nordic,abc,USD,1,2020-01-01,received"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported from contributions.csv: 1 problem"):
        call_command("import_data", "contributions", str(bad), stderr=err)
    assert "row 2, column amount: “abc” is not a number" in err.getvalue()
