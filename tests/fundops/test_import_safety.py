"""Imports are bounded and never crash: a file too big, a workbook that unpacks to millions of
rows, an XML bomb, a damaged or renamed file, a 31-digit amount — each is refused with one clear
message, before anything is parsed where it can be, and nothing is stored."""
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from fundops.data_exchange import ImportRefused, run_import
from fundops.models import Contribution, Donor, Organization
from tests import factories

pytestmark = pytest.mark.django_db

ORG_HEADER = ["org_id", "name", "country", "city", "registration_status", "registration_number", "at_risk",
              "member_since", "contact_email"]
ORG_ROW = ["KE-RCO-1", "Kituo Cha Sheria", "KE", "Nairobi", "registered", "", "false", "", ""]
DONOR_CSV = "donor_id,name,kind,country\nopen-justice,Open Justice,foundation,US\n"
CONTRIBUTION_HEADER = "fund,donor_id,amount,currency,fx_rate,received_on,status"
HUGE = "1000000000000000000000000000000"  # 10^30


def xlsx(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_part(workbook, name, content):
    """The workbook with one zip part replaced (or added): how hostile files are made."""
    source, target = zipfile.ZipFile(io.BytesIO(workbook)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in source.infolist():
            if item.filename != name:
                out.writestr(item, source.read(item.filename))
        out.writestr(name, content)
    return target.getvalue()


def sheet_xml(rows_xml, dimension=None):
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    head += '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    if dimension:
        head += f'<dimension ref="{dimension}"/>'
    return head + "<sheetData>" + rows_xml + "</sheetData></worksheet>"


def inline_row(number, values):
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values) if v)
    return f'<row r="{number}">{cells}</row>'


def refused(kind, data, filename, **kwargs):
    with pytest.raises(ImportRefused) as caught:
        run_import(kind, data, filename=filename, **kwargs)
    return [str(problem) for problem in caught.value.problems]


def nothing_stored():
    return not (Organization.objects.exists() or Donor.objects.exists() or Contribution.objects.exists())


# Limits checked before parsing --------------------------------------------------------------


def test_a_workbook_declaring_five_million_rows_is_refused_before_it_is_read():
    rows = inline_row(1, ORG_HEADER) + inline_row(2, ORG_ROW)
    bomb = with_part(xlsx([["x"]]), "xl/worksheets/sheet1.xml", sheet_xml(rows, dimension="A1:I5000000"))
    assert len(bomb) < 10_000
    problems = refused("organizations", bomb, "members.xlsx")
    assert problems == ["The file has 4,999,999 rows; at most 100,000 are imported at once. Split it into smaller "
                        "files (if most rows look empty, delete everything below the data and save again)."]
    assert nothing_stored()


def test_the_row_limit_is_a_setting(settings):
    settings.FUNDOPS_IMPORT_MAX_ROWS = 1000
    rows = inline_row(1, ORG_HEADER) + inline_row(2, ORG_ROW)
    bomb = with_part(xlsx([["x"]]), "xl/worksheets/sheet1.xml", sheet_xml(rows, dimension="A1:I200000"))
    assert "at most 1,000 are imported" in refused("organizations", bomb, "members.xlsx")[0]
    assert nothing_stored()


def test_rows_far_below_the_data_count_even_when_the_sheet_declares_no_size(settings):
    settings.FUNDOPS_IMPORT_MAX_ROWS = 1000
    rows = inline_row(1, ORG_HEADER) + inline_row(200_000, ORG_ROW)  # openpyxl pads the gap with empty rows
    bomb = with_part(xlsx([["x"]]), "xl/worksheets/sheet1.xml", sheet_xml(rows))
    assert "more than 1,000 rows" in refused("organizations", bomb, "members.xlsx")[0]
    assert nothing_stored()


