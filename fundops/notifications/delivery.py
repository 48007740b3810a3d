"""Sending notification e-mails, run by the background worker: one notification at a time, retried
with back-off while the mail server is down, never sent twice; and the daily digest.

Never twice, even when a worker dies: a send first claims its row (state `sending`, in its own
committed transaction under a row lock), then talks to the mail server, then records the outcome.
A row found in `sending` was claimed by a worker that stopped between sending and recording — the
e-mail may have gone out, so it is not resent by itself; administrators see it and decide. We choose
"at most once" over "at least once": a duplicate decision letter worries a grantee more than a late one,
and the inbox row is there either way."""
import datetime
import logging
import smtplib
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fundops.models import Notification

from .rendering import absolute_url, render_notification, render_text, split_subject

logger = logging.getLogger(__name__)
State = Notification.EmailState

# What a mail server being down or refusing looks like; anything else is a bug a retry will not fix.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def retry_delays():
    """Minutes to wait after the 1st, 2nd, … failed attempt; after the last, the e-mail is `failed`."""
    return [datetime.timedelta(minutes=m) for m in settings.FUNDOPS_EMAIL_RETRY_MINUTES]


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_at: datetime.datetime | None = None


def _message_id(kind, pk):
    # The same id on every attempt lets a mail server that did receive a message drop a repeat.
    host = urlsplit(settings.FUNDOPS_SITE_URL).hostname or "localhost"
    return f"<fundops.{kind}.{pk}@{host}>"


def _footer():
    return "\n-- \n" + _("Choose which e-mails you get: %(url)s") % {"url": absolute_url(reverse("notifications:preferences"))} + "\n"


def _after_failure(attempts, now):
    """The state and next attempt after `attempts` failed attempts."""
    delays = retry_delays()
    if attempts > len(delays):
        return State.FAILED, None
    return State.PENDING, now + delays[attempts - 1]


def _send(message):
    with translation.override(settings.LANGUAGE_CODE):
        message.send(fail_silently=False)


def notification_deliver(*, notification_id, now=None, schedule_retry=None):
    """Send one notification's e-mail if it is still waiting. `schedule_retry(when)` is called inside the
    transaction that records a failure, so the retry is queued exactly when the failure is recorded."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",)).select_related("recipient")
            .filter(pk=notification_id).first()
        )
        if notification is None or notification.email_state != State.PENDING:
            return Outcome(notification.email_state if notification else "gone")
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return Outcome(notification.email_state)  # an early duplicate: the scheduled retry will come
        recipient = notification.recipient
        if not recipient.is_active or not recipient.email:
            notification.email_state = State.SKIPPED
            notification.save(update_fields=["email_state"])
            return Outcome(State.SKIPPED)
        notification.email_state = State.SENDING
        notification.attempts += 1
        notification.save(update_fields=["email_state", "attempts"])

    try:
        with translation.override(settings.LANGUAGE_CODE):
            rendered = render_notification(notification)
            body = rendered.body + _footer()
        message = EmailMessage(
            subject=rendered.subject, body=body, to=[recipient.email],
            headers={"Message-ID": _message_id(notification.kind, notification.pk)},
        )
        _send(message)
    except TRANSIENT_ERRORS as error:
        state, retry_at = _after_failure(notification.attempts, now)
        with transaction.atomic():
            Notification.objects.filter(pk=notification.pk).update(
                email_state=state, next_attempt_at=retry_at, last_error=f"{type(error).__name__}: {error}"[:2000]
            )
            if retry_at and schedule_retry:
                schedule_retry(retry_at)
        logger.warning("Notification %s not sent (attempt %s): %s", notification.pk, notification.attempts, error)
        return Outcome(state, retry_at)
    except Exception as error:  # a template or address bug: retrying cannot help, an administrator can
        Notification.objects.filter(pk=notification.pk).update(
            email_state=State.FAILED, next_attempt_at=None, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.exception("Notification %s could not be sent", notification.pk)
        return Outcome(State.FAILED)
    Notification.objects.filter(pk=notification.pk).update(
        email_state=State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return Outcome(State.SENT)


# The daily digest -----------------------------------------------------------------------------


def next_digest_at(now=None):
    """The next digest time (settings.FUNDOPS_DIGEST_HOUR, local time) strictly after `now`."""
    local = timezone.localtime(now or timezone.now())
    day = local.date() if local.hour < settings.FUNDOPS_DIGEST_HOUR else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(settings.FUNDOPS_DIGEST_HOUR)))


def digest_send(*, user_id, now=None, schedule_retry=None):
    """One e-mail listing what waited for a person's digest until now. Idempotent: a second run finds
    nothing waiting and sends nothing."""
    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return Outcome("gone")
    with transaction.atomic():
        waiting = list(
            Notification.objects.select_for_update(of=("self",))
            .filter(recipient=user, email_state=State.DIGEST, created_at__lte=now)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("created_at", "pk")
        )
        if not waiting:
            return Outcome("nothing")
        ids = [n.pk for n in waiting]
        if not user.is_active or not user.email:
            Notification.objects.filter(pk__in=ids).update(email_state=State.SKIPPED)
            return Outcome(State.SKIPPED)
        Notification.objects.filter(pk__in=ids).update(email_state=State.SENDING, attempts=F("attempts") + 1)
    attempts = max(n.attempts for n in waiting) + 1
    try:
        with translation.override(settings.LANGUAGE_CODE):
            items = []
            for notification in waiting:
                notification.recipient = user
                rendered = render_notification(notification)
                items.append({"subject": rendered.subject, "url": absolute_url(notification.url)})
            rendered = split_subject(render_text("notifications/digest.txt", {
                "recipient": user, "items": items, "count": len(items), "site_name": settings.FUNDOPS_SITE_NAME,
                "url": absolute_url(reverse("notifications:inbox")),
            }))
            body = rendered.body + _footer()
        message = EmailMessage(
            subject=rendered.subject, body=body, to=[user.email],
            headers={"Message-ID": _message_id("digest", f"{user.pk}.{ids[0]}")},
        )
        _send(message)
    except TRANSIENT_ERRORS as error:
        state, retry_at = _after_failure(attempts, now)
        state = State.DIGEST if state == State.PENDING else state
        with transaction.atomic():
            Notification.objects.filter(pk__in=ids).update(
                email_state=state, next_attempt_at=retry_at, last_error=f"{type(error).__name__}: {error}"[:2000]
            )
            if retry_at and schedule_retry:
                schedule_retry(retry_at)
        return Outcome(state, retry_at)
    except Exception as error:
        Notification.objects.filter(pk__in=ids).update(
            email_state=State.FAILED, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.exception("Digest for user %s could not be sent", user_id)
        return Outcome(State.FAILED)
    Notification.objects.filter(pk__in=ids).update(
        email_state=State.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return Outcome(State.SENT)
