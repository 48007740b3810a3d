"""A donor report asked for through the portal, generated off the request path by a background task."""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from fundops.models import Donor, Fund


def _report_path(instance, filename):
    # Random names: a report's URL is never guessable, and it is only served through a checked view.
    return f"reports/{secrets.token_hex(16)}.{instance.format}"


class ReportRequest(models.Model):
    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel (XLSX)"
        CSV = "csv", "CSV (by country)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being generated"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="report_requests")
    donor = models.ForeignKey(
        Donor, null=True, blank=True, on_delete=models.CASCADE, related_name="report_requests",
        help_text="Empty: a report on the whole fund, not one donor's share.",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    file = models.FileField(upload_to=_report_path, max_length=200, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_ordered"),
        ]

    def __str__(self):
        return f"{self.fund} {self.period_start}–{self.period_end} ({self.format})"

    @property
    def is_pending(self):
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def download_name(self):
        who = f"-{self.donor.slug}" if self.donor_id else ""
        return f"{self.fund.slug}{who}-{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}.{self.format}"
