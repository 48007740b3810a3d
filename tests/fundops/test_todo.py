"""The front page is each role's to-do list: what waits for them, with counts and links, in a fixed
number of queries however much waits."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application, InfoRequest
from disbursements.models import Grant, Payment, Tranche
from grantee_reports.models import GrantReport
from reports.models import ReportRequest
from reviews import services as review_services
from reviews.models import Assignment, Review
from reviews.todo import ready_for_decision
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now


def home(client, user):
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


# What each role sees ------------------------------------------------------------------------


def test_program_officer_sees_what_to_screen_overdue_decisions_and_what_is_ready(client, program_officer):
    rapid = factories.FundFactory(rapid=True)
    late = factories.ApplicationFactory(
        fund=rapid, state="submitted", title="Late rapid request",
        submitted_at=NOW() - datetime.timedelta(hours=80), decision_deadline=NOW() - datetime.timedelta(hours=8),
    )
    fresh = factories.ApplicationFactory(state="submitted", title="Fresh pooled request", submitted_at=NOW())
    ready = factories.ApplicationFactory(state="in_review", title="Reviewed request", fund=factories.FundFactory(reviews_required=1))
    factories.submit_reviews_for(ready, 1, officer=program_officer)
    answered = factories.ApplicationFactory(state="in_review", title="Answered request")
    InfoRequest.objects.create(application=answered, question="Budget?", answer="Here.", answered_at=NOW())

    page = home(client, program_officer)

    assert "Program officer: to do" in page
    assert "Overdue decisions" in page and "To screen" in page and "Ready for decision" in page
    assert f'href="/applications/screening/{late.pk}/"' in page
    assert f'href="/applications/screening/{fresh.pk}/"' in page
    assert f'href="/finance/applications/{ready.pk}/approve/"' in page
    assert f'href="/applications/screening/{answered.pk}/"' in page
    assert "Overdue by 8 h" in page
    # Nearest deadline first: the overdue rapid request is above the fresh one on the screening to-do.
    assert page.index("Late rapid request") < page.index("Fresh pooled request")


def test_program_officer_sees_recusals_needing_a_replacement(client, program_officer):
    application = factories.ApplicationFactory(state="in_review", title="Recused request")
    reviewer = factories.UserFactory(roles=["reviewer"], first_name="Kofi")
    assignment = review_services.assignment_create(application=application, reviewer=reviewer, by=program_officer)
    review_services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=True, reason="My cousin runs it.")

    page = home(client, program_officer)

    assert "Recusals needing a replacement" in page
    assert f'href="/reviews/applications/{application.pk}/"' in page
    assert "stepped aside" in page


def test_reviewer_sees_declarations_and_reviews_due_with_dates_and_overdue(client, reviewer, program_officer):
    due = NOW() + datetime.timedelta(days=2)
    to_declare = review_services.assignment_create(
        application=factories.ApplicationFactory(state="in_review", title="To declare"), reviewer=reviewer, by=program_officer,
    )
    Assignment.objects.filter(pk=to_declare.pk).update(due_at=due)
    late = review_services.assignment_create(
        application=factories.ApplicationFactory(state="in_review", title="Late review"), reviewer=reviewer, by=program_officer,
    )
    review_services.conflict_declare(assignment=late, by=reviewer, has_conflict=False)
    Assignment.objects.filter(pk=late.pk).update(due_at=NOW() - datetime.timedelta(days=1))
    someone_elses = factories.ApplicationFactory(state="in_review", title="Not mine")
    review_services.assignment_create(application=someone_elses, reviewer=factories.UserFactory(roles=["reviewer"]), by=program_officer)

    page = home(client, reviewer)

    assert "Conflict-of-interest declarations due" in page and "Reviews due" in page and "Overdue reviews" in page
    assert f'href="/reviews/assignments/{to_declare.pk}/declare/"' in page
    assert f'href="/reviews/assignments/{late.pk}/"' in page
    assert "due " + timezone.localtime(due).strftime("%-d %b") in page
    assert "Not mine" not in page


def test_finance_officer_sees_payments_for_their_approval_never_their_own(client, finance_officer):
    colleague = factories.UserFactory(roles=["finance_officer"])
    theirs = factories.PaymentFactory(scheduled_by=colleague, tranche__grant__reference="GJN-THEIRS")
    mine = factories.PaymentFactory(scheduled_by=finance_officer, tranche__grant__reference="GJN-MINE")
    to_record = factories.PaymentFactory(state="approved", scheduled_by=colleague, tranche__grant__reference="GJN-RECORD")
    factories.PaymentFactory(state="failed", scheduled_by=colleague, tranche__grant__reference="GJN-FAILED")
    waiting = factories.TrancheFactory(grant__reference="GJN-UNSCHEDULED").grant

    page = home(client, finance_officer)

    approvals = page[page.index("Payments waiting for your approval"):page.index("Payouts to record")]
    assert "GJN-THEIRS" in approvals and "GJN-MINE" not in approvals
    assert f'href="/finance/payments/{to_record.pk}/record/"' in page
    assert "Failed or returned payments" in page and "GJN-FAILED" in page
    assert "Grants awaiting scheduling" in page
    assert f'href="/finance/applications/{waiting.application_id}/grant/"' in page
    assert mine.grant.reference not in page  # scheduled in full by me: nothing for me to do on it
    assert f'href="/finance/applications/{theirs.grant.application_id}/grant/"' in approvals


def test_applicant_sees_drafts_and_questions_to_answer(client, applicant):
    draft = factories.ApplicationFactory(organization=applicant.organization, title="My draft")
    asked = factories.ApplicationFactory(organization=applicant.organization, state="info_requested", title="Asked")
    factories.ApplicationFactory(state="draft", title="Another organisation's draft")

    page = home(client, applicant)

    assert "Drafts to finish" in page and "Information requested: answer it" in page
    assert f'href="/applications/{draft.pk}/edit/"' in page
    assert f'href="/applications/{asked.pk}/answer/"' in page
    assert "Another organisation" not in page


def test_donor_sees_the_reports_they_asked_for_once_ready(client, donor_user):
    fund = factories.FundFactory(name="Grassroots Justice Fund")
    ready = ReportRequest.objects.create(
        fund=fund, donor=donor_user.donor, requested_by=donor_user, format="pdf", status="done",
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 6, 30), finished_at=NOW(),
    )
    ReportRequest.objects.create(
        fund=fund, donor=donor_user.donor, requested_by=donor_user, format="csv", status="running",
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 6, 30),
    )

    page = home(client, donor_user)

    assert "Reports ready" in page
    assert f'href="/reports/requests/{ready.pk}/download/"' in page
    assert page.count("/download/") == 1


def test_nothing_waiting_says_so(client, reviewer):
    page = home(client, reviewer)
    assert "Nothing waiting." in page


# The same number of queries for 10 and for 1,000 waiting items ---------------------------------


def _waiting(n, *, officer, reviewer, finance_officer, colleague, applicant, donor_user):
    """n of everything each role has to do, written in bulk."""
    rapid = factories.FundFactory(rapid=True)
    org = factories.OrganizationFactory()
    past = NOW() - datetime.timedelta(hours=80)
    late = past + datetime.timedelta(hours=72)
    base = dict(organization=org, summary="s", requested_amount=Decimal("1000"), requested_currency="USD")
    submitted = Application.objects.bulk_create(
        Application(fund=rapid, state="submitted", title=f"S{i}", submitted_at=past, decision_deadline=late, **base)
        for i in range(n)
    )
    in_review = Application.objects.bulk_create(
        Application(fund=rapid, state="in_review", title=f"R{i}", submitted_at=past, decision_deadline=late, **base)
        for i in range(n)
    )
    InfoRequest.objects.bulk_create(
        InfoRequest(application=a, question="q", answer="a", answered_at=NOW()) for a in in_review
    )
    panel = [factories.UserFactory(roles=["reviewer"]) for _ in range(2)]
    done = Assignment.objects.bulk_create(
        Assignment(application=a, reviewer=panel[0], status="submitted") for a in in_review
    )
    Review.objects.bulk_create(
        Review(assignment=a, status="submitted", recommendation="fund", weighted_score=90) for a in done
    )
    Assignment.objects.bulk_create(Assignment(application=a, reviewer=panel[1], status="recused") for a in in_review)
    Assignment.objects.bulk_create(
        Assignment(application=a, reviewer=reviewer, status="pending", due_at=NOW() + datetime.timedelta(days=1))
        for a in submitted
    )
    Assignment.objects.bulk_create(
        Assignment(application=a, reviewer=reviewer, status="no_conflict", due_at=past) for a in in_review
    )
    approved = Application.objects.bulk_create(
        Application(fund=rapid, state="approved", title=f"A{i}", **base) for i in range(n)
    )
    grants = Grant.objects.bulk_create(
        Grant(application=a, fund=rapid, organization=org, reference=f"G-{n}-{i}", amount=Decimal("1000"),
              currency="USD", fx_rate=1, fx_date=NOW().date(), base_amount=Decimal("1000"), public_reference=f"P{n}-{i}")
        for i, a in enumerate(approved)
    )
    tranches = Tranche.objects.bulk_create(
        Tranche(grant=g, number=1, amount=Decimal("1000"), due_on=NOW().date()) for g in grants
    )
    states = ["scheduled", "approved", "failed"]
    Payment.objects.bulk_create(
        Payment(grant=t.grant, tranche=t, amount=Decimal("100"), currency="USD", scheduled_by=colleague,
                state=states[i % 3], approved_by=finance_officer if i % 3 else None)
        for i, t in enumerate(tranches)
    )
    own = dict(organization=applicant.organization, fund=rapid, summary="s")
    # Grantee reports: overdue and submitted ones for officers; sent back and due soon for the grantee.
    GrantReport.objects.bulk_create(
        GrantReport(grant=g, kind="final", title=f"R{i}", due_on=NOW().date() - datetime.timedelta(days=3),
                    state=["due", "submitted"][i % 2], submitted_at=NOW() if i % 2 else None)
        for i, g in enumerate(grants)
    )
    own_grants = Grant.objects.bulk_create(
        Grant(application=a, fund=rapid, organization=applicant.organization, reference=f"OG-{n}-{i}",
              amount=Decimal("1000"), currency="USD", fx_rate=1, fx_date=NOW().date(), base_amount=Decimal("1000"),
              public_reference=f"OP{n}-{i}")
        for i, a in enumerate(Application.objects.bulk_create(
            Application(state="approved", title=f"O{i}", **own) for i in range(n)))
    )
    GrantReport.objects.bulk_create(
        GrantReport(grant=g, kind="final", title=f"OR{i}", due_on=NOW().date() + datetime.timedelta(days=5),
                    state=["due", "changes_requested"][i % 2], changes_comment="Add the receipts." if i % 2 else "")
        for i, g in enumerate(own_grants)
    )
    Application.objects.bulk_create(Application(state="draft", title=f"D{i}", **own) for i in range(n))
    Application.objects.bulk_create(Application(state="info_requested", title=f"I{i}", **own) for i in range(n))
    ReportRequest.objects.bulk_create(
        ReportRequest(fund=rapid, donor=donor_user.donor, requested_by=donor_user, format="pdf", status="done",
                      period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 6, 30), finished_at=NOW())
        for _ in range(n)
    )


def test_each_to_do_list_costs_the_same_queries_for_10_and_for_1000_waiting(
    client, program_officer, reviewer, finance_officer, applicant, donor_user,
):
    people = [program_officer, reviewer, finance_officer, applicant, donor_user]
    world = dict(officer=program_officer, reviewer=reviewer, finance_officer=finance_officer,
                 colleague=factories.UserFactory(roles=["finance_officer"]), applicant=applicant, donor_user=donor_user)

    def queries_per_person():
        counts = {}
        for person in people:
            client.force_login(person)
            client.get("/")  # warm the session and the per-user caches
            with CaptureQueriesContext(connection) as captured:
                page = client.get("/").content.decode()
            counts[person.username] = len(captured)
            assert "Nothing waiting." not in page, f"{person} should have something in every to-do"
        return counts

    _waiting(10, **world)
    with_ten = queries_per_person()
    _waiting(990, **world)
    with_a_thousand = queries_per_person()

    assert with_ten == with_a_thousand
    assert ready_for_decision().count() == 1000
