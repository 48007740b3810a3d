"""Telling people: `notify` writes the inbox row inside the caller's transaction and queues the e-mail
for after it commits; preferences say how each kind is e-mailed."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fundops.models import Notification, NotificationPreference

from . import delivery, kinds, tasks

State = Notification.EmailState
Mode = NotificationPreference.Mode
_CONTEXT_TYPES = (str, int, float, bool, type(None))


def notify(*, recipient, kind, event_key, obj=None, url="", context=None):
    """Tell `recipient` about an event, once: a second call for the same (recipient, event_key) does
    nothing and returns None. Call it inside the service's transaction: if that rolls back, there is no
    row and no e-mail."""
    spec = kinds.REGISTRY.get(kind)
    if spec is None:
        raise ValueError(f"Unknown notification kind {kind!r}: add it to fundops/notifications/kinds.py")
    context = dict(context or {})
    missing = set(spec.context_keys) - set(context)
    if missing:
        raise ValueError(f"{kind} needs context keys {sorted(missing)}")
    wrong = {key: type(value).__name__ for key, value in context.items() if not isinstance(value, _CONTEXT_TYPES)}
    if wrong:
        raise TypeError(f"{kind} context values must be str/int/float/bool/None (format money and dates first): {wrong}")
    if url and not url.startswith("/"):
        raise ValueError(f"url must be a path on this site, got {url!r}")

    state = email_state_for(recipient=recipient, kind=kind)
    first_in_digest = state == State.DIGEST and not Notification.objects.filter(
        recipient=recipient, email_state=State.DIGEST
    ).exists()
    notification, created = Notification.objects.get_or_create(
        recipient=recipient,
        event_key=event_key,
        defaults=dict(
            kind=kind,
            content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
            object_id=str(obj.pk) if obj is not None else "",
            url=url,
            context=context,
            email_state=state,
        ),
    )
    if not created:
        return None
    if state == State.PENDING:
        transaction.on_commit(lambda: tasks.enqueue(tasks.deliver_notification, notification.pk), robust=True)
    elif first_in_digest:
        transaction.on_commit(
            lambda: tasks.enqueue(tasks.send_digest, recipient.pk, run_after=delivery.next_digest_at()), robust=True
        )
    return notification


def email_state_for(*, recipient, kind):
    """How a new notification of `kind` starts: e-mailed now, kept for the digest, or inbox only."""
    if not recipient.is_active or not recipient.email:
        return State.SKIPPED
    if kind in kinds.MANDATORY:
        return State.PENDING
    mode = NotificationPreference.objects.filter(user=recipient, kind=kind).values_list("mode", flat=True).first()
    return {Mode.OFF: State.SKIPPED, Mode.DIGEST: State.DIGEST}.get(mode, State.PENDING)


def preferences_for(*, user):
    """{kind name: mode} for every kind the person can receive (mandatory ones always immediately)."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
    return {
        kind.name: Mode.IMMEDIATELY if kind.mandatory else stored.get(kind.name, Mode.IMMEDIATELY)
        for kind in kinds.kinds_for(user)
    }


@transaction.atomic
def preferences_set(*, user, modes):
    """Store how each kind is e-mailed. A mandatory kind cannot be set to anything but immediately."""
    allowed = {kind.name: kind for kind in kinds.kinds_for(user)}
    for name, mode in modes.items():
        if name not in allowed or mode not in Mode.values:
            raise ValidationError(f"Unknown notification kind or mode: {name}={mode}")
        if allowed[name].mandatory and mode != Mode.IMMEDIATELY:
            raise ValidationError(f"{name} is always e-mailed immediately.")
    for name, mode in modes.items():
        if allowed[name].mandatory:
            continue
        NotificationPreference.objects.update_or_create(user=user, kind=name, defaults={"mode": mode})


def inbox_mark_read(*, user, notification=None):
    """Mark one of the person's notifications read, or all of them; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification is not None:
        unread = unread.filter(pk=notification.pk)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_send_again(*, notification):
    """Administrators: put a failed (or stuck `sending`) e-mail back in the queue with fresh attempts."""
    Notification.objects.filter(pk=notification.pk).update(email_state=State.PENDING, attempts=0, next_attempt_at=None)
    transaction.on_commit(lambda: tasks.enqueue(tasks.deliver_notification, notification.pk), robust=True)
