"""Reviewers hear of each assignment, the day before it is due, when it is overdue and when they are
replaced; program officers hear of recusals and of applications ready for decision. The fast track:
screening a rapid-response application in assigns its panel."""
import datetime

import pytest
from django.utils import timezone

from applications import services as application_services
from fundops.models import Notification
from reviews import services
from reviews.models import Assignment
from reviews.tasks import review_reminder
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def officers(officer):
    return [officer, factories.UserFactory(roles=["program_officer"])]


def told(kind):
    return {n.recipient for n in Notification.objects.filter(kind=kind)}


def full_scores(fund):
    return {c.pk: {"score": c.max_score, "comment": "Clear."} for c in fund.rubrics.get().criteria.all()}


def test_an_assignment_tells_the_reviewer_with_its_due_date(officer, in_review, make_reviewer, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    reviewer, bystander = make_reviewer(email="rev@example.org"), make_reviewer()
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assignment_create(application=in_review(), reviewer=reviewer, by=officer)
    assert told("review_assigned") == {reviewer}
    notice = Notification.objects.get(kind="review_assigned")
    assert notice.context["due"] == assignment.due_at.isoformat()
    assert notice.url == f"/reviews/assignments/{assignment.pk}/"
    assert [m.to for m in mailoutbox] == [["rev@example.org"]]
    assert bystander not in told("review_assigned")


def test_reminders_the_day_before_and_when_overdue_each_once(officer, in_review, make_reviewer):
    reviewer = make_reviewer()
    assignment = services.assignment_create(application=in_review(), reviewer=reviewer, by=officer)
    due = assignment.due_at
    remind = services.assignment_remind
    assert remind(assignment_id=assignment.pk, reminder="due-tomorrow", now=due - datetime.timedelta(hours=25)) is None
    assert remind(assignment_id=assignment.pk, reminder="due-tomorrow", now=due - datetime.timedelta(hours=24)).recipient == reviewer
    assert remind(assignment_id=assignment.pk, reminder="due-tomorrow", now=due - datetime.timedelta(hours=23)) is None
    assert remind(assignment_id=assignment.pk, reminder="overdue", now=due - datetime.timedelta(minutes=1)) is None
    assert remind(assignment_id=assignment.pk, reminder="overdue", now=due).kind == "review_overdue"
    assert told("review_due_tomorrow") == {reviewer} and told("review_overdue") == {reviewer}


def test_the_reminder_task_checks_at_run_time_and_skips_a_finished_review(officer, in_review, make_reviewer, fund, declared):
    from unittest import mock

    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund), recommendation="fund")
    with mock.patch("django.utils.timezone.now", return_value=assignment.due_at + datetime.timedelta(hours=1)):
        assert review_reminder.call(assignment.pk, "overdue") is False
    assert not told("review_overdue")


def test_no_due_tomorrow_reminder_for_an_assignment_made_less_than_a_day_before_it_is_due(officer, in_review, make_reviewer):
    reviewer = make_reviewer()
    soon = timezone.now() + datetime.timedelta(hours=12)
    assignment = services.assignment_create(application=in_review(), reviewer=reviewer, by=officer, due_at=soon)
    assert services.assignment_remind(assignment_id=assignment.pk, reminder="due-tomorrow", now=soon) is None


def test_a_recusal_asks_every_officer_for_a_replacement_and_the_replaced_reviewer_is_told(
    officers, in_review, make_reviewer
):
    officer = officers[0]
    application = in_review()
    recused, replacement = make_reviewer(), make_reviewer()
    assignment = services.assignment_create(application=application, reviewer=recused, by=officer)
    services.conflict_declare(assignment=assignment, by=recused, has_conflict=True, reason="I sit on their board.")
    assert told("recusal_needs_replacement") == set(officers)
    notice = Notification.objects.filter(kind="recusal_needs_replacement").first()
    assert notice.context["reviewer"] == str(recused)
    assert notice.url == f"/reviews/applications/{application.pk}/"

    services.assignment_replace(assignment=assignment, reviewer=replacement, by=officer)
    assert told("review_replaced") == {recused}
    assert replacement in told("review_assigned")


def test_the_last_required_review_tells_the_officers_it_is_ready_for_decision(officers, in_review, make_reviewer, fund, declared):
    application = in_review()
    first, second = make_reviewer(), make_reviewer()
    for n, reviewer in enumerate((first, second), start=1):
        assignment = declared(application, reviewer)
        services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund), recommendation="fund")
        if n == 1:
            assert not told("ready_for_decision")  # the fund requires two
    assert told("ready_for_decision") == set(officers)
    notice = Notification.objects.filter(kind="ready_for_decision").first()
    assert notice.context["reviews"] == 2 and notice.url == f"/applications/screening/{application.pk}/"
    assert first not in told("ready_for_decision")


# The fast track --------------------------------------------------------------------------------


def test_screening_in_a_rapid_response_application_assigns_its_panel(officer, make_reviewer):
    fund = factories.FundFactory(rapid=True, reviews_required=2)
    reviewers = [make_reviewer() for _ in range(3)]
    for reviewer in reviewers:
        services.reviewer_pool_add(fund=fund, reviewer=reviewer, by=officer)
    application = factories.ApplicationFactory(fund=fund, state="submitted", submitted_at=timezone.now())
    other = factories.ApplicationFactory(fund=fund, state="in_review", submitted_at=timezone.now())
    application_services.application_screen_in(application=application, by=officer)
    assigned = Assignment.objects.filter(application=application)
    assert assigned.count() == 2 and {a.reviewer for a in assigned} <= set(reviewers)
    assert told("review_assigned") == {a.reviewer for a in assigned}
    assert not Assignment.objects.filter(application=other).exists()  # only the one screened in


def test_screening_in_leaves_pooled_funds_and_funds_without_a_panel_to_staff(officer, make_reviewer):
    reviewer = make_reviewer()
    pooled_fund = factories.FundFactory()
    services.reviewer_pool_add(fund=pooled_fund, reviewer=reviewer, by=officer)
    pooled = factories.ApplicationFactory(fund=pooled_fund, state="submitted", submitted_at=timezone.now())
    application_services.application_screen_in(application=pooled, by=officer)
    assert not Assignment.objects.filter(application=pooled).exists()

    # A rapid fund whose panel is not set up: screening in still works, assignment waits for staff.
    rapid = factories.ApplicationFactory(fund=factories.FundFactory(rapid=True), state="submitted", submitted_at=timezone.now())
    application_services.application_screen_in(application=rapid, by=officer)
    rapid.refresh_from_db()
    assert rapid.state == "in_review" and not Assignment.objects.filter(application=rapid).exists()
