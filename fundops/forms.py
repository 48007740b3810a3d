"""Forms on the shared core, and the fields every app's forms use for numbers people type and
for long text. They collect input; the services apply the rules."""
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import MONEY, RATE, Organization
from .money import MoneyError, ascii_digits, parse_typed_decimal
from .services import ORGANIZATION_PROFILE_FIELDS

# Long text: generous for what people write, small enough that a pasted 2 MB blob is refused at the form.
LONG_TEXT_MAX = 5000  # a summary, an answer, a review comment
NOTE_MAX = 2000  # a reason, a note, a question


class DecimalTextField(forms.DecimalField):
    """A number a person types: digits with a '.' point (fundops.money.parse_typed_decimal).

    A text box, not <input type=number>: browsers silently empty a number box holding digits they do
    not know, so an applicant typing Arabic-Indic digits would lose them without a word.
    """

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        try:
            return parse_typed_decimal(value)
        except MoneyError as error:
            raise ValidationError(str(error), code="invalid")

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"})
        return attrs


class MoneyField(DecimalTextField):
    """An amount of money: never negative, at most the precision the database stores."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", MONEY["max_digits"])
        kwargs.setdefault("decimal_places", MONEY["decimal_places"])
        super().__init__(**kwargs)


class RateField(DecimalTextField):
    """An exchange rate: units of the fund's currency for one unit of another."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", RATE["max_digits"])
        kwargs.setdefault("decimal_places", RATE["decimal_places"])
        super().__init__(**kwargs)


class DigitsField(forms.CharField):
    """Text holding a number whose rule a service applies (a score): only the digits are made ASCII."""

    def to_python(self, value):
        return ascii_digits(super().to_python(value))


def long_text(*, max_length=LONG_TEXT_MAX, rows=4, **kwargs):
    """A Textarea field with a length limit the browser knows too (Django adds maxlength)."""
    return forms.CharField(max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class OrganizationProfileForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", help_text="e.g. https://example.org")

    class Meta:
        model = Organization
        fields = ORGANIZATION_PROFILE_FIELDS
        help_texts = {
            "registration_number": "As on your registration certificate. Leave empty for unregistered groups.",
            "contact_email": "We write to this address about your applications.",
            "founded_year": _("Some funds support only organisations of a certain age."),
            "annual_budget": _("What your organisation spent in its last full year. Some funds have a limit."),
        }
        # Applied to those of these fields that are profile fields (ORGANIZATION_PROFILE_FIELDS).
        field_classes = {"annual_budget": MoneyField}

    def profile_data(self):
        return {name: self.cleaned_data[name] for name in ORGANIZATION_PROFILE_FIELDS}
