"""Awards (grants), their tranches and the payments that pay them out."""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField
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
    # Why the tranche may not be scheduled yet (e.g. "the progress report is accepted"); blank = not
    # held. Set and cleared only by tranche_hold / tranche_release, which write the audit row.
    hold_reason = models.CharField(max_length=200, blank=True)

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
    # Where the money goes: chosen when scheduling; approval refuses an account not verified.
    payout_account = models.ForeignKey(
        "PayoutAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    batch = models.ForeignKey("PaymentBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    # The identifier the bank carries from our payment file to its statement (pain.001 EndToEndId,
    # 35 characters at most); recorded as the payment's bank reference when the batch is paid out.
    end_to_end_id = models.CharField(max_length=35, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [
            models.Index(fields=["state", "paid_on"]),
            # The payments list reads its page off this index instead of sorting every payment.
            models.Index(fields=["scheduled_at", "id"], name="payment_list_order"),
        ]
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

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        CAMT053 = "camt053", "CAMT.053 (ISO 20022 XML)"
        MT940 = "mt940", "MT940"

    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.CSV)
    mapping = models.ForeignKey("BankCsvMapping", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A statement's identity: the same file (or the same statement id of the same account) read
    # again changes nothing (disbursements.services.statements).
    file_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    statement_id = models.CharField(max_length=100, blank=True)
    account = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "statement_id"], condition=~Q(statement_id=""), name="statement_unique_bank_id"
            ),
        ]

    def __str__(self):
        return f"{self.filename} ({self.uploaded_at:%Y-%m-%d})"


class StatementLine(models.Model):
    """A line of a bank statement: matched to a paid payment, or left for a person to resolve."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched"
        UNMATCHED = "unmatched", "Unmatched"
        RESOLVED = "resolved", "Resolved by hand"
        LINKED = "linked", "Linked by hand to a payment"

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    date = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    reference = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="statement_lines")
    reason = models.TextField(blank=True)
    # A bank fee deducted on the way: the payment's amount less the line's, within the bank's tolerance.
    fee = models.DecimalField(**MONEY, default=0)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["statement", "line_number"]

    def __str__(self):
        return f"{self.statement} line {self.line_number}"


class BalanceReturn(models.Model):
    """Unspent money a grantee sent back. It no longer counts as disbursed, and the commitment it
    came from is released to the fund (grant.released_base_amount grows by its base amount)."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="balance_returns")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)  # the grant's currency
    fx_rate = models.DecimalField("FX rate to base", **RATE)
    fx_date = models.DateField("FX rate date")
    base_amount = models.DecimalField(**MONEY)
    received_on = models.DateField()
    # The bank's reference of the incoming transfer: recorded once (money rule 6, the other way round).
    reference = models.CharField("bank transfer reference", max_length=100, unique=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="balance_return_amount_positive"),
            models.CheckConstraint(condition=Q(fx_rate__gt=0), name="balance_return_rate_positive"),
        ]

    def __str__(self):
        return f"{self.grant.reference}: {self.currency} {self.amount} returned"


