"""The core every app shares: users and roles, member organisations, donors, funds,
calls, contributions, and the audit trail every state change writes to."""
import secrets
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .money import CURRENCY_CHOICES
from .regions import region_for
from .themes import DEFAULT_THEMES

MONEY = dict(max_digits=18, decimal_places=4)
RATE = dict(max_digits=20, decimal_places=10)


def _public_ref():
    return "ORG-" + secrets.token_hex(5).upper()


class User(AbstractUser):
    """A person. Applicants belong to a member organisation; donor users to a donor."""

    organization = models.ForeignKey(
        "Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )
    donor = models.ForeignKey(
        "Donor", null=True, blank=True, on_delete=models.SET_NULL, related_name="users"
    )

    def __str__(self):
        return self.get_full_name() or self.username


class Organization(models.Model):
    class VerificationStatus(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    class RegistrationStatus(models.TextChoices):
        REGISTERED = "registered", "Registered"
        UNREGISTERED = "unregistered", "Unregistered group"
        FISCALLY_SPONSORED = "fiscally_sponsored", "Fiscally sponsored"

    name = models.CharField(max_length=255)
    org_id = models.CharField(
        "organisation identifier",
        max_length=100,
        unique=True,
        help_text="org-id.guide form, e.g. GB-CHC-1164883; unregistered groups get the publisher prefix.",
    )
    country = CountryField()
    city = models.CharField(max_length=120, blank=True)
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    registration_number = models.CharField(max_length=100, blank=True)
    at_risk = models.BooleanField(
        default=False,
        help_text="Never named, nor its country shown, in donor reports, exports or open data.",
    )
    # Shown instead of org_id wherever an at-risk organisation must stay unidentifiable.
    public_ref = models.CharField(max_length=20, unique=True, default=_public_ref, editable=False)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    member_since = models.DateField(null=True, blank=True)
    # What a fund's eligibility rules read (Fund.min_organisation_age_years, Fund.max_annual_budget).
    founded_year = models.PositiveSmallIntegerField(
        _("year founded"), null=True, blank=True, validators=[MinValueValidator(1800)]
    )
    annual_budget = models.DecimalField(
        _("annual budget"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("Your organisation's spending in its last full year."),
    )
    annual_budget_currency = models.CharField(
        _("currency of the annual budget"), max_length=3, choices=CURRENCY_CHOICES, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # An organisation that registered itself waits for staff to verify it: it may draft, not submit
    # (fundops/registration.py). Organisations added by staff or imports are verified from the start.
    verification_status = models.CharField(
        _("verification"), max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.VERIFIED,
        db_index=True,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("verified or rejected by"),
    )
    verified_at = models.DateTimeField(_("verified or rejected at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["country"])]

    def __str__(self):
        return self.name

    @property
    def region(self):
        return region_for(self.country.code)

    @property
    def is_verified(self):
        return self.verification_status == self.VerificationStatus.VERIFIED


class Donor(models.Model):
    class Kind(models.TextChoices):
        FOUNDATION = "foundation", "Foundation"
        GOVERNMENT = "government", "Government"
        MULTILATERAL = "multilateral", "Multilateral"
        CORPORATE = "corporate", "Corporate"
        INDIVIDUAL = "individual", "Individual"

    name = models.CharField(max_length=255)
    slug = models.SlugField("donor id", max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FOUNDATION)
    country = CountryField(blank=True)
    contact_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def default_required_documents():
    return ["budget", "registration"]


# The documents a fund may ask for (the kinds of applications.Attachment an applicant uploads).
# A registration document is asked only of organisations registered somewhere.
DOCUMENT_KINDS = [
    ("budget", _("Budget")),
    ("registration", _("Registration document (asked of registered organisations)")),
    ("other", _("Other document")),
]


class Fund(models.Model):
    class Kind(models.TextChoices):
        POOLED = "pooled", "Pooled multi-donor fund"
        RAPID_RESPONSE = "rapid_response", "Rapid-response fund"

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.POOLED)
    description = models.TextField(blank=True)
    base_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    min_grant = models.DecimalField(**MONEY, default=Decimal("0"), validators=[MinValueValidator(0)])
    max_grant = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    decision_target_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rapid-response funds: hours from submission to decision."
    )
    reviews_required = models.PositiveSmallIntegerField(default=2)
    blind_review = models.BooleanField(default=False, help_text="Reviewers do not see the organisation's name.")
    opens_on = models.DateField()
    closes_on = models.DateField(null=True, blank=True)
    eligible_countries = CountryField(multiple=True, blank=True, help_text="Empty means every country.")
    eligible_regions = models.JSONField(
        default=list, blank=True, help_text="UN M49 sub-regions, e.g. [\"Eastern Africa\"]. Empty means every region."
    )
    registration_required = models.BooleanField(
        _("registration required"), default=False,
        help_text=_("Only organisations registered in their country may apply."),
    )
    min_organisation_age_years = models.PositiveSmallIntegerField(
        _("minimum organisation age (years)"), null=True, blank=True,
        help_text=_("Organisations founded fewer years ago may not apply. Empty means no limit."),
    )
    max_annual_budget = models.DecimalField(
        _("maximum annual budget"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text=_("In the fund's base currency. Organisations spending more may not apply. Empty means no limit."),
    )
    required_documents = models.JSONField(
        _("documents asked for"), default=default_required_documents, blank=True,
        help_text=_("Kinds of document an application must attach (see DOCUMENT_KINDS)."),
    )
    themes = models.JSONField(
        default=list, blank=True,
        help_text=_("The themes applicants choose from. Empty means the network's default list."),
    )
    application_form = models.ForeignKey(
        "fundops.Questionnaire", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Questions asked of applications made outside any call."),
    )
    grant_ref_prefix = models.CharField(
        max_length=40, help_text="Award references start with this, e.g. GJN-COVID19."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(max_grant__gte=models.F("min_grant")), name="fund_max_grant_gte_min"),
            models.CheckConstraint(condition=Q(reviews_required__gte=1), name="fund_reviews_required_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_rapid_response(self):
        return self.kind == self.Kind.RAPID_RESPONSE

    def theme_choices(self):
        """The themes this fund offers: its own list, else the network's default."""
        return list(self.themes) or list(DEFAULT_THEMES)

    def is_open(self, on=None):
        on = on or timezone.localdate()
        return self.opens_on <= on and (self.closes_on is None or on <= self.closes_on)

    def is_country_eligible(self, country_code):
        codes = [c.code for c in self.eligible_countries]
        if codes and country_code in codes:
            return True
        if self.eligible_regions and region_for(country_code) in self.eligible_regions:
            return True
        return not codes and not self.eligible_regions

    def get_absolute_url(self):
        return reverse("disbursements:fund_dashboard", args=[self.slug])


class Call(models.Model):
    """A round within a fund (with open and close times) or a rolling window."""

    fund = models.ForeignKey(Fund, on_delete=models.CASCADE, related_name="calls")
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=100)
    is_rolling = models.BooleanField(default=False)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    guidance = models.TextField(blank=True)
    application_form = models.ForeignKey(
        "fundops.Questionnaire", null=True, blank=True, on_delete=models.PROTECT, related_name="calls",
        help_text=_("This call's own questions; the fund's form when empty."),
    )

    class Meta:
        ordering = ["fund", "opens_at"]
        constraints = [models.UniqueConstraint(fields=["fund", "slug"], name="call_unique_slug_per_fund")]

    def __str__(self):
        return f"{self.fund.name} — {self.name}"

    def is_open(self, at=None):
        at = at or timezone.now()
        return self.opens_at <= at and (self.is_rolling or self.closes_at is None or at <= self.closes_at)


class Contribution(models.Model):
    """Money a donor gives a fund; base_amount is fixed with the rate actually used."""

    class Status(models.TextChoices):
        PLEDGED = "pledged", "Pledged"
        RECEIVED = "received", "Received"

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="contributions")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="contributions")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    fx_rate = models.DecimalField("FX rate to base", **RATE, help_text="Base-currency units per one unit.")
    fx_date = models.DateField("FX rate date")
    base_amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLEDGED)
    pledged_on = models.DateField(null=True, blank=True)
    received_on = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fund", "-received_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="contribution_amount_positive"),
            models.CheckConstraint(condition=Q(fx_rate__gt=0), name="contribution_rate_positive"),
            models.CheckConstraint(
                condition=~Q(status="received") | Q(received_on__isnull=False),
                name="contribution_received_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.donor} → {self.fund}: {self.currency} {self.amount}"


class AuditEntry(models.Model):
    """One row per state change of anything with a state machine: who, when, from, to, note."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)
    transition = models.CharField(max_length=60)
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.from_state} → {self.to_state}"


def _import_path(instance, filename):
    # A random name: uploaded member lists hold personal data; the file is only read by the job.
    suffix = ".xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    return f"imports/{secrets.token_hex(16)}{suffix}"


class ImportJob(models.Model):
    """One file imported from the admin, run by the background worker: its progress, then its
    result or every problem. The file is kept only until it is imported or refused."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Being checked")
        CHECKED = "checked", _("Checked: ready to import")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused: nothing imported")
        FAILED = "failed", _("Failed: nothing imported")

    kind = models.CharField(max_length=20)
    file = models.FileField(upload_to=_import_path, max_length=200, blank=True)
    filename = models.CharField(max_length=255, help_text=_("The name of the uploaded file."))
    dry_run = models.BooleanField(default=False, help_text=_("Check only: write nothing."))
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED, db_index=True)
    stage = models.CharField(max_length=10, blank=True)  # engine Progress: "checking" or "writing"
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_checked = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    counts = models.JSONField(default=dict, blank=True)  # {"created": n, "updated": n, "skipped": n}
    problems = models.JSONField(default=list, blank=True)  # every problem, as "row N, column C: message"
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.kind}: {self.filename} ({self.get_state_display()})"

    @property
    def is_pending(self):
        return self.state in {self.State.QUEUED, self.State.RUNNING}


