"""The decision clock of a rapid-response fund: the deadline fixed at submission, the alerts at
half, 90 % and 100 % of the target, the clock shown on a page, and queues most urgent first."""
import datetime
import importlib
from unittest import mock

import pytest
from django.apps import apps
from django.template import Context, Template
from django.utils import timezone

from applications import services
from applications.models import Application
from applications.selectors import screening_queue
from applications.tasks import decision_clock_alert
from fundops.models import Notification
from reviews import services as review_services
from reviews.selectors import reviewer_queue
from tests import factories
from tests.applications.helpers import ready_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers(db):
    return [factories.UserFactory(roles=["program_officer"]) for _ in range(2)]


def submitted(fund, applicant=None):
    applicant = applicant or factories.UserFactory(roles=["applicant"])
    return services.application_submit(application=ready_draft(applicant, fund=fund), by=applicant)


def clock_alerts(application):
    return Notification.objects.filter(kind="decision_clock", object_id=str(application.pk))


def test_submission_fixes_the_deadline_of_a_rapid_response_application():
    application = submitted(factories.FundFactory(rapid=True))
    assert application.decision_deadline == application.submitted_at + datetime.timedelta(hours=72)
    application.refresh_from_db()
    assert application.decision_deadline == application.submitted_at + datetime.timedelta(hours=72)


def test_a_pooled_fund_promises_no_decision_time():
    assert submitted(factories.FundFactory()).decision_deadline is None


def test_imported_history_keeps_its_own_deadline():
    fund = factories.FundFactory(rapid=True)
    officer = factories.UserFactory(roles=["program_officer"])
    application = factories.ApplicationFactory(fund=fund)
    then = timezone.now() - datetime.timedelta(days=400)
    services.application_submit(application=application, by=officer, imported=True, at=then)
    application.refresh_from_db()
    assert application.decision_deadline == then + datetime.timedelta(hours=72)


def test_the_migration_backfills_applications_already_submitted():
    rapid, pooled = factories.FundFactory(rapid=True), factories.FundFactory()
    then = timezone.now() - datetime.timedelta(days=3)
    old = factories.ApplicationFactory(fund=rapid, state="in_review", submitted_at=then)
    draft = factories.ApplicationFactory(fund=rapid)
    other = factories.ApplicationFactory(fund=pooled, state="submitted", submitted_at=then)
    migration = importlib.import_module("applications.migrations.0003_decision_deadline")
    migration.backfill_decision_deadline(apps, None)
    deadlines = dict(Application.objects.values_list("pk", "decision_deadline"))
    assert deadlines[old.pk] == then + datetime.timedelta(hours=72)
    assert deadlines[draft.pk] is None and deadlines[other.pk] is None


@pytest.mark.parametrize("stage, hours", [("half", 36), ("ninety", 64.8), ("passed", 72)])
def test_each_alert_tells_every_program_officer_once_when_its_moment_comes(officers, stage, hours):
    application = submitted(factories.FundFactory(rapid=True))
    moment = application.submitted_at + datetime.timedelta(hours=hours)
    early = services.application_clock_alert(
        application_id=application.pk, stage=stage, now=moment - datetime.timedelta(minutes=1)
    )
    assert early == [] and not clock_alerts(application).exists()

    sent = services.application_clock_alert(application_id=application.pk, stage=stage, now=moment)
    assert {n.recipient for n in sent} == set(officers)
    assert sent[0].context["stage"] == stage
    assert sent[0].context["deadline"] == application.decision_deadline.isoformat()
    assert sent[0].url == f"/applications/screening/{application.pk}/"
    # The task runs again (a retry, a second worker): nobody is told twice.
    assert services.application_clock_alert(application_id=application.pk, stage=stage, now=moment) == []
    assert clock_alerts(application).count() == len(officers)


def test_the_task_checks_the_clock_at_run_time(officers):
    application = submitted(factories.FundFactory(rapid=True))
    later = application.submitted_at + datetime.timedelta(hours=73)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert decision_clock_alert.call(application.pk, "passed") is True
        assert decision_clock_alert.call(application.pk, "passed") is False
    assert clock_alerts(application).count() == 2


