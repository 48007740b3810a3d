"""Issue 14's journey in Chromium: one finance officer adds a grantee's payout account, another
verifies it; three payments are approved at once, grouped into a batch, exported as pain.001 and
paid out; the bank's CAMT.053 statement of the batch reconciles all three."""
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from disbursements import services
from disbursements.models import FundBankAccount, Payment, PayoutAccount
from tests import factories
from tests.disbursements.helpers import funded, ready_application
from tests.disbursements.test_statement_formats import camt053

SHOTS = Path("/tmp/finance/shots")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_accounts_verified_by_a_second_officer_then_a_batch_paid_and_reconciled(page, sign_in, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    officer = factories.UserFactory(roles=["program_officer"])
    kwame = factories.UserFactory(roles=["finance_officer"], first_name="Kwame", last_name="Mensah")
    lucia = factories.UserFactory(roles=["finance_officer"], first_name="Lucia", last_name="Fernández")
    newcomer = factories.OrganizationFactory(name="Haki Women's Paralegals", country="FR")
    others = [factories.OrganizationFactory(country="DE"), factories.OrganizationFactory(country="NL")]
    factories.PayoutAccountFactory(organization=others[0], iban="DE89370400440532013000", country="DE")
    factories.PayoutAccountFactory(organization=others[1], iban="NL91ABNA0417164300", country="NL")
    FundBankAccount.objects.create(name="Operating EUR", holder_name="Grassroots Justice Network", currency="EUR",
                                   iban="NL02ABNA0123456789", bic="ABNANL2A", country="NL")
    fund = funded(received=Decimal("500000"))
    grants = [services.grant_approve(application=ready_application(fund, organization=org, currency="EUR"), by=officer,
                                     amount="4000", currency="EUR", fx_rate="1.1")
              for org in [newcomer, *others]]

    # Kwame adds the newcomer's bank account (an IBAN, typed with spaces).
    sign_in(page, kwame)
    page.goto("/finance/accounts/?q=Haki")
    page.get_by_role("link", name="Haki Women's Paralegals").click()
    page.check("input[name=kind][value=bank]")
    page.fill("#id_iban", "fr14 2004 1010 0505 0001 3M02 606")
    page.select_option("#id_currency", "EUR")
    page.fill("#id_note", "Bank letter received; confirmed by phone")
    page.get_by_role("button", name="Add the account").click()
    assert page.locator("#verification").inner_text() == "Waiting for verification"
    assert "another finance officer verifies it" in page.locator("#details").inner_text()
    page.screenshot(path=str(SHOTS / "account-pending-1280.png"), full_page=True)
    for grant in grants:
        services.payment_schedule(tranche=grant.tranches.get(), by=kwame)
    page.get_by_role("button", name="Sign out").click()

    # Lucia verifies it, then approves the three payments at once.
    sign_in(page, lucia)
    page.goto("/finance/accounts/")
    page.locator("#accounts").get_by_role("link", name="Check").first.click()
    page.get_by_role("button", name="Verify: the details are confirmed").click()
    assert page.locator("#verification").inner_text() == "Verified"
    page.goto("/finance/payments/?state=scheduled")
    for box in page.locator("#payments-form input[name=payment]").all():
        box.check()
    page.get_by_role("button", name="Approve the ticked payments").click()
    assert "Approved 3 payment(s)." in page.locator(".messages").inner_text()

    # …groups them into a batch paid from the fund's EUR account, and exports the pain.001 file.
    page.goto("/finance/payments/?state=approved")
    for box in page.locator("#payments-form input[name=payment]").all():
        box.check()
    page.select_option("#id_debtor_account", label="Operating EUR (EUR)")
    page.get_by_role("button", name="Create the batch").click()
    page.screenshot(path=str(SHOTS / "batch-1280.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="pain.001 XML (SEPA)").click()
    xml = Path(download.value.path()).read_text()
    xmlschema.XMLSchema(str(Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd")).validate(xml)
    assert "FR1420041010050500013M02606" in xml
    page.reload()
    assert page.locator("#batch-state").inner_text() == "Exported"
    page.get_by_role("button", name="Mark sent").click()
    page.get_by_role("button", name="Record the batch paid out").click()
    assert "3 payment(s) recorded paid" in page.locator(".messages").inner_text()

    # The bank's statement comes back: every payment of the batch reconciles.
    payments = list(Payment.objects.order_by("pk"))
    statement = tmp_path / "statement.xml"
    statement.write_text(camt053([("4000.00", "EUR", p.end_to_end_id) for p in payments], statement_id="BROWSER-1"))
    page.goto("/finance/reconcile/")
    page.set_input_files("#id_file", str(statement))
    page.get_by_role("button", name="Reconcile").click()
    assert "Matched (3)" in page.locator("#statement-result").inner_text()
    assert [p.state for p in Payment.objects.order_by("pk")] == ["reconciled"] * 3
    assert PayoutAccount.objects.get(organization=newcomer).verified_by == lucia
