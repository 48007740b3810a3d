"""Reminders a week before, on the day, and weekly while overdue; each sent once, whatever the runs."""
import datetime

import pytest

from fundops.models import Notification
from grantee_reports import services
from grantee_reports.models import ReportKind
from grantee_reports.tasks import next_run_at

from .helpers import TODAY, approved_grant, grantee_of, report_of, submitted, two_tranche_fund, two_tranches

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(officer):
    grant = approved_grant(two_tranche_fund(officer), officer, plan=two_tranches())
    grantee_of(grant)
    report = report_of(grant, ReportKind.FINANCIAL)
    return services.report_due_date_change(report=report, by=officer, due_on=TODAY() + datetime.timedelta(days=7))


def _sent(kind=None):
    rows = Notification.objects.filter(kind__in=["report_due_soon", "report_due_today", "report_overdue"])
    return list(rows.filter(kind=kind)) if kind else list(rows)


def test_reminders_fall_on_the_right_days_and_are_sent_once(report):
    due = report.due_on
    for days_before in (10, 8):
        services.report_reminders_send(today=due - datetime.timedelta(days=days_before))
    assert _sent() == []
    services.report_reminders_send(today=due - datetime.timedelta(days=7))
    services.report_reminders_send(today=due - datetime.timedelta(days=3))  # the same week: not again
    assert len(_sent("report_due_soon")) == 1
    services.report_reminders_send(today=due)
    services.report_reminders_send(today=due)
    assert len(_sent("report_due_today")) == 1
    for late in range(1, 16):
        services.report_reminders_send(today=due + datetime.timedelta(days=late))
    overdue = _sent("report_overdue")
    assert len(overdue) == 3  # days 1, 8 and 15
    assert overdue[0].url == f"/grants/reports/{report.pk}/"


def test_submitted_reports_are_not_reminded(report):
    submitted(report, report.grant.organization.users.get())
    services.report_reminders_send(today=report.due_on + datetime.timedelta(days=3))
    assert _sent() == []


def test_the_daily_run_goes_at_the_reminder_hour(settings):
    from django.utils import timezone

    now = timezone.make_aware(datetime.datetime(2026, 5, 4, 9, 30))
    run = timezone.localtime(next_run_at(now))
    assert (run.date(), run.hour) == (datetime.date(2026, 5, 5), 7)


def test_the_daily_task_and_the_command_send_the_same_reminders_once(report, officer):
    import io

    from django.core.management import call_command

    from grantee_reports.tasks import send_report_reminders

    report = services.report_due_date_change(report=report, by=officer, due_on=TODAY())
    assert send_report_reminders.call() == 1
    out = io.StringIO()
    call_command("report_reminders", stdout=out)
    assert "Reminded grantees of 1 report." in out.getvalue()
    assert len(_sent("report_due_today")) == 1
