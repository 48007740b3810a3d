"""Tranche holds (a tranche waiting for something cannot be scheduled, and the pages say what it
waits for) and unspent balances coming back (recorded once, never more than was paid, no longer
counted as disbursed, hooks told)."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from disbursements import hooks, services
from disbursements.models import BalanceReturn
from disbursements.selectors import fund_position
from fundops.audit import TransitionNotAllowed, audit_trail
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def grant(officer):
    plan = {"mode": "percent", "parts": [(Decimal("60"), TODAY()), (Decimal("40"), TODAY() + datetime.timedelta(days=90))]}
    return approve(ready_application(funded(), currency="EUR"), officer, "10000", currency="EUR",
                   fx_rate=Decimal("1.1"), plan=plan)


def test_a_held_tranche_cannot_be_scheduled_and_says_why(grant, finance):
    second = grant.tranches.get(number=2)
    services.tranche_hold(tranche=second, reason="the progress report is accepted", by=finance)
    with pytest.raises(TransitionNotAllowed, match="Waiting for: the progress report is accepted"):
        services.payment_schedule(tranche=second, by=finance)
    assert [e.transition for e in audit_trail(second)] == ["hold"]
    services.tranche_release(tranche=second, by=None)
    assert services.payment_schedule(tranche=second, by=finance).amount == Decimal("4000.00")
    assert [e.transition for e in audit_trail(second)] == ["hold", "release"]


def test_a_hold_needs_a_reason(grant, finance):
    with pytest.raises(ValidationError, match="what the tranche is waiting for"):
        services.tranche_hold(tranche=grant.tranches.first(), reason="  ", by=finance)


def test_finance_pages_show_what_a_held_tranche_waits_for(client, grant, finance):
    services.tranche_hold(tranche=grant.tranches.get(number=2), reason="the final report", by=None)
    client.force_login(finance)
    for url in (reverse("disbursements:grant_detail", args=[grant.application_id]), reverse("disbursements:workspace")):
        assert "Waiting for: the final report" in client.get(url).content.decode()
    response = client.get(reverse("disbursements:schedule", args=[grant.tranches.get(number=2).pk]), follow=True)
    assert "Waiting for: the final report" in response.content.decode()


def test_a_returned_balance_is_recorded_once_and_no_longer_counts_as_disbursed(grant, finance, finance2):
    paid_payment(grant, finance, finance2, fx_rate=Decimal("1.1"))  # EUR 6,000 at 1.1 = USD 6,600
    before = fund_position(fund=grant.fund)
    seen = []
    hooks.AFTER_BALANCE_RETURN.append(seen.append)
    try:
        balance = services.balance_return_record(
            grant=grant, by=finance, amount="500", received_on=TODAY(), reference="IN-77", fx_rate="1.2")
        again = services.balance_return_record(
            grant=grant, by=finance2, amount="500", received_on=TODAY(), reference="IN-77")
    finally:
        hooks.AFTER_BALANCE_RETURN.remove(seen.append)
    assert again.pk == balance.pk and BalanceReturn.objects.count() == 1
    assert seen == [grant]  # told once, with the grant
    assert balance.base_amount == Decimal("600.00")
    assert services.grant_returned(grant) == Decimal("500.00")
    after = fund_position(fund=grant.fund)
    assert after.disbursed == before.disbursed - Decimal("600.00")
    assert after.available == before.available + Decimal("600.00")  # the commitment is released
    assert [e.transition for e in audit_trail(grant)] == ["balance_return"]


def test_a_return_is_never_more_than_paid_and_not_yet_returned(grant, finance, finance2):
    paid_payment(grant, finance, finance2, fx_rate=Decimal("1.1"))
    services.balance_return_record(grant=grant, by=finance, amount="5000", received_on=TODAY(), reference="IN-1")
    with pytest.raises(ValidationError, match="Only EUR 1,000.00 was paid and not yet returned"):
        services.balance_return_record(grant=grant, by=finance, amount="1000.01", received_on=TODAY(), reference="IN-2")
    assert services.grant_returned(grant) == Decimal("5000.00")


def test_only_finance_records_a_returned_balance(grant, officer, finance, finance2):
    paid_payment(grant, finance, finance2, fx_rate=Decimal("1.1"))
    with pytest.raises(PermissionDenied):
        services.balance_return_record(grant=grant, by=officer, amount="10", received_on=TODAY(), reference="IN-3")


def test_the_grant_page_records_a_returned_balance(client, grant, finance, finance2):
    paid_payment(grant, finance, finance2, fx_rate=Decimal("1.1"))
    client.force_login(finance)
    url = reverse("disbursements:grant_detail", args=[grant.application_id])
    assert "Record a returned balance" in client.get(url).content.decode()
    response = client.post(reverse("disbursements:balance_return", args=[grant.application_id]), {
        "amount": "250", "received_on": TODAY().isoformat(), "reference": "IN-WEB", "fx_rate": "",
    }, follow=True)
    assert "Recorded the returned balance of EUR 250.00" in response.content.decode()
    assert BalanceReturn.objects.get().fx_rate == grant.fx_rate  # the award's own rate by default
