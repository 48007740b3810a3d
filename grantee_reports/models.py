"""What a grantee owes after the award: the fund's reporting requirements, each grant's reports with
their state machine, the money spent per budget line, documents, and "what we learned"."""
import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fundops import roles
from fundops.models import MONEY, Fund, StoredFile
from fundops.themes import LEARNING_THEMES

# The languages the network works in (DESIGN.md, "People are told, in their language").
LEARNING_LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt", "Português"),
    ("ar", "العربية"),
]


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("Progress report")
    FINANCIAL = "financial", _("Financial report")
    FINAL = "final", _("Final report")


# Reports that account for money: the grantee states what was spent to date, per budget line.
KINDS_WITH_SPENDING = (ReportKind.FINANCIAL, ReportKind.FINAL)


class ReportRequirement(models.Model):
    """One report a fund's grantees owe, and when it falls due."""

    class DueRule(models.TextChoices):
        AFTER_TRANCHE = "after_tranche", _("N days after a tranche is paid")
        FIXED_DATE = "fixed_date", _("On a fixed date")
        END_PLUS_DAYS = "end_plus_days", _("N days after the end of the grant")

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="report_requirements")
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    title = models.CharField(_("title"), max_length=200)
    due_rule = models.CharField(_("falls due"), max_length=20, choices=DueRule.choices)
    tranche_number = models.PositiveSmallIntegerField(
        _("tranche"), null=True, blank=True, help_text=_("For “after a tranche”: which tranche (1 is the first).")
    )
    days = models.PositiveIntegerField(
        _("days"), default=30, help_text=_("For “after a tranche” and “after the end”: how many days later.")
    )
    fixed_date = models.DateField(_("date"), null=True, blank=True)
    questionnaire = models.ForeignKey(
        "fundops.Questionnaire", null=True, blank=True, on_delete=models.SET_NULL, related_name="report_requirements",
        limit_choices_to={"purpose": "report"}, help_text=_("The fund's own questions for this report."),
    )
    gates_next_tranche = models.BooleanField(
        _("holds the next tranche"), default=False,
        help_text=_("The next tranche cannot be scheduled until this report is accepted."),
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["fund", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(due_rule="after_tranche") | Q(tranche_number__gte=1), name="requirement_after_tranche_has_number"
            ),
            models.CheckConstraint(
                condition=~Q(due_rule="fixed_date") | Q(fixed_date__isnull=False), name="requirement_fixed_date_has_date"
            ),
        ]

    def __str__(self):
        return f"{self.fund}: {self.title}"

    def due_rule_text(self):
        if self.due_rule == self.DueRule.AFTER_TRANCHE:
            return _("%(days)s days after tranche %(number)s is paid") % {"days": self.days, "number": self.tranche_number}
        if self.due_rule == self.DueRule.FIXED_DATE:
            return _("on %(date)s") % {"date": self.fixed_date.isoformat() if self.fixed_date else "—"}
        return _("%(days)s days after the end of the grant") % {"days": self.days}


