"""Screening and the steps after it: screening in, asking for and answering information, declining,
withdrawing."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from fundops.notifications import kinds
from fundops.notifications.recipients import organisation_users, program_officers

from ..models import InfoRequest
from ._common import _check_transition, _locked, _transition, application_notice_context, notify_each, staff_application_url


@transaction.atomic
def application_screen_in(*, application, by, imported=False, at=None, note=""):
    application = _locked(application)
    _transition(application, "screen_in", by=by, note=note, imported=imported, at=at)
    return application


@transaction.atomic
def application_request_info(*, application, by, question):
    application = _locked(application)
    question = (question or "").strip()
    _check_transition(application, "request_info", by)
    if not question:
        raise ValidationError({"question": "Write the question the applicant should answer."})
    entry = _transition(application, "request_info", by=by, note=question)
    info_request = InfoRequest.objects.create(application=application, question=question, asked_by=by, asked_at=entry.at)
    notify_each(
        organisation_users(application.organization), kind=kinds.INFO_REQUESTED,
        event_key=f"application:{application.pk}:info-requested:{info_request.pk}", obj=application,
        url=reverse("applications:answer", args=[application.pk]),
        context=application_notice_context(application, question=question),
    )
    return application


@transaction.atomic
def application_answer_info(*, application, by, answer):
    application = _locked(application)
    answer = (answer or "").strip()
    _check_transition(application, "answer_info", by)
    if not answer:
        raise ValidationError({"answer": "Write your answer before sending it."})
    request = application.info_requests.filter(answered_at__isnull=True).order_by("-asked_at").first()
    entry = _transition(application, "answer_info", by=by, note=answer)
    if request is not None:
        request.answer, request.answered_by, request.answered_at = answer, by, entry.at
        request.save(update_fields=["answer", "answered_by", "answered_at"])
    notify_each(
        program_officers(), kind=kinds.INFO_ANSWERED,
        event_key=f"application:{application.pk}:info-answered:{request.pk if request else entry.pk}",
        obj=application, url=staff_application_url(application), context=application_notice_context(application),
    )
    return application


@transaction.atomic
def application_decline(*, application, by, reason, imported=False, at=None):
    application = _locked(application)
    reason = (reason or "").strip()
    _check_transition(application, "decline", by, imported=imported)
    if not reason:
        raise ValidationError({"reason": "Give the reason for declining: the applicant will read it."})
    _transition(application, "decline", by=by, note=reason, imported=imported, at=at, reason=reason)
    if not imported:
        notify_each(
            organisation_users(application.organization), kind=kinds.APPLICATION_DECIDED,
            event_key=f"application:{application.pk}:decided", obj=application, url=application.get_absolute_url(),
            context=application_notice_context(application, decision="declined", amount="", reason=reason, letter_url=""),
        )
    return application


@transaction.atomic
def application_withdraw(*, application, by, note="", imported=False, at=None):
    application = _locked(application)
    _transition(application, "withdraw", by=by, note=(note or "").strip(), imported=imported, at=at)
    return application
