"""Reminders to grantees: a week before a report is due, on the day, and once a week while it is
overdue. Each reminder names its report, due date and week, so running the daily job twice (or
after a missed day) tells nobody twice."""
from django.urls import reverse
from django.utils import timezone

from applications.models import State
from disbursements.models import Grant
from fundops.notifications import kinds
from fundops.notifications.recipients import organisation_users

from ..models import OPEN_STATES, GrantReport
from ._common import notify_each, report_context

DUE_SOON_DAYS = 7
# Grants still running: a closed or cancelled grant is owed nothing more.
LIVE_STATES = [State.APPROVED, State.DISBURSING, State.DISBURSED]


def reminder_for(report, today):
    """(reminder key, notification kind) for the report today, or None."""
    days_left = (report.due_on - today).days
    if 0 < days_left <= DUE_SOON_DAYS:
        return "due-soon", kinds.REPORT_DUE_SOON
    if days_left == 0:
        return "due-today", kinds.REPORT_DUE_TODAY
    if days_left < 0:
        # Week 0 on the first day late, week 1 seven days later, …
        return f"overdue-{(-days_left - 1) // 7}", kinds.REPORT_OVERDUE
    return None


def reports_to_remind(*, today):
    return (
        GrantReport.objects.filter(
            state__in=OPEN_STATES, due_on__lte=today + timezone.timedelta(days=DUE_SOON_DAYS),
            grant__status=Grant.Status.ACTIVE, grant__application__state__in=LIVE_STATES,
        )
        .select_related("grant", "grant__fund", "grant__organization")
        .order_by("due_on", "pk")
    )


def report_reminders_send(*, today=None):
    """Send today's reminders; returns how many reports were reminded (idempotent per day and week)."""
    today = today or timezone.localdate()
    reminded = 0
    for report in reports_to_remind(today=today).iterator(chunk_size=500):
        reminder = reminder_for(report, today)
        if reminder is None:
            continue
        key, kind = reminder
        late_days = max((today - report.due_on).days, 0)
        notify_each(
            organisation_users(report.grant.organization), kind=kind,
            event_key=f"grant-report:{report.pk}:{report.due_on.isoformat()}:{key}", obj=report,
            url=reverse("grantee_reports:report", args=[report.pk]),
            context=report_context(report, days_late=late_days),
        )
        reminded += 1
    return reminded
