"""What waits after the award: for program officers, reports to read and reports overdue; for
grantees, reports to write (due within a month, overdue, or sent back for changes)."""
import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops import roles
from fundops.navigation import TodoItem, todo

from . import selectors
from .models import OPEN_STATES, GrantReport, ReportState

GRANTEE_HORIZON = datetime.timedelta(days=30)


def _officer_item(report):
    return TodoItem(
        label=report.title, url=reverse("grantee_reports:review", args=[report.pk]),
        note=f"{report.grant.organization} · {report.grant.reference} · {report.due_on:%d %b %Y}",
    )


def _grantee_item(report):
    return TodoItem(label=report.title, url=reverse("grantee_reports:report", args=[report.pk]),
                    note=f"{report.grant.reference} · {report.due_on:%d %b %Y}")


def program_officer_todos(user):
    queue = reverse("grantee_reports:queue")
    return [
        todo(_("Grantee reports overdue"), selectors.overdue_reports(), f"{queue}?show=overdue", _officer_item,
             urgent=True),
        todo(_("Grantee reports to review"), selectors.submitted_reports(), queue, _officer_item),
    ]


def applicant_todos(user):
    if user.organization_id is None:
        return []
    owed = GrantReport.objects.filter(
        grant__organization_id=user.organization_id, grant__status="active", state__in=OPEN_STATES,
        due_on__lte=timezone.localdate() + GRANTEE_HORIZON,
    ).select_related("grant").order_by("due_on", "pk")
    sent_back = owed.model.objects.filter(
        grant__organization_id=user.organization_id, state=ReportState.CHANGES_REQUESTED
    ).select_related("grant").order_by("due_on", "pk")
    home = reverse("applications:list")
    return [
        todo(_("Reports sent back: make the changes"), sent_back, home, _grantee_item, urgent=True),
        todo(_("Grantee reports to write"), owed.filter(state=ReportState.DUE), home, _grantee_item),
    ]


TODOS = [(roles.PROGRAM_OFFICER, program_officer_todos), (roles.APPLICANT, applicant_todos)]
