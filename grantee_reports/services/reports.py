"""A grantee report's life: the grantee saves drafts and submits; a program officer accepts it or asks
for changes with a comment. Each step is a transition with its audit row, in one transaction."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from fundops.money import MoneyError, minor_units, parse_decimal, quantize
from fundops.notifications import kinds
from fundops.notifications.recipients import organisation_users, program_officers
from fundops.questionnaires.forms import is_empty, questions_of, shown_keys
from fundops.themes import LEARNING_THEMES
from fundops.uploads import check_upload, stored_files_removed_on_error

from ..models import (
    LEARNING_LANGUAGES, OPEN_STATES, GrantDocument, LearningEntry, LearningEntryTheme, ReportAttachment,
    ReportBudgetLine,
)
from ._common import (
    audit_event, locked_report, notify_each, report_context, report_transition, require, require_grantee,
    require_officer,
)
from .closing import grant_close_if_complete
from .schedules import refresh_hold

NARRATIVE_MAX = 20000
LEARNING_MAX = 5000
COMMENT_MAX = 5000
MAX_BUDGET_LINES = 50
THEME_CODES = {code for code, _label in LEARNING_THEMES}
LANGUAGE_CODES = {code for code, _label in LEARNING_LANGUAGES}


def _grantee_url(report):
    return reverse("grantee_reports:report", args=[report.pk])


def _officer_url(report):
    return reverse("grantee_reports:review", args=[report.pk])


# Drafts ---------------------------------------------------------------------------------


def _clean_budget_lines(lines, currency):
    """[(label, amount)] -> cleaned rows; every problem at once, keyed by row number (1-based)."""
    cleaned, errors = [], []
    for number, (label, amount) in enumerate(lines, start=1):
        label = " ".join(str(label or "").split())
        if not label and amount in (None, ""):
            continue  # a blank row of the form
        problems = []
        if not label:
            problems.append(_("name the budget line"))
        elif len(label) > 200:
            problems.append(_("a budget line's name has 200 characters at most"))
        try:
            value = parse_decimal(amount) if amount not in (None, "") else None
        except MoneyError:
            value, problems = None, problems + [_("“%(amount)s” is not an amount") % {"amount": amount}]
        if value is None and not problems:
            problems.append(_("give the amount spent"))
        elif value is not None and value < 0:
            problems.append(_("an amount spent cannot be negative"))
        elif value is not None and quantize(value, currency) != value:
            problems.append(_("%(currency)s amounts have at most %(places)s decimal places") % {
                "currency": currency, "places": minor_units(currency)})
        if problems:
            errors.append(_("Budget line %(number)s: %(problems)s.") % {"number": number, "problems": "; ".join(problems)})
        else:
            cleaned.append((label, value))
    if len(cleaned) > MAX_BUDGET_LINES:
        errors.append(_("A report has %(max)s budget lines at most.") % {"max": MAX_BUDGET_LINES})
    return cleaned, errors


def _clean_learning(learning, *, at_risk):
    text = (learning.get("text") or "").strip()
    errors = []
    if len(text) > LEARNING_MAX:
        errors.append(_("“What we learned” has %(length)s characters; it may have %(max)s at most.") % {
            "length": len(text), "max": LEARNING_MAX})
    themes = [theme for theme in (learning.get("themes") or []) if theme]
    unknown = [theme for theme in themes if theme not in THEME_CODES]
    if unknown:
        errors.append(_("Unknown learning theme: %(themes)s.") % {"themes": ", ".join(unknown)})
    language = learning.get("language") or "en"
    if language not in LANGUAGE_CODES:
        errors.append(_("Choose the language it is written in."))
    return {
        "text": text, "themes": sorted(set(themes) & THEME_CODES), "language": language,
        "consent_publish": bool(learning.get("consent_publish")),
        # Asked only of at-risk organisations; for the others the region is shown with their name anyway.
        "consent_region": bool(learning.get("consent_region")) and at_risk,
    }, errors


def _store_learning(report, learning):
    if not learning["text"]:
        LearningEntry.objects.filter(report=report).delete()
        return
    entry, _created = LearningEntry.objects.update_or_create(report=report, defaults={
        name: learning[name] for name in ("text", "language", "consent_publish", "consent_region")
    })
    entry.themes.exclude(theme__in=learning["themes"]).delete()
    have = set(entry.themes.values_list("theme", flat=True))
    LearningEntryTheme.objects.bulk_create(
        LearningEntryTheme(entry=entry, theme=theme) for theme in learning["themes"] if theme not in have
    )


def _store_file(model, *, by, uploaded_file, stored, **owner):
    checked = check_upload(uploaded_file)
    row = model(original_name=checked.original_name, content_type=checked.content_type, size=checked.size,
                uploaded_by=by, **owner)
    row.file.save(uploaded_file.name, uploaded_file, save=False)
    stored.append(row.file)
    row.save()
    return row


@transaction.atomic
def report_draft_save(*, report, by, narrative=None, answers=None, new_files=None, budget_lines=None,
                      learning=None, uploads=()):
    """Save what the grantee typed so far. A draft may be incomplete; only what cannot be stored at
    all is refused, every problem at once, and then nothing is saved. Arguments left None are kept.

    answers: the questionnaire's cleaned answers (fundops.questionnaires.forms.AnswersForm.cleaned_answers);
    new_files: {question key: uploaded file} for file questions; budget_lines: [(label, amount)] spent
    to date (replaces the lines saved before); learning: {text, themes, language, consent_publish,
    consent_region}; uploads: more documents to attach.
    """
    report = locked_report(report)
    grant = report.grant
    require_grantee(by, grant)
    if report.state not in OPEN_STATES:
        from fundops.audit import TransitionNotAllowed

        raise TransitionNotAllowed(
            _("This report is “%(state)s”: it can no longer be changed.") % {"state": report.get_state_display()}
        )
    errors = {}
    if narrative is not None:
        narrative = narrative.strip()
        if len(narrative) > NARRATIVE_MAX:
            errors["narrative"] = [_("The report has %(length)s characters; it may have %(max)s at most.") % {
                "length": len(narrative), "max": NARRATIVE_MAX}]
    lines = None
    if budget_lines is not None:
        if not report.has_spending:
            errors["budget_lines"] = [_("Only financial and final reports account for money spent.")]
        else:
            lines, problems = _clean_budget_lines(budget_lines, grant.currency)
            if problems:
                errors["budget_lines"] = problems
    cleaned_learning = None
    if learning is not None:
        cleaned_learning, problems = _clean_learning(learning, at_risk=grant.organization.at_risk)
        if problems:
            errors["learning"] = problems
    files = list(uploads or ())
    for upload in list(files) + list((new_files or {}).values()):
        try:
            check_upload(upload)
        except ValidationError as error:
            errors.setdefault("attachments", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)

    changed = []
    if narrative is not None:
        report.narrative = narrative
        changed.append("narrative")
    with stored_files_removed_on_error() as stored:
        if answers is not None:
            stored_answers = dict(answers)
            for key, upload in (new_files or {}).items():
                attachment = _store_file(ReportAttachment, by=by, uploaded_file=upload, stored=stored, report=report)
                stored_answers[key] = {"attachment": attachment.pk, "name": attachment.original_name}
            report.answers = stored_answers
            changed.append("answers")
        for upload in files:
            _store_file(ReportAttachment, by=by, uploaded_file=upload, stored=stored, report=report)
        if changed:
            report.save(update_fields=changed + ["updated_at"])
        if lines is not None:
            report.budget_lines.all().delete()
            ReportBudgetLine.objects.bulk_create(
                ReportBudgetLine(report=report, label=label, amount=amount, order=order)
                for order, (label, amount) in enumerate(lines, start=1)
            )
        if cleaned_learning is not None:
            _store_learning(report, cleaned_learning)
    return report


@transaction.atomic
def report_attachment_remove(*, attachment, by):
    report = locked_report(attachment.report)
    require_grantee(by, report.grant)
    require(report.state in OPEN_STATES, _("This report can no longer be changed."))
    name = attachment.file.name
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# Transitions ----------------------------------------------------------------------------


def _missing_answers(report):
    """Labels of the fund's required questions left unanswered (conditional ones only when shown)."""
    if report.questionnaire_id is None:
        return []
    questions = questions_of(report.questionnaire)
    answers = report.answers or {}
    shown = shown_keys(questions, answers.get)
    return [
        q.label for q in questions
        if q.required and q.kind != "heading" and q.key in shown and is_empty(answers.get(q.key))
    ]


