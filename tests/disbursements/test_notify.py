"""Money handoffs tell the next person: the applicant of the decision (with the award letter) and of
the money sent; finance of grants to schedule, payments to approve (never their own) and payments that
failed or came back. Historical imports tell no one. The fast track: approve and schedule in one step."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from disbursements import services
from disbursements.selectors import payout_defaults
from fundops.models import Notification
from tests import factories
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application, verified_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def applicants(db):
    first = factories.UserFactory(roles=["applicant"], email="amina@example.org")
    return [first, factories.UserFactory(roles=["applicant"], organization=first.organization)]


def told(kind):
    return {n.recipient for n in Notification.objects.filter(kind=kind)}


@pytest.fixture
def application(applicants):
    return ready_application(funded(), organization=applicants[0].organization)


def test_an_approval_sends_the_decision_with_the_award_letter_and_asks_finance_to_schedule(
    application, applicants, officer, finance, finance2, mailoutbox, django_capture_on_commit_callbacks
):
    Notification.objects.all().delete()  # the reviews' own notices
    with django_capture_on_commit_callbacks(execute=True):
        grant = approve(application, officer, amount="10000")
    assert told("application_decided") == set(applicants)
    decided = Notification.objects.filter(kind="application_decided").first()
    assert decided.context["decision"] == "approved" and decided.context["amount"] == "USD 10,000.00"
    assert decided.context["letter_url"] == f"/finance/applications/{application.pk}/award-letter.pdf"
    assert "amina@example.org" in {m.to[0] for m in mailoutbox}
    assert told("grant_awaiting_schedule") == {finance, finance2}
    waiting = Notification.objects.filter(kind="grant_awaiting_schedule").first()
    assert waiting.context["grant"] == grant.reference
    assert waiting.url == f"/finance/applications/{application.pk}/grant/"
    assert officer not in told("grant_awaiting_schedule")


def test_a_scheduled_payment_asks_every_finance_officer_but_its_scheduler(application, officer, finance, finance2):
    third = factories.UserFactory(roles=["finance_officer"])
    grant = approve(application, officer)
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    assert told("payment_awaiting_approval") == {finance2, third}
    notice = Notification.objects.filter(kind="payment_awaiting_approval").first()
    assert notice.context["scheduled_by"] == finance.get_full_name()
    assert notice.event_key == f"payment:{payment.pk}:approval-needed"


def test_a_recorded_payment_tells_the_applicants_and_a_failed_or_returned_one_tells_finance(
    application, applicants, officer, finance, finance2
):
    grant = approve(application, officer, plan={"mode": "percent", "parts": [
        (Decimal("50"), timezone.localdate()), (Decimal("50"), timezone.localdate() + datetime.timedelta(days=30)),
    ]})
    payment = paid_payment(grant, finance, finance2)
    assert told("payment_sent") == set(applicants)
    sent = Notification.objects.filter(kind="payment_sent").first()
    assert sent.context["amount"] == "USD 5,000.00" and sent.context["paid_on"] == timezone.localdate().isoformat()
    assert sent.url == f"/applications/{application.pk}/"

    services.payment_return(payment=payment, by=finance2, reason="Account closed.")
    returned = Notification.objects.filter(kind="payment_failed", context__state="returned")
    assert {n.recipient for n in returned} == {finance, finance2}
    assert returned.first().context["note"] == "Account closed."

    second = services.payment_schedule(tranche=grant.tranches.get(number=2), by=finance)
    services.payment_approve(payment=second, by=finance2)
    services.payment_fail(payment=second, by=finance2, reason="Bank refused: wrong SWIFT.")
    failed = Notification.objects.filter(kind="payment_failed", context__state="failed")
    assert {n.recipient for n in failed} == {finance, finance2}
    assert not told("payment_failed") & set(applicants)


def test_historical_imports_tell_no_one(applicants, officer, finance):
    fund = funded()
    application = factories.ApplicationFactory(
        fund=fund, organization=applicants[0].organization, state="in_review",
        submitted_at=timezone.now() - datetime.timedelta(days=400),
    )
    grant = services.grant_approve(
        application=application, by=officer, amount=Decimal("8000"), currency="USD", imported=True,
        decided_at=timezone.now() - datetime.timedelta(days=390),
    )
    services.payment_import(grant=grant, reference="HIST-1", amount="4000", currency="USD", fx_rate="1",
                            paid_on=timezone.localdate() - datetime.timedelta(days=380), status="paid", by=officer)
    services.payments_import(payments=[dict(
        grant=grant, reference="HIST-2", amount="4000", currency="USD", fx_rate="1",
        paid_on=timezone.localdate() - datetime.timedelta(days=370), status="paid",
    )], by=officer)
    assert not Notification.objects.exists()


# The fast track --------------------------------------------------------------------------------


@pytest.fixture
def rapid_application(applicants):
    verified_account(applicants[0].organization)
    return ready_application(funded(rapid=True), organization=applicants[0].organization, requested="8000")


def test_approve_and_schedule_in_one_step_a_finance_officer_still_approves(
    rapid_application, applicants, officer, finance, finance2
):
    Notification.objects.all().delete()
    grant = services.grant_approve(
        application=rapid_application, by=officer, amount="8000", currency="USD", schedule_now=True,
    )
    payment = grant.payments.get()
    assert payment.state == "scheduled" and payment.scheduled_by == officer
    assert payment.amount == grant.amount == Decimal("8000")
    assert told("application_decided") == set(applicants)
    assert told("payment_awaiting_approval") == {finance, finance2}
    assert not told("grant_awaiting_schedule")  # nothing is left to schedule
    with pytest.raises(PermissionDenied):
        services.payment_approve(payment=payment, by=officer)  # program officers do not approve payments
    services.payment_approve(payment=payment, by=finance)
    payment.refresh_from_db()
    assert payment.state == "approved" and payment.approved_by == finance


def test_the_fast_track_is_for_a_single_tranche_of_a_rapid_response_fund(rapid_application, application, officer):
    with pytest.raises(ValidationError) as error:
        services.grant_approve(
            application=rapid_application, by=officer, amount="8000", currency="USD", schedule_now=True,
            tranche_plan={"mode": "percent", "parts": [(Decimal("50"), timezone.localdate()),
                                                       (Decimal("50"), timezone.localdate())]},
        )
    assert "single-tranche" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.grant_approve(application=application, by=officer, amount="8000", currency="USD", schedule_now=True)
    assert "rapid-response" in str(error.value)
    rapid_application.refresh_from_db()
    application.refresh_from_db()
    assert rapid_application.state == application.state == "in_review"  # nothing half done


def test_the_payout_form_starts_at_today_and_the_awards_rate(officer, finance, finance2):
    fund = funded(base_currency="USD")
    application = ready_application(fund, requested="9000", currency="EUR")
    grant = approve(application, officer, amount="8000", currency="EUR", fx_rate="1.0850")
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    assert payout_defaults(payment) == {"paid_on": timezone.localdate(), "fx_rate": Decimal("1.0850")}
