"""Forms for the applicant portal and the screening pages. They collect input; the rules live in services."""
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from fundops.forms import LONG_TEXT_MAX, NOTE_MAX, MoneyField, long_text
from fundops.money import CURRENCY_CHOICES, quantize
from fundops.uploads import ALLOWED_DESCRIPTION, ALLOWED_EXTENSIONS

from .models import SUMMARY_MAX_LENGTH

_FILE_ACCEPT = ",".join(ALLOWED_EXTENSIONS)
_FILE_HELP = f"{ALLOWED_DESCRIPTION}; at most 10 MB."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FundChoiceForm(forms.Form):
    """Step one of a new application: which fund (and call) it is for."""

    choice = forms.ChoiceField(label="Fund and call", widget=forms.RadioSelect)

    def __init__(self, *args, funds_with_calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {}
        for fund, calls in funds_with_calls:
            for call in calls or [None]:
                key = f"{fund.pk}:{call.pk if call else ''}"
                self.options[key] = (fund, call)
        self.fields["choice"].choices = [
            (key, f"{fund.name} — {call.name}" if call else fund.name) for key, (fund, call) in self.options.items()
        ]

    def selected(self):
        return self.options[self.cleaned_data["choice"]]


class ApplicationDraftForm(forms.Form):
    """Every field optional: a draft can be saved half-done. Submitting checks completeness."""

    title = forms.CharField(max_length=200, required=False)
    summary = long_text(
        max_length=SUMMARY_MAX_LENGTH, rows=6, required=False,
        help_text=format_lazy(
            _("What you will do, with whom, and what will change. A few paragraphs is enough (at most {max} characters)."),
            max=f"{SUMMARY_MAX_LENGTH:,}",
        ),
    )
    themes = forms.MultipleChoiceField(choices=[], required=False, widget=forms.CheckboxSelectMultiple)
    countries = forms.MultipleChoiceField(
        label="Countries where the work happens",
        choices=list(countries),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (or ⌘ on a Mac) to choose more than one.",
    )
    requested_amount = MoneyField(label=_("Amount requested"), required=False)
    requested_currency = forms.ChoiceField(label="Currency", choices=[("", "—")] + CURRENCY_CHOICES, required=False)
    planned_start = forms.DateField(required=False, widget=DateInput())
    planned_end = forms.DateField(required=False, widget=DateInput())
    budget = forms.FileField(
        label="Budget", required=False, help_text=_FILE_HELP, widget=forms.ClearableFileInput(attrs={"accept": _FILE_ACCEPT})
    )
    registration = forms.FileField(
        label="Registration document",
        required=False,
        help_text="Needed when your organisation is registered. " + _FILE_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": _FILE_ACCEPT}),
    )
    other = forms.FileField(
        label="Other document (optional)", required=False, help_text=_FILE_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": _FILE_ACCEPT}),
    )

    DRAFT_FIELDS = [
        "title", "summary", "themes", "countries", "requested_amount", "requested_currency",
        "planned_start", "planned_end",
    ]
    FILE_FIELDS = ["budget", "registration", "other"]

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        # The fund's own themes (Fund.themes), else the network's default list.
        self.fields["themes"].choices = [(t, t) for t in fund.theme_choices()]
        asked = set(fund.required_documents or [])
        if "budget" not in asked:
            self.fields["budget"].label = _("Budget (optional)")
        if "registration" not in asked:
            self.fields["registration"].label = _("Registration document (optional)")
            self.fields["registration"].help_text = _FILE_HELP
        if "other" in asked:
            self.fields["other"].label = _("Other document")
        limits = f"{fund.base_currency} {fund.min_grant:,.0f} to {fund.max_grant:,.0f}"
        self.fields["requested_amount"].help_text = f"{fund.name} makes grants of {limits}."
        self.fields["requested_currency"].help_text = (
            f"For now, requests must be in the fund's base currency, {fund.base_currency}."
        )

    @classmethod
    def initial_from(cls, application):
        initial = {name: getattr(application, name) for name in cls.DRAFT_FIELDS}
        initial["countries"] = [c.code for c in application.countries]
        if application.requested_amount is not None:
            # Stored with 4 places; shown in the currency's own minor unit (USD 15000.00, not 15000.0000).
            initial["requested_amount"] = quantize(
                application.requested_amount, application.requested_currency or application.fund.base_currency
            )
        return initial

    def draft_data(self):
        return {name: self.cleaned_data[name] for name in self.DRAFT_FIELDS}

    def uploads(self):
        return [(kind, self.cleaned_data[kind]) for kind in self.FILE_FIELDS if self.cleaned_data.get(kind)]


class AnswerForm(forms.Form):
    answer = long_text(label=_("Your answer"), rows=5)
    document = forms.FileField(
        label="Supporting document (optional)", required=False, help_text=_FILE_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": _FILE_ACCEPT}),
    )


class WithdrawForm(forms.Form):
    note = long_text(label=_("Why are you withdrawing? (optional)"), max_length=NOTE_MAX, rows=3, required=False)


class DeclineForm(forms.Form):
    reason = long_text(
        label=_("Reason for declining"), max_length=LONG_TEXT_MAX,
        help_text=_("The applicant will read this. Be clear and kind."),
    )


class RequestInfoForm(forms.Form):
    question = long_text(
        label=_("Question for the applicant"), max_length=LONG_TEXT_MAX,
        help_text=_("The application waits for the applicant's answer before review continues."),
    )