class ReportState(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    ACCEPTED = "accepted", _("Accepted")


# The grantee's turn: the report can be edited and is overdue once past its date.
OPEN_STATES = [ReportState.DUE, ReportState.CHANGES_REQUESTED]


def _is_own_grantee(report, user):
    return roles.is_applicant(user) and user.organization_id == report.grant.organization_id


def _is_program_officer(report, user):
    return roles.is_program_officer(user)


class GrantReport(ConcurrentTransitionMixin, models.Model):
    """One report a grant owes: due -> submitted -> (changes requested -> submitted)* -> accepted."""

    grant = models.ForeignKey("disbursements.Grant", on_delete=models.CASCADE, related_name="reports")
    requirement = models.ForeignKey(
        ReportRequirement, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    title = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField(default=0)
    due_on = models.DateField(db_index=True)
    # Set when a program officer moves the date by hand: paying the tranche no longer recomputes it.
    due_on_moved = models.BooleanField(default=False)
    state = FSMField(default=ReportState.DUE, choices=ReportState.choices, protected=True, db_index=True)
    # The narrative every report has, whatever the fund's own questions.
    narrative = models.TextField(blank=True)
    # The fund's own questions: the version answered, and the answers keyed by question key
    # (read through fundops.questionnaires.answers, never directly).
    questionnaire = models.ForeignKey(
        "fundops.Questionnaire", null=True, blank=True, on_delete=models.PROTECT, related_name="grant_reports"
    )
    answers = models.JSONField(default=dict, blank=True)
    # The tranche this report holds back until it is accepted (a requirement that gates the next tranche).
    gated_tranche = models.ForeignKey(
        "disbursements.Tranche", null=True, blank=True, on_delete=models.SET_NULL, related_name="gating_reports"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    changes_comment = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["grant", "due_on", "order", "pk"]
        indexes = [models.Index(fields=["state", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="changes_requested") | ~Q(changes_comment=""),
                name="grant_report_changes_have_comment",
            ),
        ]

    def __str__(self):
        return f"{self.grant.reference}: {self.title}"

    @property
    def is_overdue(self):
        return self.state in OPEN_STATES and self.due_on < timezone.localdate()

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def has_spending(self):
        return self.kind in KINDS_WITH_SPENDING

    # Transitions: guards and state only; services.py writes the audit rows and tells people.

    @transition(field=state, source=OPEN_STATES, target=ReportState.SUBMITTED, permission=_is_own_grantee)
    def submit(self, *, by=None):
        now = timezone.now()
        self.submitted_at = now
        self.submitted_by = by
        self.first_submitted_at = self.first_submitted_at or now

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.CHANGES_REQUESTED,
                permission=_is_program_officer)
    def request_changes(self, *, by=None, comment=""):
        self.changes_comment = comment

    @transition(field=state, source=ReportState.SUBMITTED, target=ReportState.ACCEPTED, permission=_is_program_officer)
    def accept(self, *, by=None):
        self.accepted_at = timezone.now()
        self.accepted_by = by


class ReportBudgetLine(models.Model):
    """Money spent to date on one budget line, in the grant's currency."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="budget_lines")
    label = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report", "order", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="budget_line_amount_not_negative")]

    def __str__(self):
        return f"{self.label}: {self.amount}"


def _document_path(instance, filename):
    # Random names: nothing about the grantee leaks through a file path.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"grantee_reports/{secrets.token_hex(16)}{suffix}"


class GranteeFile(StoredFile):
    """A file a grantee sends: stored under a random name in grantee_reports/."""

    file = models.FileField(upload_to=_document_path, max_length=200)

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name


class ReportAttachment(GranteeFile):
    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        ordering = ["report", "uploaded_at", "pk"]


class GrantDocument(GranteeFile):
    """A document the grantee sends about the grant itself: the signed award letter."""

    class Kind(models.TextChoices):
        SIGNED_AWARD_LETTER = "signed_award_letter", _("Signed award letter")

    grant = models.ForeignKey("disbursements.Grant", on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.SIGNED_AWARD_LETTER)

    class Meta:
        ordering = ["grant", "-uploaded_at", "-pk"]


class LearningEntry(models.Model):
    """What the grantee learned, told in a report; published in the learning library only once the
    report is accepted and the grantee consented."""

    report = models.OneToOneField(GrantReport, on_delete=models.CASCADE, related_name="learning")
    text = models.TextField(_("what we learned"))
    language = models.CharField(_("language"), max_length=5, choices=LEARNING_LANGUAGES, default="en")
    consent_publish = models.BooleanField(_("we agree to publish this in the learning library"), default=False)
    # Asked only of at-risk organisations: whether their region (never their name or country) may be shown.
    consent_region = models.BooleanField(_("our region may be shown with it"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-report__accepted_at", "pk"]
        verbose_name_plural = "learning entries"

    def __str__(self):
        return self.text[:60]


class LearningEntryTheme(models.Model):
    """One Learning Agenda theme an entry speaks to (a row, so the library filters in SQL everywhere)."""

    entry = models.ForeignKey(LearningEntry, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(max_length=40, choices=LEARNING_THEMES)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "theme"], name="learning_theme_once_per_entry")]

    def __str__(self):
        return self.get_theme_display()
