"""The grantee's journey after the award, in Chromium: the grant page and its letter, a financial report
with a mistake shown and fixed, changes asked and made, acceptance — and the grant closes."""
from decimal import Decimal

import pytest

from grantee_reports import services
from grantee_reports.models import ReportKind, ReportRequirement
from tests import factories
from tests.disbursements.helpers import funded

from .helpers import approved_grant, paid_payment

SHOTS = "/tmp/helper-b"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_grantee_reports_and_the_grant_closes(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"], first_name="Priya", last_name="Natarajan")
    finance = factories.UserFactory(roles=["finance_officer"])
    finance2 = factories.UserFactory(roles=["finance_officer"])
    fund = funded(rapid=True)
    services.requirement_save(fund=fund, by=officer, kind=ReportKind.FINAL, title="Final financial report",
                              due_rule=ReportRequirement.DueRule.END_PLUS_DAYS, days=30)
    grant = approved_grant(fund, officer, amount="8000")
    paid_payment(grant, finance, finance2, reference="FT-GRANTEE-1")
    grantee = factories.UserFactory(roles=["applicant"], organization=grant.organization)

    # The grantee opens the grant page from their applications and downloads the award letter.
    sign_in(page, grantee)
    page.goto(f"/grants/{grant.pk}/")
    assert "USD 8,000.00" in page.locator("#award-amount").inner_text()
    with page.expect_download() as download:
        page.locator("#award-letter").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.screenshot(path=f"{SHOTS}/browser-grant.png", full_page=True)

    # A financial report: one amount mistyped, shown with what was typed, then fixed.
    page.get_by_role("link", name="Write report").click()
    page.fill("#id_narrative", "The hotline answered 1,240 calls; paralegals took 310 cases to the end.")
    page.fill("#id_lines-0-label", "Paralegal stipends")
    page.fill("#id_lines-0-amount", "5000")
    page.fill("#id_lines-1-label", "Phone credit")
    page.fill("#id_lines-1-amount", "2,000")
    assert "3,000.00" in page.locator("#unspent-balance").inner_text()  # counted as typed; 2,000 is not a number
    page.locator("#submit-report").click()
    summary = page.locator("#error-summary").inner_text()
    assert "Budget line 2" in summary and "“2,000” is not an amount" in summary
    assert page.input_value("#id_lines-1-amount") == "2,000"
    assert "hotline answered" in page.input_value("#id_narrative")
    page.fill("#id_lines-1-amount", "2000")
    page.locator("#submit-report").click()
    assert "Report submitted" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Sign out").click()

    # The officer asks for a change.
    report = grant.reports.get()
    sign_in(page, officer)
    page.goto(f"/grants/reports/{report.pk}/review/")
    assert "USD 1,000.00" in page.locator("#unspent-balance").inner_text()
    page.fill("#id_changes-comment", "Please attach the phone bills behind the phone credit line.")
    page.locator("#request-changes").click()
    assert page.locator("#report-state").inner_text() == "Changes requested"
    page.get_by_role("button", name="Sign out").click()

    # The grantee reads the comment and resubmits.
    sign_in(page, grantee)
    page.goto(f"/grants/reports/{report.pk}/")
    assert "phone bills" in page.locator("#changes-comment").inner_text()
    page.set_input_files("#id_documents", files=[{
        "name": "phone-bills.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.locator("#submit-report").click()
    assert "Report submitted" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Sign out").click()

    # The officer accepts: the final report is in and the award paid in full, so the grant closes.
    sign_in(page, officer)
    page.goto(f"/grants/reports/{report.pk}/review/")
    assert "phone-bills.pdf" in page.content()
    page.locator("#accept-report").click()
    assert page.locator("#report-state").inner_text() == "Accepted"
    page.goto(f"/grants/{grant.pk}/")
    assert page.locator("#grant-state").inner_text() == "Closed"
    grant.application.refresh_from_db()
    assert grant.application.state == "closed"
    assert Decimal(sum(line.amount for line in report.budget_lines.all())) == Decimal("7000")
