"""The finance journey in Chromium: one officer schedules, another approves and records the payout."""
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.disbursements.helpers import approve, funded, ready_application


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_officers_pay_an_award_with_four_eyes(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"])
    kwame = factories.UserFactory(roles=["finance_officer"], first_name="Kwame", last_name="Mensah")
    lucia = factories.UserFactory(roles=["finance_officer"], first_name="Lucia", last_name="Fernández")
    fund = funded(rapid=True, grant_ref_prefix="GJN-COVID19")
    grant = approve(ready_application(fund), officer, "9500")

    # Kwame schedules the payment from the workspace's "Tranches due".
    sign_in(page, kwame)
    page.goto("/finance/")
    page.locator("#tranches-due").get_by_role("link", name="Schedule").click()
    page.get_by_role("button", name="Schedule USD 9,500.00").click()
    assert "another finance officer approves it" in page.locator(".messages").inner_text()
    page.goto("/finance/")
    assert "Nothing is waiting for your approval." in page.locator("#to-approve").inner_text()
    page.get_by_role("button", name="Sign out").click()

    # Lucia approves it and records the payout.
    sign_in(page, lucia)
    page.goto("/finance/")
    page.locator("#to-approve").get_by_role("link", name="Review and approve").click()
    # The approver sees where the money goes before approving it.
    assert page.locator("#account-number").inner_text().endswith("•3000")
    page.get_by_role("button", name="Approve USD 9,500.00").click()
    page.goto("/finance/")
    page.locator("#to-record").get_by_role("link", name="Record payout").click()
    page.fill("#id_paid_on", timezone.localdate().isoformat())
    page.fill("#id_reference", "FT-BROWSER-1")
    page.get_by_role("button", name="Record payout").click()
    page.wait_for_url(f"**/finance/applications/{grant.application_id}/grant/")
    assert page.locator("#application-state").inner_text() == "Disbursed"
    row = page.locator(".payments tbody tr").first.inner_text()
    assert "Paid" in row and "FT-BROWSER-1" in row and "Kwame Mensah" in row and "Lucia Fernández" in row
    grant.refresh_from_db()
    assert grant.payments.get().base_amount == Decimal("9500.00")