class Notification(models.Model):
    """One event told to one person: the inbox row, and the state of its e-mail.

    The kind names a template in templates/notifications/ (see fundops/notifications/kinds.py); the
    text is rendered when shown or sent, from `context`, so the row stays small and translatable."""

    class EmailState(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        # Claimed by a worker and handed to the mail server. A row left here means the worker stopped
        # between sending and recording it: we do not know if it went out, so it is never resent
        # by itself (never twice) — an administrator decides (admin action "Try sending again").
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not e-mailed (turned off, or no address)")
        DIGEST = "digest", _("Waiting for the daily digest")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    event_key = models.CharField(max_length=200, help_text="Names the event; one notification per person per event.")
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    object_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("content_type", "object_id")
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site, e.g. /applications/12/.")
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"], name="notification_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email_state", "next_attempt_at"], name="notification_delivery"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} ({self.event_key})"

    @property
    def is_read(self):
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a person wants one kind of notification e-mailed. No row means immediately; the kinds in
    notifications.kinds.MANDATORY are e-mailed immediately whatever is stored here."""

    class Mode(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately")
        DIGEST = "digest", _("In a daily digest")
        OFF = "off", _("Off (inbox only)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=40)
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.IMMEDIATELY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.mode}"


from .questionnaires.models import Question, Questionnaire  # noqa: E402,F401  (models of this app)


# Accounts: colleagues invited to an organisation, and the documents it keeps on file ---------------


class Invitation(models.Model):
    """A colleague asked to join an organisation. The e-mailed link carries a signed random key of
    which only a hash is stored; it works once, for INVITATION_DAYS days (fundops/registration.py)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail"))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} <{self.email}> → {self.organization}"

    @property
    def is_used(self):
        return self.accepted_at is not None

    def is_expired(self, at=None):
        return (at or timezone.now()) >= self.expires_at


# Documents an organisation keeps once and its applications reuse. The first kinds are the ones a
# fund may ask of an application (DOCUMENT_KINDS): a document on file of that kind counts as attached.
ORGANIZATION_DOCUMENT_KINDS = [
    ("registration", _("Registration certificate")),
    ("statutes", _("Statutes")),
    ("audited_accounts", _("Audited accounts")),
]


def _organization_document_path(instance, filename):
    # A random name: the original name is kept in the row, never trusted as a path.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"organisation-documents/{secrets.token_hex(16)}{suffix}"


class StoredFile(models.Model):
    """An uploaded file as fundops keeps it (fundops/uploads.py checks it first): stored under a random
    name, with the name, type and size it arrived with and who uploaded it. Each kind of file
    sets its own `file` field (its folder)."""

    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class OrganizationDocument(StoredFile):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind of document"), max_length=20, choices=ORGANIZATION_DOCUMENT_KINDS)
    file = models.FileField(upload_to=_organization_document_path, max_length=200)

    class Meta:
        ordering = ["kind", "-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["organization", "kind", "-uploaded_at"], name="orgdoc_latest")]

    def __str__(self):
        return self.original_name
