"""Submitting an application: every reason it cannot go yet (completeness, the call's own questions,
eligibility, documents), the submission itself, and the decision clock's alerts after it."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.money import format_money
from fundops.notifications import kinds, notify
from fundops.notifications.recipients import organisation_users, program_officers
from fundops.organization_documents import kinds_on_file
from fundops.questionnaires.forms import shown_keys
from fundops.questionnaires.services import questionnaire_freeze

from ..models import UNDECIDED_STATES, Application, Attachment
from ..tasks import CLOCK_STAGES, schedule_decision_clock
from ._common import (
    _check_transition, _iso, _locked, _transition, application_notice_context, notify_each, staff_application_url,
)
from .drafts import answer_problems, application_form_for

_DOCUMENT_PROBLEMS = {
    Attachment.Kind.BUDGET: "Attach your budget.",
    Attachment.Kind.REGISTRATION: "Attach your organisation's registration document (your profile says it is registered).",
    Attachment.Kind.OTHER: "Attach the other document this fund asks for.",
}


def eligibility_problems(fund, organization):
    """Why this organisation may not apply to this fund ([] when it may): country, registration, age, budget."""
    problems = []
    if not fund.is_country_eligible(organization.country.code):
        problems.append(f"Organisations based in {organization.country.name} are not eligible for {fund.name}.")
    if (
        fund.registration_required
        and organization.registration_status != organization.RegistrationStatus.REGISTERED
    ):
        problems.append(_(
            "%(fund)s funds only organisations registered in their country; your profile says “%(status)s”."
        ) % {"fund": fund.name, "status": organization.get_registration_status_display()})
    if fund.min_organisation_age_years:
        years = fund.min_organisation_age_years
        if organization.founded_year is None:
            problems.append(_(
                "%(fund)s funds organisations at least %(years)s years old: add the year your organisation "
                "was founded to its profile."
            ) % {"fund": fund.name, "years": years})
        elif timezone.localdate().year - organization.founded_year < years:
            problems.append(_(
                "%(fund)s funds organisations at least %(years)s years old; yours was founded in %(founded)s."
            ) % {"fund": fund.name, "years": years, "founded": organization.founded_year})
    if fund.max_annual_budget is not None:
        limit = format_money(fund.max_annual_budget, fund.base_currency)
        if organization.annual_budget is None:
            problems.append(_(
                "%(fund)s funds organisations spending at most %(limit)s a year: add your annual budget to "
                "your organisation's profile."
            ) % {"fund": fund.name, "limit": limit})
        elif (organization.annual_budget_currency or fund.base_currency) != fund.base_currency:
            problems.append(_(
                "%(fund)s compares annual budgets in %(currency)s: give your annual budget in %(currency)s in "
                "your organisation's profile."
            ) % {"fund": fund.name, "currency": fund.base_currency})
        elif organization.annual_budget > fund.max_annual_budget:
            problems.append(_(
                "%(fund)s funds organisations spending at most %(limit)s a year; your profile says %(budget)s."
            ) % {"fund": fund.name, "limit": limit,
                 "budget": format_money(organization.annual_budget, fund.base_currency)})
    return problems


def submission_problems(application, *, imported=False):
    """Every reason this application cannot be submitted, keyed by the field to blame
    (answers to the call's own questions as "q-<question key>")."""
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

    if imported:
        if not fund.is_country_eligible(organization.country.code):
            add("organization", f"Organisations based in {organization.country.name} are not eligible for {fund.name}.")
    else:
        # Registration, age and budget are checked against today's profile: history was eligible on paper.
        for message in eligibility_problems(fund, organization):
            add("organization", message)
    ineligible = [c.name for c in application.countries if not fund.is_country_eligible(c.code)]
    if ineligible:
        add("countries", f"{fund.name} does not fund work in: {', '.join(ineligible)}.")

    if not imported:
        # Live-only rules: imported history was submitted when the fund was open, on paper.
        # A self-registered organisation drafts freely but submits only once staff verified it.
        if organization.verification_status == organization.VerificationStatus.PENDING:
            add("organization", _("Your organisation is waiting for the fund's staff to verify it. You can keep "
                                  "working on this draft and submit it once your organisation is verified; "
                                  "you will get an e-mail."))
        elif organization.verification_status == organization.VerificationStatus.REJECTED:
            add("organization", _("The fund's staff did not accept your organisation's registration, so it cannot "
                                  "submit applications. Write to them if you think this is a mistake."))
        if not fund.is_open():
            add("fund", f"{fund.name} is not accepting applications now.")
        if call is not None and not call.is_open():
            add("call", f"The call “{call.name}” is not open now.")
        kinds_attached = set(application.attachments.values_list("kind", flat=True))
        # A document the organisation keeps on file (its profile) counts as attached: sent once, reused.
        kinds_attached |= kinds_on_file(organization)
        for kind in fund.required_documents or []:
            if kind == Attachment.Kind.REGISTRATION and (
                organization.registration_status != organization.RegistrationStatus.REGISTERED
            ):
                continue  # asked only of registered organisations
            if kind in _DOCUMENT_PROBLEMS and kind not in kinds_attached:
                add(kind, _DOCUMENT_PROBLEMS[kind])
        for field, messages in answer_problems(
            application_form_for(application), application.answers, complete=True
        ).items():
            for message in messages:
                add(field, message)
    return problems


@transaction.atomic
def application_submit(*, application, by, imported=False, at=None):
    application = _locked(application)
    _check_transition(application, "submit", by, imported=imported)
    problems = submission_problems(application, imported=imported)
    if problems:
        raise ValidationError(problems)
    # The answers stay tied to the version of the form they answer: it is frozen from now on, and a
    # later change to the call's form makes a new version instead of rewriting this one.
    questionnaire = application_form_for(application)
    if imported and not application.answers:
        questionnaire = None  # history answered no form of ours: it must not freeze the current one
    if questionnaire is not None:
        questionnaire_freeze(questionnaire=questionnaire, by=by)
        # Only answers to questions this version asks, and shown for these answers, are kept.
        questions = list(questionnaire.questions.all())
        shown = shown_keys(questions, (application.answers or {}).get)
        application.answers = {
            key: value for key, value in (application.answers or {}).items()
            if key in shown and any(q.key == key and q.kind != "heading" for q in questions)
        }
    application.questionnaire = questionnaire
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


