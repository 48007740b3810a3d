"""The application and its state machine (DESIGN.md, "The lifecycle")."""
import secrets
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fundops import roles
from fundops.models import MONEY, Call, Fund, Organization, StoredFile
from fundops.money import CURRENCY_CHOICES
from fundops.themes import DEFAULT_THEMES


# Themes an application can name: the default list; a fund with its own themes (Fund.themes) offers those instead.
THEMES = DEFAULT_THEMES
# A summary is "a few paragraphs": the form and the draft service both refuse more than this.
SUMMARY_MAX_LENGTH = 5000

# States in which a decision is still owed: the decision clock runs only while in one of them.
UNDECIDED_STATES = ["submitted", "in_review", "info_requested"]

INTAKE_STATES = ["draft", "submitted", "in_review", "info_requested", "declined", "withdrawn"]


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    INFO_REQUESTED = "info_requested", "Information requested"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    APPROVED = "approved", "Approved"
    DISBURSING = "disbursing", "Disbursing"
    DISBURSED = "disbursed", "Disbursed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


def decision_deadline_for(fund, submitted_at):
    """When a decision is due: only funds with a decision target (rapid-response) promise one."""
    if not (fund.is_rapid_response and fund.decision_target_hours and submitted_at):
        return None
    return submitted_at + timezone.timedelta(hours=fund.decision_target_hours)


def _is_own_applicant(application, user):
    return roles.is_applicant(user) and user.organization_id == application.organization_id


def _is_own_applicant_or_admin(application, user):
    # Administrators may withdraw on an organisation's behalf (e.g. asked to by email).
    return user.is_superuser or _is_own_applicant(application, user)


def _is_program_officer(application, user):
    return roles.is_program_officer(user)


def _is_finance_officer(application, user):
    return roles.is_finance_officer(user) or roles.is_program_officer(user)


class Application(ConcurrentTransitionMixin, models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="applications")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="applications")
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.PROTECT, related_name="applications")
    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    themes = models.JSONField(default=list, blank=True)
    countries = CountryField(multiple=True, blank=True, help_text="Where the work happens.")
    requested_amount = models.DecimalField(**MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    requested_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)

    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The decision clock of a rapid-response fund: submission + the fund's target, fixed at
    # submission so a later change of the target does not move promises already made.
    decision_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    decline_reason = models.TextField(blank=True)
    # The call's own questions: which version of its form was answered, and the answers keyed by
    # question key (read them through fundops.questionnaires.answers, never directly).
    questionnaire = models.ForeignKey(
        "fundops.Questionnaire", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["fund", "state", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True) | Q(planned_start__isnull=True) | Q(planned_end__gte=models.F("planned_start")),
                name="application_end_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(state="declined") | ~Q(decline_reason=""),
                name="application_declined_has_reason",
            ),
        ]

    def __str__(self):
        return self.title or f"Untitled application #{self.pk}"

    def get_absolute_url(self):
        return reverse("applications:detail", args=[self.pk])

    @property
    def country_codes(self):
        """Countries of work, falling back to the organisation's own (DESIGN.md, attribution)."""
        codes = sorted(c.code for c in self.countries)
        return codes or [self.organization.country.code]

    @property
    def decision_due_at(self):
        return self.decision_deadline

    @property
    def is_undecided(self):
        return self.state in UNDECIDED_STATES

    # Transitions: guards and state only. Rules and side effects live in applications/services.py.

    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED, permission=_is_own_applicant)
    def submit(self, *, by=None, at=None):
        self.submitted_at = at or timezone.now()
        self.decision_deadline = decision_deadline_for(self.fund, self.submitted_at)

    @transition(field=state, source=State.SUBMITTED, target=State.IN_REVIEW, permission=_is_program_officer)
    def screen_in(self, *, by=None):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.INFO_REQUESTED, permission=_is_program_officer)
    def request_info(self, *, by=None):
        pass

    @transition(field=state, source=State.INFO_REQUESTED, target=State.IN_REVIEW, permission=_is_own_applicant)
    def answer_info(self, *, by=None):
        pass

    @transition(
        field=state, source=[State.SUBMITTED, State.IN_REVIEW], target=State.DECLINED, permission=_is_program_officer
    )
    def decline(self, *, by=None, reason="", at=None):
        self.decline_reason = reason
        self.decided_at = at or timezone.now()

    @transition(
        field=state,
        source=[State.DRAFT, State.SUBMITTED, State.INFO_REQUESTED],
        target=State.WITHDRAWN,
        permission=_is_own_applicant_or_admin,
    )
    def withdraw(self, *, by=None):
        pass

    @transition(field=state, source=State.IN_REVIEW, target=State.APPROVED, permission=_is_program_officer)
    def approve(self, *, by=None):
        self.decided_at = timezone.now()

    @transition(field=state, source=State.APPROVED, target=State.DISBURSING, permission=_is_finance_officer)
    def start_disbursing(self, *, by=None):
        pass

    @transition(field=state, source=State.DISBURSING, target=State.DISBURSED, permission=_is_finance_officer)
    def complete_disbursement(self, *, by=None):
        pass

    @transition(field=state, source=State.DISBURSED, target=State.DISBURSING, permission=_is_finance_officer)
    def reopen_disbursement(self, *, by=None):
        # A payment came back (returned): the award is no longer paid in full.
        pass

    # From disbursing too: a grant may end with less paid than awarded when the grantee spent less
    # and the unspent balance came back (grantee_reports.services.closing decides; the rest is released).
    @transition(field=state, source=[State.DISBURSED, State.DISBURSING], target=State.CLOSED, permission=_is_program_officer)
    def close(self, *, by=None):
        pass

    @transition(
        field=state, source=[State.APPROVED, State.DISBURSING], target=State.CANCELLED, permission=_is_program_officer
    )
    def cancel(self, *, by=None):
        pass


class InfoRequest(models.Model):
    """A program officer's question and the applicant's answer, kept for the timeline."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="info_requests")
    question = models.TextField()
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at"]


def _attachment_path(instance, filename):
    # Random names: nothing about the grantee leaks through a file path.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"attachments/{secrets.token_hex(16)}{suffix}"


class Attachment(StoredFile):
    class Kind(models.TextChoices):
        BUDGET = "budget", "Budget"
        REGISTRATION = "registration", "Registration document"
        OTHER = "other", "Other"
        # A file answering one of the call's own questions (its id is kept in the answer).
        ANSWER = "answer", "Answer to a question"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=_attachment_path, max_length=200)

    class Meta:
        ordering = ["kind", "uploaded_at"]

    def __str__(self):
        return self.original_name
