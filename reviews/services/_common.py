"""What every reviews service shares: who may act, audit rows for rows a service creates, and
transitions with their audit row (fundops.audit.transition_with_audit, saved together)."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError

from applications.models import State
from applications.services import application_notice_context, notify_each, staff_application_url
from fundops import roles
from fundops.audit import TransitionNotAllowed, transition_with_audit
from fundops.models import AuditEntry
from fundops.notifications import kinds
from fundops.notifications.recipients import program_officers

from ..models import Assignment
from ..selectors import application_ready_for_decision

# How long a reviewer has on a pooled fund's application; rapid-response funds use their decision target.
DEFAULT_REVIEW_DAYS = 14
# States in which an application is no longer reviewed: its open assignments are cancelled.
OUT_OF_REVIEW_STATES = {State.DECLINED, State.WITHDRAWN, State.APPROVED, State.CANCELLED}


def _require_officer(user):
    if not roles.is_program_officer(user):
        raise PermissionDenied("Only a program officer can do this.")


def _audit_created(obj, *, by, transition, to_state, note=""):
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        actor=by,
        transition=transition,
        from_state="",
        to_state=to_state,
        note=note,
    )


def _transition(obj, transition, *, by, note="", **kwargs):
    try:
        return transition_with_audit(obj=obj, transition=transition, by=by, note=note, state_field="status", **kwargs)
    except TransitionNotAllowed as exc:
        raise ValidationError(str(exc)) from exc



def _tell_if_ready(application):
    """The last required review (or the deciding panel vote) is in: program officers are told."""
    if application.state != State.IN_REVIEW or not application_ready_for_decision(application=application):
        return
    reviews = Assignment.objects.filter(application=application, status=Assignment.Status.SUBMITTED).count()
    notify_each(
        program_officers(), kind=kinds.READY_FOR_DECISION, event_key=f"application:{application.pk}:ready-for-decision",
        obj=application, url=staff_application_url(application),
        context=application_notice_context(application, reviews=reviews),
    )