class PayoutAccount(models.Model):
    """Where an organisation is paid: a bank account or a mobile-money wallet. Usable only once a
    finance officer other than the one who created or last changed it has verified it (four eyes:
    changing a grantee's bank details is the classic fraud)."""

    class Kind(models.TextChoices):
        BANK = "bank", "Bank account"
        MOBILE_MONEY = "mobile_money", "Mobile money"

    class Verification(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    # The fields a change is recorded for (and that make a verified account pending again).
    DETAIL_FIELDS = ["kind", "holder_name", "currency", "country", "iban", "account_number", "bank_name", "bic",
                     "branch", "provider", "phone"]

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payout_accounts")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BANK)
    holder_name = models.CharField("account holder", max_length=140)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    country = CountryField()
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_number = models.CharField(max_length=40, blank=True)
    bank_name = models.CharField(max_length=140, blank=True)
    bic = models.CharField("SWIFT/BIC", max_length=11, blank=True)
    branch = models.CharField(max_length=140, blank=True)
    provider = models.CharField("mobile-money provider", max_length=60, blank=True)
    phone = models.CharField("phone number (E.164)", max_length=20, blank=True)
    verification = models.CharField(max_length=10, choices=Verification.choices, default=Verification.PENDING,
                                    db_index=True)
    # Who created or last changed the details: never the one who verifies them.
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["organization", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=models.F("changed_by")),
                name="payout_account_four_eyes",
            ),
        ]

    def __str__(self):
        return f"{self.organization}: {self.get_kind_display()} …{self.last4}"

    @property
    def number(self):
        """The identifier money is sent to: IBAN, account number or phone number."""
        return self.iban or self.account_number or self.phone

    @property
    def last4(self):
        return self.number[-4:]

    @property
    def masked(self):
        number = self.number
        return "•" * max(len(number) - 4, 0) + number[-4:]

    @property
    def is_usable(self):
        return self.verification == self.Verification.VERIFIED and not self.retired


class PayoutAccountChange(models.Model):
    """One version of a payout account's details: what changed, who asked, and what the verifier
    decided. At-risk organisations' rows are read by finance staff only, never exported."""

    account = models.ForeignKey(PayoutAccount, on_delete=models.CASCADE, related_name="changes")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # {field: [before, after]} ("before" empty for a new account).
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["account", "requested_at", "pk"]


class FundBankAccount(models.Model):
    """The fund's own account that payment batches are paid from (the pain.001 debtor)."""

    name = models.CharField(max_length=120, help_text="e.g. Operating account EUR")
    fund = models.ForeignKey(Fund, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_accounts",
                             help_text="Leave empty for an account any fund pays from.")
    holder_name = models.CharField(max_length=140)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_number = models.CharField(max_length=40, blank=True)
    bic = models.CharField("SWIFT/BIC", max_length=11)
    country = CountryField(default="NL")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.currency})"


class PaymentBatch(models.Model):
    """Approved payments in one currency handed to the bank together: drafted, exported as a
    pain.001 or CSV file, marked sent, then paid out (each payment recorded with its end-to-end id)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        EXPORTED = "exported", "Exported"
        SENT = "sent", "Sent to the bank"
        PAID = "paid", "Paid out"

    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    debtor_account = models.ForeignKey(FundBankAccount, on_delete=models.PROTECT, related_name="batches")
    execution_date = models.DateField(default=timezone.localdate)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    message_id = models.CharField(max_length=35, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    exported_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "payment batches"

    def __str__(self):
        return f"Batch {self.message_id} ({self.currency})"


class BankCsvMapping(models.Model):
    """How one bank writes its statements (CSV columns and number formats) and the fee it may
    deduct from a transfer: a line short by no more than the tolerance still matches."""

    bank_name = models.CharField(max_length=120, unique=True)
    delimiter = models.CharField(max_length=1, default=",")
    encoding = models.CharField(max_length=20, default="utf-8-sig")
    date_format = models.CharField(max_length=20, default="%Y-%m-%d", help_text="e.g. %d.%m.%Y")
    decimal_comma = models.BooleanField(default=False)
    thousands_separator = models.CharField(max_length=1, blank=True, help_text="e.g. . or a space; empty for none")
    date_column = models.CharField(max_length=60, default="date")
    amount_column = models.CharField(max_length=60, default="amount")
    reference_column = models.CharField(max_length=60, default="reference")
    currency_column = models.CharField(max_length=60, blank=True, default="currency")
    default_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True,
                                        help_text="When the file has no currency column.")
    fee_tolerance_amount = models.DecimalField(**MONEY, default=0)
    fee_tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)

    class Meta:
        ordering = ["bank_name"]

    def __str__(self):
        return self.bank_name