def report_problems(report):
    """Everything that stops a report being submitted, by field: all of it at once."""
    errors = {}
    if not report.narrative.strip():
        errors["narrative"] = [_("Tell us what happened: the report's narrative is empty.")]
    missing = _missing_answers(report)
    if missing:
        errors["answers"] = [_("Please answer: %(question)s") % {"question": label} for label in missing]
    if report.has_spending and not report.budget_lines.exists():
        errors["budget_lines"] = [_("Give the amount spent to date on at least one budget line.")]
    learning = LearningEntry.objects.filter(report=report).first()
    if learning is not None and learning.consent_publish and not learning.themes.exists():
        errors["learning"] = [_("Choose at least one learning theme, so readers of the library can find it.")]
    return errors


@transaction.atomic
def report_submit(*, report, by):
    """The grantee sends the report to the fund; every missing piece is listed at once."""
    report = locked_report(report)
    require_grantee(by, report.grant)
    if report.state in OPEN_STATES:
        problems = report_problems(report)
        if problems:
            raise ValidationError(problems)
    resubmitted = bool(report.first_submitted_at)
    report_transition(report, "submit", by=by, note=_("Resubmitted after changes") if resubmitted else "")
    if report.questionnaire_id:
        from fundops.questionnaires.services import questionnaire_freeze

        questionnaire_freeze(questionnaire=report.questionnaire, by=by)
    grant = report.grant
    notify_each(
        program_officers(), kind=kinds.REPORT_SUBMITTED,
        event_key=f"grant-report:{report.pk}:submitted:{report.submitted_at.isoformat()}", obj=report,
        url=_officer_url(report), context=report_context(report, organisation=grant.organization.name,
                                                         resubmitted=resubmitted),
    )
    return report


