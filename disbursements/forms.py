"""Forms for the award and payment pages: they read what people type; services decide."""
import datetime
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from fundops.forms import LONG_TEXT_MAX, NOTE_MAX, MoneyField, RateField, long_text
from fundops.money import CURRENCY_CHOICES, MoneyError, parse_typed_decimal

from .models import BankCsvMapping, BankStatement, FundBankAccount, PayoutAccount

DATE = forms.DateInput(attrs={"type": "date"})


def apply_service_errors(form, error, field_map=None):
    """Show a service's ValidationError next to the fields it names (others on top of the form)."""
    field_map = field_map or {}
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = field_map.get(name, name)
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ApprovalForm(forms.Form):
    PLAN_CHOICES = [
        ("single", "One upfront payment"),
        ("percent", "Several tranches, by percentage"),
        ("amount", "Several tranches, by amount"),
    ]
    amount = MoneyField(label=_("Award amount"))
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    fx_rate = RateField(
        label=_("FX rate to the fund's currency"), required=False,
        help_text="How many units of the fund's currency for one unit of the award's. Leave empty when they are the same.",
    )
    fx_date = forms.DateField(label="FX rate date", required=False, widget=DATE, help_text="Defaults to today.")
    conditions = long_text(
        max_length=LONG_TEXT_MAX, required=False,
        help_text=_("Printed on the award letter, e.g. reporting dates or restrictions."),
    )
    plan_mode = forms.ChoiceField(label="Tranche schedule", choices=PLAN_CHOICES, widget=forms.RadioSelect, initial="single")
    due_on = forms.DateField(label="Payment due on", required=False, widget=DATE, help_text="For one upfront payment; defaults to today.")
    tranches = forms.CharField(
        label=_("Tranches"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4, "placeholder": "60, 2026-12-01\n40, 2027-06-01"}),
        help_text="One tranche per line: a percentage or an amount, a comma, and the due date (YYYY-MM-DD).",
    )

    # The fast track of a rapid-response fund (the view removes it for other funds): the one
    # payment is scheduled with the approval; a finance officer still approves it.
    schedule_now = forms.BooleanField(
        label=_("Schedule the payment now"), required=False, initial=True,
        help_text=_("For one upfront payment: finance only has to approve it and record the payout."),
    )
    # A new token each time the form is shown: approving twice by a double click schedules once.
    request_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, fast_track=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not fast_track:
            del self.fields["schedule_now"]
        if not self.is_bound:
            self.initial["request_token"] = secrets.token_urlsafe(24)

    def clean(self):
        data = super().clean()
        mode = data.get("plan_mode")
        if mode == "single":
            data["tranche_plan"] = {"mode": "single", "due_on": data.get("due_on") or timezone.localdate()}
            return data
        if mode in ("percent", "amount"):
            parts, problems = [], []
            lines = [line.strip() for line in (data.get("tranches") or "").splitlines() if line.strip()]
            for number, line in enumerate(lines, start=1):
                value_text, _, date_text = line.partition(",")
                try:
                    value = parse_typed_decimal(value_text.strip().rstrip("%\u066a"))  # ٪: the Arabic percent sign
                    due_on = datetime.date.fromisoformat(date_text.strip())
                except (MoneyError, ValueError):
                    problems.append(f"Line {number} (“{line}”): write a number, a comma and a date like 2026-12-01.")
                    continue
                parts.append((value, due_on))
            if len(lines) < 2 and not problems:
                problems.append("Give at least two tranches, one per line (or choose one upfront payment).")
            if problems:
                self.add_error("tranches", problems)
            data["tranche_plan"] = {"mode": mode, "parts": parts}
        return data


class ScheduleForm(forms.Form):
    amount = MoneyField(required=False, help_text=_("Leave empty to schedule all that is left of the tranche."))
    note = forms.CharField(required=False, max_length=500)
    # A new token each time the form is shown: submitting the same page twice schedules once.
    request_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["request_token"] = secrets.token_urlsafe(24)


class RecordForm(forms.Form):
    paid_on = forms.DateField(label="Paid on", widget=DATE)
    reference = forms.CharField(label="Bank transfer reference", max_length=100)
    fx_rate = RateField(
        label=_("FX rate used"), required=False,
        help_text="Units of the fund's currency for one unit paid. Leave empty when they are the same.",
    )
    fx_date = forms.DateField(label="FX rate date", required=False, widget=DATE, help_text="Defaults to the payment date.")


