"""Drafting an application: its core fields, its answers to the call's own questions, and its documents.
A draft may be saved half-done; completeness is checked on submit (submission.py)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from fundops.audit import TransitionNotAllowed
from fundops.money import MoneyError, minor_units, parse_decimal, quantize
from fundops.questionnaires.forms import answers_form
from fundops.uploads import check_upload, stored_files_removed_on_error

from ..models import SUMMARY_MAX_LENGTH, Application, Attachment, State
from ._common import _locked, _may_draft_for

# The fields an applicant fills in; a draft may leave any of them empty.
DRAFT_FIELDS = [
    "title", "summary", "themes", "countries", "requested_amount", "requested_currency",
    "planned_start", "planned_end",
]
# Problems with an answer are keyed "q-<question key>", the name of its field in the applicant's form.
ANSWER_PREFIX = "q"


def answer_error_key(key):
    return f"{ANSWER_PREFIX}-{key}"


def application_form_for(application):
    """The questionnaire an application answers: once submitted, the version it answered; while a
    draft, the current form of its call (or else of its fund). None when only the core is asked."""
    if application.state != State.DRAFT:
        return application.questionnaire
    if application.call_id and application.call.application_form_id:
        return application.call.application_form
    return application.fund.application_form


def answers_as_data(questionnaire, answers):
    """Stored answers as the form data that would give them (to check them with the same form)."""
    data = MultiValueDict()
    for key, value in (answers or {}).items():
        if isinstance(value, dict):
            continue  # a stored file: given to the form as `initial`
        data.setlist(key, [str(v) for v in value] if isinstance(value, list) else [str(value)])
    return data


def answer_problems(questionnaire, answers, *, complete):
    """{"q-<key>": [messages]} for stored answers, checked by the same form the applicant fills in.
    complete=False (a draft): only answers that cannot be kept; True (submitting): missing ones too."""
    if questionnaire is None:
        return {}
    form = answers_form(
        questionnaire, data=answers_as_data(questionnaire, answers), initial=answers or {}, require=complete
    )
    form.is_valid()
    return {answer_error_key(key): [str(m) for m in messages] for key, messages in form.errors.items()}


def clean_themes(themes, fund):
    """The themes chosen, as the fund names them (matched regardless of case), in the fund's order."""
    offered = fund.theme_choices()
    by_lower = {theme.casefold(): theme for theme in offered}
    chosen = [str(t) for t in themes or []]
    unknown = [t for t in chosen if t.casefold() not in by_lower]
    picked = {by_lower[t.casefold()] for t in chosen if t.casefold() in by_lower}
    return [theme for theme in offered if theme in picked], unknown


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
        cleaned["themes"], unknown_themes = clean_themes(cleaned["themes"], fund)
        if unknown_themes:
            errors["themes"] = _("%(fund)s does not offer these themes: %(themes)s.") % {
                "fund": fund.name, "themes": ", ".join(unknown_themes),
            }
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


def _store_answers(application, answers):
    """Keep the answers to the current form's questions (dropping any other key), refusing only what
    cannot be kept; documents that no answer points to any more are removed."""
    questionnaire = application_form_for(application)
    application.questionnaire = questionnaire
    if questionnaire is None:
        application.answers = {}
    else:
        keys = {q.key for q in questionnaire.questions.all() if q.kind != "heading"}
        answers = {key: value for key, value in (answers or {}).items() if key in keys}
        problems = answer_problems(questionnaire, answers, complete=False)
        if problems:
            raise ValidationError(problems)
        application.answers = answers
    _remove_unused_answer_files(application)


def _remove_unused_answer_files(application):
    used = {v.get("attachment") for v in (application.answers or {}).values() if isinstance(v, dict)}
    for attachment in application.attachments.filter(kind=Attachment.Kind.ANSWER).exclude(pk__in=used):
        _delete_attachment(attachment)


def _delete_attachment(attachment):
    stored, storage = attachment.file.name, attachment.file.storage
    attachment.delete()
    # Delete the file only once the row is surely gone.
    transaction.on_commit(lambda: storage.delete(stored))


# Drafts ------------------------------------------------------------------------------------


@transaction.atomic
def application_create_draft(*, organization, fund, call=None, by, answers=None, **fields):
    if not _may_draft_for(by, organization):
        raise PermissionDenied("You may only apply for your own organisation.")
    if call is not None and call.fund_id != fund.pk:
        raise ValidationError({"call": f"“{call.name}” is not a call of {fund.name}."})
    if not fields.get("requested_currency"):
        fields["requested_currency"] = fund.base_currency
    cleaned = _clean_draft_fields(fields, fund=fund)
    application = Application(organization=organization, fund=fund, call=call, created_by=by, **cleaned)
    _check_dates_storable(application)
    application.questionnaire = application_form_for(application)
    application.full_clean(exclude=["state"])  # the state moves only by transitions
    application.save()
    if answers:
        _store_answers(application, answers)
        application.save(update_fields=["answers", "questionnaire"])
    return application


