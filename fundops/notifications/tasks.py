"""The worker's side of notifications (django-tasks; `manage.py db_worker` runs them)."""
import logging

from django_tasks import task

from . import delivery

logger = logging.getLogger(__name__)


def enqueue(task_, *args, run_after=None):
    """Queue `task_` now, or at `run_after` where the backend can wait. The immediate backend (tests,
    TASKS_BACKEND=immediate) cannot: a later run is left to whoever calls the task again."""
    if run_after is not None:
        if not task_.get_backend().supports_defer:
            logger.info("%s not scheduled for %s: the task backend cannot defer", task_.name, run_after)
            return None
        task_ = task_.using(run_after=run_after)
    return task_.enqueue(*args)


@task()
def deliver_notification(notification_id):
    outcome = delivery.notification_deliver(
        notification_id=notification_id,
        schedule_retry=lambda when: enqueue(deliver_notification, notification_id, run_after=when),
    )
    return outcome.state


@task()
def send_digest(user_id):
    outcome = delivery.digest_send(
        user_id=user_id, schedule_retry=lambda when: enqueue(send_digest, user_id, run_after=when)
    )
    return outcome.state
