"""Forms for the award and payment pages: they read what people type; services decide."""
import datetime
import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundops.forms import LONG_TEXT_MAX, NOTE_MAX, MoneyField, RateField, long_text
from fundops.money import CURRENCY_CHOICES, MoneyError, parse_typed_decimal

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
        label="Bank statement (CSV)", help_text="Columns: date (YYYY-MM-DD), amount, currency, reference."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise ValidationError("The statement is larger than 5 MB: split it by month.")
        return upload


class ResolveForm(forms.Form):
    note = forms.CharField(label="How was it resolved?", max_length=500)
