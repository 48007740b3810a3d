"""Background work of the applications app (django-tasks; `manage.py db_worker` runs it): the
decision clock's alerts, scheduled at submission for the moments they fall due."""
from django.db import transaction
from django_tasks import task

from fundops.notifications.tasks import enqueue

# The alerts of the decision clock: a name (the notification's stage) and the share of the
# fund's target gone by when it is sent.
CLOCK_STAGES = {"half": 0.5, "ninety": 0.9, "passed": 1.0}


def enqueue_at(scheduled_task, when, *args):
    """Run `scheduled_task(*args)` at `when`, once the current transaction commits (a rolled-back
    write schedules nothing). Where the backend cannot wait (the immediate one) nothing is queued
    (fundops.notifications.tasks.enqueue); each task checks at run time that its moment has come."""
    transaction.on_commit(lambda: enqueue(scheduled_task, *args, run_after=when), robust=True)


@task()
def decision_clock_alert(application_id, stage):
    from .services import application_clock_alert

    return bool(application_clock_alert(application_id=application_id, stage=stage))


def schedule_decision_clock(application):
    """At submission: the alerts at half, 90 % and 100 % of the fund's decision target."""
    deadline, submitted_at = application.decision_deadline, application.submitted_at
    if deadline is None or submitted_at is None:
        return
    for stage, share in CLOCK_STAGES.items():
        enqueue_at(decision_clock_alert, submitted_at + (deadline - submitted_at) * share, application.pk, stage)