@transaction.atomic
def application_update_draft(*, application, by, answers=None, **fields):
    """Save whatever the applicant has so far; completeness is checked only on submit.

    `answers` (the answers form's cleaned_answers()) replaces the stored answers when given.
    """
    application = _locked(application)
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only edit your own organisation's applications.")
    if application.state != State.DRAFT:
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: only drafts can be edited."
        )
    errors = {}
    try:
        cleaned = _clean_draft_fields(fields, fund=application.fund)
    except ValidationError as error:
        errors.update(error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages})
        cleaned = {}
    if answers is not None:
        try:
            _store_answers(application, answers)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    for name, value in cleaned.items():
        setattr(application, name, value)
    _check_dates_storable(application)
    application.full_clean(exclude=["state"])  # the state moves only by transitions
    application.save()
    return application


# Documents ---------------------------------------------------------------------------------


def attachment_add(*, application, kind, uploaded_file, by):
    """Store a checked document under a random name; only while the applicant can still edit."""
    return attachments_add(application=application, uploads=[(kind, uploaded_file)], by=by)[0]


def _check_may_add_documents(application, by):
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only add documents to your own organisation's applications.")
    if application.state not in (State.DRAFT, State.INFO_REQUESTED):
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: documents can no longer be added."
        )


def _write(application, checked, by):
    """Write checked files ([(kind, uploaded file, CheckedUpload)]); none are left on disk if any fails."""
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
def attachments_add(*, application, uploads, by):
    """Store several documents ([(kind, uploaded file)]) together, or none of them.

    Every file is checked before any is written, so one refused file leaves nothing on disk; and
    if writing fails part-way, the files already written are deleted (their rows roll back with
    the transaction). Call it last in a transaction: a rollback after it returns cannot reach the disk.
    """
    _check_may_add_documents(application, by)
    checked, errors = [], {}
    for kind, uploaded_file in uploads:
        if kind not in Attachment.Kind.values or kind == Attachment.Kind.ANSWER:
            raise ValidationError({"kind": f"Unknown kind of document: {kind}."})
        try:
            checked.append((kind, uploaded_file, check_upload(uploaded_file)))
        except ValidationError as error:
            errors.setdefault(kind, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return _write(application, checked, by)


@transaction.atomic
def answer_files_add(*, application, files, by):
    """Store the files that answer file questions ({question key: uploaded file}) and put each into
    its answer as {"attachment": id, "name": ...}; a file it replaces is removed. All or none.

    Like attachments_add, call it last in a transaction."""
    application = _locked(application)
    _check_may_add_documents(application, by)
    if application.state != State.DRAFT:
        raise TransitionNotAllowed(_("Answers can only change while the application is a draft."))
    questionnaire = application_form_for(application)
    file_keys = {q.key for q in questionnaire.questions.all() if q.kind == "file"} if questionnaire else set()
    checked, errors = [], {}
    for key, uploaded_file in files.items():
        if key not in file_keys:
            raise ValidationError({answer_error_key(key): _("This form asks no such file.")})
        try:
            checked.append((key, uploaded_file, check_upload(uploaded_file)))
        except ValidationError as error:
            errors.setdefault(answer_error_key(key), []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    answers = dict(application.answers or {})
    for (key, _file, _upload), attachment in zip(
        checked, _write(application, [(Attachment.Kind.ANSWER, f, u) for _k, f, u in checked], by)
    ):
        answers[key] = {"attachment": attachment.pk, "name": attachment.original_name}
    application.answers = answers
    application.questionnaire = questionnaire
    application.save(update_fields=["answers", "questionnaire", "updated_at"])
    _remove_unused_answer_files(application)
    return application


@transaction.atomic
def attachment_remove(*, attachment, by):
    application = attachment.application
    if not _may_draft_for(by, application.organization):
        raise PermissionDenied("You may only remove your own organisation's documents.")
    if application.state != State.DRAFT:
        raise TransitionNotAllowed("Documents can only be removed from a draft.")
    if attachment.kind == Attachment.Kind.ANSWER:
        application = _locked(application)
        application.answers = {
            key: value for key, value in (application.answers or {}).items()
            if not (isinstance(value, dict) and value.get("attachment") == attachment.pk)
        }
        application.save(update_fields=["answers", "updated_at"])
    _delete_attachment(attachment)
