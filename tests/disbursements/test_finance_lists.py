"""Finance pages for thousands of payments and for the approver: the payments list is paginated and
filtered with a query count that does not grow with the number of payments; many payments are
approved at once, each refused on its own row when it is the approver's own; the approve page
shows where the money goes, masked, the full account only on request and written down."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disbursements import services
from disbursements.models import Payment, PayoutAccount
from fundops.audit import audit_trail
from tests import factories
from tests.disbursements.helpers import approve, funded, ready_application

pytestmark = pytest.mark.django_db


def schedule_many(count, officer, scheduler):
    fund = funded(received=Decimal("10000000"), max_grant=Decimal("1000000"))
    grant = approve(ready_application(fund, requested="900000"), officer, "900000")
    tranche = grant.tranches.get()
    return [services.payment_schedule(tranche=tranche, by=scheduler, amount="100") for _ in range(count)]


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_payments_list_and_workspace_take_the_same_queries_for_5_or_60_payments(client, officer, finance, finance2):
    client.force_login(finance2)
    schedule_many(5, officer, finance)
    few = {url: queries_for(client, url) for url in (reverse("disbursements:payments"), reverse("disbursements:workspace"))}
    schedule_many(55, officer, finance)
    assert Payment.objects.count() == 60
    many = {url: queries_for(client, url) for url in few}
    assert many == few


def test_the_payments_list_filters_and_paginates(client, officer, finance, finance2):
    payments = schedule_many(30, officer, finance)
    services.payment_approve(payment=payments[0], by=finance2)
    client.force_login(finance2)
    response = client.get(reverse("disbursements:payments"), {"state": "approved"})
    assert list(response.context["page"]) == [Payment.objects.get(pk=payments[0].pk)]
    response = client.get(reverse("disbursements:payments"), {"state": "scheduled", "currency": "USD", "page": "2"})
    page = response.context["page"]
    assert page.paginator.count == 29 and len(page.object_list) == 4
    assert client.get(reverse("disbursements:payments"), {"currency": "EUR"}).context["page"].paginator.count == 0


def test_approving_many_refuses_my_own_on_its_row_and_approves_the_rest(client, officer, finance, finance2):
    theirs = schedule_many(3, officer, finance)
    mine = services.payment_schedule(tranche=theirs[0].tranche, by=finance2, amount="100")
    client.force_login(finance2)
    response = client.post(reverse("disbursements:payments_approve_many"),
                           {"payment": [p.pk for p in theirs] + [mine.pk]}, follow=True)
    text = response.content.decode()
    assert "Approved 3 payment(s)." in text
    assert "not approved — You scheduled this payment" in text
    states = dict(Payment.objects.values_list("pk", "state"))
    assert [states[p.pk] for p in theirs] == ["approved"] * 3 and states[mine.pk] == "scheduled"


def test_the_approve_page_shows_the_payee_masked_and_the_full_account_only_on_request(client, officer, finance, finance2):
    (payment,) = schedule_many(1, officer, finance)
    account = PayoutAccount.objects.get(organization=payment.grant.organization)
    client.force_login(finance2)
    url = reverse("disbursements:payment_review", args=[payment.pk])
    text = client.get(url).content.decode()
    assert payment.grant.organization.name in text and payment.grant.reference in text
    assert "USD 100.00" in text and "Award letter (PDF)" in text
    assert account.iban not in text and "••••••••••••••••••3000" in text
    assert not [e for e in audit_trail(account) if e.transition == "reveal"]
    response = client.post(reverse("disbursements:payment_reveal_account", args=[payment.pk]))
    assert account.iban in response.content.decode() and response["Cache-Control"] == "no-store"
    (reveal,) = [e for e in audit_trail(account) if e.transition == "reveal"]
    assert reveal.actor == finance2


def test_finance_officers_add_and_verify_an_account_through_the_pages(client, finance, finance2):
    organisation = factories.OrganizationFactory(country="KE")
    client.force_login(finance)
    response = client.post(reverse("disbursements:organization_accounts", args=[organisation.pk]), {
        "kind": "mobile_money", "holder_name": "Haki Women", "currency": "KES", "country": "KE",
        "provider": "M-Pesa", "phone": "0712 345 678", "note": "Phoned back on the number in the file",
    }, follow=True)
    account = PayoutAccount.objects.get(organization=organisation)
    assert account.phone == "+254712345678" and "another finance officer verifies it" in response.content.decode()
    response = client.post(reverse("disbursements:account_verify", args=[account.pk]), follow=True)
    assert "another finance officer must verify it" in response.content.decode()
    client.force_login(finance2)
    client.post(reverse("disbursements:account_verify", args=[account.pk]))
    assert PayoutAccount.objects.get(pk=account.pk).verification == "verified"
    # A bad number is refused on its field.
    response = client.post(reverse("disbursements:account_detail", args=[account.pk]), {
        "kind": "mobile_money", "holder_name": "Haki Women", "currency": "KES", "country": "KE",
        "provider": "M-Pesa", "phone": "12",
    })
    assert "is not a valid phone number" in response.content.decode()
    assert PayoutAccount.objects.get(pk=account.pk).verification == "verified"
