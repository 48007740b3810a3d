"""Background work of grantee reports (django-tasks; `manage.py db_worker` runs it): the daily run
that reminds grantees of reports due in a week, due today and overdue (weekly).

The run queues the next one for tomorrow morning; the first is queued when a grant's first report
schedule is made (or by `manage.py report_reminders --queue`). Sending is idempotent per report, due
date and week (services.report_reminders_send), so an extra run or a missed day never tells anyone twice."""
import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from fundops.notifications.tasks import enqueue

REMINDER_HOUR = getattr(settings, "FUNDOPS_REPORT_REMINDER_HOUR", 7)


def next_run_at(now=None):
    """Tomorrow (or today, if the hour is still ahead) at the reminder hour, local time."""
    now = timezone.localtime(now or timezone.now())
    run = now.replace(hour=REMINDER_HOUR, minute=0, second=0, microsecond=0)
    return run if run > now else run + datetime.timedelta(days=1)


def _next_run_waiting():
    """True when a run is already queued (database backend), so chains are never doubled."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another backend: it cannot tell us; one more idempotent run is harmless
        return False
    return DBTaskResult.objects.filter(
        task_path=f"{__name__}.send_report_reminders", status="READY"
    ).exists()


def schedule_reminders():
    """Queue the next daily run unless one is waiting (a backend that cannot defer queues nothing)."""
    if _next_run_waiting():
        return None
    return enqueue(send_report_reminders, run_after=next_run_at())


@task()
def send_report_reminders():
    from .services import report_reminders_send

    reminded = report_reminders_send()
    schedule_reminders()
    return reminded