def test_a_highly_compressed_part_is_refused_as_a_zip_bomb():
    rows = inline_row(1, ORG_HEADER) + " " * 20_000_000 + inline_row(2, ORG_ROW)
    bomb = with_part(xlsx([["x"]]), "xl/worksheets/sheet1.xml", sheet_xml(rows))
    assert len(bomb) < 200_000
    problems = refused("organizations", bomb, "members.xlsx")
    assert re.fullmatch(r"The workbook is compressed \d+ times .*", problems[0])
    assert nothing_stored()


def test_the_unpacked_size_and_the_file_size_are_settings(settings):
    workbook = xlsx([ORG_HEADER] + [ORG_ROW[:1] + [f"Org {i}"] + ORG_ROW[2:] for i in range(500)])
    settings.FUNDOPS_IMPORT_MAX_UNPACKED_BYTES = 50_000
    assert refused("organizations", workbook, "members.xlsx")[0].startswith("The workbook unpacks to ")
    settings.FUNDOPS_IMPORT_MAX_BYTES = 1000
    assert refused("organizations", workbook, "members.xlsx")[0].startswith("The file is ")
    assert nothing_stored()


def test_a_csv_with_more_rows_than_the_limit_is_refused(settings):
    settings.FUNDOPS_IMPORT_MAX_ROWS = 10
    data = (",".join(ORG_HEADER) + "\n" + "".join(f"KE-{i},Org,KE,,registered,,false,,\n" for i in range(11))).encode()
    assert "more than 10 rows" in refused("organizations", data, "members.csv")[0]
    assert nothing_stored()


def test_an_xml_entity_bomb_is_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>')
    bomb = with_part(xlsx([ORG_HEADER, ORG_ROW]), "xl/sharedStrings.xml", laughs)
    problems = refused("organizations", bomb, "members.xlsx")
    assert problems[0].startswith("The file could not be read as an Excel workbook")
    assert nothing_stored()


