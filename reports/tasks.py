"""Background work of the reports app (django-tasks; `manage.py db_worker` runs it)."""
from django_tasks import task


@task()
def generate_donor_report(report_request_id):
    from .services import report_request_run

    report_request = report_request_run(report_request_id=report_request_id)
    return report_request.status
