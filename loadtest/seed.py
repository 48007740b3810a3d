"""Seed a throw-away database for the load test: `python -m loadtest.seed` (DATABASE_URL set).

A fund open to applications with a two-criterion rubric and money received; applicants with
organisations; reviewers each assigned open applications; program and finance officers with an
authenticator (TOTP, key in loadtest/common.py); donors with a generated report each; a few
grants with payments, so the money invariants have something to hold.
"""
import datetime
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundops.settings")


def main():
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from applications.models import Application
    from disbursements.models import Grant, Payment, Tranche
    from fundops.models import Contribution, Donor, Fund, Organization, User
    from fundops.money import to_base
    from reports.models import ReportRequest
    from reports.services import report_request_run
    from reviews.models import Assignment, Criterion, ReviewerPoolMember, Rubric

    from .common import (APPLICANTS, ASSIGNMENTS_PER_REVIEWER, DONORS, FINANCE, FUND_SLUG, OFFICERS, PASSWORD,
                         REVIEWERS, totp_key_hex)

    today = timezone.localdate()
    now = timezone.now()
    fund = Fund.objects.create(
        name="Load Test Fund", slug=FUND_SLUG, base_currency="USD", min_grant=Decimal("1000"),
        max_grant=Decimal("50000"), reviews_required=1, opens_on=today - datetime.timedelta(days=400),
        closes_on=today + datetime.timedelta(days=60), grant_ref_prefix="LOAD", required_documents=[],
    )
    rubric = Rubric.objects.create(fund=fund)
    for order, title in enumerate(["Need", "Feasibility"]):
        Criterion.objects.create(rubric=rubric, title=title, max_score=5, order=order)

    def user(username, role, **fields):
        person = User.objects.create_user(username, f"{username}@example.org", PASSWORD, first_name="Load",
                                          last_name=username.title(), **fields)
        person.groups.add(Group.objects.get_or_create(name=role)[0])
        if role in {"program_officer", "finance_officer"}:
            TOTPDevice.objects.create(user=person, name="Load test authenticator", key=totp_key_hex(), confirmed=True)
        return person

    for n in range(APPLICANTS):
        organisation = Organization.objects.create(name=f"Load applicant organisation {n}", org_id=f"XI-LOAD-{n:04d}",
                                                   country="KE", member_since=datetime.date(2018, 1, 1))
        user(f"applicant{n}", "applicant", organization=organisation)
    officers = [user(f"officer{n}", "program_officer") for n in range(OFFICERS)]
    for n in range(FINANCE):
        user(f"finance{n}", "finance_officer")
    donors = []
    for n in range(DONORS):
        donor = Donor.objects.create(name=f"Load donor {n}", slug=f"load-donor-{n}")
        Contribution.objects.create(fund=fund, donor=donor, amount=Decimal("2000000"), currency="USD",
                                    fx_rate=Decimal("1"), fx_date=fund.opens_on, base_amount=Decimal("2000000"),
                                    status="received", received_on=fund.opens_on)
        donors.append((donor, user(f"donor{n}", "donor", donor=donor)))

    # Applications in review, each assigned to one reviewer; organisations to hold them.
    holders = Organization.objects.bulk_create(
        Organization(name=f"Load reviewed organisation {n}", org_id=f"XI-LOADR-{n:05d}", country="UG")
        for n in range(REVIEWERS * ASSIGNMENTS_PER_REVIEWER))
    for r in range(REVIEWERS):
        reviewer = user(f"reviewer{r}", "reviewer")
        ReviewerPoolMember.objects.create(fund=fund, reviewer=reviewer)
        applications = Application.objects.bulk_create(
            Application(organization=holders[r * ASSIGNMENTS_PER_REVIEWER + k], fund=fund, title=f"Reviewed {r}-{k}",
                        summary="Community paralegals.", countries=["UG"], requested_amount=Decimal("10000"),
                        requested_currency="USD", state="in_review", submitted_at=now - datetime.timedelta(days=3),
                        decision_deadline=now + datetime.timedelta(days=20))
            for k in range(ASSIGNMENTS_PER_REVIEWER))
        Assignment.objects.bulk_create(
            Assignment(application=a, reviewer=reviewer, assigned_by=officers[0], due_at=now + datetime.timedelta(days=10))
            for a in applications)

    # A few grants with paid payments (the invariants: paid ≤ awarded, committed ≤ received).
    for n in range(20):
        application = Application.objects.create(
            organization=holders[n], fund=fund, title=f"Granted {n}", countries=["UG"], requested_amount=Decimal("20000"),
            requested_currency="USD", state="disbursing", submitted_at=now - datetime.timedelta(days=90),
            decided_at=now - datetime.timedelta(days=80))
        grant = Grant.objects.create(
            application=application, fund=fund, organization=application.organization, reference=f"LOAD-{n:04d}",
            amount=Decimal("20000"), currency="USD", fx_rate=Decimal("1"), fx_date=today, base_amount=Decimal("20000"),
            decided_at=application.decided_at)
        tranche = Tranche.objects.create(grant=grant, number=1, amount=grant.amount, due_on=today)
        Payment.objects.create(grant=grant, tranche=tranche, amount=Decimal("10000"), currency="USD", state="paid",
                               paid_on=today - datetime.timedelta(days=70), fx_rate=Decimal("1"), fx_date=today,
                               base_amount=to_base(Decimal("10000"), Decimal("1"), "USD"), reference=f"TRF-LOAD-{n}")

    # One generated report per donor (the worker's own code), for donors to download.
    for fmt_index, (donor, person) in enumerate(donors):
        request = ReportRequest.objects.create(fund=fund, donor=donor, period_start=fund.opens_on, period_end=today,
                                               format=["pdf", "csv", "xlsx"][fmt_index % 3], requested_by=person)
        report_request_run(report_request_id=request.pk)
    print(f"seeded {APPLICANTS} applicants, {REVIEWERS} reviewers × {ASSIGNMENTS_PER_REVIEWER} assignments, "
          f"{OFFICERS} officers, {FINANCE} finance officers, {DONORS} donors with a report each")


if __name__ == "__main__":
    main()
