"""The kinds of notification fundops sends: who gets each, the context keys its caller passes, and
which ones a person cannot turn off. A kind's value is its name and its template's name
(templates/notifications/<kind>.txt)."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fundops import roles

APPLICATION_SUBMITTED = "application_submitted"
INFO_REQUESTED = "info_requested"
APPLICATION_DECIDED = "application_decided"
PAYMENT_SENT = "payment_sent"
REVIEW_ASSIGNED = "review_assigned"
REVIEW_DUE_TOMORROW = "review_due_tomorrow"
REVIEW_OVERDUE = "review_overdue"
REVIEW_REPLACED = "review_replaced"
RAPID_SUBMISSION = "rapid_submission"
INFO_ANSWERED = "info_answered"
READY_FOR_DECISION = "ready_for_decision"
RECUSAL_NEEDS_REPLACEMENT = "recusal_needs_replacement"
DECISION_CLOCK = "decision_clock"
GRANT_AWAITING_SCHEDULE = "grant_awaiting_schedule"
PAYMENT_AWAITING_APPROVAL = "payment_awaiting_approval"
PAYMENT_FAILED = "payment_failed"
REPORT_READY = "report_ready"
# Finance (disbursements/)
PAYOUT_ACCOUNT_CHANGED = "payout_account_changed"
# Grantee reports (grantee_reports/)
REPORT_DUE_SOON = "report_due_soon"
REPORT_DUE_TODAY = "report_due_today"
REPORT_OVERDUE = "report_overdue"
REPORT_SUBMITTED = "report_submitted"
REPORT_CHANGES_REQUESTED = "report_changes_requested"
REPORT_ACCEPTED = "report_accepted"
# Accounts (fundops/registration.py)
ORGANISATION_REGISTERED = "organisation_registered"
ORGANISATION_VERIFIED = "organisation_verified"
ORGANISATION_REJECTED = "organisation_rejected"

# A person must get these whatever their preferences: a decision, a question only they can answer,
# and a payment only they can approve (the four-eyes rule stalls without them).
MANDATORY = frozenset({INFO_REQUESTED, APPLICATION_DECIDED, PAYMENT_AWAITING_APPROVAL})
# A change to where an organisation is paid is the classic fraud: its people hear of every change,
# whatever their preferences, so a change they did not ask for is noticed before money moves.
MANDATORY = MANDATORY | {PAYOUT_ACCOUNT_CHANGED}
# A registrant waits on the outcome of their registration: they always hear it.
MANDATORY = MANDATORY | {ORGANISATION_VERIFIED, ORGANISATION_REJECTED}


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what the preferences page calls it
    roles: tuple  # who can receive it (the preferences page shows a person only theirs)
    context_keys: tuple  # what the caller passes in `context`

    @property
    def mandatory(self):
        return self.name in MANDATORY


_APPLICANT = (roles.APPLICANT,)
_REVIEWER = (roles.REVIEWER,)
_OFFICER = (roles.PROGRAM_OFFICER,)
_FINANCE = (roles.FINANCE_OFFICER,)

REGISTRY = {
    kind.name: kind
    for kind in [
        Kind(APPLICATION_SUBMITTED, _("We received your application"), _APPLICANT, ("application", "fund", "deadline")),
        Kind(INFO_REQUESTED, _("We need more information from you"), _APPLICANT, ("application", "fund", "question")),
        Kind(APPLICATION_DECIDED, _("A decision on your application"), _APPLICANT,
             ("application", "fund", "decision", "amount", "reason", "letter_url")),
        Kind(PAYMENT_SENT, _("Money sent to you"), _APPLICANT, ("application", "fund", "amount", "paid_on")),
        Kind(REVIEW_ASSIGNED, _("An application to review"), _REVIEWER, ("application", "fund", "due")),
        Kind(REVIEW_DUE_TOMORROW, _("A review due tomorrow"), _REVIEWER, ("application", "fund", "due")),
        Kind(REVIEW_OVERDUE, _("A review past its due date"), _REVIEWER, ("application", "fund", "due")),
        Kind(REVIEW_REPLACED, _("You were replaced on a review"), _REVIEWER, ("application", "fund")),
        Kind(RAPID_SUBMISSION, _("A new rapid-response application"), _OFFICER,
             ("application", "fund", "organisation", "deadline")),
        Kind(INFO_ANSWERED, _("An applicant answered your question"), _OFFICER, ("application", "fund")),
        Kind(READY_FOR_DECISION, _("Reviews complete: ready for your decision"), _OFFICER,
             ("application", "fund", "reviews")),
        Kind(RECUSAL_NEEDS_REPLACEMENT, _("A reviewer stepped back and needs replacing"), _OFFICER,
             ("application", "fund", "reviewer")),
        Kind(DECISION_CLOCK, _("A decision deadline is near or has passed"), _OFFICER,
             ("application", "fund", "stage", "deadline")),
        Kind(GRANT_AWAITING_SCHEDULE, _("An approved grant waiting for its payments"), _FINANCE,
             ("application", "fund", "grant", "amount")),
        Kind(PAYMENT_AWAITING_APPROVAL, _("A payment waiting for your approval"), _FINANCE,
             ("grant", "amount", "scheduled_by")),
        Kind(PAYMENT_FAILED, _("A payment failed or came back"), _FINANCE, ("grant", "amount", "state", "note")),
        Kind(REPORT_READY, _("A report you asked for is ready"),
             (roles.DONOR, roles.PROGRAM_OFFICER, roles.FINANCE_OFFICER), ("fund", "report")),
        # Finance (disbursements/)
        Kind(PAYOUT_ACCOUNT_CHANGED, _("Where your organisation is paid was changed"), _APPLICANT,
             ("organisation", "account", "change", "by")),
        # Grantee reports (grantee_reports/)
        Kind(REPORT_DUE_SOON, _("A grantee report due within a week"), _APPLICANT, ("report", "grant", "fund", "due")),
        Kind(REPORT_DUE_TODAY, _("A grantee report due today"), _APPLICANT, ("report", "grant", "fund", "due")),
        Kind(REPORT_OVERDUE, _("A grantee report past its due date"), _APPLICANT,
             ("report", "grant", "fund", "due", "days_late")),
        Kind(REPORT_SUBMITTED, _("A grantee report to review"), _OFFICER,
             ("report", "grant", "fund", "due", "organisation", "resubmitted")),
        Kind(REPORT_CHANGES_REQUESTED, _("Changes asked for on your report"), _APPLICANT,
             ("report", "grant", "fund", "due", "comment")),
        Kind(REPORT_ACCEPTED, _("Your report was accepted"), _APPLICANT, ("report", "grant", "fund", "due")),
        # Accounts (fundops/registration.py)
        Kind(ORGANISATION_REGISTERED, _("A new organisation registered"), _OFFICER, ("organisation", "country", "contact")),
        Kind(ORGANISATION_VERIFIED, _("Your organisation was verified"), _APPLICANT, ("organisation",)),
        Kind(ORGANISATION_REJECTED, _("Your organisation's registration was rejected"), _APPLICANT,
             ("organisation", "reason")),
    ]
}

# Every template also gets these, whatever its kind.
COMMON_CONTEXT_KEYS = ("recipient", "url", "site_name")


def kinds_for(user):
    """The kinds a person can receive, in the registry's order (administrators: all of them)."""
    return [kind for kind in REGISTRY.values() if any(roles.has_role(user, role) for role in kind.roles)]