class ReasonForm(forms.Form):
    reason = long_text(max_length=NOTE_MAX, rows=2)


class StatementForm(forms.Form):
    file = forms.FileField(
        label=_("Bank statement"),
        help_text=_("CAMT.053 (XML), MT940, your bank's CSV (choose its mapping), or fundops' CSV with the columns "
                    "date (YYYY-MM-DD), amount, currency, reference."),
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("Recognise from the file"))] + list(BankStatement.Format.choices),
    )
    mapping = forms.ModelChoiceField(
        label=_("Bank"), required=False, queryset=BankCsvMapping.objects.all(), empty_label=_("— none (fundops CSV) —"),
        help_text=_("The bank's saved CSV mapping and fee tolerance."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The statement is larger than 5 MB: split it by month.")
        return upload


class ResolveForm(forms.Form):
    note = forms.CharField(label="How was it resolved?", max_length=500)


class BalanceReturnForm(forms.Form):
    amount = MoneyField(label=_("Amount returned"), help_text=_("In the award's currency."))
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    reference = forms.CharField(label=_("Bank transfer reference"), max_length=100)
    fx_rate = RateField(
        label=_("FX rate used"), required=False,
        help_text=_("Units of the fund's currency for one unit returned. Leave empty for the award's own rate."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Waiting for"), max_length=200)


class PayoutAccountForm(forms.Form):
    """What a finance officer types for a payout account; services.accounts checks and normalises it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=PayoutAccount.Kind.choices, widget=forms.RadioSelect)
    holder_name = forms.CharField(label=_("Account holder"), max_length=140)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    country = LazyTypedChoiceField(label=_("Country of the account"), choices=countries)
    iban = forms.CharField(label=_("IBAN"), max_length=42, required=False,
                           help_text=_("Where the country uses IBANs (Europe, the Middle East, parts of Africa and Latin America)."))
    account_number = forms.CharField(label=_("Account number"), max_length=40, required=False,
                                     help_text=_("Where the country does not use IBANs."))
    bank_name = forms.CharField(label=_("Bank name"), max_length=140, required=False)
    bic = forms.CharField(label=_("SWIFT/BIC"), max_length=14, required=False)
    branch = forms.CharField(label=_("Branch"), max_length=140, required=False)
    provider = forms.CharField(label=_("Mobile-money provider"), max_length=60, required=False,
                               help_text=_("e.g. M-Pesa, MTN Mobile Money, Orange Money"))
    phone = forms.CharField(label=_("Mobile number"), max_length=30, required=False,
                            help_text=_("As the grantee gives it; stored in international form (+254…)."))
    note = forms.CharField(label=_("Who asked for this, and how it was confirmed"), max_length=500, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why is it rejected?"), max_length=500)


class LinkLineForm(forms.Form):
    payment_reference = forms.CharField(label=_("Bank reference of the payment"), max_length=100)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class BatchCreateForm(forms.Form):
    debtor_account = forms.ModelChoiceField(label=_("Pay from"), queryset=FundBankAccount.objects.all())
    execution_date = forms.DateField(label=_("Execution date"), widget=DATE, required=False)


class BatchPaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)
    fx_rate = RateField(label=_("FX rate used"), required=False,
                        help_text=_("Fund currency per unit paid, for every payment of the batch. Leave empty for each award's own rate."))


class BankCsvMappingForm(forms.ModelForm):
    class Meta:
        model = BankCsvMapping
        fields = ["bank_name", "delimiter", "encoding", "date_format", "decimal_comma", "thousands_separator",
                  "date_column", "amount_column", "reference_column", "currency_column", "default_currency",
                  "fee_tolerance_amount", "fee_tolerance_percent"]

    def clean_encoding(self):
        import codecs

        encoding = self.cleaned_data["encoding"]
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ValidationError(_("Unknown encoding."))
        return encoding


class FundBankAccountForm(forms.ModelForm):
    class Meta:
        model = FundBankAccount
        fields = ["name", "fund", "holder_name", "currency", "iban", "account_number", "bic", "country"]
