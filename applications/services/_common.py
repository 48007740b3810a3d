"""What every application service shares: who may draft, the row lock, running a transition with
its audit row, and the notification helpers other apps reuse."""
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_fsm import can_proceed, has_transition_perm

from fundops import roles
from fundops.audit import TransitionNotAllowed, transition_with_audit
from fundops.notifications import notify

from ..models import Application

IMPORTED_NOTE = "imported"


def _may_draft_for(by, organization):
    """Applicants draft for their own organisation; staff may (e.g. when importing history)."""
    if by.is_superuser or roles.is_program_officer(by):
        return True
    return roles.is_applicant(by) and by.organization_id == organization.pk


def _is_staff(by):
    return by is not None and (by.is_superuser or roles.is_program_officer(by))


def _locked(application):
    """Lock the row for this transaction and reload it, so two clicks cannot both act."""
    Application.objects.select_for_update().filter(pk=application.pk).exists()
    application.refresh_from_db()
    return application


def _check_transition(application, transition, by, *, imported=False):
    method = getattr(application, transition)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: it cannot be "
            f"{_PAST_TENSE.get(transition, transition)} now."
        )
    if imported:
        # History is imported by staff on the organisation's behalf.
        if not _is_staff(by):
            raise PermissionDenied("Only staff may import an application's history.")
    elif not has_transition_perm(method, by):
        raise PermissionDenied(f"You may not {transition.replace('_', ' ')} this application.")


# Transitions that stamp their time on the application (submitted_at, decided_at).
_STAMPING_TRANSITIONS = {"submit", "decline"}

_PAST_TENSE = {
    "submit": "submitted",
    "screen_in": "screened in",
    "request_info": "asked for more information",
    "answer_info": "answered",
    "decline": "declined",
    "withdraw": "withdrawn",
}


def _transition(application, transition, *, by, note="", imported=False, at=None, **kwargs):
    """Run the transition and write its audit row; imported history keeps its own dates.

    kwargs go to the model's transition method (e.g. the decline reason).
    """
    _check_transition(application, transition, by, imported=imported)
    if at is not None and transition in _STAMPING_TRANSITIONS:
        kwargs["at"] = at
    if imported:
        note = f"{IMPORTED_NOTE}: {note}" if note else IMPORTED_NOTE
    # For imports the permission was checked above (staff acting for the organisation);
    # the audit row still names them as the actor.
    entry = transition_with_audit(
        obj=application, transition=transition, by=None if imported else by, note=note, **kwargs
    )
    if imported or at is not None:
        entry.actor = by
        entry.at = at or entry.at
        entry.save(update_fields=["actor", "at"])
    return entry


# Notifications --------------------------------------------------------------------------
# Sent inside the service's transaction: a rolled-back change tells no one. Imported history
# notifies nobody (it happened long ago).


def notify_each(recipients, **notification):
    """One notification per person (fundops.notifications.notify), for one event."""
    for recipient in recipients:
        notify(recipient=recipient, **notification)


def application_notice_context(application, **extra):
    """The context every notification about an application carries (strings only)."""
    return {"application": str(application), "fund": application.fund.name, **extra}


def staff_application_url(application):
    """Where fund staff act on an application: its screening page."""
    return reverse("applications:review_detail", args=[application.pk])


def _iso(moment):
    return moment.isoformat() if moment else ""
