"""Awards (grants), their tranches and the payments that pay them out."""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from fundops import roles
from fundops.models import MONEY, RATE, Fund, Organization
from fundops.money import CURRENCY_CHOICES


def _public_reference():
    return "UND-" + secrets.token_hex(5).upper()


class Grant(models.Model):
    """The award made when an application is approved: a commitment of the fund's money."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"

    application = models.OneToOneField("applications.Application", on_delete=models.PROTECT, related_name="grant")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="grants")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="grants")
    reference = models.CharField(max_length=60, unique=True)
    # Shown instead of `reference` wherever the grantee is at risk (fundops/disclosure.py).
    public_reference = models.CharField(max_length=20, unique=True, default=_public_reference, editable=False)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    fx_rate = models.DecimalField("FX rate to base", **RATE)
    fx_date = models.DateField("FX rate date")
    # The commitment in the fund's base currency, fixed at decision.
    base_amount = models.DecimalField(**MONEY)
    # Set on cancellation: the undisbursed part of base_amount given back to the fund.
    released_base_amount = models.DecimalField(**MONEY, default=0)
    conditions = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_amount_positive"),
            models.CheckConstraint(condition=Q(fx_rate__gt=0), name="grant_rate_positive"),
            models.CheckConstraint(
                condition=Q(released_base_amount__gte=0) & Q(released_base_amount__lte=models.F("base_amount")),
                name="grant_release_within_commitment",
            ),
        ]

    def __str__(self):
        return self.reference


class Tranche(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**MONEY)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["grant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="tranche_unique_number"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tranche_amount_positive"),
        ]

    def __str__(self):
        return f"{self.grant.reference} tranche {self.number}"


class PaymentState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"
    RECONCILED = "reconciled", "Reconciled"
    FAILED = "failed", "Failed"
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"


# States whose money is out of the door or on its way (invariant 4 counts these).
PENDING_OR_PAID = [PaymentState.SCHEDULED, PaymentState.APPROVED, PaymentState.PAID, PaymentState.RECONCILED]
PAID_STATES = [PaymentState.PAID, PaymentState.RECONCILED]


def _is_finance_officer(payment, user):
    return roles.is_finance_officer(user)


class Payment(ConcurrentTransitionMixin, models.Model):
    """One transfer of (part of) a tranche, in the grant's currency."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    state = FSMField(default=PaymentState.SCHEDULED, choices=PaymentState.choices, protected=True, db_index=True)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    scheduled_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # Set when the payout is recorded: the rate actually used and the base amount it gives.
    paid_on = models.DateField(null=True, blank=True, db_index=True)
    fx_rate = models.DecimalField("FX rate to base", **RATE, null=True, blank=True)
    fx_date = models.DateField("FX rate date", null=True, blank=True)
    base_amount = models.DecimalField(**MONEY, null=True, blank=True)
    reference = models.CharField("bank transfer reference", max_length=100, null=True, blank=True, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The schedule form's one-time token: a second submit of the same form finds this payment
    # instead of scheduling another (disbursements.services.payment_schedule).
    request_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["state", "paid_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # Four eyes (invariant 5): the approver is never the scheduler.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("scheduled_by")),
                name="payment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["paid", "reconciled"])
                | (Q(paid_on__isnull=False) & Q(fx_rate__isnull=False) & Q(base_amount__isnull=False)),
                name="payment_paid_has_rate_and_date",
            ),
        ]

    def __str__(self):
        return f"{self.grant.reference}: {self.currency} {self.amount} ({self.get_state_display()})"

    @transition(field=state, source=PaymentState.SCHEDULED, target=PaymentState.APPROVED, permission=_is_finance_officer)
    def approve(self, *, by=None):
        self.approved_by = by
        self.approved_at = timezone.now()

    @transition(field=state, source=PaymentState.APPROVED, target=PaymentState.PAID, permission=_is_finance_officer)
    def mark_paid(self, *, by=None):
        self.recorded_by = by
        self.recorded_at = timezone.now()

    @transition(field=state, source=PaymentState.PAID, target=PaymentState.RECONCILED, permission=_is_finance_officer)
    def reconcile(self, *, by=None):
        self.reconciled_at = timezone.now()

    @transition(field=state, source=PaymentState.APPROVED, target=PaymentState.FAILED, permission=_is_finance_officer)
    def fail(self, *, by=None):
        pass

    @transition(
        field=state, source=[PaymentState.PAID, PaymentState.RECONCILED], target=PaymentState.RETURNED,
        permission=_is_finance_officer,
    )
    def mark_returned(self, *, by=None):
        pass

    @transition(
        field=state, source=[PaymentState.SCHEDULED, PaymentState.APPROVED], target=PaymentState.CANCELLED,
        permission=_is_finance_officer,
    )
    def cancel(self, *, by=None):
        pass


class BankStatement(models.Model):
    """One uploaded bank statement; its lines say which payments it reconciled."""

    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.filename} ({self.uploaded_at:%Y-%m-%d})"


class StatementLine(models.Model):
    """A line of a bank statement: matched to a paid payment, or left for a person to resolve."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched"
        UNMATCHED = "unmatched", "Unmatched"
        RESOLVED = "resolved", "Resolved by hand"

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    reference = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="statement_lines")
    reason = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["statement", "line_number"]

    def __str__(self):
        return f"{self.statement} line {self.line_number}"
