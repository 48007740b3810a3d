"""Background work of the core (django-tasks; `manage.py db_worker` runs it): admin imports."""
from django_tasks import task


@task()
def run_import_job(import_job_id):
    from fundops.data_exchange.jobs import import_job_run

    return import_job_run(import_job_id=import_job_id).state
