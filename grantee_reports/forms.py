"""Forms of the grantee-report pages. They collect what people type; services.py applies the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from fundops.forms import NOTE_MAX
from fundops.money import quantize
from fundops.themes import LEARNING_THEMES
from fundops.uploads import ALLOWED_DESCRIPTION, ALLOWED_EXTENSIONS

from .models import LEARNING_LANGUAGES, LearningEntry, ReportRequirement
from .services.reports import LEARNING_MAX, NARRATIVE_MAX

_ACCEPT = ",".join(ALLOWED_EXTENSIONS)
BLANK_BUDGET_ROWS = 3


class RequirementForm(forms.ModelForm):
    class Meta:
        model = ReportRequirement
        fields = ["title", "kind", "due_rule", "tranche_number", "days", "fixed_date", "gates_next_tranche"]
        widgets = {"fixed_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    use_required_attribute = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks what is required, every rule at once (a date for "on a fixed date", …).
        for field in self.fields.values():
            field.required = False

    def _post_clean(self):
        pass  # no model validation here: requirement_save decides

    def requirement_data(self):
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class ReportForm(forms.Form):
    """The report's own fields: the narrative, "what we learned" and more documents. The fund's
    questions come from the questionnaire's form, the spending from BudgetLineFormSet."""

    use_required_attribute = False

    narrative = forms.CharField(
        label=_("What happened in this period"), required=False, max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What you did, what changed for the people you work with, and what did not go as planned."),
    )
    learning_text = forms.CharField(
        label=_("What we learned (optional)"), required=False, max_length=LEARNING_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A lesson other grassroots justice groups could use. With your consent, it is published in "
                    "the public learning library."),
    )
    learning_themes = forms.MultipleChoiceField(
        label=_("Learning themes"), required=False, choices=LEARNING_THEMES, widget=forms.CheckboxSelectMultiple,
    )
    learning_language = forms.ChoiceField(label=_("Written in"), choices=LEARNING_LANGUAGES, initial="en")
    consent_publish = forms.BooleanField(
        label=_("We agree to publish what we learned in the public learning library"), required=False,
    )
    consent_region = forms.BooleanField(
        label=_("Our region (never our name or country) may be shown with it"), required=False,
        help_text=_("Your organisation is never named in anything the fund publishes. Leave this unticked and "
                    "the region shows as “Undisclosed”."),
    )
    documents = forms.FileField(
        label=_("Add a document"), required=False, widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
        help_text=_("%(types)s; at most 10 MB.") % {"types": ALLOWED_DESCRIPTION},
    )

    def __init__(self, *args, at_risk=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not at_risk:
            del self.fields["consent_region"]

    @staticmethod
    def initial_from(report):
        learning = LearningEntry.objects.filter(report=report).prefetch_related("themes").first()
        initial = {"narrative": report.narrative}
        if learning is not None:
            initial.update(
                learning_text=learning.text, learning_themes=[t.theme for t in learning.themes.all()],
                learning_language=learning.language, consent_publish=learning.consent_publish,
                consent_region=learning.consent_region,
            )
        return initial

    def learning(self):
        data = self.cleaned_data
        return {
            "text": data.get("learning_text") or "", "themes": data.get("learning_themes") or [],
            "language": data.get("learning_language") or "en", "consent_publish": data.get("consent_publish"),
            "consent_region": data.get("consent_region", False),
        }


class BudgetLineForm(forms.Form):
    use_required_attribute = False

    label = forms.CharField(label=_("Budget line"), required=False, max_length=200)
    # Text, not a number box: the service parses it and says what is wrong, keeping what was typed.
    amount = forms.CharField(label=_("Spent to date"), required=False, max_length=40,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))


BudgetLineFormSet = forms.formset_factory(BudgetLineForm, extra=0, max_num=50, absolute_max=60)


def budget_formset(report, data=None):
    if data is not None:
        return BudgetLineFormSet(data, prefix="lines")
    currency = report.grant.currency
    rows = [{"label": line.label, "amount": format(quantize(line.amount, currency), "f")} for line in report.budget_lines.all()]
    return BudgetLineFormSet(initial=rows + [{}] * BLANK_BUDGET_ROWS, prefix="lines")


def budget_lines_from(formset):
    return [(form.cleaned_data.get("label"), form.cleaned_data.get("amount")) for form in formset.forms
            if form.is_valid()]


class ChangesForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The grantee reads this and the report opens again for them."),
    )


class AcceptForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX)


class DueDateForm(forms.Form):
    due_on = forms.DateField(label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Why"), required=False, max_length=NOTE_MAX)


class SignedLetterForm(forms.Form):
    file = forms.FileField(
        label=_("Signed award letter"), widget=forms.ClearableFileInput(attrs={"accept": _ACCEPT}),
        help_text=_("A scan or photo of the letter, signed. %(types)s; at most 10 MB.") % {"types": ALLOWED_DESCRIPTION},
    )


class LibrarySearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    theme = forms.ChoiceField(label=_("Learning theme"), required=False, choices=[("", _("All themes"))] + LEARNING_THEMES)
    # Any text: a region no entry shows simply finds nothing (the selector applies the at-risk rule).
    region = forms.CharField(label=_("Region"), required=False, max_length=100, widget=forms.Select)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("All languages"))] + LEARNING_LANGUAGES)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget.choices = [("", _("All regions"))] + [(r, _(r)) for r in regions]