def test_no_alert_once_the_application_is_decided(officers):
    application = submitted(factories.FundFactory(rapid=True))
    services.application_decline(application=application, by=officers[0], reason="Outside the fund's scope.")
    later = application.submitted_at + datetime.timedelta(hours=80)
    assert services.application_clock_alert(application_id=application.pk, stage="passed", now=later) == []


def test_submission_schedules_the_three_alerts(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    default_task_backend.results.clear()
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(factories.FundFactory(rapid=True))
    scheduled = {
        r.args[1]: r.task.run_after for r in default_task_backend.results if r.task.name == "decision_clock_alert"
    }
    start = application.submitted_at
    assert scheduled == {
        "half": start + datetime.timedelta(hours=36),
        "ninety": start + datetime.timedelta(hours=64.8),
        "passed": start + datetime.timedelta(hours=72),
    }


def test_a_rolled_back_submission_schedules_nothing(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django.db import transaction
    from django_tasks import default_task_backend

    default_task_backend.results.clear()
    applicant = factories.UserFactory(roles=["applicant"])
    draft = ready_draft(applicant, fund=factories.FundFactory(rapid=True))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.application_submit(application=draft, by=applicant)
            raise RuntimeError("the request failed after submitting")
    assert default_task_backend.results == []


# The clock on a page ------------------------------------------------------------------------


def render_clock(application, now):
    return Template("{% load clock %}{% decision_clock application now %}").render(
        Context({"application": application, "now": now})
    ).strip()


def test_the_clock_says_how_long_is_left_and_turns_when_half_the_time_is_gone():
    application = submitted(factories.FundFactory(rapid=True))
    start = application.submitted_at
    fresh = render_clock(application, start + datetime.timedelta(hours=20))  # 52 h left
    assert 'class="clock clock--ok"' in fresh and "52 h left" in fresh and "Decide by" in fresh
    soon = render_clock(application, start + datetime.timedelta(hours=52))
    assert "clock--soon" in soon and "20 h left" in soon
    overdue = render_clock(application, start + datetime.timedelta(hours=80))
    assert "clock--overdue" in overdue and "Overdue by 8 h" in overdue


def test_no_clock_for_decided_or_pooled_applications():
    officer = factories.UserFactory(roles=["program_officer"])
    application = submitted(factories.FundFactory(rapid=True))
    services.application_decline(application=application, by=officer, reason="Outside the fund's scope.")
    assert render_clock(application, timezone.now()) == ""
    assert render_clock(submitted(factories.FundFactory()), timezone.now()) == ""


# Queues, most urgent first --------------------------------------------------------------------


def test_the_screening_queue_puts_the_overdue_application_first():
    rapid, pooled = factories.FundFactory(rapid=True), factories.FundFactory()
    now = timezone.now()
    early_pooled = factories.ApplicationFactory(fund=pooled, state="submitted", submitted_at=now - datetime.timedelta(days=9))
    fresh = factories.ApplicationFactory(
        fund=rapid, state="submitted", submitted_at=now - datetime.timedelta(hours=1),
        decision_deadline=now + datetime.timedelta(hours=71),
    )
    overdue = factories.ApplicationFactory(
        fund=rapid, state="submitted", submitted_at=now - datetime.timedelta(hours=80),
        decision_deadline=now - datetime.timedelta(hours=8),
    )
    assert list(screening_queue()) == [overdue, fresh, early_pooled]


def test_the_reviewer_queue_puts_the_nearest_decision_deadline_first():
    officer = factories.UserFactory(roles=["program_officer"])
    reviewer = factories.UserFactory(roles=["reviewer"])
    rapid, pooled = factories.FundFactory(rapid=True), factories.FundFactory()
    now = timezone.now()
    pooled_app = factories.ApplicationFactory(fund=pooled, state="in_review", submitted_at=now - datetime.timedelta(days=20))
    later = factories.ApplicationFactory(
        fund=rapid, state="in_review", submitted_at=now - datetime.timedelta(hours=2),
        decision_deadline=now + datetime.timedelta(hours=70),
    )
    overdue = factories.ApplicationFactory(
        fund=rapid, state="in_review", submitted_at=now - datetime.timedelta(hours=75),
        decision_deadline=now - datetime.timedelta(hours=3),
    )
    for application in (pooled_app, later, overdue):
        review_services.assignment_create(application=application, reviewer=reviewer, by=officer)
    assert [a.application for a in reviewer_queue(reviewer=reviewer)] == [overdue, later, pooled_app]
