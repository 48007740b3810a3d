"""Payments: four eyes, paid + pending within the award, idempotent bank references, returns,
and the application moving to disbursing and disbursed (DESIGN.md invariants 2, 4, 5, 6)."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from applications.models import Application
from disbursements import services
from disbursements.models import Payment
from disbursements.selectors import fund_position, grant_summary
from fundops.audit import TransitionNotAllowed, audit_trail
from tests import factories
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def grant(officer):
    plan = {"mode": "percent", "parts": [(Decimal("60"), TODAY()), (Decimal("40"), TODAY() + datetime.timedelta(days=90))]}
    return approve(ready_application(funded(), currency="EUR"), officer, "10000", currency="EUR",
                   fx_rate=Decimal("1.0850"), plan=plan)


def state_of(grant):
    return Application.objects.get(pk=grant.application_id).state


def test_the_scheduler_cannot_approve_their_own_payment(grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    with pytest.raises(ValidationError, match="another finance officer must approve"):
        services.payment_approve(payment=payment, by=finance)
    payment.refresh_from_db()
    assert payment.state == "scheduled" and payment.approved_by is None
    services.payment_approve(payment=payment, by=finance2)
    payment.refresh_from_db()
    assert payment.state == "approved" and payment.approved_by == finance2


def test_the_database_refuses_four_eyes_violations_too(grant, finance):
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(approved_by=finance)


def test_program_officers_never_touch_payments(grant, officer, finance):
    with pytest.raises(PermissionDenied):
        services.payment_schedule(tranche=grant.tranches.first(), by=officer)
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    with pytest.raises(PermissionDenied):
        services.payment_approve(payment=payment, by=officer)


def test_paid_plus_pending_never_exceeds_the_award(grant, finance, finance2):
    first, second = grant.tranches.order_by("number")
    services.payment_schedule(tranche=first, by=finance, amount="5000")
    with pytest.raises(ValidationError, match="Tranche 1 has EUR 1,000.00 left to pay"):
        services.payment_schedule(tranche=first, by=finance, amount="1000.01")
    services.payment_schedule(tranche=first, by=finance)  # the rest of tranche 1: 1,000
    with pytest.raises(ValidationError, match="already fully scheduled"):
        services.payment_schedule(tranche=first, by=finance)
    services.payment_schedule(tranche=second, by=finance)
    summary = grant_summary(grant=grant)
    assert summary == {"paid": Decimal("0"), "pending": Decimal("10000"), "unscheduled": Decimal("0")}


def test_recording_moves_the_application_to_disbursing_then_disbursed(grant, finance, finance2):
    first, second = grant.tranches.order_by("number")
    payment = paid_payment(grant, finance, finance2, tranche=first, fx_rate=Decimal("1.0901"), reference="BANK-1")
    assert (payment.state, payment.fx_rate, payment.fx_date) == ("paid", Decimal("1.0901"), TODAY())
    assert payment.base_amount == Decimal("6540.60")  # 6,000 EUR x 1.0901
    first.refresh_from_db()
    assert first.status == "paid" and state_of(grant) == "disbursing"
    paid_payment(grant, finance, finance2, tranche=second, fx_rate=Decimal("1.1"))
    assert state_of(grant) == "disbursed"
    position = fund_position(fund=grant.fund)
    assert position.disbursed == Decimal("6540.60") + Decimal("4400.00")
    assert position.paid_by_currency == [
        {"currency": "EUR", "amount": Decimal("10000.00"), "base_amount": Decimal("10940.60"), "payments": 2}
    ]
    transitions = [e.transition for e in audit_trail(Application.objects.get(pk=grant.application_id))]
    assert transitions[-2:] == ["start_disbursing", "complete_disbursement"]


def test_recording_the_same_reference_twice_records_it_once(grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    services.payment_approve(payment=payment, by=finance2)
    first = services.payment_record(payment=payment, by=finance2, paid_on=TODAY(), reference="FT2611-0042", fx_rate="1.09")
    again = services.payment_record(payment=payment, by=finance2, paid_on=TODAY(), reference=" FT2611-0042 ", fx_rate="1.09")
    assert first.already_recorded is False and again.already_recorded is True
    assert Payment.objects.filter(reference="FT2611-0042").count() == 1
    assert [e.transition for e in audit_trail(payment)].count("mark_paid") == 1


def test_a_reference_belonging_to_another_payment_is_refused(grant, finance, finance2):
    paid_payment(grant, finance, finance2, reference="FT-1", fx_rate=Decimal("1.09"))
    other = services.payment_schedule(tranche=grant.tranches.get(number=2), by=finance)
    services.payment_approve(payment=other, by=finance2)
    with pytest.raises(ValidationError, match="already recorded for another payment"):
        services.payment_record(payment=other, by=finance2, paid_on=TODAY(), reference="FT-1", fx_rate="1.09")
    other.refresh_from_db()
    assert other.state == "approved" and other.reference is None


def test_recording_needs_a_rate_and_a_date_not_in_the_future(grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    services.payment_approve(payment=payment, by=finance2)
    with pytest.raises(ValidationError, match="how many USD for one EUR"):
        services.payment_record(payment=payment, by=finance2, paid_on=TODAY(), reference="R1")
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.payment_record(payment=payment, by=finance2, paid_on=TODAY() + datetime.timedelta(days=1),
                                reference="R1", fx_rate="1.1")
    payment.refresh_from_db()
    assert payment.state == "approved"


def test_only_approved_payments_are_recorded(grant, finance, finance2):
    payment = services.payment_schedule(tranche=grant.tranches.first(), by=finance)
    with pytest.raises(TransitionNotAllowed, match="only approved payments"):
        services.payment_record(payment=payment, by=finance2, paid_on=TODAY(), reference="R1", fx_rate="1.1")


def test_a_returned_payment_reopens_its_tranche_and_the_application(grant, finance, finance2):
    first, second = grant.tranches.order_by("number")
    paid_payment(grant, finance, finance2, tranche=first, fx_rate=Decimal("1.09"))
    last = paid_payment(grant, finance, finance2, tranche=second, fx_rate=Decimal("1.09"))
    assert state_of(grant) == "disbursed"
    services.payment_return(payment=last, by=finance, reason="Beneficiary account closed.")
    second.refresh_from_db()
    last.refresh_from_db()
    assert last.state == "returned" and second.status == "open"
    assert state_of(grant) == "disbursing"
    assert grant_summary(grant=grant)["unscheduled"] == Decimal("4000")
    # The reopened tranche can be paid again, under a new reference.
    paid_payment(grant, finance, finance2, tranche=second, fx_rate=Decimal("1.09"), reference="RETRY-1")
    assert state_of(grant) == "disbursed"


def test_failed_and_cancelled_payments_free_their_amount(grant, finance, finance2):
    tranche = grant.tranches.first()
    failed = services.payment_schedule(tranche=tranche, by=finance)
    services.payment_approve(payment=failed, by=finance2)
    failed = services.payment_fail(payment=failed, by=finance2, reason="Bank rejected the IBAN.")
    cancelled = services.payment_schedule(tranche=tranche, by=finance)
    cancelled = services.payment_cancel(payment=cancelled, by=finance, reason="Wrong amount.")
    again = services.payment_schedule(tranche=tranche, by=finance)
    assert again.amount == Decimal("6000")
    assert {p.state for p in (failed, cancelled)} == {"failed", "cancelled"}


def test_reconciling_a_paid_payment(grant, finance, finance2):
    payment = paid_payment(grant, finance, finance2, fx_rate=Decimal("1.09"))
    services.payment_reconcile(payment=payment, by=finance)
    payment.refresh_from_db()
    assert payment.state == "reconciled" and payment.reconciled_at is not None
    with pytest.raises(TransitionNotAllowed):
        services.payment_cancel(payment=payment, by=finance)


def test_no_payments_on_a_cancelled_award(grant, officer, finance):
    services.grant_cancel(grant=grant, by=officer, reason="Duplicate award.")
    with pytest.raises(TransitionNotAllowed, match="not open for payments"):
        services.payment_schedule(tranche=grant.tranches.first(), by=finance)


def test_import_records_history_without_faking_four_eyes(officer):
    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    grant = approve(ready_application(funded()), officer, "10000")
    result = services.payment_import(grant=grant, reference="HIST-1", amount="4000", currency="USD", fx_rate="1",
                                     paid_on=datetime.date(2021, 3, 2), status="reconciled", by=admin)
    again = services.payment_import(grant=grant, reference="HIST-1", amount="4000", currency="USD", fx_rate="1",
                                    paid_on=datetime.date(2021, 3, 2), status="reconciled", by=admin)
    payment = result.payment
    assert again.already_recorded and Payment.objects.count() == 1
    assert payment.state == "reconciled" and payment.scheduled_by is None and payment.approved_by is None
    assert payment.base_amount == Decimal("4000.00") and state_of(grant) == "disbursing"
    assert all(e.note == "imported" for e in audit_trail(payment))
    with pytest.raises(ValidationError, match="exceed the award"):
        services.payment_import(grant=grant, reference="HIST-2", amount="6000.01", currency="USD", fx_rate="1",
                                paid_on=datetime.date(2021, 4, 2), status="paid", by=admin)
