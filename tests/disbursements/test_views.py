"""The award and finance pages through HTTP: who may see and do what, and what they are told."""
import io
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from disbursements import services
from disbursements.models import Grant, Payment
from tests import factories
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application, verified_account

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def grant(officer):
    organization = factories.OrganizationFactory(name="Kituo cha Haki Jamii", contact_name="Amina Odhiambo")
    fund = funded(grant_ref_prefix="GJN-COVID19", rapid=True, name="COVID-19 Grassroots Justice Fund")
    return approve(ready_application(fund, organization=organization), officer, "12500.50",
                   conditions="Send a short story of change after three months.")


def test_program_officer_approves_through_the_form(client, officer):
    application = ready_application(funded(), requested="15000")
    url = reverse("disbursements:approve", args=[application.pk])
    page = signed_in(client, officer).get(url)
    assert page.status_code == 200 and b"Approve and create the award" in page.content
    response = client.post(url, {
        "amount": "12000", "currency": "USD", "plan_mode": "percent",
        "tranches": "50, 2026-12-01\n50, 2027-06-01", "conditions": "",
    })
    grant = Grant.objects.get(application=application)
    assert response.status_code == 302 and response["Location"] == reverse("disbursements:grant_detail", args=[application.pk])
    assert [t.amount for t in grant.tranches.order_by("number")] == [Decimal("6000"), Decimal("6000")]


def test_approval_errors_are_shown_next_to_their_fields(client, officer):
    application = ready_application(funded(), requested="15000")
    url = reverse("disbursements:approve", args=[application.pk])
    response = signed_in(client, officer).post(url, {
        "amount": "16000", "currency": "USD", "plan_mode": "percent", "tranches": "50, 2026-12-01\n40, 2027-06-01",
    })
    html = response.content.decode()
    assert response.status_code == 200 and not Grant.objects.exists()
    assert 'id="field-amount"' in html and "more than the USD 15,000.00 requested" in html
    response = client.post(url, {"amount": "1000", "currency": "USD", "plan_mode": "percent", "tranches": "50 on Monday"})
    assert "write a number, a comma and a date" in response.content.decode()
    response = client.post(url, {"amount": "1000", "currency": "USD", "plan_mode": "percent",
                                 "tranches": "50, 2026-12-01\n40, 2027-06-01"})
    assert "add up to 90%, not 100%" in response.content.decode()


def test_finance_officers_never_approve_applications(client, finance):
    application = ready_application(funded())
    response = signed_in(client, finance).post(reverse("disbursements:approve", args=[application.pk]),
                                               {"amount": "1000", "currency": "USD", "plan_mode": "single"})
    assert response.status_code == 403 and not Grant.objects.exists()


