"""Writes of the reports app: asking for a donor report, and generating it in the background."""
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.models import Contribution
from fundops.notifications import kinds, notify

from .builders import build_donor_report
from .models import ReportRequest
from .selectors import Period

logger = logging.getLogger(__name__)


def file_donor_report(*, fund, period, fmt, donor=None):
    """The report's bytes, built once and drawn in one format: what the command and the task both call.

    Each format fetches only what it prints: the CSV the country table (no annex, payments or
    speed figures), the PDF no payment list. The drawing libraries load here, not with the site.
    """
    from .renderers import render

    report = build_donor_report(fund=fund, period=period, donor=donor, with_payments=(fmt == "xlsx"), fmt=fmt)
    return render(report, fmt)


@transaction.atomic
def report_request_create(*, fund, period_start, period_end, format, by, donor=None):
    """Queue a report; the background worker generates it once this transaction commits."""
    errors = {}
    if format not in ReportRequest.Format.values:
        errors["format"] = ["Choose PDF, XLSX or CSV."]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = ["The end of the period must be on or after its start."]
    if period_end and period_end > timezone.localdate():
        errors["period_end"] = ["The period cannot end in the future."]
    if donor is not None and not Contribution.objects.filter(fund=fund, donor=donor).exists():
        errors["donor"] = [f"{donor} has not contributed to {fund}."]
    if errors:
        raise ValidationError(errors)
    report_request = ReportRequest.objects.create(
        fund=fund, donor=donor, period_start=period_start, period_end=period_end, format=format, requested_by=by
    )
    transaction.on_commit(lambda: _enqueue(report_request.pk))
    return report_request


def _enqueue(report_request_id):
    from .tasks import generate_donor_report

    result = generate_donor_report.enqueue(report_request_id)
    # The immediate backend has already run the task: update the id without touching its status.
    ReportRequest.objects.filter(pk=report_request_id).update(task_id=str(result.id))


def report_request_run(*, report_request_id):
    """Generate a queued report and store its file; a failure is recorded on the request, never lost."""
    with transaction.atomic():
        # Lock only the request row (PostgreSQL refuses to lock the nullable donor side of the join).
        report_request = (
            ReportRequest.objects.select_for_update(of=("self",)).select_related("fund", "donor").get(pk=report_request_id)
        )
        if report_request.status != ReportRequest.Status.QUEUED:
            return report_request  # another worker has it, or it is finished
        report_request.status = ReportRequest.Status.RUNNING
        report_request.started_at = timezone.now()
        report_request.save(update_fields=["status", "started_at"])
    period = Period(start=report_request.period_start, end=report_request.period_end)
    try:
        content = file_donor_report(
            fund=report_request.fund, period=period, fmt=report_request.format, donor=report_request.donor
        )
    except Exception:
        logger.exception("Donor report %s failed", report_request.pk)
        report_request.status = ReportRequest.Status.FAILED
        report_request.error = "The report could not be generated. The fund team has been told; please try again later."
        report_request.finished_at = timezone.now()
        report_request.save(update_fields=["status", "error", "finished_at"])
        return report_request
    report_request.file.save(f"report.{report_request.format}", ContentFile(content), save=False)
    with transaction.atomic():
        report_request.status = ReportRequest.Status.DONE
        report_request.finished_at = timezone.now()
        report_request.save(update_fields=["file", "status", "finished_at"])
        if report_request.requested_by is not None:
            notify(
                recipient=report_request.requested_by, kind=kinds.REPORT_READY,
                event_key=f"report-request:{report_request.pk}:ready", obj=report_request,
                url=reverse("reports:download", args=[report_request.pk]),
                context={"fund": report_request.fund.name, "report": _report_name(report_request, period)},
            )
    return report_request


def _report_name(report_request, period):
    """"Donor report, 1 January 2026 – 31 March 2026 (PDF)"."""
    return _("Donor report, %(period)s (%(format)s)") % {
        "period": str(period), "format": report_request.get_format_display(),
    }
