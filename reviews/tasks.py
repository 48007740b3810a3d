"""Background work of the reviews app (django-tasks; `manage.py db_worker` runs it): reminders to
a reviewer the day before a review is due and when it is overdue, scheduled at assignment."""
import datetime

from django_tasks import task

from applications.tasks import enqueue_at

# A reminder's name and how long before the due time it is sent.
REVIEW_REMINDERS = {"due-tomorrow": datetime.timedelta(hours=24), "overdue": datetime.timedelta(0)}


@task()
def review_reminder(assignment_id, reminder):
    from .services import assignment_remind

    return bool(assignment_remind(assignment_id=assignment_id, reminder=reminder))


def schedule_review_reminders(assignment):
    if assignment.due_at is None:
        return
    for reminder, before in REVIEW_REMINDERS.items():
        enqueue_at(review_reminder, assignment.due_at - before, assignment.pk, reminder)
