"""Approving a grant creates its report schedule; a report can hold the next tranche until accepted."""
import datetime
from decimal import Decimal

import pytest

from disbursements import services as money
from disbursements.models import Tranche
from fundops.audit import TransitionNotAllowed
from grantee_reports import services
from grantee_reports.models import GrantReport, ReportKind, ReportState
from tests.disbursements.helpers import approve, funded, ready_application

from .helpers import (
    TODAY, accepted, approved_grant, grantee_of, paid_payment, report_of, submitted, two_tranche_fund, two_tranches,
)

pytestmark = pytest.mark.django_db


def test_approval_creates_the_schedule_with_due_dates(officer):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    progress, final = report_of(grant, ReportKind.FINANCIAL), report_of(grant, ReportKind.FINAL)
    first = grant.tranches.get(number=1)
    # Until tranche 1 is paid, "30 days after tranche 1" counts from its due date.
    assert progress.due_on == first.due_on + datetime.timedelta(days=30)
    assert final.due_on == grant.application.planned_end + datetime.timedelta(days=60)
    assert {progress.state, final.state} == {ReportState.DUE}


def test_a_gated_tranche_is_held_and_cannot_be_scheduled(officer, finance):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    second = grant.tranches.get(number=2)
    assert "Progress and financial report" in second.hold_reason
    assert grant.tranches.get(number=1).hold_reason == ""
    with pytest.raises(TransitionNotAllowed) as refused:
        money.payment_schedule(tranche=second, by=finance)
    assert "Progress and financial report" in str(refused.value)


def test_accepting_the_report_releases_the_tranche(officer, finance, finance2):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    grantee = grantee_of(grant)
    paid_payment(grant, finance, finance2)
    accepted(report_of(grant, ReportKind.FINANCIAL), grantee, officer)
    second = Tranche.objects.get(grant=grant, number=2)
    assert second.hold_reason == ""
    payment = money.payment_schedule(tranche=second, by=finance)
    assert payment.amount == second.amount


def test_a_submitted_but_not_accepted_report_still_holds_the_tranche(officer, finance):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    submitted(report_of(grant, ReportKind.FINANCIAL), grantee_of(grant))
    assert Tranche.objects.get(grant=grant, number=2).hold_reason


def test_paying_the_tranche_moves_the_due_date_to_count_from_the_payment(officer, finance, finance2):
    fund = two_tranche_fund(officer)
    plan = {"mode": "percent", "parts": [(Decimal("60"), TODAY() + datetime.timedelta(days=20)),
                                          (Decimal("40"), TODAY() + datetime.timedelta(days=200))]}
    grant = approved_grant(fund, officer, plan=plan)
    assert report_of(grant, ReportKind.FINANCIAL).due_on == TODAY() + datetime.timedelta(days=50)
    paid_payment(grant, finance, finance2)  # paid today, earlier than planned
    assert report_of(grant, ReportKind.FINANCIAL).due_on == TODAY() + datetime.timedelta(days=30)


def test_an_officer_moves_a_due_date_and_payment_leaves_it_alone(officer, finance, finance2):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    report = report_of(grant, ReportKind.FINANCIAL)
    later = TODAY() + datetime.timedelta(days=90)
    services.report_due_date_change(report=report, by=officer, due_on=later, note="Elections in the district")
    paid_payment(grant, finance, finance2)
    assert report_of(grant, ReportKind.FINANCIAL).due_on == later


def test_imported_grants_get_no_schedule(officer):
    fund = two_tranche_fund(officer)
    application = ready_application(fund, reviews=False)
    grant = approve(application, officer, imported=True)
    assert not GrantReport.objects.filter(grant=grant).exists()


def test_a_rapid_response_fund_without_requirements_asks_one_short_final_report(officer):
    fund = funded(rapid=True)
    grant = approved_grant(fund, officer, amount="5000")
    [report] = grant.reports.all()
    assert report.kind == ReportKind.FINAL
    assert fund.report_requirements.count() == 1  # the default is now the fund's own, to change
    assert report.requirement.title == "Short final report"


def test_a_pooled_fund_without_requirements_asks_nothing(officer):
    grant = approved_grant(funded(), officer)
    assert not grant.reports.exists()


def test_the_schedule_is_made_once(officer):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    assert services.grant_schedule_create(grant=grant) == []
    assert grant.reports.count() == 2
