"""Approving an award and cancelling it: DESIGN.md money invariants 3 and 7, and the lifecycle."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from applications.models import Application
from disbursements import services
from disbursements.models import Grant, PaymentState, Tranche
from disbursements.selectors import fund_position
from fundops.audit import TransitionNotAllowed, audit_trail
from tests import factories
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application

pytestmark = pytest.mark.django_db


def test_approving_creates_the_grant_its_tranche_and_an_audit_row(officer):
    fund = funded(grant_ref_prefix="GJN-COVID19", rapid=True)
    application = ready_application(fund)
    grant = approve(application, officer, "12500.00", conditions="Report within 6 months.")
    application.refresh_from_db()
    year = timezone.now().year
    assert grant.reference == f"GJN-COVID19-{year}-001"
    assert application.state == "approved"
    assert grant.base_amount == Decimal("12500.00") and grant.decided_by == officer
    assert [(t.number, t.amount) for t in grant.tranches.all()] == [(1, Decimal("12500.00"))]
    entry = audit_trail(application).last()
    assert (entry.from_state, entry.to_state, entry.actor) == ("in_review", "approved", officer)
    assert grant.reference in entry.note


def test_references_are_numbered_per_fund_and_year(officer):
    fund = funded(grant_ref_prefix="GJN-LEF", received=Decimal("500000"))
    references = [approve(ready_application(fund), officer, "1000").reference for _ in range(3)]
    earlier = approve(ready_application(fund), officer, "1000", decided_at=timezone.make_aware(datetime.datetime(2020, 5, 4)))
    year = timezone.now().year
    assert references == [f"GJN-LEF-{year}-001", f"GJN-LEF-{year}-002", f"GJN-LEF-{year}-003"]
    assert earlier.reference == "GJN-LEF-2020-001"


def test_approval_needs_the_required_reviews(officer):
    fund = funded()
    application = ready_application(fund, reviews=False)
    factories.submit_reviews_for(application, 1)  # the fund wants 2
    with pytest.raises(ValidationError, match="required reviews"):
        approve(application, officer)
    application.refresh_from_db()
    assert application.state == "in_review" and not Grant.objects.exists()


def test_only_program_officers_approve(finance):
    application = ready_application(funded())
    with pytest.raises(PermissionDenied):
        approve(application, finance)
    assert not Grant.objects.exists()


def test_award_above_request_is_refused(officer):
    application = ready_application(funded(), requested="8000")
    with pytest.raises(ValidationError) as error:
        approve(application, officer, "8000.01")
    assert "more than the USD 8,000.00 requested" in str(error.value.message_dict["amount"])


def test_award_in_another_currency_is_compared_at_its_base_amount(officer):
    application = ready_application(funded(), requested="11000")
    with pytest.raises(ValidationError, match="USD 11,000.11, more than the USD 11,000.00"):
        approve(application, officer, "10000.10", currency="EUR", fx_rate=Decimal("1.1"))
    grant = approve(application, officer, "10000", currency="EUR", fx_rate=Decimal("1.1"))
    assert (grant.currency, grant.amount, grant.base_amount) == ("EUR", Decimal("10000"), Decimal("11000.00"))


def test_award_above_fund_maximum_is_refused(officer):
    application = ready_application(funded(max_grant=Decimal("20000")), requested="30000")
    with pytest.raises(ValidationError, match="above this fund's maximum grant of USD 20,000.00"):
        approve(application, officer, "20000.01")


def test_award_refused_when_the_fund_has_not_received_enough(officer):
    fund = funded(received=Decimal("15000"))
    factories.ContributionFactory(fund=fund, amount=Decimal("90000"), status="pledged", received_on=None)
    approve(ready_application(fund), officer, "10000")
    application = ready_application(fund)
    with pytest.raises(ValidationError) as error:
        approve(application, officer, "5000.01")
    assert "The fund has USD 5,000.00 available" in error.value.message_dict["amount"][0]
    approve(application, officer, "5000")
    assert fund_position(fund=fund).available == Decimal("0")


def test_same_currency_rate_must_be_one(officer):
    with pytest.raises(ValidationError, match="the rate is 1"):
        approve(ready_application(funded()), officer, "1000", fx_rate=Decimal("1.2"))


def test_tranche_plan_by_percentage_puts_the_remainder_on_the_last(officer):
    today = timezone.localdate()
    plan = {"mode": "percent", "parts": [(Decimal("33.33"), today), (Decimal("33.33"), today), (Decimal("33.34"), today)]}
    grant = approve(ready_application(funded()), officer, "10000.01", plan=plan)
    amounts = [t.amount for t in grant.tranches.order_by("number")]
    assert amounts == [Decimal("3333.00"), Decimal("3333.00"), Decimal("3334.01")]
    assert sum(amounts) == grant.amount


def test_bad_tranche_plan_writes_nothing(officer):
    application = ready_application(funded())
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="add up to 90%"):
        approve(application, officer, plan={"mode": "percent", "parts": [(Decimal("50"), today), (Decimal("40"), today)]})
    application.refresh_from_db()
    assert application.state == "in_review" and not Grant.objects.exists() and not Tranche.objects.exists()


def test_imported_grant_waives_reviews_and_role_but_not_money(finance):
    fund = funded(received=Decimal("5000"))
    application = ready_application(fund, reviews=False)
    decided = timezone.make_aware(datetime.datetime(2020, 6, 1, 10))
    with pytest.raises(ValidationError, match="available"):
        approve(application, finance, "6000", imported=True, decided_at=decided)
    grant = approve(application, finance, "5000", imported=True, decided_at=decided)
    application.refresh_from_db()
    assert grant.reference.endswith("-2020-001") and grant.decided_at == decided
    assert application.state == "approved" and application.decided_at == decided
    entry = audit_trail(application).last()
    assert entry.note.startswith("imported") and entry.actor == finance and entry.at == decided


def test_cannot_approve_twice(officer):
    application = ready_application(funded())
    approve(application, officer)
    with pytest.raises(TransitionNotAllowed):
        approve(application, officer)
    assert Grant.objects.count() == 1


def test_cancel_releases_exactly_the_undisbursed_part(officer, finance, finance2):
    fund = funded()
    today = timezone.localdate()
    plan = {"mode": "amount", "parts": [(Decimal("4000"), today), (Decimal("6000"), today)]}
    grant = approve(ready_application(fund, currency="EUR"), officer, "10000", currency="EUR",
                    fx_rate=Decimal("1.10"), plan=plan)
    assert fund_position(fund=fund).committed == Decimal("11000.00")
    # The first tranche went out at a different rate than the award's; the second is pending.
    paid_payment(grant, finance, finance2, fx_rate=Decimal("1.0825"))
    pending = services.payment_schedule(tranche=grant.tranches.get(number=2), by=finance)
    services.grant_cancel(grant=grant, by=officer, reason="The organisation closed its programme.")
    grant.refresh_from_db()
    pending.refresh_from_db()
    assert grant.status == "cancelled"
    assert grant.released_base_amount == Decimal("11000.00") - Decimal("4330.00")
    assert pending.state == PaymentState.CANCELLED
    assert grant.tranches.get(number=2).status == "cancelled"
    assert Application.objects.get(pk=grant.application_id).state == "cancelled"
    position = fund_position(fund=fund)
    assert position.committed == Decimal("4330.00") == position.disbursed
    assert position.available == Decimal("100000") - Decimal("4330.00")


def test_cancel_needs_a_program_officer_and_a_reason(officer, finance):
    grant = approve(ready_application(funded()), officer)
    with pytest.raises(PermissionDenied):
        services.grant_cancel(grant=grant, by=finance, reason="x")
    with pytest.raises(ValidationError, match="Say why"):
        services.grant_cancel(grant=grant, by=officer, reason=" ")
    grant.refresh_from_db()
    assert grant.status == "active"
