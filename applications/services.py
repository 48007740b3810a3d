"""Every write on an application: drafting, attachments, and each step of the intake lifecycle.

Views, admin actions, the demo and the historical-grant import all call these functions.
Each state change runs through fundops.audit.transition_with_audit inside one transaction,
so the new state and its audit row are saved together or not at all.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from fundops import roles
from fundops.audit import TransitionNotAllowed, transition_with_audit
from fundops.money import MoneyError, format_money, minor_units, parse_decimal, quantize
from fundops.notifications import kinds, notify
from fundops.notifications.recipients import organisation_users, program_officers
from fundops.uploads import check_upload, stored_files_removed_on_error

from .models import SUMMARY_MAX_LENGTH, THEMES, UNDECIDED_STATES, Application, Attachment, InfoRequest, State
from .tasks import CLOCK_STAGES, schedule_decision_clock

# The fields an applicant fills in; a draft may leave any of them empty.
DRAFT_FIELDS = [
    "title", "summary", "themes", "countries", "requested_amount", "requested_currency",
    "planned_start", "planned_end",
]
IMPORTED_NOTE = "imported"


# Helpers ------------------------------------------------------------------------------


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


def _clean_draft_fields(fields, *, fund):
    """Normalise what an applicant typed; refuse only what cannot be stored at all."""
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError(f"These are not application fields: {', '.join(sorted(unknown))}.")
    errors = {}
    cleaned = dict(fields)
    for name in ("title", "summary"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
    if len(cleaned.get("summary") or "") > SUMMARY_MAX_LENGTH:
        errors["summary"] = _("The summary has %(length)s characters; it may have %(max)s at most.") % {
            "length": f"{len(cleaned['summary']):,}", "max": f"{SUMMARY_MAX_LENGTH:,}",
        }
    if "themes" in cleaned:
        themes = list(cleaned["themes"] or [])
        unknown_themes = [t for t in themes if t not in THEMES]
        if unknown_themes:
            errors["themes"] = f"Unknown theme: {', '.join(unknown_themes)}."
        cleaned["themes"] = [t for t in THEMES if t in themes]
    if "countries" in cleaned:
        cleaned["countries"] = sorted({str(c) for c in cleaned["countries"] or []})
    if "requested_currency" in cleaned:
        cleaned["requested_currency"] = cleaned["requested_currency"] or ""
    if cleaned.get("requested_amount") not in (None, ""):
        currency = cleaned.get("requested_currency") or fund.base_currency
        try:
            amount = parse_decimal(cleaned["requested_amount"])
            if amount <= 0:
                errors["requested_amount"] = "The amount must be more than zero."
            elif quantize(amount, currency) != amount:
                errors["requested_amount"] = (
                    f"{currency} amounts have at most {minor_units(currency)} decimal places."
                )
            else:
                cleaned["requested_amount"] = quantize(amount, currency)
        except MoneyError as error:
            errors["requested_amount"] = str(error)
    elif "requested_amount" in cleaned:
        cleaned["requested_amount"] = None
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_dates_storable(application):
    if (
        application.planned_start
        and application.planned_end
        and application.planned_end < application.planned_start
    ):
        raise ValidationError({"planned_end": "The planned end must be after the planned start."})


# Drafts and attachments ------------------------------------------------------------------


@transaction.atomic
def application_create_draft(*, organization, fund, call=None, by, **fields):
    if not _may_draft_for(by, organization):
        raise PermissionDenied("You may only apply for your own organisation.")
    if call is not None and call.fund_id != fund.pk:
        raise ValidationError({"call": f"“{call.name}” is not a call of {fund.name}."})
    if not fields.get("requested_currency"):
        fields["requested_currency"] = fund.base_currency
    cleaned = _clean_draft_fields(fields, fund=fund)
    application = Application(organization=organization, fund=fund, call=call, created_by=by, **cleaned)
    _check_dates_storable(application)
    application.full_clean(exclude=["state"])  # the state moves only by transitions
    application.save()
    return application


@transaction.atomic
def application_update_draft(*, application, by, **fields):
    """Save whatever the applicant has so far; completeness is checked only on submit."""
    application = _locked(application)
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only edit your own organisation's applications.")
    if application.state != State.DRAFT:
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: only drafts can be edited."
        )
    cleaned = _clean_draft_fields(fields, fund=application.fund)
    for name, value in cleaned.items():
        setattr(application, name, value)
    _check_dates_storable(application)
    application.full_clean(exclude=["state"])  # the state moves only by transitions
    application.save()
    return application


def attachment_add(*, application, kind, uploaded_file, by):
    """Store a checked document under a random name; only while the applicant can still edit."""
    return attachments_add(application=application, uploads=[(kind, uploaded_file)], by=by)[0]


@transaction.atomic
def attachments_add(*, application, uploads, by):
    """Store several documents ([(kind, uploaded file)]) together, or none of them.

    Every file is checked before any is written, so one refused file leaves nothing on disk; and
    if writing fails part-way, the files already written are deleted (their rows roll back with
    the transaction). Call it last in a transaction: a rollback after it returns cannot reach the disk.
    """
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only add documents to your own organisation's applications.")
    if application.state not in (State.DRAFT, State.INFO_REQUESTED):
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: documents can no longer be added."
        )
    checked, errors = [], {}
    for kind, uploaded_file in uploads:
        if kind not in Attachment.Kind.values:
            raise ValidationError({"kind": f"Unknown kind of document: {kind}."})
        try:
            checked.append((kind, uploaded_file, check_upload(uploaded_file)))
        except ValidationError as error:
            errors.setdefault(kind, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    attachments = []
    with stored_files_removed_on_error() as stored:
        for kind, uploaded_file, upload in checked:
            attachment = Attachment(
                application=application,
                kind=kind,
                original_name=upload.original_name,
                content_type=upload.content_type,
                size=upload.size,
                uploaded_by=by,
            )
            attachment.file.save(upload.original_name, uploaded_file, save=False)
            stored.append(attachment.file)
            attachment.save()
            attachments.append(attachment)
    return attachments


@transaction.atomic
def attachment_remove(*, attachment, by):
    application = attachment.application
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only remove your own organisation's documents.")
    if application.state != State.DRAFT:
        raise TransitionNotAllowed("Documents can only be removed from a draft.")
    stored = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    # Delete the file only once the row is surely gone.
    transaction.on_commit(lambda: storage.delete(stored))


# Submitting ------------------------------------------------------------------------------


def submission_problems(application, *, imported=False):
    """Every reason this application cannot be submitted, keyed by the field to blame."""
    problems = {}

    def add(field, message):
        problems.setdefault(field, []).append(message)

    fund, call, organization = application.fund, application.call, application.organization
    if not application.title:
        add("title", "Give the application a title.")
    # Imported history keeps only what old spreadsheets recorded (docs/data-formats.md): no
    # summary or planned dates there, so those two are required of live applications only.
    if not application.summary and not imported:
        add("summary", "Write a short summary of the work.")
    if not application.themes:
        add("themes", "Choose at least one theme.")
    if not application.countries:
        add("countries", "Choose the countries where the work happens.")
    if application.requested_amount is None:
        add("requested_amount", "Say how much you are requesting.")
    if not application.requested_currency:
        add("requested_currency", "Choose the currency of your request.")
    elif application.requested_currency != fund.base_currency:
        add(
            "requested_currency",
            f"Requests to {fund.name} must be in its base currency, {fund.base_currency}.",
        )
    if not application.planned_start and not imported:
        add("planned_start", "Give the date the work will start.")
    if not application.planned_end and not imported:
        add("planned_end", "Give the date the work will end.")
    elif application.planned_start and application.planned_end <= application.planned_start:
        add("planned_end", "The planned end must be after the planned start.")

    amount = application.requested_amount
    if amount is not None and application.requested_currency == fund.base_currency:
        if amount < fund.min_grant or amount > fund.max_grant:
            add(
                "requested_amount",
                f"{fund.name} makes grants from {format_money(fund.min_grant, fund.base_currency)} "
                f"to {format_money(fund.max_grant, fund.base_currency)}; you asked for "
                f"{format_money(amount, fund.base_currency)}.",
            )

    if not fund.is_country_eligible(organization.country.code):
        add("organization", f"Organisations based in {organization.country.name} are not eligible for {fund.name}.")
    ineligible = [c.name for c in application.countries if not fund.is_country_eligible(c.code)]
    if ineligible:
        add("countries", f"{fund.name} does not fund work in: {', '.join(ineligible)}.")

    if not imported:
        # Live-only rules: imported history was submitted when the fund was open, on paper.
        if not fund.is_open():
            add("fund", f"{fund.name} is not accepting applications now.")
        if call is not None and not call.is_open():
            add("call", f"The call “{call.name}” is not open now.")
        kinds = set(application.attachments.values_list("kind", flat=True))
        if Attachment.Kind.BUDGET not in kinds:
            add("budget", "Attach your budget.")
        if (
            organization.registration_status == organization.RegistrationStatus.REGISTERED
            and Attachment.Kind.REGISTRATION not in kinds
        ):
            add("registration", "Attach your organisation's registration document (your profile says it is registered).")
    return problems


@transaction.atomic
def application_submit(*, application, by, imported=False, at=None):
    application = _locked(application)
    _check_transition(application, "submit", by, imported=imported)
    problems = submission_problems(application, imported=imported)
    if problems:
        raise ValidationError(problems)
    _transition(application, "submit", by=by, imported=imported, at=at)
    if not imported:
        deadline = _iso(application.decision_deadline)
        notify_each(
            organisation_users(application.organization), kind=kinds.APPLICATION_SUBMITTED,
            event_key=f"application:{application.pk}:submitted", obj=application, url=application.get_absolute_url(),
            context=application_notice_context(application, deadline=deadline),
        )
        if application.fund.is_rapid_response:
            notify_each(
                program_officers(), kind=kinds.RAPID_SUBMISSION,
                event_key=f"application:{application.pk}:rapid-submission", obj=application,
                url=staff_application_url(application),
                context=application_notice_context(
                    application, organisation=application.organization.name, deadline=deadline
                ),
            )
        schedule_decision_clock(application)
    return application


@transaction.atomic
def application_clock_alert(*, application_id, stage, now=None):
    """The decision clock's alert at `stage` ("half", "ninety", "passed" of the fund's target):
    program officers are told while the application still waits for a decision.

    Runs from the task scheduled at submission; does nothing when the application has been
    decided (or withdrawn) meanwhile, or when run before its moment. Each alert is sent once.
    Returns the notifications written.
    """
    application = Application.objects.select_related("fund").filter(pk=application_id).first()
    if application is None or application.state not in UNDECIDED_STATES or application.decision_deadline is None:
        return []
    deadline, submitted_at = application.decision_deadline, application.submitted_at
    if (now or timezone.now()) < submitted_at + (deadline - submitted_at) * CLOCK_STAGES[stage]:
        return []
    sent = [
        notify(
            recipient=officer, kind=kinds.DECISION_CLOCK, event_key=f"application:{application.pk}:clock:{stage}",
            obj=application, url=staff_application_url(application),
            context=application_notice_context(application, stage=stage, deadline=_iso(deadline)),
        )
        for officer in program_officers()
    ]
    return [notification for notification in sent if notification is not None]


# Screening -------------------------------------------------------------------------------


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