def test_the_command_prints_the_reason_and_stops(tmp_path, settings):
    rows = inline_row(1, ORG_HEADER) + inline_row(2, ORG_ROW)
    path = tmp_path / "members.xlsx"
    path.write_bytes(with_part(xlsx([["x"]]), "xl/worksheets/sheet1.xml", sheet_xml(rows, dimension="A1:I5000000")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported from members.xlsx: 1 problem"):
        call_command("import_data", "organizations", str(path), stderr=err)
    assert "4,999,999 rows" in err.getvalue()


# Files that used to end in a traceback --------------------------------------------------------


def test_a_corrupt_workbook_is_refused_with_a_message():
    damaged = xlsx([ORG_HEADER, ORG_ROW])[:-200]  # cut short: the zip's directory is gone
    problems = refused("organizations", damaged, "members.xlsx")
    assert problems == ["The file could not be read as an Excel workbook: it is damaged or not an .xlsx file. "
                        "Open it in Excel and save it as .xlsx again, or save it as CSV UTF-8."]
    assert refused("organizations", b"PK\x03\x04" + b"garbage" * 50, "members.xlsx") == problems
    assert nothing_stored()


def test_a_csv_renamed_xlsx_is_refused_with_a_message():
    problems = refused("donors", DONOR_CSV.encode(), "donors.xlsx")
    assert problems == ["The file is named donors.xlsx but is not an Excel workbook (an .xlsx file is a zip "
                        "archive). If it is CSV text, name it .csv; otherwise open it in Excel and save it as .xlsx again."]
    assert nothing_stored()


def test_an_old_xls_workbook_is_refused_with_a_message():
    problems = refused("donors", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "donors.xls")
    assert "Excel 97-2003 (.xls)" in problems[0]


def test_a_utf16_csv_with_its_byte_order_mark_is_read_with_its_header():
    report = run_import("donors", "donor_id,name,kind,country\nd-1,Fundação Açaí,foundation,BR\n".encode("utf-16"),
                        filename="donors.csv")
    assert (report.created, report.encoding) == (1, "UTF-16")
    assert Donor.objects.get().name == "Fundação Açaí"


def test_utf16_text_without_its_byte_order_mark_is_refused_with_a_message():
    problems = refused("donors", DONOR_CSV.encode("utf-16-le"), "donors.csv")
    assert problems[0].startswith("The file is not CSV text (it holds NUL bytes")
    assert nothing_stored()


def test_a_cell_too_long_for_the_csv_reader_is_refused_with_a_message():
    data = ("donor_id,name,kind,country\nd-1,\"" + "x" * 200_000 + "\",foundation,US\n").encode()
    assert refused("donors", data, "donors.csv")[0].startswith("Row 2 could not be read as CSV")
    assert nothing_stored()


# Amounts: the engine's bounds fit the database's columns --------------------------------------


@pytest.fixture
def fund_and_donor():
    fund = factories.FundFactory(slug="covid", base_currency="USD")
    factories.DonorFactory(slug="open-justice")
    return fund


@pytest.mark.parametrize("amount, rate, column, message", [
    (HUGE, "1", "amount", "“10000000000000000000…” is too large: amounts have at most 12 digits before the decimal point."),
    ("1000000000000", "1", "amount", "“1000000000000” is too large: amounts have at most 12 digits before the decimal point."),
    ("1000", HUGE, "fx_rate", "“10000000000000000000…” is too large for an exchange rate: at most 10 digits before the decimal point."),
    ("900000000000", "2", "amount", "900000000000 at rate 2 is too large in the fund's base currency: base amounts have at most 12 digits before the decimal point."),
])
def test_amounts_and_rates_too_large_for_the_database_are_refused(fund_and_donor, amount, rate, column, message):
    currency = "USD" if rate == "1" else "EUR"
    data = f"{CONTRIBUTION_HEADER}\ncovid,open-justice,{amount},{currency},{rate},2020-05-04,received\n".encode()
    assert refused("contributions", data, "c.csv") == [f"row 2, column {column}: {message}"]
    assert not Contribution.objects.exists()


def test_a_huge_number_typed_into_an_xlsx_cell_is_refused(fund_and_donor):
    workbook = xlsx([CONTRIBUTION_HEADER.split(","), ["covid", "open-justice", 1e30, "USD", 1, "2020-05-04", "received"]])
    assert refused("contributions", workbook, "c.xlsx") == [
        "row 2, column amount: “10000000000000000000…” is too large: amounts have at most 12 digits before the decimal point."]
    # The largest amount that fits is imported exactly (SQLite keeps 15 significant digits).
    largest = f"{CONTRIBUTION_HEADER}\ncovid,open-justice,999999999999.99,USD,1,2020-05-04,received\n".encode()
    run_import("contributions", largest, filename="c.csv")
    assert Contribution.objects.get().base_amount == Decimal("999999999999.99")


def test_huge_amounts_in_grants_and_payments_are_refused(program_officer):
    factories.FundFactory(slug="covid", base_currency="USD")
    factories.OrganizationFactory(org_id="KE-RCO-1")
    grants = ("grant_ref,org_id,fund,title,countries,themes,requested_amount,awarded_amount,currency,fx_rate,"
              f"submitted_on,decided_on,outcome\nH-1,KE-RCO-1,covid,T,KE,Access to justice,{HUGE},{HUGE},USD,1,"
              "2020-04-20,2020-04-22,approved\n").encode()
    problems = refused("grants", grants, "g.csv", by=program_officer)
    assert [p.split(":")[0] for p in problems] == ["row 2, column requested_amount", "row 2, column awarded_amount"]
    payments = f"grant_ref,reference,amount,currency,fx_rate,paid_on,status\nH-1,T-1,{HUGE},USD,1,2020-05-01,paid\n"
    assert any("column amount: “10000000000000000000…” is too large" in p
               for p in refused("payments", payments.encode(), "p.csv", by=program_officer))
