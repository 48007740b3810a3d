"""Imports from the admin, run by the background worker: the upload is stored and queued, the
worker checks (and, when asked, writes) it with the same engine as `manage.py import_data`,
reporting how many rows it has checked; the admin's page shows that, then the result or every
problem. All or nothing, as always: a refused file leaves nothing behind."""
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.models import ImportJob
from fundops.tasks import run_import_job

from . import KINDS
from .engine import Progress, run_import
from .files import Limits, check_file
from .results import ImportRefused

logger = logging.getLogger(__name__)


def import_file_check(*, data, filename):
    """The checks made before anything is parsed (size, rows declared, unpacked size): run at upload
    too, so a file far too big is refused at once instead of being stored and queued."""
    check_file(data, filename, Limits.from_settings())


@transaction.atomic
def import_job_create(*, kind, upload, by, dry_run):
    """Store an uploaded file and queue its import; the worker starts once this transaction commits."""
    if kind not in KINDS:
        raise ValidationError(_("There is no import of “%(kind)s”.") % {"kind": kind})
    job = ImportJob(kind=kind, filename=upload.name[:255], dry_run=dry_run, created_by=by)
    job.file.save(upload.name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


@transaction.atomic
def import_job_confirm(*, job, by):
    """Import, for real, a file whose check (dry run) found no problem."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if by != job.created_by and not by.is_superuser:
        raise PermissionDenied(_("Only the person who uploaded this file, or an administrator, may import it."))
    if job.state != ImportJob.State.CHECKED or not job.file:
        raise ValidationError(_("This file is not waiting to be imported."))
    job.dry_run = False
    job.state = ImportJob.State.QUEUED
    job.stage, job.rows_checked, job.summary, job.counts, job.problems = "", 0, "", {}, []
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id):
    result = run_import_job.enqueue(job_id)
    ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id))


def import_job_run(*, import_job_id):
    """Run a queued import; its outcome (counts, or every problem) is recorded on the job, never lost."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=import_job_id)
        if job.state != ImportJob.State.QUEUED:
            return job  # another worker has it, or it is finished
        job.state, job.started_at, job.finished_at = ImportJob.State.RUNNING, timezone.now(), None
        job.save(update_fields=["state", "started_at", "finished_at"])

    def on_progress(stage, done, total):
        # Outside the import's transaction (checking) this is seen at once by the admin's page.
        ImportJob.objects.filter(pk=job.pk).update(stage=stage, rows_checked=done, rows_total=total)

    try:
        with job.file.open("rb") as stored:
            data = stored.read()
        report = run_import(job.kind, data, filename=job.filename, by=job.created_by, dry_run=job.dry_run,
                            progress=Progress(on_progress))
    except ImportRefused as refused:
        job.state = ImportJob.State.REFUSED
        job.problems = [str(problem) for problem in refused.problems]
        job.rows_total = refused.report.rows if refused.report else None
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        job.state = ImportJob.State.FAILED
        job.problems = [_("The import stopped on an unexpected error; nothing was imported. The fund's "
                          "administrators have been told — please try again later.")]
    else:
        job.state = ImportJob.State.CHECKED if job.dry_run else ImportJob.State.DONE
        job.summary = report.summary()
        job.counts = {"created": report.created, "updated": report.updated, "skipped": report.skipped}
        job.rows_total = job.rows_checked = report.rows
    job.finished_at = timezone.now()
    job.stage = ""
    if job.state != ImportJob.State.CHECKED:
        job.file.delete(save=False)  # kept only while it waits to be imported for real
    job.save(update_fields=["state", "problems", "summary", "counts", "rows_total", "rows_checked", "stage",
                            "file", "finished_at"])
    return job