@transaction.atomic
def report_request_changes(*, report, by, comment):
    """A program officer sends the report back with what to change (the comment is required)."""
    require_officer(by, _("Only program officers review grantee reports."))
    comment = (comment or "").strip()
    require(comment, _("Say what should change: the grantee reads this comment."), "comment")
    require(len(comment) <= COMMENT_MAX, _("A comment has %(max)s characters at most.") % {"max": COMMENT_MAX}, "comment")
    report = locked_report(report)
    report_transition(report, "request_changes", by=by, note=comment, comment=comment)
    grant = report.grant
    notify_each(
        organisation_users(grant.organization), kind=kinds.REPORT_CHANGES_REQUESTED,
        event_key=f"grant-report:{report.pk}:changes:{report.submitted_at.isoformat()}", obj=report,
        url=_grantee_url(report), context=report_context(report, comment=comment),
    )
    return report


@transaction.atomic
def report_accept(*, report, by, note=""):
    """A program officer accepts the report: a tranche it held is released, and a final report may
    close the grant (grant_close_if_complete)."""
    require_officer(by, _("Only program officers review grantee reports."))
    report = locked_report(report)
    report_transition(report, "accept", by=by, note=(note or "").strip())
    if report.gated_tranche_id:
        refresh_hold(report.gated_tranche, by=by)
    grant = report.grant
    notify_each(
        organisation_users(grant.organization), kind=kinds.REPORT_ACCEPTED,
        event_key=f"grant-report:{report.pk}:accepted", obj=report, url=_grantee_url(report),
        context=report_context(report),
    )
    grant_close_if_complete(grant=grant, by=by)
    return report


# The grant's own documents ----------------------------------------------------------------


@transaction.atomic
def signed_letter_upload(*, grant, by, uploaded_file):
    """The grantee sends back the award letter, signed. A newer copy replaces none: all are kept."""
    require_grantee(by, grant)
    with stored_files_removed_on_error() as stored:
        document = _store_file(GrantDocument, by=by, uploaded_file=uploaded_file, stored=stored, grant=grant,
                               kind=GrantDocument.Kind.SIGNED_AWARD_LETTER)
    audit_event(grant, "signed_letter", by=by, note=document.original_name)
    return document