def test_program_officers_never_record_payments(client, grant, officer, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    services.payment_approve(payment=payment, by=finance2)
    response = signed_in(client, officer).post(reverse("disbursements:payment_record", args=[payment.pk]),
                                               {"paid_on": "2026-01-02", "reference": "X1"})
    assert response.status_code == 403
    assert Payment.objects.get(pk=payment.pk).state == "approved"


def test_award_letter_reads_back_with_reference_organisation_and_amount(client, grant, pdftotext, tmp_path):
    own = factories.UserFactory(roles=["applicant"], organization=grant.organization)
    response = signed_in(client, own).get(reverse("disbursements:award_letter", args=[grant.application_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert grant.reference in text and "Kituo cha Haki Jamii" in text
    assert "USD 12,500.50" in text
    assert "Twelve thousand, five hundred and 50/100" in text
    assert "Send a short story of change after three months." in text


def test_award_letter_is_hidden_from_other_organisations_and_roles(client, grant, reviewer, donor_user):
    url = reverse("disbursements:award_letter", args=[grant.application_id])
    other = factories.UserFactory(roles=["applicant"])
    for user in (other, reviewer, donor_user):
        assert signed_in(client, user).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_grant_page_is_staff_only(client, grant, finance):
    url = reverse("disbursements:grant_detail", args=[grant.application_id])
    applicant = factories.UserFactory(roles=["applicant"], organization=grant.organization)
    assert signed_in(client, applicant).get(url).status_code == 404
    page = signed_in(client, finance).get(url)
    assert page.status_code == 200 and grant.reference in page.content.decode()


def test_workspace_never_offers_my_own_payments_for_approval(client, grant, finance, finance2):
    mine = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount="100")
    theirs = services.payment_schedule(tranche=grant.tranches.get(), by=finance2, amount="200")
    response = signed_in(client, finance).get(reverse("disbursements:workspace"))
    approvals = list(response.context["to_approve"])
    assert approvals == [theirs] and mine not in approvals
    assert reverse("disbursements:payment_review", args=[theirs.pk]) in response.content.decode()
    assert reverse("disbursements:payment_review", args=[mine.pk]) not in response.content.decode()
    # And a forged request is refused with a message.
    response = client.post(reverse("disbursements:payment_approve", args=[mine.pk]), follow=True)
    assert "another finance officer must approve" in response.content.decode()
    assert Payment.objects.get(pk=mine.pk).state == "scheduled"


def test_recording_a_reference_twice_says_so(client, grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    services.payment_approve(payment=payment, by=finance2)
    url = reverse("disbursements:payment_record", args=[payment.pk])
    data = {"paid_on": timezone.localdate().isoformat(), "reference": "FT-77", "fx_rate": ""}
    signed_in(client, finance2).post(url, data)
    response = client.post(url, data, follow=True)
    assert "already recorded for this payment: nothing changed" in response.content.decode()
    assert Payment.objects.filter(reference="FT-77").count() == 1
    assert Application.objects.get(pk=grant.application_id).state == "disbursed"


def test_reconcile_page_lists_every_bad_line_and_changes_nothing(client, grant, finance, finance2):
    payment = paid_payment(grant, finance, finance2, reference="FT-1")
    statement = io.BytesIO(b"date,amount,currency,reference\n2026-01-02,12500.50,USD,FT-1\nyesterday,1,USD,X\n")
    statement.name = "bank.csv"
    response = signed_in(client, finance).post(reverse("disbursements:reconcile"), {"file": statement})
    html = response.content.decode()
    assert "Line 3: “yesterday” is not a date" in html and "Nothing was changed" in html
    assert Payment.objects.get(pk=payment.pk).state == "paid"
    statement = io.BytesIO(b"date,amount,currency,reference\n2026-01-02,12500.50,USD,FT-1\n2026-01-02,3.00,USD,FEE\n")
    statement.name = "bank.csv"
    response = client.post(reverse("disbursements:reconcile"), {"file": statement}, follow=True)
    assert Payment.objects.get(pk=payment.pk).state == "reconciled"
    assert [line.reference for line in response.context["unmatched_here"]] == ["FEE"]


def test_fund_dashboard_shows_the_fund_position(client, grant, officer, finance, finance2):
    factories.ContributionFactory(fund=grant.fund, amount=Decimal("50000"), status="pledged", received_on=None)
    paid_payment(grant, finance, finance2)
    response = signed_in(client, officer).get(grant.fund.get_absolute_url())
    position = response.context["position"]
    assert (position.pledged, position.received, position.committed, position.disbursed, position.available) == (
        Decimal("150000.00"), Decimal("100000.00"), Decimal("12500.50"), Decimal("12500.50"), Decimal("87499.50"))
    html = response.content.decode()
    assert "USD 87,499.50" in html and "Paid out per currency" in html
    assert signed_in(client, factories.UserFactory(roles=["donor"])).get(grant.fund.get_absolute_url()).status_code == 404


# The fast track of a rapid-response fund -------------------------------------------------------


def test_rapid_response_approval_schedules_the_payment_in_the_same_step(client, officer, finance):
    application = ready_application(funded(rapid=True), requested="8000")
    verified_account(application.organization)
    url = reverse("disbursements:approve", args=[application.pk])
    page = signed_in(client, officer).get(url).content.decode()
    assert "Schedule the payment now" in page
    assert 'name="schedule_now"' in page and "checked" in page.split('name="schedule_now"')[1].split(">")[0]

    response = client.post(url, {
        "amount": "8000", "currency": "USD", "plan_mode": "single", "schedule_now": "on",
        "request_token": "approve-once",
    }, follow=True)

    assert "its payment is scheduled" in response.content.decode()
    payment = Payment.objects.get(grant__application=application)
    assert payment.state == "scheduled" and payment.scheduled_by == officer and payment.amount == Decimal("8000.00")
    # Four eyes still: a finance officer (not the scheduler) approves it.
    services.payment_approve(payment=payment, by=finance)
    payment.refresh_from_db()
    assert payment.state == "approved"


def test_unticked_fast_track_approves_without_scheduling(client, officer):
    application = ready_application(funded(rapid=True), requested="8000")
    verified_account(application.organization)
    url = reverse("disbursements:approve", args=[application.pk])
    signed_in(client, officer).post(url, {"amount": "8000", "currency": "USD", "plan_mode": "single"})
    assert Grant.objects.filter(application=application).exists()
    assert not Payment.objects.filter(grant__application=application).exists()


def test_a_pooled_fund_approval_has_no_schedule_now_box(client, officer):
    application = ready_application(funded(), requested="8000")
    page = signed_in(client, officer).get(reverse("disbursements:approve", args=[application.pk])).content.decode()
    assert "Schedule the payment now" not in page


def test_the_payout_form_starts_at_today_and_the_awards_rate(client, officer, finance, finance2):
    fund = funded(rapid=True)
    grant = approve(ready_application(fund, requested="8000"), officer, "8000", currency="USD")
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    services.payment_approve(payment=payment, by=finance2)
    page = signed_in(client, finance).get(reverse("disbursements:payment_record", args=[payment.pk])).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page
    assert 'name="fx_rate" value="1' in page.replace("\n", " ") or 'value="1.000000"' in page or 'value="1"' in page
