"""What waits for a donor: the reports they asked for that are ready to download."""
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fundops import roles
from fundops.navigation import TodoItem, todo

from .models import ReportRequest

# A ready report stays on the to-do list this long; the fund's page keeps every report.
READY_FOR = timedelta(days=30)


def _report_item(report):
    return TodoItem(
        label=str(report.fund), url=reverse("reports:download", args=[report.pk]),
        note=f"{report.get_format_display()} · {date_format(report.period_start)}–{date_format(report.period_end)}",
    )


def donor_todos(user):
    if user.donor_id is None:
        return []
    ready = (
        ReportRequest.objects.filter(
            requested_by=user, donor_id=user.donor_id, status=ReportRequest.Status.DONE,
            finished_at__gte=timezone.now() - READY_FOR,
        ).select_related("fund").order_by("-finished_at", "-pk")
    )
    return [todo(_("Reports ready"), ready, reverse("reports:portal"), _report_item)]


TODOS = [(roles.DONOR, donor_todos)]
