"""Running a django-fsm transition and writing its audit row, as one step.

Every service that changes a state calls `transition_with_audit` inside its own
transaction, so the state and its audit row are saved together or not at all.
"""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django_fsm import can_proceed, has_transition_perm

from .models import AuditEntry


class TransitionNotAllowed(Exception):
    """The object is not in a state (or a condition is unmet) for this change."""


def transition_with_audit(*, obj, transition, by, note="", state_field="state", **kwargs):
    method = getattr(obj, transition)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"Cannot {transition.replace('_', ' ')} from “{getattr(obj, 'get_' + state_field + '_display')()}”."
        )
    if by is not None and not has_transition_perm(method, by):
        raise PermissionDenied(f"You may not {transition.replace('_', ' ')} this.")
    from_state = getattr(obj, state_field)
    method(by=by, **kwargs)
    obj.save()
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        actor=by,
        transition=transition,
        from_state=from_state,
        to_state=getattr(obj, state_field),
        note=note,
    )


def audit_trail(obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
