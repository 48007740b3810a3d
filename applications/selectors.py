"""Reads about applications shared by the portal, the screening pages and other apps.

Other apps extend two things here without editing this file:
- the timeline, with `register_timeline_source(func)` (e.g. reviews adds "review submitted");
- who may see an application, with `register_viewer_check(func)` (e.g. an assigned reviewer).
"""
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from fundops import roles
from fundops.audit import audit_trail
from fundops.models import Fund

from .models import UNDECIDED_STATES, Application, State

FUND_TEAM = "Fund team"


# Who sees what -------------------------------------------------------------------------


def is_staff_viewer(user):
    """Fund staff see everything about an application, including internal notes."""
    return bool(user and user.is_authenticated) and (
        user.is_superuser or roles.is_program_officer(user) or roles.is_finance_officer(user)
    )


def is_own_application(user, application):
    return roles.is_applicant(user) and user.organization_id == application.organization_id


_VIEWER_CHECKS = []


def register_viewer_check(check):
    """check(user, application) -> bool; lets another app grant sight of an application."""
    _VIEWER_CHECKS.append(check)
    return check


def can_view_application(user, application):
    if is_own_application(user, application) or is_staff_viewer(user):
        return True
    return any(check(user, application) for check in _VIEWER_CHECKS)


# Lists ---------------------------------------------------------------------------------


def applications_of_organization(*, organization):
    return (
        Application.objects.filter(organization=organization)
        .select_related("fund", "call", "grant")
        .order_by("-updated_at")
    )


SCREENING_STATES = [
    (State.SUBMITTED, "Waiting for screening"),
    (State.IN_REVIEW, "In review"),
    (State.INFO_REQUESTED, "Waiting for the applicant"),
]


def by_urgency(applications, prefix=""):
    """Overdue and nearest decision deadlines first, then first come, first served.

    Every list of undecided applications uses this order, so an application "overdue by 8 h"
    never sits below ones that can wait. `prefix` orders a queryset of related rows
    (e.g. "application__" for assignments).
    """
    return applications.order_by(*urgency_order(prefix))


def urgency_order(prefix=""):
    """The ordering `by_urgency` applies, for querysets built elsewhere (to-do lists)."""
    return [F(f"{prefix}decision_deadline").asc(nulls_last=True), f"{prefix}submitted_at", f"{prefix}pk"]


def screening_queue(*, fund=None, state=State.SUBMITTED):
    """Applications waiting for staff, most urgent first (see by_urgency)."""
    queue = by_urgency(Application.objects.filter(state=state).select_related("organization", "fund", "call"))
    if fund is not None:
        queue = queue.filter(fund=fund)
    return queue


def decision_clock(application, *, now=None):
    """For rapid-response funds: hours left to the decision deadline (negative when overdue).

    status is "ok", "soon" (past half of the fund's target: the first alert has gone out)
    or "overdue". None for decided applications and funds that promise no decision time.
    Reads only the application's own columns, so a list page adds no query per row.
    """
    due = application.decision_deadline
    if due is None or application.state not in UNDECIDED_STATES:
        return None
    seconds = (due - (now or timezone.now())).total_seconds()
    target = (due - application.submitted_at).total_seconds() if application.submitted_at else 0
    if seconds < 0:
        status = "overdue"
    elif target and seconds <= target / 2:
        status = "soon"
    else:
        status = "ok"
    return {"due_at": due, "hours_left": seconds / 3600, "overdue": seconds < 0, "status": status}


def open_funds_with_calls(*, today=None):
    """[(fund, [open calls])] for funds accepting applications; a fund with no calls takes them directly."""
    today = today or timezone.localdate()
    now = timezone.now()
    funds = Fund.objects.filter(opens_on__lte=today).filter(Q(closes_on__isnull=True) | Q(closes_on__gte=today))
    choices = []
    for fund in funds.prefetch_related("calls"):
        calls = list(fund.calls.all())
        open_calls = [call for call in calls if call.is_open(now)]
        if open_calls or not calls:
            choices.append((fund, open_calls))
    return choices


def current_info_request(application):
    return application.info_requests.filter(answered_at__isnull=True).order_by("-asked_at").first()


# The timeline --------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    title: str
    text: str = ""
    actor: str = ""
    staff_only: bool = False
    state: str = ""  # the state it moved to, for a badge
    extra: dict = field(default_factory=dict)


_TIMELINE_SOURCES = []


def register_timeline_source(source):
    """source(*, application, staff) -> iterable of TimelineEntry. Add from your app's ready()."""
    _TIMELINE_SOURCES.append(source)
    return source


def actor_label(user, *, application, staff):
    """Staff see names; applicants see their own colleagues' names and "Fund team" for anyone else,
    so reviewers and officers are never identified to them."""
    if user is None:
        return FUND_TEAM if not staff else "System"
    if staff or user.organization_id == application.organization_id:
        return str(user)
    return FUND_TEAM


_TRANSITION_TITLES = {
    "submit": "Submitted",
    "screen_in": "Screened in for review",
    "request_info": "More information requested",
    "answer_info": "Information provided",
    "decline": "Declined",
    "withdraw": "Withdrawn",
    "approve": "Approved",
    "start_disbursing": "First payment made",
    "complete_disbursement": "Fully paid",
    "close": "Closed",
    "cancel": "Cancelled",
}
# Notes the applicant may read: the decline reason and their own notes. Other notes are internal.
_PUBLIC_NOTES = {"decline", "withdraw", "submit"}


def _audit_entries(*, application, staff):
    for row in audit_trail(application):
        public_note = row.transition in _PUBLIC_NOTES
        # Questions and answers come from the info-request source below, in full.
        show_note = row.transition not in ("request_info", "answer_info") and (staff or public_note)
        yield TimelineEntry(
            at=row.at,
            title=_TRANSITION_TITLES.get(row.transition, row.transition.replace("_", " ").capitalize()),
            text=row.note if show_note else "",
            actor=actor_label(row.actor, application=application, staff=staff),
            state=row.to_state,
        )


def _info_request_entries(*, application, staff):
    for request in application.info_requests.select_related("asked_by", "answered_by"):
        yield TimelineEntry(
            at=request.asked_at,
            title="Question from the fund",
            text=request.question,
            actor=actor_label(request.asked_by, application=application, staff=staff),
        )
        if request.answered_at:
            yield TimelineEntry(
                at=request.answered_at,
                title="Answer",
                text=request.answer,
                actor=actor_label(request.answered_by, application=application, staff=staff),
            )


def application_timeline(*, application, viewer):
    """Everything that happened to an application, oldest first, as this viewer may see it."""
    staff = is_staff_viewer(viewer)
    entries = []
    for source in [_audit_entries, _info_request_entries, *_TIMELINE_SOURCES]:
        entries.extend(source(application=application, staff=staff))
    if not staff:
        entries = [entry for entry in entries if not entry.staff_only]
    entries.sort(key=lambda entry: entry.at)
    return entries
