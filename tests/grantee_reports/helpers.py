"""Builders the grantee-report tests share: a fund with reporting requirements, an approved grant
and its grantee, and a report taken to any state through the services."""
import datetime
from decimal import Decimal

from django.utils import timezone

from grantee_reports import services
from grantee_reports.models import ReportKind, ReportRequirement
from tests import factories
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application  # noqa: F401  (re-exported)

Rule = ReportRequirement.DueRule
TODAY = timezone.localdate


def two_tranche_fund(officer, **fund_kwargs):
    """A pooled fund owing a financial report 30 days after tranche 1 (holding tranche 2) and a final report."""
    fund = funded(**fund_kwargs)
    services.requirement_save(fund=fund, by=officer, kind=ReportKind.FINANCIAL, title="Progress and financial report",
                              due_rule=Rule.AFTER_TRANCHE, tranche_number=1, days=30, gates_next_tranche=True)
    services.requirement_save(fund=fund, by=officer, kind=ReportKind.FINAL, title="Final report",
                              due_rule=Rule.END_PLUS_DAYS, days=60)
    return fund


def two_tranches():
    return {"mode": "percent", "parts": [(Decimal("60"), TODAY()), (Decimal("40"), TODAY() + datetime.timedelta(days=180))]}


def approved_grant(fund, officer, *, amount="10000", plan=None, **application_kwargs):
    application = ready_application(fund, **application_kwargs)
    return approve(application, officer, amount=amount, plan=plan)


def grantee_of(grant):
    return factories.UserFactory(roles=["applicant"], organization=grant.organization)


def report_of(grant, kind):
    return grant.reports.get(kind=kind)


def filled(report, grantee, *, lines=(("Paralegal stipends", "1000"),), learning=None):
    """The report's draft with a narrative (and spending when it accounts for money)."""
    return services.report_draft_save(
        report=report, by=grantee, narrative="We trained twelve paralegals and opened two help desks.",
        budget_lines=list(lines) if report.has_spending else None, learning=learning,
    )


def submitted(report, grantee, **kwargs):
    filled(report, grantee, **kwargs)
    return services.report_submit(report=report, by=grantee)


def accepted(report, grantee, officer, **kwargs):
    submitted(report, grantee, **kwargs)
    return services.report_accept(report=report, by=officer)


