"""The cycle closes only when both hold: the final report is accepted, and the money is settled."""
from decimal import Decimal

import pytest

from applications.models import State
from grantee_reports import services
from grantee_reports.models import ReportKind
from tests.disbursements.helpers import funded

from .helpers import accepted, approved_grant, grantee_of, paid_payment, report_of, two_tranche_fund, two_tranches

pytestmark = pytest.mark.django_db


def _state(grant):
    grant.application.refresh_from_db()
    return grant.application.state


def test_final_report_accepted_but_not_paid_in_full_stays_open(officer, finance, finance2):
    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    paid_payment(grant, finance, finance2, amount=Decimal("2500"))
    accepted(grant.reports.get(), grantee_of(grant), officer)
    assert _state(grant) == State.DISBURSING
    assert services.grant_close_if_complete(grant=grant) is False


def test_paid_in_full_but_final_report_not_accepted_stays_open(officer, finance, finance2):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    grantee = grantee_of(grant)
    paid_payment(grant, finance, finance2)
    accepted(report_of(grant, ReportKind.FINANCIAL), grantee, officer)  # releases tranche 2
    paid_payment(grant, finance, finance2)
    assert _state(grant) == State.DISBURSED
    assert services.grant_close_if_complete(grant=grant) is False


def test_both_conditions_close_the_grant_when_the_report_is_accepted(officer, finance, finance2):
    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    paid_payment(grant, finance, finance2)
    accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Hotline", "5000")])
    assert _state(grant) == State.CLOSED
    closing = grant.application.__class__.objects.get(pk=grant.application_id)
    from fundops.audit import audit_trail

    last = list(audit_trail(closing))[-1]
    assert (last.transition, last.from_state, last.to_state, last.actor) == ("close", "disbursed", "closed", officer)
    assert "Final report accepted" in last.note


def test_the_last_payment_closes_a_grant_whose_final_report_was_accepted(officer, finance, finance2):
    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Hotline", "4000")])
    assert _state(grant) == State.APPROVED
    paid_payment(grant, finance, finance2)
    assert _state(grant) == State.CLOSED


def test_a_returned_balance_settles_the_money_when_it_covers_the_unspent(officer, finance, finance2):
    from disbursements.services import balance_return_record

    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    paid_payment(grant, finance, finance2, amount=Decimal("4000"))
    accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Hotline", "3000")])
    assert services.money_settled(grant) == (False, "")
    balance_return_record(grant=grant, by=finance, amount=Decimal("500"), received_on=grant.decided_at.date(),
                          reference="RET-1")
    assert services.money_settled(grant)[0] is False  # 4000 - 500 is more than the 3000 spent
    balance_return_record(grant=grant, by=finance, amount=Decimal("500"), received_on=grant.decided_at.date(),
                          reference="RET-2")
    assert services.money_settled(grant)[0] is True


def test_less_paid_than_awarded_closes_once_the_unspent_came_back_and_releases_the_rest(officer, finance, finance2):
    from disbursements.models import Tranche
    from disbursements.services import balance_return_record, fund_available

    fund = funded(rapid=True)
    grant = approved_grant(fund, officer, amount="5000")
    before = fund_available(fund=fund)
    paid_payment(grant, finance, finance2, amount=Decimal("4000"))
    accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Hotline", "3000")])
    assert _state(grant) == State.DISBURSING
    balance_return_record(grant=grant, by=finance, amount=Decimal("1000"), received_on=grant.decided_at.date(),
                          reference="RET-ALL")
    assert _state(grant) == State.CLOSED
    grant.refresh_from_db()
    assert not grant.tranches.filter(status=Tranche.Status.OPEN).exists()
    # 5,000 committed; 4,000 left the fund and 1,000 came back: 2,000 of the commitment is free again.
    assert grant.released_base_amount == Decimal("2000")
    assert fund_available(fund=fund) == before + Decimal("2000")


def test_a_payment_on_its_way_keeps_a_partly_paid_grant_open(officer, finance, finance2):
    from disbursements.services import balance_return_record, payment_schedule

    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    paid_payment(grant, finance, finance2, amount=Decimal("4000"))
    payment_schedule(tranche=grant.tranches.get(), by=finance, amount=Decimal("500"))
    accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Hotline", "3000")])
    balance_return_record(grant=grant, by=finance, amount=Decimal("1000"), received_on=grant.decided_at.date(),
                          reference="RET-W")
    assert services.money_settled(grant) == (False, "")
    assert _state(grant) == State.DISBURSING
