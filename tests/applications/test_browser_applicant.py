"""The applicant's journey in Chromium: sign in, draft, submit with a missing field, fix it, submitted."""
import datetime

import pytest
from django.utils import timezone

from tests import factories
from tests.applications.helpers import PDF_BYTES


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_applicant_drafts_fixes_a_missing_field_and_submits(page, sign_in, tmp_path):
    applicant = factories.UserFactory(roles=["applicant"], first_name="Amina")
    fund = factories.FundFactory(name="Legal Empowerment Fund")
    factories.CallFactory(fund=fund, name="Open call 2026")
    budget = tmp_path / "budget.pdf"
    budget.write_bytes(PDF_BYTES)
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF_BYTES)

    sign_in(page, applicant)
    page.goto("/applications/")
    page.click("text=Start a new application")
    page.check("text=Legal Empowerment Fund — Open call 2026")
    page.click("button:has-text('Start the draft')")
    page.wait_for_selector("h1:has-text('New application')")

    start = timezone.localdate() + datetime.timedelta(days=30)
    page.fill("#id_title", "Community paralegals for land justice")
    # The summary is left empty on purpose.
    page.check("text=Land and environmental justice")
    page.select_option("#id_countries", ["KE"])
    page.fill("#id_requested_amount", "15000")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + datetime.timedelta(days=365)).isoformat())
    page.set_input_files("#id_budget", str(budget))
    page.set_input_files("#id_registration", str(certificate))
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("text=Draft saved")

    page.click("button:has-text('Submit application')")
    summary = page.locator(".error-summary")
    assert "Write a short summary of the work." in summary.inner_text()
    assert "Write a short summary of the work." in page.locator("#field-summary .errorlist").inner_text()
    assert page.input_value("#id_title") == "Community paralegals for land justice"

    page.fill("#id_summary", "Twenty paralegals will help families defend customary land claims.")
    page.click("button:has-text('Submit application')")
    page.wait_for_selector("text=Application submitted")
    assert page.locator(".page-head .badge").inner_text() == "Submitted"
    page.goto("/applications/")
    assert page.locator("td .badge").first.inner_text() == "Submitted"
