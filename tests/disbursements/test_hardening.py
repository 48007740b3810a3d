"""Holes closed in the finance pages: double submits, a bad statement link, and amounts typed
as exponents or in other digits."""
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from disbursements import services
from disbursements.models import Grant, Payment, PaymentState
from tests.disbursements.helpers import approve, funded, ready_application
from tests.reviews.test_views import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(officer):
    return approve(ready_application(funded()), officer, "10000")


def _token(page):
    return re.search(r'name="request_token" value="([^"]+)"', page.content.decode()).group(1)


def test_two_quick_submits_of_the_schedule_form_schedule_one_payment(client, grant, finance):
    tranche = grant.tranches.get()
    url = reverse("disbursements:schedule", args=[tranche.pk])
    login(client, finance)
    token = _token(client.get(url))
    first = client.post(url, {"amount": "4000", "note": "", "request_token": token}, follow=True)
    second = client.post(url, {"amount": "4000", "note": "", "request_token": token}, follow=True)
    assert Payment.objects.filter(tranche=tranche).count() == 1
    assert "Scheduled 4,000.00 USD" in first.content.decode()
    assert "Scheduled 4,000.00 USD" in second.content.decode()  # the user sees the first result
    assert _token(client.get(url)) != token  # the next rendering is a new request


def test_the_schedule_token_rule_lives_in_the_service(grant, finance, finance2):
    tranche = grant.tranches.get()
    first = services.payment_schedule(tranche=tranche, by=finance, amount=Decimal("1000"), request_token="abc")
    again = services.payment_schedule(tranche=tranche, by=finance, amount=Decimal("1000"), request_token="abc")
    assert again.pk == first.pk and Payment.objects.count() == 1
    with pytest.raises(services.ValidationError):
        services.payment_schedule(tranche=tranche, by=finance2, amount=Decimal("1000"), request_token="abc")
    services.payment_schedule(tranche=tranche, by=finance, amount=Decimal("1000"))
    services.payment_schedule(tranche=tranche, by=finance, amount=Decimal("1000"))
    assert Payment.objects.count() == 3  # without a token every call is a new payment, as before


def test_a_second_click_on_approve_is_no_error_and_changes_nothing(client, grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount=Decimal("1000"))
    login(client, finance2)
    url = reverse("disbursements:payment_approve", args=[payment.pk])
    client.post(url, follow=True)
    response = client.post(url, follow=True)
    payment.refresh_from_db()
    assert payment.state == PaymentState.APPROVED and payment.approved_by == finance2
    told = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert told == [("success", "Approved the payment of 1,000.00 USD (%s)." % grant.reference)]


def test_the_approval_form_sent_twice_makes_one_award_and_says_so(client, officer):
    application = ready_application(funded(), requested="15000")
    login(client, officer)
    url = reverse("disbursements:approve", args=[application.pk])
    data = {"amount": "12000", "currency": "USD", "plan_mode": "single"}
    client.post(url, data, follow=True)
    response = client.post(url, data, follow=True)
    assert Grant.objects.count() == 1
    told = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert told == [("info", f"Already approved: award {Grant.objects.get().reference}. Nothing changed.")]


def test_a_bad_statement_link_is_a_404_not_a_server_error(client, finance):
    login(client, finance)
    url = reverse("disbursements:reconcile")
    assert client.get(url + "?statement=abc").status_code == 404
    assert client.get(url + "?statement=99999999999999999999999").status_code == 404
    assert client.get(url + "?statement=4242").status_code == 404
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("typed, message", [
    ("1e3", "without an exponent"),
    ("1,000", "without thousands separators"),
    ("1٢3", "one set of digits"),
])
def test_schedule_amounts_refuse_exponents_separators_and_mixed_digits(client, grant, finance, typed, message):
    login(client, finance)
    url = reverse("disbursements:schedule", args=[grant.tranches.get().pk])
    response = client.post(url, {"amount": typed, "request_token": _token(client.get(url))})
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_amounts_in_arabic_indic_digits_are_read_as_the_number_shown(client, grant, finance):
    login(client, finance)
    url = reverse("disbursements:schedule", args=[grant.tranches.get().pk])
    client.post(url, {"amount": "٢٥٠٠٫٥٠", "request_token": _token(client.get(url))})
    assert Payment.objects.get().amount == Decimal("2500.50")


def test_the_approval_form_refuses_an_exponent_amount_and_rate(client, officer):
    application = ready_application(funded(), requested="15000")
    login(client, officer)
    url = reverse("disbursements:approve", args=[application.pk])
    response = client.post(url, {"amount": "1e4", "currency": "EUR", "fx_rate": "1e0", "plan_mode": "single"})
    errors = response.context["form"].errors
    assert "without an exponent" in errors["amount"][0] and "without an exponent" in errors["fx_rate"][0]
    assert not Grant.objects.exists()
    response = client.post(url, {"amount": "12000", "currency": "USD", "plan_mode": "percent",
                                 "tranches": "٥٠٪, 2026-12-01\n50, 2027-06-01"})
    assert response.status_code == 302
    assert [t.amount for t in Grant.objects.get().tranches.order_by("number")] == [Decimal("6000"), Decimal("6000")]
