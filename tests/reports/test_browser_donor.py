"""A donor's journey in the browser: sign in, ask for a report, see it ready, download it."""
import datetime
from decimal import Decimal

import pytest

from tests import factories
from tests.reports.conftest import make_grant, pay


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_donor_requests_and_downloads_a_report(page, sign_in, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    fund = factories.FundFactory(name="COVID-19 Grassroots Justice Fund", opens_on=datetime.date(2026, 1, 1), closes_on=None)
    donor = factories.UserFactory(roles=["donor"], donor=factories.DonorFactory(name="Open Justice Foundation"))
    factories.ContributionFactory(fund=fund, donor=donor.donor, amount=Decimal("500000"), received_on=datetime.date(2026, 1, 5))
    pay(make_grant(fund, countries=["KE", "UG"], amount="10000"), "7000.00", "1", datetime.date(2026, 3, 12))

    sign_in(page, donor)
    page.click("text=Donor reports")
    page.click(f"text={fund.name}")
    page.fill("#id_period_start", "2026-01-01")
    page.fill("#id_period_end", "2026-06-30")
    page.select_option("#id_format", "csv")
    page.click("button:has-text('Generate report')")

    row = page.locator("table.report-requests tbody tr").first
    row.locator("text=Ready").wait_for()
    with page.expect_download() as download_info:
        row.locator("text=Download").click()
    path = tmp_path / "report.csv"
    download_info.value.save_as(path)
    assert path.read_text().splitlines()[-1] == "TOTAL,,,1,1,10000.00,7000.00,USD"
