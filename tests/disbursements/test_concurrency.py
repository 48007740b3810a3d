"""Money invariants under real concurrent transactions (PostgreSQL): threads race on the same rows."""
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from disbursements import services
from disbursements.models import Grant, Payment
from disbursements.selectors import fund_position
from fundops.audit import TransitionNotAllowed, audit_trail
from tests import factories
from tests.disbursements.helpers import approve, funded, ready_application

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(jobs):
    """Run every job in its own thread, released together; returns (results, errors) in job order."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # each thread reports what happened to it
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_twenty_approvals_racing_for_a_fund_that_affords_ten(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    fund = funded(received=Decimal("100000"), reviews_required=1)
    officers = [factories.UserFactory(roles=["program_officer"]) for _ in range(4)]
    applications = [ready_application(fund) for _ in range(20)]
    jobs = [
        (lambda application=application, i=i: approve(application, officers[i % 4], "10000"))
        for i, application in enumerate(applications)
    ]
    results, errors = race(jobs)
    approved = [r for r in results if r is not None]
    assert len(approved) == 10
    assert all(isinstance(e, ValidationError) and "available" in str(e) for e in errors if e is not None)
    position = fund_position(fund=fund)
    assert position.committed == Decimal("100000.00") <= position.received
    assert position.available == 0
    references = sorted(Grant.objects.filter(fund=fund).values_list("reference", flat=True))
    year = timezone.now().year
    assert references == [f"{fund.grant_ref_prefix}-{year}-{n:03d}" for n in range(1, 11)]


def _approved_payment(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    officer = factories.UserFactory(roles=["program_officer"])
    finance, finance2 = (factories.UserFactory(roles=["finance_officer"]) for _ in range(2))
    grant = approve(ready_application(funded()), officer, "10000")
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance)
    return payment, finance, finance2


def test_ten_concurrent_recordings_of_one_bank_reference_record_one_payment(settings):
    payment, finance, finance2 = _approved_payment(settings)
    services.payment_approve(payment=payment, by=finance2)
    jobs = [
        (lambda by=(finance if i % 2 else finance2): services.payment_record(
            payment=payment, by=by, paid_on=timezone.localdate(), reference="FT-RACE-1", fx_rate="1"))
        for i in range(10)
    ]
    results, errors = race(jobs)
    assert errors == [None] * 10
    assert sorted(r.already_recorded for r in results) == [False] + [True] * 9
    assert Payment.objects.filter(reference="FT-RACE-1").count() == 1
    payment.refresh_from_db()
    assert payment.state == "paid" and payment.base_amount == Decimal("10000.00")
    assert fund_position(fund=payment.grant.fund).disbursed == Decimal("10000.00")


def test_approving_and_cancelling_one_payment_at_once_leaves_one_consistent_state(settings):
    """Serialised, either order ends cancelled (an approved payment may still be cancelled; a
    cancelled one cannot be approved). A lost update would leave it approved after a cancel, or
    an audit trail whose steps do not chain to the stored state."""
    for _ in range(5):
        payment, finance, finance2 = _approved_payment(settings)
        results, errors = race([
            lambda: services.payment_approve(payment=payment, by=finance2),
            lambda: services.payment_cancel(payment=payment, by=finance, reason="Scheduled twice."),
        ])
        payment.refresh_from_db()
        assert payment.state == "cancelled" and errors[1] is None
        assert errors[0] is None or isinstance(errors[0], TransitionNotAllowed)
        steps = [(e.from_state, e.to_state) for e in audit_trail(payment)]
        expected = [("", "scheduled"), ("scheduled", "cancelled")] if errors[0] else [
            ("", "scheduled"), ("scheduled", "approved"), ("approved", "cancelled")]
        assert steps == expected
        assert (payment.approved_by_id == finance2.pk) == (errors[0] is None)
